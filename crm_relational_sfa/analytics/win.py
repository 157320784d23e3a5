"""Win probability and closing time of opportunities, learned from what was known at each moment.

Pure numpy, no database: rows in, parameters and probabilities out.

"Will it be won, and when" is a time-to-event question, answered here as one: a deal's open life
is cut into weeks, from its creation to its close (or to the moment of learning), and each
**deal-week** is described exactly as the deal looked at its start (:func:`state_at`): its stage
then, the days open so far, its amount then, its salesperson and team, and its customer's
business **before** that moment (revenue of the orders of the year before, won and lost
opportunities closed before). What happened during the week is the outcome: won, lost, moved to
another stage, or nothing (the deal stays open, as stale deals do, week after week). Three
logistic regressions learn the weekly chances of being won, lost and moved on (competing risks),
and the stages deals move to are counted. Every week before the moment of learning is known, so
the newest weeks are learned from as much as the old ones, and the deals that never close weigh
in by every week they stay open.

Scoring an open deal describes it the same way at the scoring moment and walks it forward week
by week (:func:`project`): each week it may be won, lost or move on, its age grows, and the chance
of being won by each week adds up. The closing time is a distribution over the coming weeks, and
"eventually" is the chance of being won within a year.

Nothing in a deal-week depends on how the outcome was recorded: Odoo records a won deal as a
tracked stage change into a won stage and a lost one as an archive without stage change, and an
import records neither. The stage at a moment comes from the tracked changes only (the stage a won
deal sat in before it was won is the old value of its winning change); a deal with no trace of its
stages (imported) has an unknown stage whatever its outcome, and a won stage is never a feature;
the amount at a moment comes from its tracked changes too (a won deal's amount is often set to
what it was won for when it is won).
"""

import math
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np

from . import forecast

DAY = 86400.0
# The step of a deal's life: a week.
STEP_DAYS = 7
# Weeks a deal is walked forward when scored: "eventually" is within a year.
WEEKS = 52
EVENTS = ("won", "lost", "moved")
# Learning needs at least this many weeks that ended won and this many that ended lost.
MIN_CLASS = 1
# The out-of-time check needs at least this many opportunities scored.
MIN_CHECK = 40
# Deal-weeks beyond this many are sampled (evenly, reproducibly) to bound the fitting time.
MAX_EXAMPLES = 80_000
# Probabilities never reach 0 or 1: nothing in sales history is certain.
FLOOR = 0.005
# The spread of the model's error over a pipeline, measured out of sample, is kept within this
# range (the upper end when it cannot be measured: too short a history).
DRIFT_RANGE = (0.05, 0.5)
# Salespeople and teams with fewer snapshots than this share one "other" column.
MIN_LEVEL = 30
# Ridge penalty on the standardised features.
PENALTY = 1.0
UNKNOWN = "?"


@dataclass
class Deal:
    """One opportunity's facts as the database holds them now.

    ``changes``: the tracked stage changes ``(moment, old stage, new stage)`` in order;
    ``amounts``: the tracked changes of its amount, the same way (a won deal's amount is often
    set to what it was won for, when it is won); ``recorded``: whether the deal carries a trace
    of its life (a creation message or a tracked change), False for imports."""

    id: int
    created: datetime
    closed: datetime | None
    won: bool | None
    stage: object
    amount: float
    user: object = None
    team: object = None
    customer: object = None
    changes: list = field(default_factory=list)
    recorded: bool = True
    amounts: list = field(default_factory=list)


@dataclass
class History:
    """Per customer, what happened before any moment: confirmed orders ``(moment, amount)`` and
    closed opportunities ``(moment, won)``, each sorted by moment."""

    orders: dict = field(default_factory=dict)
    outcomes: dict = field(default_factory=dict)

    def before(self, customer, moment):
        """(revenue of the year before ``moment``, won before, lost before)."""
        revenue = 0.0
        orders = self.orders.get(customer)
        if orders:
            since = moment - timedelta(days=365)
            first = bisect_right(orders, (since, math.inf))
            last = bisect_right(orders, (moment, -math.inf))
            revenue = sum(amount for _m, amount in orders[first:last])
        won = lost = 0
        outcomes = self.outcomes.get(customer)
        if outcomes:
            for _m, was_won in outcomes[: bisect_right(outcomes, (moment, -1))]:
                won += was_won
                lost += not was_won
        return revenue, won, lost


