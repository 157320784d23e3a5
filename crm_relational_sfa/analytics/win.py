"""Win probability and closing time of opportunities, learned from what was known at each moment.

Pure numpy, no database: rows in, parameters and probabilities out.

A deal's open life is cut into weekly **snapshots**, from its creation to its close (or to the
moment of learning). Each snapshot is described exactly as the deal looked then (:func:`state_at`):
its stage at that moment and the days it had spent in it, the days open so far, its amount, its
salesperson and team, and its customer's business **before** that moment (revenue of the orders of
the year before, won and lost opportunities closed before). Scoring an open deal describes it the
same way at the scoring moment, so learning and scoring share one definition.

The label of a snapshot is "won within *h* days of the snapshot", for several horizons *h* (a month
to a year): one logistic regression per horizon gives the cumulative chance of winning by then, so
the closing time is a distribution (deals that drift, deals that never close) rather than a date.
A snapshot is learned from only when its label was known at the moment of learning (its deal closed
before, or *h* days had passed), which keeps out both the future and the bias of counting only the
deals that closed fast.

Nothing in a snapshot depends on how the outcome was recorded: Odoo records a won deal as a
tracked stage change into a won stage and a lost one as an archive without stage change, and an
import records neither. The stage at a moment comes from the tracked changes only (the stage a won
deal sat in before it was won is the old value of its winning change); a deal with no trace of its
stages (imported) has an unknown stage whatever its outcome, and a won stage is never a feature.
"""

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from . import forecast

DAY = 86400.0
# Snapshots are taken every week of a deal's open life.
STEP_DAYS = 7
# Horizons (days) of the cumulative won models; the longest with enough examples is "eventually".
HORIZONS = (30, 61, 91, 182, 365)
# A horizon is learned when its examples hold at least this many won and this many not won.
MIN_CLASS = 20
# Snapshots beyond this many are sampled (evenly, reproducibly) to bound the fitting time.
MAX_EXAMPLES = 60_000
# Probabilities never reach 0 or 1: nothing in sales history is certain.
FLOOR = 0.005
# Salespeople and teams with fewer snapshots than this share one "other" column.
MIN_LEVEL = 30
# Ridge penalty on the standardised features.
PENALTY = 1.0
UNKNOWN = "?"


@dataclass
class Deal:
    """One opportunity's facts as the database holds them now.

    ``changes``: the tracked stage changes ``(moment, old stage, new stage)`` in order;
    ``recorded``: whether the deal carries a trace of its life (a creation message or a
    tracked change), False for imports; ``won_stages``: the stages that mean won."""

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
    revenue, won, lost = history.before(deal.customer, moment) if deal.customer else (0.0, 0, 0)
    return {
        "stage": str(stage),
        "days_open": max((moment - deal.created).total_seconds() / DAY, 0.0),
        "days_in_stage": max((moment - entered).total_seconds() / DAY, 0.0),
        "amount": max(deal.amount or 0.0, 0.0),
        "user": str(deal.user or ""),
        "team": str(deal.team or ""),
        "revenue": revenue,
        "won_before": won,
        "lost_before": lost,
    }


def snapshots(deals, until, won_stages, history, max_examples=MAX_EXAMPLES, seed=0):
    """Weekly snapshots of the deals' open lives before ``until``: (deal, moment, state) lists."""
    moments = []
    for deal in deals:
        end = min(deal.closed or until, until)
        at = deal.created
        while at < end:
            moments.append((deal, at))
            at += timedelta(days=STEP_DAYS)
    if len(moments) > max_examples:
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(len(moments), size=max_examples, replace=False))
        moments = [moments[i] for i in keep]
    return [(deal, at, state_at(deal, at, won_stages, history)) for deal, at in moments]


def labels(rows, horizon_days, until):
    """For each snapshot, 1 if its deal was won within ``horizon_days``, 0 if not, None when it
    was not known yet at ``until`` (the deal was still open and the horizon not over)."""
    horizon = timedelta(days=horizon_days)
    result = []
    for deal, at, _state in rows:
        if deal.closed is not None and deal.closed <= until:
            result.append(1.0 if deal.won and deal.closed <= at + horizon else 0.0)
        elif at + horizon <= until:
            result.append(0.0)
        else:
            result.append(None)
    return result


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


NUMERIC = ("days_open", "days_in_stage", "amount", "revenue", "won_before", "lost_before")


def matrix(states, vocab):
    """One row per state: stage, salesperson and team one-hot (first stage as reference),
    then the log of the numeric features and the customer's smoothed won share."""
    columns = {}
    for name in ("stage", "user", "team"):
        values = vocab[name][1:] if name == "stage" else vocab[name]
        for value in values:
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


@dataclass
class Model:
    """What :func:`learn` returns: the parameters (JSON-ready) and its own out-of-time check."""

    parameters: dict
    examples: int
    base_rate: float
    holdout: dict | None


def _fit_horizons(states, labelled, vocab):
    X = matrix(states, vocab)
    X, mean, scale = forecast.standardize(X)
    models = {}
    for horizon, y in labelled.items():
        keep = np.array([v is not None for v in y])
        if not keep.any():
            continue
        outcomes = np.array([v for v in y if v is not None])
        won = int(outcomes.sum())
        if won < MIN_CLASS or len(outcomes) - won < MIN_CLASS:
            continue
        models[str(horizon)] = {
            "weights": forecast.fit_logistic(X[keep], outcomes, penalty=PENALTY).tolist(),
            "base_rate": float(outcomes.mean()),
            "examples": len(outcomes),
        }
    return {
        "vocabulary": vocab,
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "horizons": models,
    }


