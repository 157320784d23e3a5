"""Customer lifetime value: BG/NBD purchase counts and Gamma-Gamma order values.

Pure numpy/scipy, one entry per customer; any time unit (the project uses weeks).

- x: number of repeat purchases (purchase occasions after the first);
- t_x: time of the last purchase, counted from the first one (0 when x == 0);
- T: age of the customer, from the first purchase to the end of the observation;
- m: mean value of the repeat purchases.

References: Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative
to the Pareto/NBD model", Marketing Science 24(2); Fader, Hardie & Lee (2005), "RFM and CLV:
using iso-value curves for customer base analysis", JMR 42(4); Fader & Hardie (2013), "The
Gamma-Gamma model of monetary value".
"""

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1


def _arrays(**named):
    arrays = {name: np.asarray(value, dtype=float) for name, value in named.items()}
    shapes = {a.shape for a in arrays.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 1:
        raise ValueError("x, t_x, T (and m) must be one-dimensional arrays of the same length")
    for name, array in arrays.items():
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} must hold finite numbers")
        if np.any(array < 0):
            raise ValueError(f"{name} cannot be negative")
    return arrays


def _check_rfm(x, t_x, T):
    data = _arrays(x=x, t_x=t_x, T=T)
    x, t_x, T = data["x"], data["t_x"], data["T"]
    if np.any(t_x > T):
        raise ValueError("the last purchase (t_x) cannot come after the end of observation (T)")
    if np.any((x == 0) & (t_x != 0)):
        raise ValueError("a customer without repeat purchase (x == 0) must have t_x == 0")
    if np.any(T <= 0):
        raise ValueError("every customer needs a positive age T")
    return x, t_x, T


def _weights(weights, n):
    if weights is None:
        return np.ones(n)
    weights = np.asarray(weights, dtype=float)
    if weights.shape != (n,) or np.any(weights < 0):
        raise ValueError("weights must be non-negative, one per customer")
    return weights


def _bgnbd_log_likelihood(r, alpha, a, b, x, t_x, T):
    """Log-likelihood of each customer under BG/NBD (FHL 2005, eq. 6), in a stable form."""
    ln_a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    ln_a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    ln_a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore"):
        ln_a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return ln_a1 + ln_a2 + np.logaddexp(ln_a3, ln_a4)


def fit_bgnbd(x, t_x, T, weights=None, initial=None):
    """Maximum-likelihood BG/NBD parameters.

    Returns ``dict(r, alpha, a, b, log_likelihood)``; the log-likelihood is the total over
    customers (weighted). Raises ValueError on bad input or when the optimiser fails.
    """
    x, t_x, T = _check_rfm(x, t_x, T)
    w = _weights(weights, x.size)
    if x.size < 2:
        raise ValueError("at least two customers are needed to fit BG/NBD")
    if not np.any(x > 0):
        raise ValueError("BG/NBD needs customers with repeat purchases")

    def negative(log_params):
        r, alpha, a, b = np.exp(log_params)
        value = -np.sum(w * _bgnbd_log_likelihood(r, alpha, a, b, x, t_x, T))
        return value if np.isfinite(value) else 1e300

    start = np.log(initial) if initial is not None else np.log([1.0, max(T.mean(), 1.0), 1.0, 1.0])
    result = minimize(negative, start, method="Nelder-Mead",
                      options={"maxiter": 20000, "xatol": 1e-9, "fatol": 1e-9})  # fmt: skip
    result = minimize(negative, result.x, method="L-BFGS-B")
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise ValueError("the BG/NBD fit did not converge")
    r, alpha, a, b = np.exp(result.x)
    return {"r": r, "alpha": alpha, "a": a, "b": b, "log_likelihood": -result.fun}


def expected_purchases_unconditional(t, r, alpha, a, b):
    """E[X(t)]: purchases a new customer makes in a period of length t (FHL 2005, eq. 7)."""
    t = np.asarray(t, dtype=float)
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