def state_at(deal, moment, won_stages, history):
    """The features of ``deal`` as it looked at ``moment`` (a dict)."""
    stage, entered = UNKNOWN, deal.created
    if deal.changes:
        stage = deal.changes[0][1]
        for at, _old, new in deal.changes:
            if at > moment:
                break
            stage, entered = new, at
    elif deal.recorded:
        stage = deal.stage
    if stage in won_stages or stage is None:
        stage, entered = UNKNOWN, deal.created
    amount = deal.amount
    if deal.amounts:
        amount = deal.amounts[0][1]
        for at, _old, new in deal.amounts:
            if at > moment:
                break
            amount = new
    revenue, won, lost = history.before(deal.customer, moment) if deal.customer else (0.0, 0, 0)
    return {
        "stage": str(stage),
        "days_open": max((moment - deal.created).total_seconds() / DAY, 0.0),
        "days_in_stage": max((moment - entered).total_seconds() / DAY, 0.0),
        "amount": max(amount or 0.0, 0.0),
        "user": str(deal.user or ""),
        "team": str(deal.team or ""),
        "revenue": revenue,
        "won_before": won,
        "lost_before": lost,
    }


def untracked_wins(deals, until, won_stages):
    """The deals won by ``until`` whose win left no tracked change into a won stage although
    their life was recorded (a won stage written in the same transaction as the creation, or by
    SQL): their open stage is unknown."""
    return [
        deal
        for deal in deals
        if deal.won
        and deal.closed is not None
        and deal.closed <= until
        and deal.recorded
        and not any(new in won_stages for _at, _old, new in deal.changes)
    ]


def comparable(deals, until, won_stages):
    """The deals as they can be learned from without telling won from lost by how they were
    recorded: when some won deals carry no trace of their stages (see :func:`untracked_wins`),
    the stages say more about how an outcome was recorded than about the deal, and no deal's
    stage is learned from (nor used when scoring: see ``stageless`` in :func:`fit`)."""
    if not untracked_wins(deals, until, won_stages):
        return deals
    return [replace(deal, recorded=False, changes=[]) for deal in deals]


def weeks(deals, until, won_stages, history, max_examples=MAX_EXAMPLES, seed=0):
    """The deal-weeks over by ``until``: (deal, start of the week, state then, outcome) with
    outcome "won", "lost", "moved" or None (see :func:`comparable` for the deals whose stages
    were not recorded)."""
    deals = comparable(deals, until, won_stages)
    step = timedelta(days=STEP_DAYS)
    starts = []
    for deal in deals:
        end = min(deal.closed or until, until)
        at = deal.created
        while at < end and at + step <= until:
            starts.append((deal, at))
            at += step
        if at == deal.created and deal.closed is not None and deal.closed <= until:
            starts.append((deal, at))  # closed within its first week: its outcome is known
    if len(starts) > max_examples:
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(len(starts), size=max_examples, replace=False))
        starts = [starts[i] for i in keep]
    rows = []
    for deal, at in starts:
        state = state_at(deal, at, won_stages, history)
        rows.append((deal, at, state, _outcome(deal, at, at + step, state, won_stages, history)))
    return rows


def _outcome(deal, start, end, state, won_stages, history):
    # (a deal recorded as closed before it was created closed in its first week)
    if (
        deal.closed is not None
        and deal.closed <= end
        and (start <= deal.closed or start == deal.created)
    ):
        return "won" if deal.won else "lost"
    if state["stage"] != UNKNOWN and any(
        start < at <= end and new not in won_stages for at, _old, new in deal.changes
    ):
        return "moved"
    return None


