import numpy as np

from odoo.tests import BaseCase

from ..analytics import stage


class TestStageEngine(BaseCase):
    """Each stage rule on a hand-made customer, with the default thresholds."""

    def classify(self, **customer):
        columns = {
            "tenure_days": 400, "recency_days": 20, "purchase_days": 10,
            "recent_revenue": 1000, "previous_revenue": 1000,
        }  # fmt: skip
        columns.update(customer)
        return stage.stages(**{k: np.array([v]) for k, v in columns.items()})[0]

    def test_rules(self):
        self.assertEqual(self.classify(), "mature")
        self.assertEqual(self.classify(tenure_days=40, recency_days=5, purchase_days=2), "new")
        self.assertEqual(self.classify(recent_revenue=1500), "growing")
        self.assertEqual(self.classify(recent_revenue=500), "declining")
        self.assertEqual(self.classify(recent_revenue=0), "declining")
        # Ten order days over 380 days: an order every 42 days; silent for 120 days is dormant.
        self.assertEqual(self.classify(recency_days=120), "dormant")
        self.assertEqual(self.classify(recency_days=400, tenure_days=800), "lost")
        self.assertEqual(self.classify(probability_alive=0.05), "lost")
        # One order long enough ago: dormant after 180 days, lost after a year.
        self.assertEqual(
            self.classify(tenure_days=200, recency_days=200, purchase_days=1), "dormant"
        )

    def test_won_back_needs_a_previous_dormant_or_lost_stage(self):
        self.assertEqual(self.classify(previous_stage="dormant"), "won_back")
        self.assertEqual(self.classify(previous_stage="lost"), "won_back")
        self.assertEqual(self.classify(previous_stage="mature"), "mature")
        # Won back stays for the first 90 days, then the customer is judged as any other.
        self.assertEqual(self.classify(previous_stage="won_back", days_in_stage=30), "won_back")
        self.assertEqual(self.classify(previous_stage="won_back", days_in_stage=120), "mature")
        # Still silent: not won back.
        self.assertEqual(self.classify(previous_stage="dormant", recency_days=150), "dormant")

    def test_thresholds_are_configurable(self):
        self.assertEqual(self.classify(recent_revenue=1200), "mature")
        self.assertEqual(self.classify(recent_revenue=1200, trend_threshold=0.1), "growing")

    def test_vectorised_and_validated(self):
        result = stage.stages([400, 40], [20, 5], [10, 2], [1000, 10], [1000, 0])
        self.assertEqual(result.tolist(), ["mature", "new"])
        with self.assertRaises(ValueError):
            stage.stages([400, 40], [20], [10, 2], [1000, 10], [1000, 0])
