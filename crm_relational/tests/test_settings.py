from odoo.exceptions import ValidationError

from .common import RelationalCase


class TestSettings(RelationalCase):
    def test_defaults(self):
        self.assertEqual(self.company.relational_tier_a_share, 80.0)
        self.assertEqual(self.company.relational_tier_b_share, 95.0)
        self.assertEqual(self.company.relational_clv_horizon_months, 12)

    def test_settings_write_through_to_the_company(self):
        settings = (
            self.env["res.config.settings"]
            .with_user(self.env.ref("base.user_admin"))
            .create({"relational_tier_a_share": 70.0, "relational_tier_b_share": 90.0})
        )
        settings.execute()
        self.assertEqual(self.company.relational_tier_a_share, 70.0)
        self.assertEqual(self.company.relational_tier_b_share, 90.0)

    def test_inconsistent_thresholds_are_refused(self):
        cases = [
            {"relational_tier_a_share": 96.0},  # above tier B
            {"relational_tier_a_share": 0.0},
            {"relational_tier_b_share": 101.0},
            {"relational_clv_horizon_months": 0},
            {"relational_clv_discount_rate": -5.0},
        ]
        for values in cases:
            with self.subTest(values=values), self.assertRaises(ValidationError):
                self.company.write(values)
