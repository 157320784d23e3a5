"""Customer lifetime value: BG/NBD purchase counts and Gamma-Gamma order values.

Pure numpy/scipy, no database: every customer-level input is a one-dimensional array (a scalar
counts as one customer) and every result is an array with one entry per customer, computed
without a Python loop over customers.

Inputs, per customer:

- ``x``: number of repeat purchases (purchase occasions after the first one), a whole number;
- ``t_x``: time of the last repeat purchase, counted from the first purchase (0 when x == 0);
- ``T``: age of the customer, from the first purchase to the end of the observation (> 0);
- ``m``: mean value of the repeat purchases (money, any currency; ignored when x == 0).

Time unit: any, as long as it is the same everywhere. ``t_x``, ``T``, the prediction period
``t``, the CLV ``horizon`` and ``step`` are all in that unit, the fitted ``alpha`` is in that
unit too, and ``discount_rate`` is the rate per one time unit (``discount_rate_per`` converts an
annual rate). The project counts time in weeks.

References:

- Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to the
  Pareto/NBD model", Marketing Science 24(2), 275-284 (BG/NBD);
- Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer base
  analysis", Journal of Marketing Research 42(4), 415-430 (Gamma-Gamma);
- Fader & Hardie (2013), "The Gamma-Gamma model of monetary value" (note).
"""

import numpy as np
from scipy.integrate import quad_vec
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1, polygamma

BGNBD_PARAMETERS = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMETERS = ("p", "q", "gamma")
# The fits search log-parameters in this box (time counted in mean ages, money in mean repeat
# values); an optimum on its edge means the data do not identify the model (a parameter runs
# off to 0 or infinity), which is reported as a failure.
_LOG_BOUND = 20.0


# ---------------------------------------------------------------------------- validation
def _column(name, values):
    """`values` as a finite, non-negative, one-dimensional float array."""
    array = np.atleast_1d(np.asarray(values, dtype=float))
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (one value per customer)")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must hold finite numbers only")
    if np.any(array < 0):
        raise ValueError(f"{name} cannot be negative")
    return array


def _columns(**named):
    """The named columns as validated arrays, checked to have one value per customer each."""
    arrays = [_column(name, values) for name, values in named.items()]
    if len({array.size for array in arrays}) != 1:
        sizes = ", ".join(f"{name} {array.size}" for name, array in zip(named, arrays, strict=True))
        raise ValueError(f"the inputs must have the same length ({sizes})")
    return arrays


def _purchases(x, t_x, T):
    """Validated (x, t_x, T) arrays of a BG/NBD population."""
    x, t_x, T = _columns(x=x, t_x=t_x, T=T)
    _check_counts(x)
    if np.any(T <= 0):
        raise ValueError("every customer needs a positive age T")
    if np.any(t_x > T):
        raise ValueError("the last purchase t_x cannot come after the end of observation T")
    if np.any((x == 0) & (t_x != 0)):
        raise ValueError("a customer without repeat purchase (x == 0) must have t_x == 0")
    return x, t_x, T


def _check_counts(x):
    """Refuse repeat-purchase counts that are not whole numbers."""
    if np.any(x != np.round(x)):
        raise ValueError("x (the number of repeat purchases) must hold whole numbers")


def _check_parameters(**parameters):
    """Refuse model parameters that are not positive finite scalars."""
    for name, value in parameters.items():
        if not (np.ndim(value) == 0 and np.isfinite(value) and value > 0):
            raise ValueError(f"the model parameter {name} must be a positive number")


def _check_period(name, value):
    """`value` as a float array of finite, non-negative lengths of time."""
    value = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(value)) or np.any(value < 0):
        raise ValueError(f"{name} must be a finite, non-negative length of time")
    return value


def _weights(weights, size):
    """Validated customer weights (ones when `weights` is None)."""
    if weights is None:
        return np.ones(size)
    weights = _column("weights", weights)
    if weights.size != size:
        raise ValueError(f"weights must have one value per customer ({weights.size} != {size})")
    return weights


