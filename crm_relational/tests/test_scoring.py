from datetime import date

import numpy as np

from odoo.tests import BaseCase

from ..analytics import scoring

TODAY = date(2026, 6, 30)
SETTINGS = {
    "tier_a_share": 80.0,
    "tier_b_share": 95.0,
    "clv_horizon_months": 12,
    "clv_discount_rate": 10.0,
    "churn_threshold": 40,
    "stage_thresholds": {},
    "neglect_days": {"A": 30, "B": 60, "C": 0},
}
FIGURES = {
    "recency": [10.0, 60.0],
    "orders": [1.0, 4.0],
    "revenue": [100.0, 1000.0],
    "interactions": [0.0, 2.0, 10.0],
    "tier_a_margin": 300.0,
    "tier_b_margin": 40.0,
    "lifetime": None,
}
# A close friend: valence, intensity and reciprocity of at least 50 after 100 days.
RULES = [
    {"id": 5, "tenure_min_days": 100, "valence_min": 60, "valence_max": 100,
     "intensity_min": 50, "intensity_max": 100, "reciprocity_min": 50, "reciprocity_max": 100}
]  # fmt: skip


def _facts():
    """Three customers as the facts table gives them: a regular buyer (11), a first-time buyer
    with a type set by hand (12) and a prospect (13)."""
    rows = [
        # partner, first, last, orders, days, revenue, margin, repeat, recent, previous,
        # interactions, inbound, outbound, positive, negative, paid, overdue, last contact,
        # first known, previous stage, its date, override, share before
        (11, date(2025, 6, 30), date(2026, 6, 20), 4, 4, 1000.0, 400.0, 250.0, 600.0, 400.0,
         10, 3, 3, 3, 1, 2, 0, date(2026, 6, 25), date(2025, 6, 30), "mature", date(2026, 1, 1),
         None, 0.0),
        (12, date(2026, 5, 1), date(2026, 5, 1), 1, 1, 100.0, 50.0, 0.0, 100.0, 0.0,
         0, 0, 0, 0, 0, 0, 1, None, date(2026, 5, 1), "", None, 7, 400 / 450 * 100),
        (13, None, None, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0,
         2, 1, 0, 0, 0, 0, 0, None, date(2026, 6, 1), "prospect", date(2026, 6, 1), None, 100.0),
    ]  # fmt: skip
    names = [
        "partner_id", "first_day", "last_day", "order_count", "purchase_days", "revenue",
        "margin", "repeat_value", "recent_revenue", "previous_revenue", "interactions",
        "inbound", "outbound", "positive", "negative", "paid_invoices", "overdue_invoices",
        "last_contact", "first_day_known", "previous_stage", "previous_stage_date",
        "type_override", "share_before",
    ]  # fmt: skip
    columns = zip(*rows, strict=True)
    return {name: np.array(column) for name, column in zip(names, columns, strict=True)}