def vocabulary(states):
    """The categories seen often enough to get a column of their own."""
    counts = {"stage": {}, "user": {}, "team": {}}
    for state in states:
        for name, seen in counts.items():
            seen[state[name]] = seen.get(state[name], 0) + 1
    return {
        "stage": sorted(counts["stage"]),
        "user": sorted(v for v, n in counts["user"].items() if n >= MIN_LEVEL and v),
        "team": sorted(v for v, n in counts["team"].items() if n >= MIN_LEVEL and v),
    }


# The numeric features, as log1p; days open is the one that moves as a deal is walked forward.
NUMERIC = ("days_open", "amount", "revenue", "won_before", "lost_before")


def matrix(states, vocab):
    """One row per state: stage, salesperson and team one-hot, then the log of the numeric
    features (days open first) and the logit of the customer's smoothed won share."""
    columns = {}
    for name in ("stage", "user", "team"):
        for value in vocab[name]:
            columns[name, value] = len(columns)
    numeric = len(columns)
    X = np.zeros((len(states), numeric + len(NUMERIC) + 1))
    for row, state in enumerate(states):
        for name in ("stage", "user", "team"):
            column = columns.get((name, state[name]))
            if column is not None:
                X[row, column] = 1.0
        won, lost = state["won_before"], state["lost_before"]
        X[row, numeric:] = [math.log1p(state[name]) for name in NUMERIC] + [
            math.log((won + 1.0) / (lost + 1.0))
        ]
    return X


def fit(deals, until, won_stages, history, seed=0):
    """Parameters learned from the deal-weeks over by ``until``; None when fewer than
    ``MIN_CLASS`` weeks ended won or lost."""
    stageless = bool(untracked_wins(deals, until, won_stages))
    rows = weeks(deals, until, won_stages, history, seed=seed)
    outcomes = [outcome for _d, _a, _s, outcome in rows]
    if min(outcomes.count("won"), outcomes.count("lost")) < MIN_CLASS:
        return None
    states = [state for _d, _a, state, _o in rows]
    vocab = vocabulary(states)
    X, mean, scale = forecast.standardize(matrix(states, vocab))
    events = {}
    for event in EVENTS:
        y = np.array([outcome == event for outcome in outcomes], dtype=float)
        if 0 < y.sum() < len(y):
            weights = forecast.fit_logistic(X, y, penalty=PENALTY).tolist()
        else:  # never seen (a single stage: nothing moves): a weekly chance of nothing
            weights = [-30.0] + [0.0] * X.shape[1]
        events[event] = {"weights": weights, "share": float(y.mean())}
    moves = {}
    for deal, at, state, outcome in rows:
        if outcome == "moved":
            reached = state_at(deal, at + timedelta(days=STEP_DAYS), won_stages, history)
            target = moves.setdefault(state["stage"], {})
            target[reached["stage"]] = target.get(reached["stage"], 0) + 1
    return {
        "vocabulary": vocab,
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "events": events,
        "moves": moves,
        "examples": len(rows),
        "by_stage": _stage_summary(states, outcomes),
        "stageless": stageless,
    }


def _stage_summary(states, outcomes):
    """Per stage: deal-weeks, and the share of them that ended won, lost and moved on."""
    summary = {}
    for state, outcome in zip(states, outcomes, strict=True):
        figures = summary.setdefault(state["stage"], {"weeks": 0, **dict.fromkeys(EVENTS, 0)})
        figures["weeks"] += 1
        if outcome:
            figures[outcome] += 1
    return {
        stage: {"weeks": f["weeks"], **{e: f[e] / f["weeks"] for e in EVENTS}}
        for stage, f in summary.items()
    }


