"""The true parameters of the generated pipeline and repeat business, and the true win chance.

The generator (``plan.py``) draws every opportunity from the process below, with these
constants; nothing else decides a deal's fate. Tests and the forecast's own checks can thus
compare what a model learns from the written data with the truth.

**Creation.** Each customer opens deals as a Poisson process of ``DEAL_RATE`` deals per week
while it is a customer (from its first day to its last order if it left, else to today),
multiplied by ``DEAL_MONTH_FACTORS[month - 1]`` (deals are opened more in autumn and spring,
less in summer and in December). A deal's amount is the customer's typical order value times
a lognormal factor (``AMOUNT_LOG_MEAN``, ``AMOUNT_LOG_SIGMA``).

**Zombies.** A share ``ZOMBIE_SHARE`` of the deals are never decided: no win or loss hazard,
they stay open forever (they still move through the stages), so the pipeline at any date
holds stale deals.

**Weekly steps.** A deal lives in weekly steps from its creation. Step ``n`` (n = 0, 1, ...)
covers its n-th week open; at its end (day ``created + 7 * (n + 1)``) the deal, in stage
``s`` (0 New, 1 Qualified, 2 Proposition), is

* won with probability ``win_hazard(s, n, salesperson, amount)``,
* else lost with probability ``loss_hazard(s, n)``,
* else, if still open, moved to the next stage with probability ``advance_hazard(s, n, amount)``
  (never past the last open stage; the won stage is reached only by winning).

All three fall with the time open: they are multiplied by ``exp(-n / DECAY_WEEKS)``. The win
hazard before the decay is ``sigmoid(logit(WIN_BASE[s]) + offset)`` with the log-odds offset
``REP_OFFSETS[salesperson] + TEAM_OFFSETS[team] + AMOUNT_WIN_SLOPE * log(amount /
AMOUNT_REFERENCE)``: some salespeople are much better than others, and bigger deals win less
often; bigger deals also advance more slowly (``AMOUNT_ADVANCE_EXPONENT``), so they win later.
A won deal produces the customer's order on its closing day, for about its amount.

**Recording.** A share ``IMPORTED_SHARE`` of the deals are imported: written in their state
as of today with no tracking at all. The others are tracked as Odoo tracks them: a stage
change message per move, ``action_set_won`` (moved to the won stage) or ``action_set_lost``
(archived with a lost reason, no stage change) on the closing day.

**Repeat orders.** Orders not produced by deals are each customer's Poisson process, whose
rate is multiplied by ``ORDER_MONTH_FACTORS[month - 1]`` (a November-December peak, a summer
dip; mean 1 over the year).

``win_chance`` gives the exact chance that a deal in a given state is won eventually and
within ``h`` weeks (recursion over the weekly process, zombies included through Bayes' rule).
"""

import math
from functools import lru_cache

# -------------------------------------------------------------------- creation
DEAL_RATE = 0.06  # deals per customer per week, before the month factor
DEAL_MONTH_FACTORS = (1.0, 1.1, 1.25, 1.15, 1.0, 0.85, 0.7, 0.65, 1.2, 1.3, 1.1, 0.7)
AMOUNT_LOG_MEAN = 1.0  # deal amount: customer's typical order value * lognormal(mean, sigma)
AMOUNT_LOG_SIGMA = 0.6

# -------------------------------------------------------------------- weekly process
STAGES = ("New", "Qualified", "Proposition")  # the open stages, then the won stage
WIN_BASE = (0.004, 0.015, 0.10)  # weekly win chance per stage at creation, offset 0
LOSS_BASE = (0.045, 0.035, 0.05)  # weekly loss chance per stage at creation
ADVANCE_BASE = (0.28, 0.20, 0.0)  # weekly chance to move to the next stage at creation
DECAY_WEEKS = 26.0  # every hazard is multiplied by exp(-weeks open / DECAY_WEEKS)
SALESPEOPLE_TEAM = (0, 0, 1, 1)  # the team of each salesperson (orm_writer.SALESPEOPLE)
REP_OFFSETS = (1.0, -0.3, 0.4, -1.0)  # log-odds offset of the win hazard per salesperson
TEAM_OFFSETS = (0.2, -0.2)  # log-odds offset of the win hazard per team
AMOUNT_REFERENCE = 1000.0  # the amount with no amount effect
AMOUNT_WIN_SLOPE = -0.35  # log-odds of the win hazard per unit of log(amount / reference)
AMOUNT_ADVANCE_EXPONENT = -0.25  # advance hazard * (amount / reference) ** exponent
ZOMBIE_SHARE = 0.15  # deals never decided
MAX_WEEKS = 260  # after five years open, a deal is taken as never decided (hazards < 1e-4)