def fit(deals, until, won_stages, history, horizons=HORIZONS, seed=0):
    """Parameters learned from the deals as known at ``until``; None when no horizon has
    enough won and not-won examples."""
    rows = snapshots(deals, until, won_stages, history, seed=seed)
    if not rows:
        return None
    states = [state for _d, _a, state in rows]
    labelled = {h: labels(rows, h, until) for h in horizons}
    params = _fit_horizons(states, labelled, vocabulary(states))
    if not params["horizons"]:
        return None
    params["examples"] = len(rows)
    return params


def fitted_horizons(params):
    return sorted(int(h) for h in params["horizons"])


def cumulative(params, states):
    """Chance of being won within each learned horizon, per state: an array (states x
    horizons), non-decreasing along the horizons, inside [FLOOR, 1 - FLOOR]."""
    horizons = fitted_horizons(params)
    if not states:
        return np.zeros((0, len(horizons)))
    X = matrix(states, params["vocabulary"])
    X, _m, _s = forecast.standardize(X, np.array(params["mean"]), np.array(params["scale"]))
    columns = [
        forecast.predict(X, np.array(params["horizons"][str(h)]["weights"])) for h in horizons
    ]
    F = np.maximum.accumulate(np.column_stack(columns), axis=1)
    return np.clip(F, FLOOR, 1 - FLOOR)


def within(params, F, days):
    """Chance of being won within ``days`` (array per state), interpolated linearly between
    the learned horizons (0 at day 0, flat after the longest)."""
    horizons = [0, *fitted_horizons(params)]
    grid = np.column_stack([np.zeros(len(F)), F])
    days = np.broadcast_to(np.asarray(days, dtype=float), (len(F),))
    return np.array([np.interp(d, horizons, row) for d, row in zip(days, grid, strict=True)])


def eventually(F):
    """The chance of being won at all: within the longest learned horizon."""
    return F[:, -1] if F.shape[1] else np.zeros(len(F))


def median_close_days(params, F):
    """Days until the deal, if won, is as likely won before as after (None when unlikely to be
    won at all within the horizons)."""
    horizons = [0, *fitted_horizons(params)]
    result = []
    for row in F:
        half = row[-1] / 2.0
        grid = [0.0, *row]
        result.append(float(np.interp(half, grid, horizons)))
    return result


def period_probabilities(params, F, bounds):
    """Chance of being won in each period ``(first day, last day)`` given in days from now
    (inclusive, ``first`` >= 0): an array (states x periods)."""
    columns = []
    for first, last in bounds:
        columns.append(within(params, F, last + 1) - within(params, F, first))
    return np.clip(np.column_stack(columns), 0.0, 1.0) if columns else np.zeros((len(F), 0))


def holdout(deals, until, won_stages, history, horizon=91, window=91, seed=0):
    """The out-of-time check of the learning: fit on what was known ``horizon + window`` days
    before ``until``, score the snapshots of the following ``window`` days, whose outcome within
    ``horizon`` is known at ``until``. Returns the predictions, outcomes, the base rate learned
    then, and the stage odds learned then (the won share per stage, Odoo's statistic), or None
    when the history is too short."""
    split = until - timedelta(days=horizon + window)
    train = fit(deals, split, won_stages, history, horizons=(horizon,), seed=seed)
    if not train:
        return None
    rows = [
        row
        for row in snapshots(deals, until, won_stages, history, seed=seed)
        if split <= row[1] < split + timedelta(days=window)
    ]
    y = labels(rows, horizon, until)
    rows = [row for row, label in zip(rows, y, strict=True) if label is not None]
    outcomes = np.array([label for label in y if label is not None])
    if len(outcomes) < 2 * MIN_CLASS or outcomes.min() == outcomes.max():
        return None
    states = [state for _d, _a, state in rows]
    predicted = cumulative(train, states)[:, 0]
    odds = stage_odds(deals, split, won_stages, history, horizon)
    return {
        "predicted": predicted,
        "outcomes": outcomes,
        "base_rate": np.full(len(outcomes), train["horizons"][str(horizon)]["base_rate"]),
        "stage_odds": np.array([odds.get(state["stage"], odds[None]) for state in states]),
    }


def stage_odds(deals, until, won_stages, history, horizon):
    """Won share within ``horizon`` of the snapshots of each stage known at ``until``, smoothed as
    Odoo's predictive scoring smooths its counts ((won + 0.1) / (won + lost + 0.2)); key None
    holds the share over all stages."""
    rows = snapshots(deals, until, won_stages, history)
    counts = {}
    for (_d, _a, state), label in zip(rows, labels(rows, horizon, until), strict=True):
        if label is None:
            continue
        for key in (state["stage"], None):
            won, total = counts.get(key, (0.0, 0))
            counts[key] = (won + label, total + 1)
    odds = {key: (won + 0.1) / (total + 0.2) for key, (won, total) in counts.items()}
    odds.setdefault(None, 0.5)
    return odds
