from datetime import date, datetime, timedelta

import numpy as np

from odoo.tests import BaseCase

from ..analytics import forecast, season, win
from .deal_process import SKILL, WON, simulate


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
            [1.0, 1.0, 0.5], [100, 50, 1000], [0, 0, 1], 2, draws=4000, seed=1
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

    def test_interval_holds_the_truth_about_eight_times_in_ten(self):
        rng = np.random.default_rng(5)
        chances = rng.dirichlet([1, 1, 1, 4], size=300)[:, :3]  # 3 periods, the rest never
        amounts = rng.choice([1000.0, 5000.0, 20000.0], size=300)
        by_period, total = forecast.simulate_periods(
            chances, amounts, [([0] * 300, 1, None, None)], draws=4000, seed=2
        )
        # The truth drawn from the same chances, many times: each deal won in one period at most.
        truths = []
        for _run in range(400):
            won_in = (rng.random(300)[:, None] >= np.cumsum(chances, axis=1)).sum(axis=1)
            truths.append([amounts[won_in == period].sum() for period in range(3)])
        truths = np.array(truths)
        for period in range(3):
            quantiles = np.tile(by_period[0][period], (400, 1))
            inside = forecast.interval_hits(truths[:, period], quantiles)
            self.assertAlmostEqual(inside, 0.8, delta=0.07)
        inside = forecast.interval_hits(truths.sum(axis=1), np.tile(total[0], (400, 1)))
        self.assertAlmostEqual(inside, 0.8, delta=0.07)

    def test_order_values_spread_widens_the_repeat_interval(self):
        flat, _total = forecast.simulate_periods(
            np.zeros((0, 1)), [], [([], 1, [[40.0]], [[10.0]])], draws=20_000, seed=3
        )
        spread, _total = forecast.simulate_periods(
            np.zeros((0, 1)), [], [([], 1, [[40.0]], [[10.0]])], spend_shape=2.0, draws=20_000,
            seed=3,
        )  # fmt: skip
        (f10, f50, f90), (s10, s50, s90) = flat[0][0][0], spread[0][0][0]
        self.assertAlmostEqual(s50, f50, delta=15)
        # each order Gamma(2, 5): the sum's variance grows from 40 * 100 to 40 * 150
        self.assertAlmostEqual((s90 - s10) / (f90 - f10), 1.5**0.5, delta=0.08)


UNTIL = datetime(2025, 6, 2)


class TestWinEngine(BaseCase):
    """Win probabilities learned from snapshots of what was known, on a process whose truth is
    known (see deal_process.py)."""

    def _open_states(self, deals, moment=UNTIL):
        return [
            win.state_at(deal, moment, {WON}, win.History())
            for deal in deals
            if deal.created <= moment and (deal.closed is None or deal.closed > moment)
        ]

    def test_recording_style_teaches_nothing(self):
        # Whether a deal is won depends on nothing but whether it is a zombie (those never
        # close, so the time open still tells): won deals recorded by a tracked change into the
        # won stage, lost ones archived without change, imports with no trace, wins without
        # tracking: nothing of the recording may tell won from lost.
        chances, scores = {}, {}
        scored = self._open_states(simulate(2500, seed=4, outcome=0.35))
        for recording in ("odoo", "import", "mixed", "untracked"):
            deals = simulate(2500, seed=4, recording=recording, outcome=0.35)
            params = win.fit(deals, UNTIL, {WON}, win.History())
            F = win.project(params, scored)
            chances[recording] = win.eventually(F)
            self.assertTrue(((F > 0) & (F < 1)).all(), "a probability of exactly 0 or 1")
            check = win.holdout(deals, UNTIL, {WON}, win.History())
            scores[recording] = forecast.brier(check["predicted"], check["outcomes"])
            base = forecast.brier(check["base_rate"], check["outcomes"])
            self.assertGreater(scores[recording], 0.5 * base, "a near perfect score")
        # Two independent samples of this process give chances 0.025 apart on average (0.09 at
        # most): the recording styles move them less than sampling does, and the held-out
        # score not at all.
        for recording in ("import", "mixed", "untracked"):
            difference = np.abs(chances["odoo"] - chances[recording])
            self.assertLess(difference.mean(), 0.03)
            self.assertLess(difference.max(), 0.06)
            self.assertAlmostEqual(scores[recording], scores["odoo"], delta=0.005)

    def test_planted_effects_are_recovered_and_calibrated_out_of_sample(self):
        deals = simulate(4000, seed=1)
        params = win.fit(deals, UNTIL, {WON}, win.History())
        check = win.holdout(deals, UNTIL, {WON}, win.History())
        ours = forecast.brier(check["predicted"], check["outcomes"])
        self.assertLess(ours, forecast.brier(check["base_rate"], check["outcomes"]))
        self.assertLess(ours, forecast.brier(check["stage_odds"], check["outcomes"]))
        # A population the model never saw, scored at a moment and followed for a quarter.
        fresh = simulate(4000, seed=2)
        moment = datetime(2024, 9, 2)
        rows = [
            (deal, win.state_at(deal, moment, {WON}, win.History()))
            for deal in fresh
            if deal.created <= moment and (deal.closed is None or deal.closed > moment)
        ]
        F = win.project(params, [state for _deal, state in rows])
        quarter = win.within(F, 91)
        outcome = np.array(
            [bool(d.won) and d.closed <= moment + timedelta(days=91) for d, _s in rows], dtype=float
        )
        for _low, _high, count, predicted, observed in forecast.reliability(quarter, outcome, 5):
            if count >= 80:
                self.assertAlmostEqual(predicted, observed, delta=0.07)
        self.assertTrue(((F > 0) & (F < 1)).all())

        def chance(**changes):
            state = {
                "stage": "1",
                "days_open": 14.0,
                "amount": 5000.0,
                "user": "1",
                "team": "",
                "revenue": 0.0,
                "won_before": 0,
                "lost_before": 0,
            }
            state.update(changes)
            return float(win.eventually(win.project(params, [state]))[0])

        self.assertGreater(chance(stage="3"), chance(stage="1"))
        self.assertGreater(chance(user="0"), chance(user=str(len(SKILL) - 1)))
        self.assertGreater(chance(amount=1000.0), chance(amount=20000.0))
        # open long, won rarely: the chance falls with the time open
        self.assertGreater(chance(days_open=14.0), chance(days_open=200.0))

    def test_closing_time_is_a_distribution_over_the_periods(self):
        deals = simulate(2500, seed=3)
        params = win.fit(deals, UNTIL, {WON}, win.History())
        F = win.project(params, self._open_states(deals))
        self.assertTrue((np.diff(F, axis=1) >= 0).all())
        periods = win.period_probabilities(F, [(0, 29), (30, 60), (61, 91)])
        self.assertTrue((periods >= 0).all())
        self.assertTrue((periods.sum(axis=1) <= win.eventually(F) + 1e-9).all())
        np.testing.assert_allclose(periods.sum(axis=1), win.within(F, 92), atol=1e-9)
        days = win.median_close_days(F)
        self.assertTrue(all(0 < d <= win.WEEKS * 7 for d in days))
        # the chance of a deal in the last stage is won sooner than one just created
        late = min(range(len(F)), key=lambda i: -F[i, 3] / F[i, -1])
        self.assertLess(days[late], np.median(days))

    def test_only_what_was_known_is_learned(self):
        deals = simulate(1500, seed=6)
        early = datetime(2024, 3, 4)
        # the same fit whatever happened after the moment: outcomes rewritten after it
        rewritten = [
            win.Deal(**{**deal.__dict__, "won": not deal.won, "stage": 1, "changes": [
                change for change in deal.changes if change[0] <= early]})
            if deal.closed and deal.closed > early else deal
            for deal in deals
        ]  # fmt: skip
        first = win.fit(deals, early, {WON}, win.History())
        second = win.fit(rewritten, early, {WON}, win.History())
        for event in win.EVENTS:
            np.testing.assert_allclose(
                first["events"][event]["weights"], second["events"][event]["weights"]
            )


