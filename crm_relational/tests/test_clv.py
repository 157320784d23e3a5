import csv
import os
from unittest import mock

import numpy as np
from scipy.integrate import quad
from scipy.optimize import OptimizeResult
from scipy.stats import beta as beta_distribution

from odoo.tests import BaseCase

from ..analytics import clv

CDNOW = os.path.join(os.path.dirname(__file__), "data", "cdnow_summary.csv")


def load_cdnow():
    """The public CDNOW sample: arrays x, t_x, T (weeks) and m (dollars), one entry a customer."""
    with open(CDNOW, encoding="utf-8") as file:
        rows = list(csv.DictReader(line for line in file if not line.startswith("#")))
    return {name: np.array([float(row[name]) for row in rows]) for name in rows[0]}


def integrated_expectation(t, r, alpha, a, b, x, T):
    """Purchases in (T, T + t] of a customer alive at T, by quadrature instead of eq. 10.

    Given its dropout probability p, the customer buys (1 - exp(-lambda p t)) / p times on
    average; averaged over the Gamma(r + x, alpha + T) posterior of lambda this is
    g(p) = (1 - (1 + p t / (alpha + T)) ** -(r + x)) / p, then over the Beta(a, b + x)
    posterior of p. An independent check of the hypergeometric closed form.
    """
    posterior = beta_distribution(a, b + x)
    tau = t / (alpha + T)

    def integrand(p):
        return -np.expm1(-(r + x) * np.log1p(p * tau)) / p * posterior.pdf(p)

    mean, spread = posterior.mean(), posterior.std()
    points = [p for p in (mean - 6 * spread, mean, mean + 6 * spread) if 0 < p < 1]
    return quad(integrand, 0, 1, points=points, limit=500, epsabs=0, epsrel=1e-9)[0]


