import csv
import os

import numpy as np

from odoo.tests import BaseCase

from ..analytics import clv


def load_cdnow():
    path = os.path.join(os.path.dirname(__file__), "data", "cdnow_summary.csv")
    with open(path, encoding="utf-8") as file:
        rows = list(csv.DictReader(line for line in file if not line.startswith("#")))
    return {name: np.array([float(row[name]) for row in rows]) for name in rows[0]}


class TestClvEngine(BaseCase):
    """BG/NBD and Gamma-Gamma against the published CDNOW estimates (within 1 %)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data = load_cdnow()
        d = cls.data
        cls.bgnbd = clv.fit_bgnbd(d["x"], d["t_x"], d["T"])
        cls.model = {k: cls.bgnbd[k] for k in ("r", "alpha", "a", "b")}
        cls.gg = clv.fit_gamma_gamma(d["x"], d["m"])

    def assertClose(self, value, published, tolerance=0.01):
        self.assertLessEqual(abs(value - published), abs(published) * tolerance,
                             f"{value} is not within 1 % of {published}")  # fmt: skip

    def test_bgnbd_matches_fader_hardie_lee_2005(self):
        # FHL 2005, section 5: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
        self.assertEqual(self.data["x"].size, 2357)
        for name, published in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
            with self.subTest(parameter=name):
                self.assertClose(self.bgnbd[name], published)
        self.assertClose(self.bgnbd["log_likelihood"], -9582.4, tolerance=0.0001)

    def test_conditional_expectation_of_the_published_example(self):
        # FHL 2005: a customer with x = 2, t_x = 30.43, T = 38.86 weeks is expected to make
        # 1.226 purchases in the next 39 weeks.
        expected = clv.expected_purchases(39, x=[2], t_x=[30.43], T=[38.86], **self.model)
        self.assertClose(expected[0], 1.226)

    def test_gamma_gamma_matches_fader_hardie_lee_2005(self):
        # FHL 2005 (RFM and CLV) on the 946 CDNOW repeat buyers: p = 6.25, q = 3.74, gamma = 15.44.
        self.assertEqual(int((self.data["x"] > 0).sum()), 946)
        for name, published in {"p": 6.25, "q": 3.74, "gamma": 15.44}.items():
            with self.subTest(parameter=name):
                self.assertClose(self.gg[name], published)

    def test_probability_alive(self):
        alive = clv.probability_alive(x=[0, 5, 5], t_x=[0, 30, 5], T=[38, 38, 38], **self.model)
        self.assertEqual(alive[0], 1.0)  # no repeat purchase: never seen dropping out
        self.assertGreater(alive[1], alive[2])  # same purchases, longer silence: less alive
        self.assertTrue(np.all((alive > 0) & (alive <= 1)))

    def test_expected_average_value_shrinks_to_the_population_mean(self):
        p, q, gamma = self.gg["p"], self.gg["q"], self.gg["gamma"]
        population = p * gamma / (q - 1)
        value = clv.expected_average_value(p, q, gamma, x=[0, 1, 50], m=[0, 100, 100])
        self.assertAlmostEqual(value[0], population)
        self.assertTrue(population < value[1] < value[2] < 100)

    def test_lifetime_value(self):
        d = self.data
        args = (self.bgnbd, self.gg, d["x"][:50], d["t_x"][:50], d["T"][:50], d["m"][:50])
        short = clv.customer_lifetime_value(*args, horizon=26, discount_rate=0.002)
        long = clv.customer_lifetime_value(*args, horizon=52, discount_rate=0.002)
        dear = clv.customer_lifetime_value(*args, horizon=52, discount_rate=0.02)
        self.assertTrue(np.all(long >= short) and np.all(dear <= long))
        self.assertTrue(np.all(short >= 0))
        # Undiscounted, the value is expected purchases times expected order value.
        flat = clv.customer_lifetime_value(*args, horizon=52, discount_rate=0.0)
        purchases = clv.expected_purchases(52, x=args[2], t_x=args[3], T=args[4], **self.model)
        value = clv.expected_average_value(self.gg["p"], self.gg["q"], self.gg["gamma"],
                                           args[2], args[5])  # fmt: skip
        np.testing.assert_allclose(flat, purchases * value, rtol=1e-9)
        # One customer at a time gives the same as the whole batch.
        one = clv.customer_lifetime_value(self.bgnbd, self.gg, d["x"][3:4], d["t_x"][3:4],
                                          d["T"][3:4], d["m"][3:4], horizon=52,
                                          discount_rate=0.002)  # fmt: skip
        self.assertAlmostEqual(one[0], long[3])

    def test_annual_discount_rate_conversion(self):
        weekly = clv.discount_rate_per(1.0, 0.10)
        self.assertAlmostEqual((1 + weekly) ** 52, 1.10)

    def test_bad_input_is_refused(self):
        bad = [
            ([1, 2], [1], [3, 3]),  # lengths differ
            ([1], [5], [3]),  # last purchase after the end
            ([0], [1], [3]),  # no repeat purchase but a last purchase time
            ([-1], [0], [3]),  # negative count
            ([1], [1], [float("nan")]),
            ([1], [0], [0]),  # no age
        ]
        for x, t_x, T in bad:
            with self.subTest(x=x, t_x=t_x, T=T), self.assertRaises(ValueError):
                clv.probability_alive(x=x, t_x=t_x, T=T, **self.model)
        with self.assertRaises(ValueError):
            clv.fit_bgnbd([0, 0], [0, 0], [5, 5])  # nobody came back: nothing to fit
        with self.assertRaises(ValueError):
            clv.fit_gamma_gamma([1, 0], [10, 0])  # a single repeat buyer
        with self.assertRaises(ValueError):
            clv.fit_gamma_gamma([1, 2], [10, -3])