def _minimize(objective, start, model):
    """The parameters minimising `objective` over log-parameters, and minus the minimum.

    `objective(log_parameters)` returns the mean negative log-likelihood per customer (so the
    tolerances do not depend on the number of customers) and its gradient. L-BFGS-B first,
    then Nelder-Mead from where it stopped, both inside the log-parameter box. Raises
    ValueError unless one of them converges strictly inside the box.
    """

    def guarded(log_parameters):
        value, gradient = objective(log_parameters)
        if not (np.isfinite(value) and np.all(np.isfinite(gradient))):
            return np.inf, np.zeros_like(gradient)
        return value, gradient

    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(start)
    result = minimize(
        guarded,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-13, "gtol": 1e-9},
    )
    if not result.success:
        result = minimize(
            lambda log_parameters: guarded(log_parameters)[0],
            result.x,
            method="Nelder-Mead",
            bounds=bounds,
            options={"maxiter": 1500, "maxfev": 1500, "xatol": 1e-8, "fatol": 1e-12},
        )
    if not (result.success and np.isfinite(result.fun)):
        raise ValueError(f"the {model} fit did not converge: {result.message}")
    if np.any(np.abs(result.x) > _LOG_BOUND - 1):
        raise ValueError(
            f"the {model} fit did not converge: a parameter runs off to 0 or infinity, "
            "the data do not identify the model"
        )
    return np.exp(result.x), -result.fun


# ---------------------------------------------------------------------------- BG/NBD
def _bgnbd_log_likelihood(r, alpha, a, b, x, t_x, T):
    """Log-likelihood of each customer under BG/NBD (FHL 2005, eq. 6), in log-sum-exp form,
    and its gradient with respect to the log-parameters (shape (4, customers))."""
    repeat = x > 0
    b_x = np.where(repeat, b + x - 1, 1.0)
    ln_a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    ln_a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    ln_a3 = -(r + x) * np.log(alpha + T)
    ln_a4 = np.where(repeat, np.log(a) - np.log(b_x) - (r + x) * np.log(alpha + t_x), -np.inf)
    ln_a34 = np.logaddexp(ln_a3, ln_a4)
    share = np.exp(ln_a4 - ln_a34)  # the weight of the x > 0 term in A3 + A4 (0 when x == 0)
    d_r = (
        digamma(r + x) - digamma(r) + np.log(alpha)
        - (1 - share) * np.log(alpha + T) - share * np.log(alpha + t_x)
    )  # fmt: skip
    d_alpha = r / alpha - (r + x) * ((1 - share) / (alpha + T) + share / (alpha + t_x))
    d_ab = digamma(a + b) - digamma(a + b + x)
    d_a = d_ab + share / a
    d_b = d_ab + digamma(b + x) - digamma(b) - share / b_x
    return ln_a1 + ln_a2 + ln_a34, np.array([r * d_r, alpha * d_alpha, a * d_a, b * d_b])


def fit_bgnbd(x, t_x, T, initial=None, weights=None):
    """Maximum-likelihood BG/NBD parameters of a customer population.

    `weights` (optional) is the number of customers sharing each row's (x, t_x, T), so grouped
    data give the same fit as the ungrouped rows. `initial` (optional) is the starting point
    ``(r, alpha, a, b)``; by default r = a = b = 1 and alpha = the mean age T. The fit runs with
    time counted in mean ages, so it does not depend on the time unit of the data.

    Returns ``dict(r, alpha, a, b, log_likelihood)``: four positive parameters (``alpha`` in the
    time unit of the data) and the total (weighted sum) log-likelihood at the optimum.
    Raises ValueError on invalid input, when fewer than two customers (or none with a repeat
    purchase) are given, or when the optimiser does not converge to an interior optimum.
    """
    x, t_x, T = _purchases(x, t_x, T)
    w = _weights(weights, x.size)
    if w.sum() < 2:
        raise ValueError("at least two customers are needed to fit BG/NBD")
    if not np.any((x > 0) & (w > 0)):
        raise ValueError("BG/NBD needs at least one customer with a repeat purchase")
    unit = np.average(T, weights=w)
    if initial is None:
        initial = (1.0, unit, 1.0, 1.0)
    _check_parameters(**dict(zip(BGNBD_PARAMETERS, initial, strict=True)))
    share = w / w.sum()
    t_x, T = t_x / unit, T / unit

    def objective(log_parameters):
        log_likelihood, gradient = _bgnbd_log_likelihood(*np.exp(log_parameters), x, t_x, T)
        return -(share @ log_likelihood), -(gradient @ share)

    start = np.log(initial) - np.log([1.0, unit, 1.0, 1.0])
    (r, alpha, a, b), mean_log_likelihood = _minimize(objective, start, "BG/NBD")
    # Back to the time unit of the data: each purchase time density carries a factor 1 / unit.
    log_likelihood = mean_log_likelihood * w.sum() - (w @ x) * np.log(unit)
    return {"r": r, "alpha": alpha * unit, "a": a, "b": b, "log_likelihood": log_likelihood}


