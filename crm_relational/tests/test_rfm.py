import numpy as np

from odoo.tests import BaseCase

from ..analytics import rfm


class TestRfmEngine(BaseCase):
    """The pure RFM and tier arithmetic, on hand-made populations."""

    def test_quintiles(self):
        self.assertEqual(
            rfm.quintile_scores(np.arange(1, 11)).tolist(), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
        )
        # Fewer days since the last order is better.
        self.assertEqual(
            rfm.quintile_scores([1, 100, 10, 1000, 50], higher_is_better=False).tolist(),
            [5, 2, 4, 1, 3],
        )
        self.assertEqual(rfm.quintile_scores([7, 7, 7]).tolist(), [3, 3, 3])
        self.assertEqual(rfm.quintile_scores([42]).tolist(), [3])
        self.assertEqual(rfm.quintile_scores([]).tolist(), [])
        with self.assertRaises(ValueError):
            rfm.quintile_scores([1.0, float("nan")])

    def test_segments(self):
        r = [5, 4, 1, 1, 2, 3, 5, 4, 3, 1, 2]
        f = [5, 4, 5, 3, 1, 3, 1, 1, 2, 1, 2]
        self.assertEqual(
            rfm.segments(r, f).tolist(),
            ["champions", "loyal", "cant_lose", "at_risk", "hibernating", "need_attention",
             "new", "promising", "about_to_sleep", "lost", "hibernating"],
        )  # fmt: skip
        # Every cell of the 5 x 5 grid has a segment.
        grid_r, grid_f = np.meshgrid(np.arange(1, 6), np.arange(1, 6))
        self.assertNotIn("", rfm.segments(grid_r.ravel(), grid_f.ravel()).tolist())

    def test_value_tiers_follow_the_cumulative_margin(self):
        # Total positive margin 195: the top three bring 0 %, 51.3 %, 76.9 % before themselves.
        tiers, before = rfm.value_tiers([30, 100, 5, 50, 10, 0, -5], 80, 95)
        self.assertEqual(tiers.tolist(), ["A", "A", "C", "A", "B", "C", "C"])
        self.assertAlmostEqual(before[3], 100 / 195 * 100)
        self.assertEqual(before[5], 100.0)

    def test_value_tiers_edge_cases(self):
        tiers, _before = rfm.value_tiers([0, -10], 80, 95)
        self.assertEqual(tiers.tolist(), ["C", "C"])
        tiers, _before = rfm.value_tiers([500], 80, 95)
        self.assertEqual(tiers.tolist(), ["A"])
        with self.assertRaises(ValueError):
            rfm.value_tiers([1, 2], 95, 80)