# -------------------------------------------------------------------- recording
IMPORTED_SHARE = 0.10  # deals written in their final state, without tracking

# -------------------------------------------------------------------- repeat orders
# (Stronger factors, such as a 1.6 December, leave the profiles' BG/NBD fit of the 36 customers
# of the small data set without a converged optimum on many dates: the lifecycle test needs it.)
ORDER_MONTH_FACTORS = (1.0, 0.9, 1.0, 1.0, 1.0, 0.85, 0.75, 0.75, 1.0, 1.05, 1.3, 1.4)


DECAYS = tuple(math.exp(-n / DECAY_WEEKS) for n in range(MAX_WEEKS + 1))


def decay(weeks_open):
    """The factor every hazard is multiplied by after `weeks_open` weeks."""
    return DECAYS[weeks_open] if weeks_open <= MAX_WEEKS else math.exp(-weeks_open / DECAY_WEEKS)


def win_offset(salesperson, amount):
    """The log-odds offset of the win hazard of a deal of `salesperson` (0-3) and `amount`."""
    return (
        REP_OFFSETS[salesperson]
        + TEAM_OFFSETS[SALESPEOPLE_TEAM[salesperson]]
        + AMOUNT_WIN_SLOPE * math.log(max(amount, 1.0) / AMOUNT_REFERENCE)
    )


def win_hazard(stage, weeks_open, salesperson, amount):
    """The chance a deal open in `stage` is won at the end of its week `weeks_open`."""
    base = WIN_BASE[stage]
    odds = math.log(base / (1 - base)) + win_offset(salesperson, amount)
    return decay(weeks_open) / (1 + math.exp(-odds))


def loss_hazard(stage, weeks_open):
    """The chance a deal open in `stage`, not won that week, is lost at its end."""
    return LOSS_BASE[stage] * decay(weeks_open)


def advance_hazard(stage, weeks_open, amount):
    """The chance a deal still open moves from `stage` to the next at the end of the week."""
    factor = (max(amount, 1.0) / AMOUNT_REFERENCE) ** AMOUNT_ADVANCE_EXPONENT
    return min(0.95, ADVANCE_BASE[stage] * factor * decay(weeks_open))


def deal_hazards(salesperson, amount):
    """Per stage, the (win, loss, advance) hazards of a deal at creation (before the decay)."""
    factor = (max(amount, 1.0) / AMOUNT_REFERENCE) ** AMOUNT_ADVANCE_EXPONENT
    offset = win_offset(salesperson, amount)
    return tuple(
        (1 / (1 + math.exp(-(math.log(WIN_BASE[s] / (1 - WIN_BASE[s])) + offset))),
         LOSS_BASE[s], ADVANCE_BASE[s] * factor)
        for s in range(len(STAGES))
    )  # fmt: skip


def step(stage, weeks_open, hazards, roll_close, roll_advance):
    """One week of the process: ("won" | "lost" | "open", stage after the week).

    `hazards` come from ``deal_hazards``; `roll_close` and `roll_advance` are uniform draws in
    [0, 1): the generator passes its own random numbers, so the plan follows these hazards.
    """
    win, loss, advance = hazards[stage]
    factor = DECAYS[weeks_open]
    win *= factor
    if roll_close < win:
        return "won", stage
    if roll_close < win + (1 - win) * loss * factor:
        return "lost", stage
    if stage < len(STAGES) - 1 and roll_advance < min(0.95, advance * factor):
        return "open", stage + 1
    return "open", stage


def _open_chance(stage, weeks_open, entry, salesperson, amount, zombie):
    """Chance that a deal (a zombie or not) is open after `weeks_open` weeks, in `stage`
    since week `entry`: the sum over the weeks it entered the earlier stages."""
    last = len(STAGES) - 1
    # keep[s][k]: chance to stay open and in stage s through week k; move[s][k]: to stay open
    # and move on from s at the end of week k.
    keep = [[0.0] * weeks_open for _s in STAGES]
    move = [[0.0] * weeks_open for _s in STAGES]
    for k in range(weeks_open):
        for s in range(len(STAGES)):
            stay = 1.0
            if not zombie:
                stay = (1 - win_hazard(s, k, salesperson, amount)) * (1 - loss_hazard(s, k))
            advance = advance_hazard(s, k, amount) if s < last else 0.0
            keep[s][k], move[s][k] = stay * (1 - advance), stay * advance

    def staying(s, first, stop):  # in stage s from week `first` to week `stop` - 1
        return math.prod(keep[s][first:stop])

    if stage == 0:
        return staying(0, 0, weeks_open) if entry == 0 else 0.0
    if entry < 1 or entry > weeks_open:
        return 0.0
    if stage == 1:
        return staying(0, 0, entry - 1) * move[0][entry - 1] * staying(1, entry, weeks_open)
    earlier = sum(
        staying(0, 0, first - 1) * move[0][first - 1] * staying(1, first, entry - 1)
        * move[1][entry - 1]
        for first in range(1, entry)
    )  # fmt: skip
    return earlier * staying(2, entry, weeks_open)