def _expected_if_alive(t, r, alpha, a, b, x, T):
    """Purchases in (T, T + t] of a customer still alive at T with x repeat purchases.

    FHL 2005 eq. 10 without its P(alive) factor: ``c / (a - 1) * (1 - F)`` with
    ``c = a + b + x - 1`` and ``F = (1 - z) ** (r + x) * 2F1(r + x, b + x; c; z)``,
    ``z = t / (alpha + T + t)``. F is taken in the first form scipy evaluates to a finite value:

    1. Euler's transformation ``(1 - z) ** (a - 1) * 2F1(a + b - 1 - r, a - 1; c; z)``, which
       stays finite for customers with many repeat purchases;
    2. the form above, which stays finite for large a + b;
    3. where both overflow (a + b in the thousands with hundreds of repeat purchases, as when a
       fit finds the dropout probability nearly the same for everyone), numerical integration
       (``_expected_by_quadrature``).
    """
    if a == 1:
        raise ValueError("the BG/NBD expectation is not defined by this formula for a == 1")
    # Two degenerate cases of scipy's hyp2f1, stepped off by a relative 1e-9 (far below any
    # meaningful precision): NaN close to z = 1 when x + r - a + 1 (c minus the sum of the
    # Euler form's upper parameters) is a whole number, and a pole at c = 0, reached for
    # x == 0 when a + b == 1.
    if r - a == round(r - a):
        r *= 1 + 1e-9
    if a + b == 1:
        b *= 1 + 1e-9
    shape = np.broadcast_shapes(np.shape(t), np.shape(x), np.shape(T))
    t, x, T = (np.broadcast_to(value, shape).ravel() for value in (t, x, T))
    c = a + b + x - 1
    z = t / (alpha + T + t)
    with np.errstate(all="ignore"):
        tail = (1 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, c, z)
        retry = ~np.isfinite(tail)
        tail[retry] = (1 - z[retry]) ** (r + x[retry]) * hyp2f1(
            r + x[retry], b + x[retry], c[retry], z[retry]
        )
        expected = c / (a - 1) * (1 - tail)
    rest = ~np.isfinite(expected)
    if rest.any():
        expected[rest] = _expected_by_quadrature(t[rest], r, alpha, a, b, x[rest], T[rest])
    return expected.reshape(shape)


def _expected_by_quadrature(t, r, alpha, a, b, x, T):
    """``_expected_if_alive`` as an integral over the dropout probability p.

    Given p, a customer alive at T buys ``g(p) = (1 - (1 + p * t / (alpha + T)) ** -(r + x)) / p``
    times in (T, T + t] on average (the BG/NBD expectation ``(1 - exp(-lambda * p * t)) / p``
    averaged over the Gamma(r + x, alpha + T) posterior of the purchase rate lambda); p has the
    Beta(a, b + x) posterior. The integral runs over logit(p),
    centred and scaled by the mean and standard deviation of logit(p) so every customer's
    integrand has its mass on the same unit scale, with adaptive quadrature for all customers
    at once. Relative accuracy about 1e-10.
    """
    k = r + x
    tau = t / (alpha + T)
    b_x = b + x

    def g(log_p):
        y = np.exp(log_p) * tau
        positive = np.where(y > 0, y, 1.0)
        return tau * np.where(y > 0, -np.expm1(-k * np.log1p(positive)) / positive, k)

    centre = digamma(a) - digamma(b_x)
    spread = np.sqrt(polygamma(1, a) + polygamma(1, b_x))
    scale = g(np.log(a / (a + b_x)))  # brings every customer's integral near 1
    log_norm = betaln(a, b_x)

    def integrand(v):
        logit = centre + spread * v
        log_p, log_q = -np.logaddexp(0, -logit), -np.logaddexp(0, logit)
        return g(log_p) / scale * np.exp(a * log_p + b_x * log_q - log_norm) * spread

    integral, _error = quad_vec(integrand, -np.inf, np.inf, epsabs=0, epsrel=1e-10, norm="max")
    return integral * scale