def expected_purchases(t, r, alpha, a, b, x, t_x, T):
    """E[Y(t) | x, t_x, T]: purchases expected in the next period of length t (FHL 2005, eq. 10)."""
    x, t_x, T = _check_rfm(x, t_x, T)
    t = float(t)
    z = t / (alpha + T + t)
    numerator = (
        (a + b + x - 1)
        / (a - 1)
        * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
    )
    return numerator / _alive_denominator(r, alpha, a, b, x, t_x, T)


def _alive_denominator(r, alpha, a, b, x, t_x, T):
    ratio = np.where(x > 0, a / np.maximum(b + x - 1, 1e-300), 0.0)
    return 1 + ratio * ((alpha + T) / (alpha + t_x)) ** (r + x)


def probability_alive(r, alpha, a, b, x, t_x, T):
    """P(alive | x, t_x, T) under BG/NBD; 1 for customers without repeat purchase."""
    x, t_x, T = _check_rfm(x, t_x, T)
    return 1.0 / _alive_denominator(r, alpha, a, b, x, t_x, T)


def fit_gamma_gamma(x, m, weights=None):
    """Maximum-likelihood Gamma-Gamma parameters, on the customers with repeat purchases.

    Returns ``dict(p, q, gamma, log_likelihood)``. Customers with x == 0 are ignored.
    """
    data = _arrays(x=x, m=m)
    x, m = data["x"], data["m"]
    w = _weights(weights, x.size)
    keep = x > 0
    x, m, w = x[keep], m[keep], w[keep]
    if np.any(m <= 0):
        raise ValueError("the mean value of repeat purchases must be positive")
    if keep.sum() < 2:
        raise ValueError("at least two customers with repeat purchases are needed")

    def negative(log_params):
        p, q, gamma = np.exp(log_params)
        value = -np.sum(
            w * (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(gamma)
                 + (p * x - 1) * np.log(m) + p * x * np.log(x)
                 - (p * x + q) * np.log(x * m + gamma))
        )  # fmt: skip
        return value if np.isfinite(value) else 1e300

    result = minimize(negative, np.log([1.0, 1.0, 1.0]), method="Nelder-Mead",
                      options={"maxiter": 20000, "xatol": 1e-9, "fatol": 1e-9})  # fmt: skip
    result = minimize(negative, result.x, method="L-BFGS-B")
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise ValueError("the Gamma-Gamma fit did not converge")
    p, q, gamma = np.exp(result.x)
    return {"p": p, "q": q, "gamma": gamma, "log_likelihood": -result.fun}


def expected_average_value(p, q, gamma, x, m):
    """E[M | x, m]: expected mean value of a customer's future purchases (Gamma-Gamma).

    For a customer without repeat purchase, the population mean p * gamma / (q - 1).
    """
    data = _arrays(x=x, m=m)
    x, m = data["x"], data["m"]
    if q <= 1:
        raise ValueError("the Gamma-Gamma mean is infinite for q <= 1")
    population = p * gamma / (q - 1)
    weight = (q - 1) / (p * x + q - 1)
    return np.where(x > 0, weight * population + (1 - weight) * m, population)


def discount_rate_per(period_length, annual_rate, periods_per_year=52.0):
    """The discount rate per period of `period_length` time units from an annual rate."""
    return (1 + annual_rate) ** (period_length / periods_per_year) - 1


def customer_lifetime_value(bgnbd, gamma_gamma, x, t_x, T, m, horizon, discount_rate, step=1.0):
    """Discounted value of the purchases expected over `horizon` time units.

    The horizon is cut in steps of `step` units; the purchases expected in step k (the growth
    of the conditional expectation) are valued at the expected order value and discounted by
    ``(1 + discount_rate) ** k``, `discount_rate` being the rate per step.
    """
    model = {k: bgnbd[k] for k in ("r", "alpha", "a", "b")}
    value = expected_average_value(gamma_gamma["p"], gamma_gamma["q"], gamma_gamma["gamma"], x, m)
    total = np.zeros(np.asarray(x).shape)
    previous = np.zeros_like(total)
    steps = int(np.ceil(horizon / step))
    for k in range(1, steps + 1):
        expected = expected_purchases(min(k * step, horizon), x=x, t_x=t_x, T=T, **model)
        total += (expected - previous) / (1 + discount_rate) ** k
        previous = expected
    return total * value
