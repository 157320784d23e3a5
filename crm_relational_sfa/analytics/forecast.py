"""Win probability and period forecast engine, pure numpy/scipy, usable without a database.

* :func:`fit_logistic` learns a ridge-penalised logistic regression of "won" on a design matrix
  (exact gradient, L-BFGS); :func:`predict` scores new rows.
* :func:`brier` and :func:`reliability` measure calibration: the Brier score and, per bucket of
  predicted probability, the mean prediction next to the observed win rate.
* :func:`standardize` centres and scales the numeric columns so that one penalty fits them all.
* :func:`simulate_periods` draws each open opportunity as won in one of the periods (or not)
  with its chances, adds repeat business per group (Poisson orders with Gamma-spread values)
  and the model's own error, and returns the P10/P50/P90 of each group's total per period;
  :func:`simulate_totals` is its one-period form.
"""

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

QUANTILES = (0.1, 0.5, 0.9)


def _as_matrix(X):
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError("the design matrix must have two dimensions")
    if not np.all(np.isfinite(X)):
        raise ValueError("the design matrix holds a missing or infinite value")
    return X


def fit_logistic(X, y, penalty=1.0):
    """Weights (intercept first) maximising the penalised log-likelihood of ``y`` (0/1)
    given ``X``. The intercept is not penalised. Needs both outcomes in ``y``."""
    X = _as_matrix(X)
    y = np.asarray(y, dtype=float)
    if len(y) != len(X):
        raise ValueError("X and y differ in length")
    if not len(y) or y.min() == y.max():
        raise ValueError("fitting needs both won and lost examples")
    design = np.hstack([np.ones((len(X), 1)), X])
    mask = np.ones(design.shape[1])
    mask[0] = 0.0

    def objective(w):
        z = design @ w
        # log(1 + e^z) - y z, computed stably
        loss = np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * penalty * np.sum(mask * w * w)
        grad = design.T @ (expit(z) - y) + penalty * mask * w
        return loss, grad

    start = np.zeros(design.shape[1])
    start[0] = np.log(y.mean() / (1 - y.mean()))
    result = minimize(objective, start, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return result.x


def predict(X, weights):
    """Probability of winning for each row of ``X``."""
    X = _as_matrix(X)
    return expit(weights[0] + X @ weights[1:])


def standardize(X, mean=None, scale=None):
    """``(X - mean) / scale`` column-wise; returns the matrix and the mean and scale used."""
    X = _as_matrix(X)
    if mean is None:
        mean = X.mean(axis=0) if len(X) else np.zeros(X.shape[1])
        scale = X.std(axis=0) if len(X) else np.ones(X.shape[1])
        scale = np.where(scale > 0, scale, 1.0)
    return (X - mean) / scale, np.asarray(mean), np.asarray(scale)


def brier(probabilities, outcomes):
    """Mean squared difference between the predicted probability and the 0/1 outcome."""
    p = np.asarray(probabilities, dtype=float)
    y = np.asarray(outcomes, dtype=float)
    return float(np.mean((p - y) ** 2)) if len(p) else 0.0


def reliability(probabilities, outcomes, buckets=10):
    """Per bucket of predicted probability: (low, high, count, mean predicted, observed rate),
    empty buckets left out. A calibrated model has mean predicted close to observed rate."""
    p = np.asarray(probabilities, dtype=float)
    y = np.asarray(outcomes, dtype=float)
    index = np.minimum((p * buckets).astype(int), buckets - 1)
    rows = []
    for bucket in range(buckets):
        chosen = index == bucket
        count = int(chosen.sum())
        if count:
            rows.append(
                (
                    bucket / buckets,
                    (bucket + 1) / buckets,
                    count,
                    float(p[chosen].mean()),
                    float(y[chosen].mean()),
                )
            )
    return rows


def simulate_totals(
    probabilities,
    amounts,
    groups,
    group_count,
    repeat_rate=None,
    repeat_value=None,
    draws=2000,
    seed=0,
):
    """P10, P50 and P90 of each group's revenue over one period: each opportunity ``i`` of
    group ``groups[i]`` wins ``amounts[i]`` with probability ``probabilities[i]``; on top, group
    ``g`` gets a Poisson number of repeat orders of mean ``repeat_rate[g]``, each worth
    ``repeat_value[g]``. Returns an array of shape (group_count, 3)."""
    rates = None if repeat_rate is None else np.asarray(repeat_rate, dtype=float)[None]
    values = None if repeat_value is None else np.asarray(repeat_value, dtype=float)[None]
    periods, _total = simulate_periods(
        np.asarray(probabilities, dtype=float)[:, None],
        amounts,
        [(groups, group_count, rates, values)],
        draws=draws,
        seed=seed,
    )
    return periods[0][0]


def simulate_periods(
    period_probabilities,
    amounts,
    levels,
    spend_shape=None,
    drift=0.0,
    draws=2000,
    seed=0,
    chunk=2000,
):
    """P10/P50/P90 of each group's revenue in each period, and over all the periods, from the
    same draws for several groupings of the same opportunities (say salesperson, team and
    company).

    ``period_probabilities`` (opportunities x periods): the chance that each opportunity is won
    in each period (rows sum to at most 1: the rest is "later or never"); an opportunity is
    won in at most one period of a draw. ``levels``: a list of ``(groups, group_count,
    repeat_rate, repeat_value)`` where ``groups[i]`` is the group of opportunity ``i`` and
    ``repeat_rate``/``repeat_value`` (periods x groups, or None) the expected number of repeat
    orders and their mean value: the count is Poisson and, when ``spend_shape`` (Gamma-Gamma's
    *p*) is given, each order's value is Gamma-distributed around its mean with that shape, so
    the interval holds the spread of the orders' values as well as their number. ``drift``:
    the spread (standard deviation of the log) of the ratio between what the model expects and
    what happens, measured out of sample: each draw scales every chance by one factor drawn
    from it, so the interval holds the model's own error and not only the luck of each deal.

    Returns ``(periods, total)``: per level, an array (periods x groups x 3) and an array
    (groups x 3). Opportunities are drawn in chunks, so memory stays at ``draws * chunk``."""
    P = np.asarray(period_probabilities, dtype=float)
    if P.ndim != 2:
        raise ValueError("period probabilities need one row per opportunity")
    count, periods = P.shape
    amount = np.asarray(amounts, dtype=float)
    rng = np.random.default_rng(seed)
    totals = [np.zeros((periods, draws, size)) for _g, size, _r, _v in levels]
    assignments = [np.asarray(groups, dtype=int) for groups, _s, _r, _v in levels]
    thresholds = np.cumsum(P, axis=1)
    # one factor per draw on every chance (u / f >= t  <=>  u >= t f, capped at certainty)
    factor = np.exp(rng.normal(0.0, drift, size=draws)) if drift else np.ones(draws)
    for start in range(0, count, chunk):
        part = slice(start, start + chunk)
        size = len(P[part])
        u = rng.random((draws, size)) / factor[:, None]
        # index of the period each opportunity is won in (periods: not won in any)
        won_in = (u[:, :, None] >= thresholds[part][None, :, :]).sum(axis=2)
        for level, group in enumerate(assignments):
            weights = np.zeros((size, totals[level].shape[2]))
            weights[np.arange(size), group[part]] = amount[part]
            for period in range(periods):
                totals[level][period] += (won_in == period).astype(float) @ weights
    for level, (_g, size, repeat_rate, repeat_value) in enumerate(levels):
        if repeat_rate is None:
            continue
        rate = np.broadcast_to(np.asarray(repeat_rate, dtype=float), (periods, size))
        value = np.broadcast_to(np.asarray(repeat_value, dtype=float), (periods, size))
        for period in range(periods):
            orders = rng.poisson(rate[period], size=(draws, size))
            if spend_shape and spend_shape > 0:
                # the sum of n Gamma(p, mean/p) orders is Gamma(n p, mean/p)
                shape = np.maximum(orders * spend_shape, 1e-12)
                spent = rng.gamma(shape, value[period] / spend_shape)
                totals[level][period] += np.where(orders > 0, spent, 0.0)
            else:
                totals[level][period] += orders * value[period]
    by_period = [np.moveaxis(np.quantile(t, QUANTILES, axis=1), 0, -1) for t in totals]
    overall = [np.quantile(t.sum(axis=0), QUANTILES, axis=0).T for t in totals]
    return by_period, overall


def interval_hits(actual, quantiles):
    """Share of ``actual`` values inside their P10..P90 (``quantiles`` rows of P10, P50, P90)."""
    actual = np.asarray(actual, dtype=float)
    quantiles = np.asarray(quantiles, dtype=float)
    if not len(actual):
        return 0.0
    inside = (actual >= quantiles[:, 0] - 1e-9) & (actual <= quantiles[:, 2] + 1e-9)
    return float(inside.mean())