def probability_alive(r, alpha, a, b, x, t_x, T):
    """P(alive at T | x, t_x, T) under BG/NBD, one value in (0, 1] per customer.

    ``1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))`` for x > 0
    (FHL 2005; Fader, Hardie & Lee, "Computing P(alive) using the BG/NBD model"), evaluated
    in log-odds form so it neither overflows nor underflows. Customers without repeat purchase
    (x == 0) cannot have dropped out and get exactly 1; for the others the probability falls
    as the silence T - t_x grows.
    """
    _check_parameters(r=r, alpha=alpha, a=a, b=b)
    x, t_x, T = _purchases(x, t_x, T)
    repeat = x > 0
    log_odds_dead = np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0))
    log_odds_dead += (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(repeat, expit(-log_odds_dead), 1.0)


def expected_purchases(t, r, alpha, a, b, x, t_x, T):
    """E[Y(t) | x, t_x, T]: purchases each customer is expected to make in (T, T + t].

    FHL 2005 eq. 10; `t` is a length of time in the unit of the data (a scalar, or an array
    broadcasting against the customers). The result is non-negative, 0 for t == 0 and grows
    with t.
    """
    _check_parameters(r=r, alpha=alpha, a=a, b=b)
    t = _check_period("t", t)
    alive = probability_alive(r, alpha, a, b, x, t_x, T)
    x, t_x, T = _purchases(x, t_x, T)
    return alive * _expected_if_alive(t, r, alpha, a, b, x, T)


def expected_purchases_unconditional(t, r, alpha, a, b):
    """E[X(t)]: repeat purchases a customer is expected to make in the t time units after the
    first purchase (FHL 2005 eq. 7), for a scalar or an array of t."""
    _check_parameters(r=r, alpha=alpha, a=a, b=b)
    t = _check_period("t", t)
    return _expected_if_alive(t, r, alpha, a, b, 0.0, 0.0)


# ---------------------------------------------------------------------------- Gamma-Gamma
def _gamma_gamma_log_likelihood(p, q, gamma, x, m):
    """Log-density of each customer's mean repeat value m given x (Fader & Hardie 2013), and
    its gradient with respect to the log-parameters (shape (3, customers))."""
    px = p * x
    ln_total = np.log(gamma + m * x)
    log_likelihood = (
        gammaln(px + q) - gammaln(px) - gammaln(q)
        + q * np.log(gamma) + (px - 1) * np.log(m) + px * np.log(x)
        - (px + q) * ln_total
    )  # fmt: skip
    d_pq = digamma(px + q)
    gradient = np.array([
        px * (d_pq - digamma(px) + np.log(m) + np.log(x) - ln_total),
        q * (d_pq - digamma(q) + np.log(gamma) - ln_total),
        q - gamma * (px + q) / (gamma + m * x),
    ])  # fmt: skip
    return log_likelihood, gradient


def fit_gamma_gamma(x, m, weights=None, initial=None):
    """Maximum-likelihood Gamma-Gamma parameters of the repeat buyers' mean order value.

    Only customers with x > 0 count (the rows with x == 0 are ignored whatever their m); their
    mean repeat value m must be positive. `weights` (optional) is the number of customers
    sharing each row. `initial` (optional) is the starting point ``(p, q, gamma)``; by default
    p = 1, q = 2 (a finite population mean) and gamma = the mean repeat value. Returns
    ``dict(p, q, gamma, log_likelihood)``: three positive parameters
    (``gamma`` in money) and the total (weighted sum) log-likelihood at the optimum. Raises
    ValueError on invalid input, with fewer than two repeat buyers, or when the optimiser does
    not converge to an interior optimum (as when all repeat buyers have the same m).
    """
    x, m = _columns(x=x, m=m)
    _check_counts(x)
    w = _weights(weights, x.size)
    keep = (x > 0) & (w > 0)
    x, m, w = x[keep], m[keep], w[keep]
    if w.sum() < 2:
        raise ValueError("at least two customers with repeat purchases are needed")
    if np.any(m <= 0):
        raise ValueError("the mean value m of the repeat purchases must be positive when x > 0")

    # Fit with money counted in mean repeat values, so the fit does not depend on the currency.
    unit = np.average(m, weights=w)
    share = w / w.sum()
    m = m / unit

    def objective(log_parameters):
        log_likelihood, gradient = _gamma_gamma_log_likelihood(*np.exp(log_parameters), x, m)
        return -(share @ log_likelihood), -(gradient @ share)

    if initial is None:
        initial = (1.0, 2.0, unit)
    _check_parameters(**dict(zip(GAMMA_GAMMA_PARAMETERS, initial, strict=True)))
    start = np.log(initial) - np.log([1.0, 1.0, unit])
    (p, q, gamma), mean_log_likelihood = _minimize(objective, start, "Gamma-Gamma")
    # Back to the currency of the data: the density of m carries a factor 1 / unit.
    log_likelihood = (mean_log_likelihood - np.log(unit)) * w.sum()
    return {"p": p, "q": q, "gamma": gamma * unit, "log_likelihood": log_likelihood}


def expected_average_value(p, q, gamma, x, m):
    """E[Z | x, m]: expected value of each customer's future purchases (Gamma-Gamma).

    ``p * (gamma + x * m) / (p * x + q - 1)``: a weighted average of the population mean
    ``p * gamma / (q - 1)`` and the customer's own mean m, the weight of m growing with x.
    Customers without repeat purchase (x == 0) get the population mean. Requires q > 1 (the
    population mean is infinite otherwise).
    """
    _check_parameters(p=p, q=q, gamma=gamma)
    if q <= 1:
        raise ValueError("the Gamma-Gamma mean value is infinite for q <= 1")
    x, m = _columns(x=x, m=m)
    _check_counts(x)
    return p * (gamma + x * m) / (p * x + q - 1)


# ---------------------------------------------------------------------------- lifetime value
def discount_rate_per(period_length, annual_rate, units_per_year=52.0):
    """The discount rate over `period_length` time units equivalent to `annual_rate`.

    Compounded: ``(1 + annual_rate) ** (period_length / units_per_year) - 1``; the default
    counts time in weeks (52 per year), pass 12 for months. Rates are fractions (0.1 = 10 %).
    """
    if not (np.isfinite(annual_rate) and annual_rate > -1):
        raise ValueError("the annual discount rate must be a finite number above -100 %")
    if not (np.isfinite(units_per_year) and units_per_year > 0):
        raise ValueError("the number of time units per year must be positive")
    exponent = _check_period("period_length", period_length) / units_per_year
    return (1 + annual_rate) ** exponent - 1


def customer_lifetime_value(
    bgnbd_params, gg_params, x, t_x, T, m, horizon, discount_rate, step=1.0
):
    """Discounted value of the purchases each customer is expected to make over `horizon`.

    The horizon (in the time unit of the data) is cut into steps of `step` units, the last one
    shorter when `horizon` is not a multiple of `step`. The purchases expected in each step, the
    growth of the conditional expectation E[Y(t) | x, t_x, T] over it, are valued at the
    Gamma-Gamma expected order value and discounted from the end of the step: ``(1 +
    discount_rate) ** -(k * step)`` for the k-th step, `discount_rate` being the rate per time
    unit (see ``discount_rate_per``). This is the method of the ``lifetimes`` package's
    ``customer_lifetime_value``: its steps of ``factor`` time units discounted at a rate d per
    step are ``step = factor`` and ``discount_rate = (1 + d) ** (1 / factor) - 1`` here.

    `bgnbd_params` holds r, alpha, a, b and `gg_params` p, q, gamma (the fit results do). The
    result is non-negative, grows with the horizon and falls as the discount rate grows.
    """
    model = {name: bgnbd_params[name] for name in BGNBD_PARAMETERS}
    spend = {name: gg_params[name] for name in GAMMA_GAMMA_PARAMETERS}
    horizon = float(_check_period("horizon", horizon))
    step = float(_check_period("step", step))
    if step <= 0:
        raise ValueError("the step must be a positive length of time")
    if not (np.isfinite(discount_rate) and discount_rate > -1):
        raise ValueError("the discount rate must be a finite number above -100 %")
    value = expected_average_value(x=x, m=m, **spend)
    alive = probability_alive(x=x, t_x=t_x, T=T, **model)
    x, t_x, T = _purchases(x, t_x, T)
    # Steps are few (the horizon over the step), customers many: loop over the steps.
    ends = np.minimum(np.arange(1, int(np.ceil(horizon / step)) + 1) * step, horizon)
    total = np.zeros(x.size)
    before = np.zeros(x.size)
    for end in ends:
        expected = alive * _expected_if_alive(end, x=x, T=T, **model)
        total += (expected - before) / (1 + discount_rate) ** end
        before = expected
    return total * value