def project(params, states, weeks_ahead=WEEKS):
    """Walk each state forward week by week: the chance of being won by the end of each week,
    an array (states x weeks), non-decreasing, never 0 nor 1 in total."""
    if not states:
        return np.zeros((0, weeks_ahead))
    if params.get("stageless"):
        states = [{**state, "stage": UNKNOWN} for state in states]
    vocab = params["vocabulary"]
    stages = list(vocab["stage"])
    for state in states:
        if state["stage"] not in stages:
            stages.append(state["stage"])
    mean, scale = np.array(params["mean"]), np.array(params["scale"])
    X, _m, _s = forecast.standardize(matrix(states, vocab), mean, scale)
    stage_columns = len(vocab["stage"])
    age_column = stage_columns + len(vocab["user"]) + len(vocab["team"])
    # logit = deal part + stage part + age part, per event; the stage part of a standardised
    # one-hot is (1 - mean) / scale in its own column and (0 - mean) / scale in the others
    deal_part, stage_part, age_weight = {}, {}, {}
    zero = (0.0 - mean[:stage_columns]) / scale[:stage_columns]
    for event in EVENTS:
        w = np.array(params["events"][event]["weights"])
        without = X.copy()
        without[:, :stage_columns] = 0.0
        without[:, age_column] = 0.0
        deal_part[event] = w[0] + without @ w[1:]
        stage_w = w[1 : 1 + stage_columns]
        base = stage_w @ zero
        stage_part[event] = np.array(
            [
                base + stage_w[vocab["stage"].index(s)] / scale[vocab["stage"].index(s)]
                if s in vocab["stage"]
                else base
                for s in stages
            ]
        )
        age_weight[event] = w[1 + age_column]
    moves = np.eye(len(stages))
    for source, targets in params["moves"].items():
        total = sum(targets.values())
        if source in stages and total:
            row = stages.index(source)
            moves[row] = 0.0
            for target, count in targets.items():
                if target in stages:
                    moves[row, stages.index(target)] += count / total
            moves[row] /= moves[row].sum() or 1.0
    days_open = np.array([state["days_open"] for state in states])
    D = np.zeros((len(states), len(stages)))
    D[np.arange(len(states)), [stages.index(state["stage"]) for state in states]] = 1.0
    F = np.zeros((len(states), weeks_ahead))
    won_so_far = np.zeros(len(states))
    for week in range(weeks_ahead):
        age = (np.log1p(days_open + STEP_DAYS * week) - mean[age_column]) / scale[age_column]
        hazard = {
            event: 1.0 / (1.0 + np.exp(-(deal_part[event][:, None] + stage_part[event][None, :]
                                          + age_weight[event] * age[:, None])))
            for event in EVENTS
        }  # fmt: skip
        total = hazard["won"] + hazard["lost"] + hazard["moved"]
        squeeze = np.where(total > 0.99, 0.99 / total, 1.0)
        won, lost, moved = (hazard[e] * squeeze for e in EVENTS)
        won_so_far = won_so_far + (D * won).sum(axis=1)
        F[:, week] = won_so_far
        D = D * (1.0 - won - lost - moved) + (D * moved) @ moves
    return np.clip(F, FLOOR, 1 - FLOOR)


def within(F, days):
    """Chance of being won within ``days`` (a number or one per state), interpolated between
    the weeks (0 at day 0, flat after the last week)."""
    grid = np.arange(F.shape[1] + 1) * STEP_DAYS
    full = np.column_stack([np.zeros(len(F)), F])
    days = np.broadcast_to(np.asarray(days, dtype=float), (len(F),))
    return np.array([np.interp(d, grid, row) for d, row in zip(days, full, strict=True)])


def eventually(F):
    """The chance of being won at all: within the weeks walked (a year)."""
    return F[:, -1] if F.shape[1] else np.zeros(len(F))


def median_close_days(F):
    """Days until the deal, if won, is as likely won before as after."""
    grid = np.arange(F.shape[1] + 1) * STEP_DAYS
    return [float(np.interp(row[-1] / 2.0, [0.0, *row], grid)) for row in F]