class TestScoringEngine(BaseCase):
    """The profile's scores from facts and population figures alone, without a database."""

    def score(self, full=True):
        columns, changed = scoring.score_customers(
            _facts(), FIGURES, TODAY, SETTINGS, RULES, full=full
        )
        return {name: list(column) for name, column in columns.items()}, list(changed)

    def test_value_scores_of_buyers(self):
        columns, _changed = self.score()
        # Customer 11: 10 days, 4 orders, 1,000: each the upper of two in the grids (mid-rank
        # 0.75, score 4); 12: 60 days, 1 order, 100 (0.25, score 2).
        self.assertEqual(columns["recency_days"][:2], [10, 60])
        self.assertEqual(columns["rfm_recency_score"], [4, 2, None])
        self.assertEqual(columns["rfm_frequency_score"], [4, 2, None])
        self.assertEqual(columns["rfm_monetary_score"], [4, 2, None])
        self.assertEqual(columns["rfm_segment"], ["loyal", "hibernating", None])
        self.assertEqual(columns["average_order_value"], [250.0, 100.0, None])
        # Shares of larger customers 0 % and 88.9 %: A below 80 %, B below 95 %.
        self.assertEqual(columns["value_tier"], ["A", "B", None])
        self.assertEqual(columns["margin_share_before"][:2], [0.0, 400 / 450 * 100])
        # No lifetime model: no lifetime figures.
        self.assertEqual(columns["probability_alive"], [None, None, None])
        self.assertEqual(columns["clv"], [None, None, None])
        # ... and each empty value says why: no model for the buyers, no order for 13.
        self.assertEqual(columns["clv_unknown_reason"], ["no_model", "no_model", "no_orders"])

    def test_stages_and_their_changes(self):
        columns, changed = self.score()
        # 11: revenue up 50 % on the half-year before (above 30 %): growing, was mature.
        # 12: first order 60 days ago: new. 13: no order, still a prospect.
        self.assertEqual(columns["stage"], ["growing", "new", "prospect"])
        self.assertEqual(changed, [True, True, False])
        self.assertEqual(columns["stage_date"], [TODAY, TODAY, date(2026, 6, 1)])

    def test_relationship_and_health(self):
        columns, _changed = self.score()
        # Valence 100 * 4 / 6; intensity: 10 interactions is the mid-rank 5/6 of the grid.
        self.assertEqual(columns["valence"], [67, 50, 50])
        self.assertEqual(columns["intensity"], [83, 0, 50])
        self.assertEqual(columns["reciprocity"], [100, 0, 0])
        self.assertEqual(columns["tenure_days"], [365, 60, 29])
        self.assertEqual(columns["relationship_type_suggested_id"], [5, None, None])
        self.assertEqual(columns["relationship_type_id"], [5, 7, None])
        # 11: activity (4 - 1) * 25, trend 50 + 50 * 200 / 1000, sentiment 66.7, engagement
        # 83.3, payment 100: (75*35 + 60*20 + 66.7*20 + 83.3*15 + 100*10) / 100 = 74.
        # 12: 25*35 + 100*20 + 50*20 + 0 + 0 = 38.75, below the threshold of 40.
        self.assertEqual(columns["health_activity"], [75, 25, None])
        self.assertEqual(columns["health_trend"], [60, 100, None])
        self.assertEqual(columns["health_payment"], [100, 0, None])
        self.assertEqual(columns["health_score"], [74, 39, None])
        self.assertEqual(columns["churn_risk"], [False, True, False])
        # Tier B never contacted is neglected; tier A contacted 5 days ago (30 allowed) is not.
        self.assertEqual(columns["days_without_contact"], [5.0, None, None])
        self.assertEqual(columns["neglected"], [False, True, False])

    def test_an_incremental_run_ranks_tiers_by_the_cutoffs(self):
        figures = {**FIGURES, "tier_a_margin": 500.0, "tier_b_margin": 40.0}
        columns, _changed = scoring.score_customers(
            _facts(), figures, TODAY, SETTINGS, RULES, full=False
        )
        self.assertEqual(list(columns["value_tier"]), ["B", "B", None])
        self.assertNotIn("margin_share_before", columns)

    def test_lifetime_needs_repeat_buyers(self):
        days = [date(2026, 1, 1)] * 5
        self.assertIsNone(scoring.fit_lifetime(TODAY, days, days, [3] * 5, [10.0] * 5))

    def test_lifetime_fit_from_the_last_one_finds_the_same_parameters(self):
        rng = np.random.default_rng(7)
        size = 3000
        first = np.datetime64(TODAY) - rng.integers(30, 900, size)
        days = 1 + rng.poisson(rng.gamma(1.5, 1.5, size))
        span = (np.datetime64(TODAY) - first).astype(int)
        last = first + np.where(days > 1, (rng.uniform(0, 1, size) * span).astype(int), 0)
        value = np.round(rng.lognormal(4, 0.6, size), 2)
        history = (first.astype(object), last.astype(object), days, value)
        cold = scoring.fit_lifetime(TODAY, *history)
        self.assertTrue(cold)

        inputs = scoring.lifetime_inputs(TODAY, *history)

        def assert_same(fit):
            # The parameters trade off along flat ridges of the likelihood (q and gamma of
            # Gamma-Gamma): what they predict is what must not move.
            expected = scoring.lifetime_values(cold, *inputs, 12, 10.0)
            got = scoring.lifetime_values(fit, *inputs, 12, 10.0)
            for name, values in expected.items():
                np.testing.assert_allclose(got[name], values, rtol=1e-3, atol=1e-6, err_msg=name)

        # From yesterday's parameters, from far away, and from parameters no fit can start
        # from (a zero): the same optimum (to the flatness of the likelihood around it).
        assert_same(scoring.fit_lifetime(TODAY, *history, previous=cold))
        far = {model: {k: v * 40 for k, v in p.items()} for model, p in cold.items()}
        assert_same(scoring.fit_lifetime(TODAY, *history, previous=far))
        broken = {model: dict.fromkeys(p, 0.0) for model, p in cold.items()}
        assert_same(scoring.fit_lifetime(TODAY, *history, previous=broken))
