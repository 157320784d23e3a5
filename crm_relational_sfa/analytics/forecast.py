"""Win probability and period forecast engine, pure numpy/scipy, usable without a database.

* :func:`fit_logistic` learns a ridge-penalised logistic regression of "won" on a design matrix
  (exact gradient, L-BFGS); :func:`predict` scores new rows.
* :func:`brier` and :func:`reliability` measure calibration: the Brier score and, per bucket of
  predicted probability, the mean prediction next to the observed win rate.
* :func:`fit_platt` and :func:`apply_platt` recalibrate a model on recent examples it did not
  learn from (the win rate of the newest opportunities drifts from the older ones').
* :func:`standardize` centres and scales the numeric columns so that one penalty fits them all.
* :func:`simulate_totals` draws each open opportunity as won or lost with its probability, adds
  compound Poisson repeat business per group, and returns the P10/P50/P90 of each group's total.
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


def _logit(probabilities):
    p = np.clip(np.asarray(probabilities, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def fit_platt(probabilities, outcomes):
    """Platt recalibration ``(slope, intercept)``: the logistic regression of the outcomes on
    the logit of the predicted probabilities, learned on examples the model did not see.
    Identity ``(1, 0)`` when the outcomes are one-sided."""
    y = np.asarray(outcomes, dtype=float)
    if not len(y) or y.min() == y.max():
        return (1.0, 0.0)
    intercept, slope = fit_logistic(_logit(probabilities)[:, None], y, penalty=1e-3)
    return (float(slope), float(intercept))


def apply_platt(probabilities, platt):
    """The probabilities recalibrated by ``platt`` from :func:`fit_platt`."""
    slope, intercept = platt
    return expit(slope * _logit(probabilities) + intercept)


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
    chunk=2000,
):
    """P10, P50 and P90 of each group's revenue: each opportunity ``i`` of group ``groups[i]``
    wins ``amounts[i]`` with probability ``probabilities[i]``; on top, group ``g`` gets a Poisson
    number of repeat orders of mean ``repeat_rate[g]``, each worth ``repeat_value[g]``.

    Returns an array of shape (group_count, 3)."""
    return simulate_levels(
        probabilities,
        amounts,
        [(groups, group_count, repeat_rate, repeat_value)],
        draws=draws,
        seed=seed,
        chunk=chunk,
    )[0]


def simulate_levels(probabilities, amounts, levels, draws=2000, seed=0, chunk=2000):
    """:func:`simulate_totals` for several groupings of the same opportunities at once (say
    salesperson, team and company), from the same draws: ``levels`` is a list of
    ``(groups, group_count, repeat_rate, repeat_value)``; returns one (group_count, 3) array
    per level. Opportunities are drawn in chunks, so memory stays at ``draws * chunk`` whatever
    the size of the pipeline."""
    p = np.asarray(probabilities, dtype=np.float32)
    amount = np.asarray(amounts, dtype=float)
    rng = np.random.default_rng(seed)
    totals = [np.zeros((draws, count)) for _groups, count, _rate, _value in levels]
    assignments = [np.asarray(groups, dtype=int) for groups, _c, _r, _v in levels]
    for start in range(0, len(p), chunk):
        part = slice(start, start + chunk)
        size = len(p[part])
        won = (rng.random((draws, size), dtype=np.float32) < p[part]).astype(np.float32)
        for level, group in enumerate(assignments):
            weights = np.zeros((size, totals[level].shape[1]), dtype=np.float32)
            weights[np.arange(size), group[part]] = amount[part]
            totals[level] += won @ weights
    result = []
    for level, (_g, count, rate, value) in enumerate(levels):
        if rate is not None:
            orders = rng.poisson(np.asarray(rate, dtype=float), size=(draws, count))
            totals[level] += orders * np.asarray(value, dtype=float)
        result.append(np.quantile(totals[level], QUANTILES, axis=0).T)
    return result
