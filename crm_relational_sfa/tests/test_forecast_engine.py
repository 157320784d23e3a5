import numpy as np

from odoo.tests import BaseCase

from ..analytics import forecast


class TestForecastEngine(BaseCase):
    """The win probability and interval engine on data whose answer is known."""

    def test_logistic_fit_recovers_the_generating_weights(self):
        rng = np.random.default_rng(7)
        X = rng.normal(size=(20_000, 2))
        truth = np.array([-0.5, 1.5, -1.0])
        y = rng.random(len(X)) < 1 / (1 + np.exp(-(truth[0] + X @ truth[1:])))
        weights = forecast.fit_logistic(X, y, penalty=1e-6)
        np.testing.assert_allclose(weights, truth, atol=0.08)
        # Predictions of the fitted model are calibrated on its own population.
        p = forecast.predict(X, weights)
        for _low, _high, count, predicted, observed in forecast.reliability(p, y):
            if count > 500:
                self.assertAlmostEqual(predicted, observed, delta=0.04)

    def test_logistic_fit_refuses_one_sided_or_bad_data(self):
        with self.assertRaises(ValueError):
            forecast.fit_logistic([[1.0], [2.0]], [1, 1])
        with self.assertRaises(ValueError):
            forecast.fit_logistic([[1.0], [np.nan]], [0, 1])
        with self.assertRaises(ValueError):
            forecast.fit_logistic([[1.0]], [0, 1])

    def test_brier_and_reliability_by_hand(self):
        p = [0.05, 0.15, 0.12, 0.95]
        y = [0, 1, 0, 1]
        self.assertAlmostEqual(
            forecast.brier(p, y), (0.05**2 + 0.85**2 + 0.12**2 + 0.05**2) / 4, places=12
        )
        self.assertEqual(
            forecast.reliability(p, y),
            [(0.0, 0.1, 1, 0.05, 0.0), (0.1, 0.2, 2, 0.135, 0.5), (0.9, 1.0, 1, 0.95, 1.0)],
        )

    def test_standardize_reuses_the_training_scaling(self):
        X, mean, scale = forecast.standardize([[1.0, 5.0], [3.0, 5.0]])
        np.testing.assert_allclose(X, [[-1.0, 0.0], [1.0, 0.0]])
        Y, _mean, _scale = forecast.standardize([[5.0, 6.0]], mean, scale)
        np.testing.assert_allclose(Y, [[3.0, 1.0]])

    def test_interval_of_certain_and_coin_toss_opportunities(self):
        # Group 0: two sure wins of 100 and 50. Group 1: one coin toss of 1000.
        quantiles = forecast.simulate_totals(
            [1.0, 1.0, 0.5], [100, 50, 1000], [0, 0, 1], 2, draws=4000, seed=1, chunk=2
        )
        np.testing.assert_allclose(quantiles[0], [150, 150, 150])
        np.testing.assert_allclose(quantiles[1, [0, 2]], [0, 1000])

    def test_repeat_business_is_compound_poisson(self):
        # 40 expected orders of 10: mean 400, standard deviation 10 * sqrt(40).
        quantiles = forecast.simulate_totals(
            [], [], [], 1, repeat_rate=[40.0], repeat_value=[10.0], draws=20_000, seed=3
        )
        p10, p50, p90 = quantiles[0]
        self.assertAlmostEqual(p50, 400, delta=10)
        self.assertAlmostEqual((p90 - p10) / (2 * 1.2816), 10 * 40**0.5, delta=6)