class TestSeasonality(BaseCase):
    """Month-of-year factors of repeat business."""

    PLANTED = (1.0, 0.9, 1.0, 1.0, 1.0, 0.9, 0.7, 0.6, 1.0, 1.1, 1.5, 1.8)

    def _counts(self, years, first=date(2021, 1, 1)):
        counts, month = {}, first
        for offset in range(12 * years):
            growth = 1.0 + 0.1 * (offset // 12)  # the business grows year on year
            counts[month] = round(1000 * growth * self.PLANTED[month.month - 1])
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        return counts

    def test_planted_months_recovered_and_noise_shrunk(self):
        factors = season.monthly_factors(self._counts(3), date(2021, 1, 1), date(2024, 1, 15))
        planted = np.array(self.PLANTED) / np.mean(self.PLANTED)
        np.testing.assert_allclose(factors, planted, atol=0.01)
        # A handful of orders a month: the months differ by chance, and are shrunk to even.
        rng = np.random.default_rng(3)
        few, month = {}, date(2021, 1, 1)
        for _offset in range(36):
            few[month] = int(rng.poisson(3))
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        noisy = season.monthly_factors(few, date(2021, 1, 1), date(2024, 1, 15))
        self.assertLess(np.abs(np.array(noisy) - 1).max(), 0.1)  # raw: up to 0.43 off

    def test_switched_off_without_two_years(self):
        factors = season.monthly_factors(self._counts(1), date(2021, 1, 1), date(2022, 1, 10))
        self.assertEqual(factors, [1.0] * 12)
        self.assertEqual(season.monthly_factors({}, None, date(2022, 1, 1)), [1.0] * 12)

    def test_window_share_weighs_the_days(self):
        factors = [1.0] * 10 + [1.5, 2.0]
        self.assertEqual(season.window_share([1.0] * 12, date(2024, 1, 1), date(2024, 1, 31)), 31)
        self.assertAlmostEqual(
            season.window_share(factors, date(2024, 10, 17), date(2024, 12, 31)),
            15 + 30 * 1.5 + 31 * 2.0,
        )
        self.assertEqual(season.window_share(factors, date(2024, 2, 1), date(2024, 1, 1)), 0.0)

    def test_seasonal_history_backtest(self):
        # Three years of orders with a Christmas peak, then the forecast of October to December
        # as of the first of October: a flat pace under-forecasts the peak, the learned months
        # do not.
        rng = np.random.default_rng(8)
        planted = np.array(self.PLANTED) / np.mean(self.PLANTED)
        counts, day = {}, date(2021, 10, 1)
        while day < date(2025, 1, 1):
            month = date(day.year, day.month, 1)
            counts[month] = counts.get(month, 0) + rng.poisson(20 * planted[day.month - 1])
            day += timedelta(days=1)
        cutoff = date(2024, 10, 1)
        history = {month: n for month, n in counts.items() if month < cutoff}
        pace = sum(n for month, n in history.items() if month >= date(2023, 10, 1)) / 366
        truth = sum(n for month, n in counts.items() if month >= cutoff)
        flat = pace * 92
        factors = season.monthly_factors(history, date(2021, 10, 1), cutoff)
        seasonal = pace * season.window_share(factors, cutoff, date(2024, 12, 31))
        self.assertLess(flat, 0.85 * truth)
        self.assertLess(abs(seasonal - truth), 0.08 * truth)
