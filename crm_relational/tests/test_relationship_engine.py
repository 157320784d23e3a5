import numpy as np

from odoo.tests import BaseCase

from ..analytics import relationship, rfm

RULES = [
    # Adversary: sour and frequent; Friend: warm and mutual; Transactional: the rest.
    {"id": 1, "valence_min": 0, "valence_max": 35, "intensity_min": 40, "intensity_max": 100,
     "reciprocity_min": 0, "reciprocity_max": 100, "tenure_min_days": 0},
    {"id": 2, "valence_min": 60, "valence_max": 100, "intensity_min": 40, "intensity_max": 100,
     "reciprocity_min": 40, "reciprocity_max": 100, "tenure_min_days": 365},
    {"id": 3, "valence_min": 0, "valence_max": 100, "intensity_min": 0, "intensity_max": 100,
     "reciprocity_min": 0, "reciprocity_max": 100, "tenure_min_days": 0},
]  # fmt: skip


class TestRelationshipEngine(BaseCase):
    """The relationship engine on hand-made customers."""

    def test_valence_is_the_smoothed_share_of_positive_signals(self):
        np.testing.assert_allclose(
            relationship.valence([0, 3, 0, 8], [0, 1, 4, 0]), [50, 200 / 3, 100 / 6, 90]
        )
        with self.assertRaises(ValueError):
            relationship.valence([-1], [0])

    def test_intensity_is_a_percentile_and_zero_without_interaction(self):
        np.testing.assert_allclose(relationship.intensity([0, 2, 2, 10]), [0, 50, 50, 87.5])
        # Against a population grid: a customer above everyone scores near 100.
        np.testing.assert_allclose(relationship.intensity([50], [1, 2, 3, 4]), [100])

    def test_reciprocity_is_highest_when_balanced(self):
        np.testing.assert_allclose(
            relationship.reciprocity([0, 1, 2, 3, 0], [0, 3, 2, 1, 5]), [0, 50, 100, 50, 0]
        )

    def test_types_take_the_first_matching_rule(self):
        types = relationship.relationship_types(
            valence=[20, 20, 80, 80, 50],
            intensity=[90, 10, 70, 70, 50],
            reciprocity=[50, 50, 50, 50, 50],
            tenure_days=[500, 500, 500, 100, 500],
            rules=RULES,
        )
        # Sour but rare is not an adversary; warm but recent is not yet a friend.
        self.assertEqual(types.tolist(), [1, 3, 2, 3, 3])
        self.assertEqual(relationship.relationship_types([50], [50], [50], [0], []).tolist(), [0])

    def test_health_factors_and_score(self):
        factors = relationship.health_factors(
            probability_alive=[0.8, np.nan],
            recency_score=[5, 2],
            recent_revenue=[300, 0],
            previous_revenue=[100, 0],
            valence=[75, 50],
            intensity=[60, 0],
            paid_invoices=[3, 0],
            overdue_invoices=[1, 0],
        )
        np.testing.assert_allclose(factors["activity"], [80, 25])
        np.testing.assert_allclose(factors["trend"], [75, 0])  # 50 + 50 * (300-100)/400
        np.testing.assert_allclose(factors["payment"], [75, 100])
        # (80*35 + 75*20 + 75*20 + 60*15 + 75*10) / 100 = 74.5 → 74 (round half to even)
        # (25*35 + 0 + 50*20 + 0 + 100*10) / 100 = 28.75 → 29
        self.assertEqual(relationship.health_score(factors).tolist(), [74, 29])

    def test_churn_risk_spares_the_lost_and_prospects(self):
        risk = relationship.churn_risk([30, 30, 30, 60], ["mature", "lost", "prospect", "new"], 40)
        self.assertEqual(risk.tolist(), [True, False, False, False])

    def test_neglect_by_tier(self):
        neglected = relationship.neglected(
            tiers=["A", "A", "B", "C", "C", "A"],
            at_risk=[False, False, False, False, True, False],
            days_without_contact=[40, 10, 50, np.nan, 100, np.nan],
            allowed_days={"A": 30, "B": 60, "C": 90},
        )
        self.assertEqual(neglected.tolist(), [True, False, False, False, True, True])
        # A tier with no limit is not watched.
        self.assertFalse(relationship.neglected(["C"], [True], [400], {"C": 0})[0])


class TestPopulationGrids(BaseCase):
    """Scoring a few customers against a population summarised by its order statistics."""

    def test_scores_against_a_grid_equal_scores_in_the_population(self):
        values = np.random.default_rng(7).gamma(2.0, 50.0, 400)
        grid = np.sort(values)  # under GRID_POINTS customers the grid is the population
        self.assertEqual(rfm.quintile_scores(values[:25], reference=grid).tolist(),
                         rfm.quintile_scores(values)[:25].tolist())  # fmt: skip

    def test_large_populations_are_summarised(self):
        fractions = rfm.grid_fractions(10 * rfm.GRID_POINTS)
        self.assertEqual(len(fractions), rfm.GRID_POINTS)
        self.assertAlmostEqual(fractions[0], 0.5 / rfm.GRID_POINTS)
        self.assertEqual(rfm.grid_fractions(3), [0.5 / 3, 1.5 / 3, 2.5 / 3])

    def test_tiers_from_shares_and_cutoffs(self):
        margins = [800, 240, 40, -5]
        tiers, shares = rfm.value_tiers(margins, 80, 95)
        self.assertEqual(tiers.tolist(), ["A", "A", "C", "C"])
        self.assertEqual(rfm.tiers_from_shares(margins, shares, 80, 95).tolist(),
                         tiers.tolist())  # fmt: skip
        self.assertEqual(
            rfm.tiers_from_cutoffs([900, 240, 100, 39, -5], 240, 100).tolist(),
            ["A", "A", "B", "C", "C"],
        )
        self.assertEqual(rfm.tiers_from_cutoffs([50], None, None).tolist(), ["C"])