class TestClvEngine(BaseCase):
    """BG/NBD, Gamma-Gamma and CLV against published CDNOW results, and their guarantees."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data = load_cdnow()
        d = cls.data
        cls.bgnbd = clv.fit_bgnbd(d["x"], d["t_x"], d["T"])
        cls.model = {name: cls.bgnbd[name] for name in clv.BGNBD_PARAMETERS}
        cls.gg = clv.fit_gamma_gamma(d["x"], d["m"])
        cls.spend = {name: cls.gg[name] for name in clv.GAMMA_GAMMA_PARAMETERS}

    def assertWithin(self, value, published, tolerance=0.01):
        """`value` within `tolerance` (relative, 1 % by default) of `published`."""
        self.assertLessEqual(
            abs(value - published),
            abs(published) * tolerance,
            f"{value} is not within {tolerance:.0e} (relative) of {published}",
        )

    # ------------------------------------------------------------------ published results
    def test_cdnow_sample(self):
        self.assertEqual(self.data["x"].size, 2357)
        self.assertEqual(int((self.data["x"] > 0).sum()), 946)

    def test_bgnbd_matches_fader_hardie_lee_2005(self):
        # FHL 2005 (Marketing Science) and Hardie's note "Implementing the BG/NBD model in
        # Excel": r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
        for name, published in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
            with self.subTest(parameter=name):
                self.assertWithin(self.bgnbd[name], published)
        # The log-likelihood is published to one decimal.
        self.assertAlmostEqual(self.bgnbd["log_likelihood"], -9582.4, delta=0.05)

    def test_conditional_expectation_of_the_published_customer(self):
        # FHL 2005 / Hardie's note "Implementing the BG/NBD model in Excel": a customer with
        # x = 2, t_x = 30.43, T = 38.86 weeks is expected to make 1.226 purchases in the next
        # 39 weeks (published to three decimals).
        expected = clv.expected_purchases(39, x=[2], t_x=[30.43], T=[38.86], **self.model)
        self.assertAlmostEqual(expected[0], 1.226, delta=0.0005)

    def test_gamma_gamma_matches_fader_hardie(self):
        # Fader, Hardie & Lee 2005 (JMR) and Fader & Hardie's note "The Gamma-Gamma model of
        # monetary value", 946 CDNOW repeat buyers: p = 6.25, q = 3.74, gamma = 15.44.
        published = {"p": 6.25, "q": 3.74, "gamma": 15.44}
        for name, value in published.items():
            with self.subTest(parameter=name):
                self.assertWithin(self.gg[name], value)
        # The population mean p * gamma / (q - 1), what a customer without repeat purchase is
        # expected to spend: 35.17 fitted, 35.22 from the rounded published parameters.
        population = clv.expected_average_value(x=[0], m=[0], **self.spend)[0]
        self.assertWithin(population, published["p"] * published["gamma"] / (published["q"] - 1))

    def test_lifetimes_documentation(self):
        # The lifetimes README (quickstart) prints these for the first ten CDNOW customers.
        d = self.data
        first = {name: values[:10] for name, values in d.items()}
        np.testing.assert_allclose(
            clv.expected_average_value(x=first["x"], m=first["m"], **self.spend),
            [24.658619, 18.911489, 35.170981, 35.170981, 35.170981,
             71.462843, 18.911489, 35.170981, 27.282408, 35.170981],
            rtol=1e-5,
        )  # fmt: skip
        mean_value = clv.expected_average_value(x=d["x"], m=d["m"], **self.spend).mean()
        self.assertAlmostEqual(mean_value, 35.2529588256, delta=1e-4)
        # customer_lifetime_value(time=12, discount_rate=0.01) with lifetimes' default
        # freq="D": 12 steps of 30 time units (here weeks), discounted 1 % a step.
        value = clv.customer_lifetime_value(
            self.bgnbd,
            self.gg,
            first["x"],
            first["t_x"],
            first["T"],
            first["m"],
            horizon=360,
            discount_rate=1.01 ** (1 / 30) - 1,
            step=30,
        )
        np.testing.assert_allclose(
            value,
            [140.096211, 18.943467, 38.180574, 38.180574, 38.180574,
             1003.868107, 28.109683, 38.180574, 167.418216, 38.180574],
            rtol=1e-5,
        )  # fmt: skip

    # ------------------------------------------------------------------ independent checks
    def test_expectations_match_numerical_integration(self):
        whole = {"r": 2.0, "alpha": 1.0, "a": 3.0, "b": 0.5}
        homogeneous = {"r": 0.5, "alpha": 3.0, "a": 5e3, "b": 3e5}
        cases = [
            # CDNOW parameters: no repeat purchase, the published customer, heavy buyers.
            (self.model, [0, 2, 50, 2000], [0, 30.43, 38.0, 38.5], [38.86] * 4, 39.0),
            # r - a a whole number and x large: scipy's hyp2f1 alone returns NaN here.
            (whole, [0, 300], [0, 30.0], [40.0] * 2, 520.0),
            # a + b large (nearly the same dropout probability for everyone) with x large:
            # both hypergeometric forms overflow, the engine integrates numerically.
            (homogeneous, [0, 300, 1000], [0, 4.95, 4.99], [5.0] * 3, 100.0),
        ]
        for model, x, t_x, T, t in cases:
            with self.subTest(model=model):
                expected = clv.expected_purchases(t, x=x, t_x=t_x, T=T, **model)
                alive = clv.probability_alive(x=x, t_x=t_x, T=T, **model)
                reference = [
                    p * integrated_expectation(t, x=xi, T=Ti, **model)
                    for p, xi, Ti in zip(alive, x, T, strict=True)
                ]
                np.testing.assert_allclose(expected, reference, rtol=1e-7)
        # A new customer: E[X(t)] is the expectation of someone alive with x = 0 at T = 0; with
        # a + b == 1, eq. 7 reaches a pole of scipy's hyp2f1 (c == 0), which the engine avoids.
        for model in (self.model, {"r": 0.25, "alpha": 4.0, "a": 0.3, "b": 0.7}):
            with self.subTest(model=model):
                np.testing.assert_allclose(
                    clv.expected_purchases_unconditional([1.0, 39.0, 78.0], **model),
                    [integrated_expectation(t, x=0, T=0, **model) for t in (1.0, 39.0, 78.0)],
                    rtol=1e-7,
                )

    def test_fit_does_not_depend_on_units(self):
        d = self.data
        days = clv.fit_bgnbd(d["x"], d["t_x"] * 7, d["T"] * 7)
        for name, factor in {"r": 1, "alpha": 7, "a": 1, "b": 1}.items():
            self.assertWithin(days[name], factor * self.bgnbd[name], tolerance=1e-5)
        # Purchase time densities per day are 1/7 of those per week.
        shift = d["x"].sum() * np.log(7)
        self.assertAlmostEqual(days["log_likelihood"], self.bgnbd["log_likelihood"] - shift, 4)
        cents = clv.fit_gamma_gamma(d["x"], d["m"] * 100)
        for name, factor in {"p": 1, "q": 1, "gamma": 100}.items():
            self.assertWithin(cents[name], factor * self.gg[name], tolerance=1e-5)
        self.assertAlmostEqual(
            cents["log_likelihood"], self.gg["log_likelihood"] - 946 * np.log(100), 4
        )

    def test_grouped_data_fit_like_the_rows(self):
        d = self.data
        rows, counts = np.unique(
            np.column_stack([d["x"], d["t_x"], d["T"]]), axis=0, return_counts=True
        )
        self.assertLess(len(rows), d["x"].size)
        grouped = clv.fit_bgnbd(*rows.T, weights=counts)
        for name in (*clv.BGNBD_PARAMETERS, "log_likelihood"):
            self.assertWithin(grouped[name], self.bgnbd[name], tolerance=1e-5)

    # ------------------------------------------------------------------ guarantees
    def test_probability_alive(self):
        gaps = np.linspace(0, 38, 20)
        alive = clv.probability_alive(x=[3] * 20, t_x=38 - gaps, T=[38] * 20, **self.model)
        self.assertTrue(np.all(np.diff(alive) < 0), "a longer silence makes a customer less alive")
        self.assertTrue(np.all((alive > 0) & (alive < 1)))
        # Never seen to come back, never seen to leave: alive for sure, at any age.
        self.assertEqual(
            clv.probability_alive(x=[0, 0], t_x=[0, 0], T=[1, 500], **self.model).tolist(),
            [1.0, 1.0],
        )
        # Extreme histories neither overflow nor underflow into NaN.
        extreme = clv.probability_alive(x=[5000, 5000], t_x=[1, 99.9], T=[100, 100], **self.model)
        self.assertTrue(np.all(np.isfinite(extreme)) and extreme[0] < 1e-6 < extreme[1])

    def test_expected_purchases_grow_with_the_period(self):
        d = self.data
        periods = np.array([0.0, 1.0, 13.0, 39.0, 78.0, 520.0])
        expected = np.array([
            clv.expected_purchases(t, x=d["x"], t_x=d["t_x"], T=d["T"], **self.model)
            for t in periods
        ])  # fmt: skip
        self.assertTrue(np.all(expected[0] == 0))
        self.assertTrue(np.all(np.diff(expected, axis=0) > 0))
        # An array of periods broadcasts against the customers.
        customer = {"x": [2] * 6, "t_x": [30.43] * 6, "T": [38.86] * 6}
        mixed = clv.expected_purchases(periods, **customer, **self.model)
        single = [
            clv.expected_purchases(t, x=2, t_x=30.43, T=38.86, **self.model)[0] for t in periods
        ]
        np.testing.assert_allclose(mixed, single, rtol=1e-12)

    def test_expected_average_value_shrinks_to_the_population_mean(self):
        p, q, gamma = self.gg["p"], self.gg["q"], self.gg["gamma"]
        population = p * gamma / (q - 1)
        value = clv.expected_average_value(p, q, gamma, x=[0, 1, 10, 1000], m=[50, 100, 100, 100])
        self.assertAlmostEqual(value[0], population)  # x == 0: m is not used
        self.assertTrue(population < value[1] < value[2] < value[3] < 100)
        self.assertAlmostEqual(value[3], 100, delta=1)

    def test_lifetime_value(self):
        d = self.data
        args = (self.bgnbd, self.gg, d["x"], d["t_x"], d["T"], d["m"])
        short = clv.customer_lifetime_value(*args, horizon=26, discount_rate=0.002)
        year = clv.customer_lifetime_value(*args, horizon=52, discount_rate=0.002)
        dear = clv.customer_lifetime_value(*args, horizon=52, discount_rate=0.02)
        self.assertTrue(np.all(short > 0))
        self.assertTrue(np.all(year > short), "a longer horizon is worth more")
        self.assertTrue(np.all(dear < year), "a higher discount rate is worth less")
        # Undiscounted: expected purchases over the horizon times expected order value, whatever
        # the step, a horizon that is not a multiple of the step included.
        value = clv.expected_average_value(x=d["x"], m=d["m"], **self.spend)
        purchases = clv.expected_purchases(50, x=d["x"], t_x=d["t_x"], T=d["T"], **self.model)
        for step in (1.0, 4.0, 7.5):
            with self.subTest(step=step):
                flat = clv.customer_lifetime_value(*args, horizon=50, discount_rate=0, step=step)
                np.testing.assert_allclose(flat, purchases * value, rtol=1e-10)
        # One customer at a time gives the same as the whole population at once.
        for i in range(0, 2357, 157):
            one = clv.customer_lifetime_value(
                self.bgnbd, self.gg, d["x"][i], d["t_x"][i], d["T"][i], d["m"][i],
                horizon=52, discount_rate=0.002,
            )  # fmt: skip
            self.assertAlmostEqual(one[0], year[i], delta=1e-12 * year[i])

    def test_annual_discount_rate(self):
        weekly = clv.discount_rate_per(1.0, 0.10)
        self.assertAlmostEqual((1 + weekly) ** 52, 1.10)
        self.assertAlmostEqual(clv.discount_rate_per(12, 0.10, units_per_year=12), 0.10)
        with self.assertRaises(ValueError):
            clv.discount_rate_per(1.0, -1.0)

    # ------------------------------------------------------------------ refusals
    def test_bad_customers_are_refused(self):
        bad = {
            "lengths differ": ([1, 2], [1], [3, 3]),
            "last purchase after the end": ([1], [5], [3]),
            "no repeat purchase but a last purchase time": ([0], [1], [3]),
            "negative count": ([-1], [0], [3]),
            "fractional count": ([1.5], [1], [3]),
            "not a number": ([1], [1], [float("nan")]),
            "infinite": ([1], [1], [float("inf")]),
            "no age": ([1], [0], [0]),
            "two-dimensional": ([[1, 2]], [[1, 1]], [[3, 3]]),
        }
        for reason, (x, t_x, T) in bad.items():
            for function in (clv.probability_alive, clv.fit_bgnbd):
                with self.subTest(reason, function=function.__name__):
                    with self.assertRaises(ValueError):
                        if function is clv.fit_bgnbd:
                            function(x, t_x, T)
                        else:
                            function(x=x, t_x=t_x, T=T, **self.model)

    def test_bad_arguments_are_refused(self):
        x, t_x, T, m = [2, 0], [30.43, 0], [38.86, 38.86], [22.35, 0]
        refused = {
            "one customer": lambda: clv.fit_bgnbd([2], [30], [38]),
            "nobody came back": lambda: clv.fit_bgnbd([0, 0], [0, 0], [5, 5]),
            "weights of another length": lambda: clv.fit_bgnbd(x, t_x, T, weights=[1]),
            "negative weight": lambda: clv.fit_bgnbd(x, t_x, T, weights=[1, -1]),
            "non-positive start": lambda: clv.fit_bgnbd(x, t_x, T, initial=(0, 1, 1, 1)),
            "a single repeat buyer": lambda: clv.fit_gamma_gamma([1, 0], [10, 0]),
            "no value for a repeat buyer": lambda: clv.fit_gamma_gamma([1, 2], [10, 0]),
            "negative value": lambda: clv.fit_gamma_gamma([1, 2], [10, -3]),
            "values of another length": lambda: clv.fit_gamma_gamma([1, 2], [10]),
            "negative parameter": lambda: clv.probability_alive(-1, 1, 1, 1, x, t_x, T),
            "a == 1": lambda: clv.expected_purchases(1, 0.5, 1, 1, 2, x, t_x, T),
            "negative period": lambda: clv.expected_purchases(-1, x=x, t_x=t_x, T=T, **self.model),
            "q <= 1": lambda: clv.expected_average_value(1, 1, 1, x, m),
            "negative horizon": lambda: clv.customer_lifetime_value(
                self.bgnbd, self.gg, x, t_x, T, m, horizon=-1, discount_rate=0
            ),
            "zero step": lambda: clv.customer_lifetime_value(
                self.bgnbd, self.gg, x, t_x, T, m, horizon=52, discount_rate=0, step=0
            ),
            "discount rate of -100 %": lambda: clv.customer_lifetime_value(
                self.bgnbd, self.gg, x, t_x, T, m, horizon=52, discount_rate=-1
            ),
            "values of another length in the CLV": lambda: clv.customer_lifetime_value(
                self.bgnbd, self.gg, x, t_x, T, [1], horizon=52, discount_rate=0
            ),
        }
        for reason, call in refused.items():
            with self.subTest(reason), self.assertRaises(ValueError):
                call()

    def test_a_fit_that_does_not_converge_is_refused(self):
        # Every repeat buyer spends the same: no spread between customers to estimate, q and
        # gamma run off to infinity.
        with self.assertRaisesRegex(ValueError, "did not converge"):
            clv.fit_gamma_gamma([1, 2, 3, 4], [10, 10, 10, 10])
        # Whatever the optimiser reports as a failure is refused too.
        failure = OptimizeResult(x=np.zeros(4), fun=1.0, success=False, message="stopped")
        with (
            mock.patch.object(clv, "minimize", return_value=failure),
            self.assertRaisesRegex(ValueError, "BG/NBD fit did not converge: stopped"),
        ):
            clv.fit_bgnbd(self.data["x"], self.data["t_x"], self.data["T"])