def period_probabilities(F, bounds):
    """Chance of being won in each period ``(first day, last day)`` given in days from now
    (inclusive, ``first`` >= 0): an array (states x periods)."""
    columns = [within(F, last + 1) - within(F, first) for first, last in bounds]
    return np.clip(np.column_stack(columns), 0.0, 1.0) if columns else np.zeros((len(F), 0))


def holdout(deals, until, won_stages, history, horizon=91, moments=4, seed=0):
    """The out-of-time check: learn from what was known ``horizon`` days plus three months
    before ``until``, then score the pipelines open at that moment and at the next three month
    starts as they were, against whether each deal was won within ``horizon`` days (known at
    ``until``). Returns the predictions and outcomes with, for the same deals, the base rate and
    the won share of the stage (Odoo's predictive-scoring statistic) as known at the moment of
    learning; None when the history is too short."""
    first = until - timedelta(days=horizon + 28 * (moments - 1))
    params = fit(deals, first, won_stages, history, seed=seed)
    if not params:
        return None
    closed = [d for d in deals if d.closed is not None and d.closed <= first]
    odds = stage_odds(closed, first, won_stages, history)
    # the base rate: the share of the pipelines of the months before won within the horizon
    earlier = [
        won_within(pipeline(deals, first - timedelta(days=horizon + 28 * n)), horizon)
        for n in range(moments)
    ]
    earlier = [value for values in earlier for value in values]
    base = sum(earlier) / len(earlier) if earlier else 0.5
    predicted, outcomes, stage_baseline, ratios = [], [], [], []
    for number in range(moments):
        moment = first + timedelta(days=28 * number)
        _moment, open_deals = pipeline(deals, moment)
        states = [state_at(d, moment, won_stages, history) for d in open_deals]
        chances = within(project(params, states), horizon)
        won = won_within((moment, open_deals), horizon)
        predicted.extend(chances)
        outcomes.extend(won)
        stage_baseline.extend(odds.get(state["stage"], base) for state in states)
        ratios.append(math.log((sum(won) + 1.0) / (float(sum(chances)) + 1.0)))
    outcomes = np.array(outcomes)
    if len(outcomes) < MIN_CHECK or outcomes.min() == outcomes.max():
        return None
    return {
        "predicted": np.array(predicted),
        "outcomes": outcomes,
        "base_rate": np.full(len(outcomes), base),
        "stage_odds": np.array(stage_baseline),
        "drift": drift(ratios),
    }


def drift(log_ratios):
    """The spread of the model's own error: the root mean square of the log of won over
    expected, per pipeline checked, kept between ``DRIFT_RANGE``."""
    if not log_ratios:
        return DRIFT_RANGE[1]
    rms = math.sqrt(sum(r * r for r in log_ratios) / len(log_ratios))
    return min(max(rms, DRIFT_RANGE[0]), DRIFT_RANGE[1])


def pipeline(deals, moment):
    """``(moment, the deals open at moment)``."""
    return moment, [
        d for d in deals if d.created <= moment and (d.closed is None or d.closed > moment)
    ]


def won_within(opened, horizon):
    """1.0 or 0.0 per deal of ``opened`` (from :func:`pipeline`): won within ``horizon`` days."""
    moment, deals = opened
    end = moment + timedelta(days=horizon)
    return [1.0 if d.won and d.closed <= end else 0.0 for d in deals]


def stage_odds(closed, until, won_stages, history):
    """Odoo's predictive-scoring statistic of the stage: of the deals closed by ``until`` that
    reached it, the won share, smoothed as Odoo smooths it ((won + 0.1) / (won + lost + 0.2))."""
    counts = {}
    for deal in closed:
        reached = {state_at(deal, at, won_stages, history)["stage"] for at, _o, _n in deal.changes}
        reached.add(state_at(deal, deal.created, won_stages, history)["stage"])
        for stage in reached:
            won, total = counts.get(stage, (0, 0))
            counts[stage] = (won + bool(deal.won), total + 1)
    return {stage: (won + 0.1) / (total + 0.2) for stage, (won, total) in counts.items()}