@lru_cache(maxsize=256)
def _eventual(salesperson, amount):
    """won[n][stage]: chance a decided-type deal open in `stage` after n weeks is won later."""
    last = len(STAGES) - 1
    won = [[0.0] * len(STAGES) for _n in range(MAX_WEEKS + 1)]
    for n in range(MAX_WEEKS - 1, -1, -1):
        for stage in range(len(STAGES)):
            win = win_hazard(stage, n, salesperson, amount)
            stay = (1 - win) * (1 - loss_hazard(stage, n))
            advance = advance_hazard(stage, n, amount) if stage < last else 0.0
            later = advance * won[n + 1][min(stage + 1, last)] + (1 - advance) * won[n + 1][stage]
            won[n][stage] = win + stay * later
    return won


def _within(stage, weeks_open, salesperson, amount, horizon):
    """Chance a decided-type deal open in `stage` after `weeks_open` weeks is won within the
    next `horizon` weeks."""
    last = len(STAGES) - 1
    chances = [0.0] * len(STAGES)
    chances[stage] = 1.0
    total = 0.0
    for n in range(weeks_open, min(weeks_open + horizon, MAX_WEEKS)):
        nxt = [0.0] * len(STAGES)
        for s, chance in enumerate(chances):
            if not chance:
                continue
            win = win_hazard(s, n, salesperson, amount)
            total += chance * win
            stay = chance * (1 - win) * (1 - loss_hazard(s, n))
            advance = advance_hazard(s, n, amount) if s < last else 0.0
            nxt[min(s + 1, last)] += stay * advance
            nxt[s] += stay * (1 - advance)
        chances = nxt
    return total


def zombie_chance(stage, weeks_open, weeks_in_stage, salesperson, amount):
    """The chance that an open deal in this state is a zombie (Bayes' rule over the paths)."""
    weeks_open = min(int(weeks_open), MAX_WEEKS)
    entry = weeks_open - int(weeks_in_stage)
    amount = round(float(amount), 2)
    decided = _open_chance(stage, weeks_open, entry, salesperson, amount, False)
    zombie = _open_chance(stage, weeks_open, entry, salesperson, amount, True)
    mass = ZOMBIE_SHARE * zombie + (1 - ZOMBIE_SHARE) * decided
    return ZOMBIE_SHARE * zombie / mass if mass else 1.0


def win_chance(stage, weeks_open, weeks_in_stage, salesperson, amount, horizon=None):
    """The true chance that an open deal is won eventually (``horizon`` None) or within the
    next ``horizon`` weeks.

    The state is as of a moment: ``stage`` (0 New, 1 Qualified, 2 Proposition), whole
    ``weeks_open`` since creation, whole ``weeks_in_stage`` since it entered its stage (0 <=
    weeks_in_stage <= weeks_open; a deal in New has weeks_in_stage == weeks_open), its
    ``salesperson`` (0-3, orm_writer.SALESPEOPLE order) and ``amount``.
    """
    if not 0 <= stage < len(STAGES):
        raise ValueError(f"stage must be 0 to {len(STAGES) - 1}, not {stage!r}")
    if not 0 <= weeks_in_stage <= weeks_open or (stage == 0 and weeks_in_stage != weeks_open):
        raise ValueError("weeks in the stage must be between 0 and the weeks open (all in New)")
    weeks_open = min(int(weeks_open), MAX_WEEKS)
    amount = round(float(amount), 2)
    decided = 1 - zombie_chance(stage, weeks_open, weeks_in_stage, salesperson, amount)
    if weeks_open >= MAX_WEEKS:
        return 0.0
    if horizon is None:
        return decided * _eventual(salesperson, amount)[weeks_open][stage]
    return decided * _within(stage, weeks_open, salesperson, amount, int(horizon))
