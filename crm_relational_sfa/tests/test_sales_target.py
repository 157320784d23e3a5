from datetime import date

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, ValidationError
from odoo.tools import mute_logger

from .common import SfaCase

Q1 = {"date_from": date(2026, 1, 1), "date_to": date(2026, 3, 31)}
Q2 = {"date_from": date(2026, 4, 1), "date_to": date(2026, 6, 30)}


class TestSalesTarget(SfaCase):
    def test_salesperson_sees_own_targets_only(self):
        own = self.Target.create(
            {"user_id": self.rep_a.id, "team_id": self.team.id, "amount": 1000, **Q1}
        )
        team = self.Target.create({"team_id": self.team.id, "amount": 5000, **Q1})
        colleague = self.Target.create({"user_id": self.rep_b.id, "amount": 800, **Q1})
        other_team = self.Target.create({"team_id": self.other_team.id, "amount": 9000, **Q1})
        all_targets = own | team | colleague | other_team

        # Own documents only: the team's target sums deals of colleagues, not his to read.
        seen_by_a = self.Target.with_user(self.rep_a).search([("id", "in", all_targets.ids)])
        self.assertEqual(seen_by_a, own)
        seen_by_b = self.Target.with_user(self.rep_b).search([("id", "in", all_targets.ids)])
        self.assertEqual(seen_by_b, colleague)
        seen_by_manager = self.Target.with_user(self.manager).search(
            [("id", "in", all_targets.ids)]
        )
        self.assertEqual(seen_by_manager, all_targets)

    def test_salesperson_cannot_set_targets(self):
        with self.assertRaises(AccessError):
            self.Target.with_user(self.rep_a).create({"user_id": self.rep_a.id, "amount": 1, **Q1})
        target = self.Target.with_user(self.manager).create(
            {"user_id": self.rep_a.id, "amount": 1, **Q1}
        )
        with self.assertRaises(AccessError):
            target.with_user(self.rep_a).amount = 1_000_000

    def test_overlapping_targets_are_refused(self):
        self.Target.create({"user_id": self.rep_a.id, "amount": 1000, **Q1})
        self.Target.create({"user_id": self.rep_a.id, "amount": 1200, **Q2})  # next quarter: fine
        self.Target.create({"user_id": self.rep_b.id, "amount": 1000, **Q1})  # someone else: fine
        with self.assertRaises(ValidationError):
            self.Target.create(
                {
                    "user_id": self.rep_a.id,
                    "amount": 10,
                    "date_from": date(2026, 3, 15),
                    "date_to": date(2026, 4, 15),
                }
            )

    @mute_logger("odoo.sql_db")
    def test_bad_values_are_refused_by_the_database(self):
        bad_values = [
            {"user_id": self.rep_a.id, "amount": -1, **Q1},
            {
                "user_id": self.rep_a.id,
                "amount": 1,
                "date_from": date(2026, 5, 1),
                "date_to": date(2026, 4, 1),
            },
            {"amount": 1, **Q1},
        ]
        for values in bad_values:
            with (
                self.subTest(values=values),
                self.assertRaises(IntegrityError),
                self.cr.savepoint(),
            ):
                self.Target.create(values)

    def test_forecast_period_setting(self):
        self.assertEqual(self.env.company.sfa_forecast_period, "quarter")
        settings = (
            self.env["res.config.settings"]
            .with_user(self.env.ref("base.user_admin"))
            .create({"sfa_forecast_period": "month"})
        )
        settings.execute()
        self.assertEqual(self.env.company.sfa_forecast_period, "month")
