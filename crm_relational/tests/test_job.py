import json
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.crm_relational_job import LOCK_KEYS, advisory_lock
from .common import RelationalCase

PENDING = "crm_relational.recompute_pending_company_ids.full"
NOTIFY = "crm_relational.recompute_notify_user_ids"


@tagged("post_install", "-at_install")
class TestProfileJob(RelationalCase):
    """The profile recompute on the shared background-job pattern (``crm.relational.job``):
    the scheduler's time is respected, the run resumes where it stood, locks keep their
    numbers, an unfinished run is kept."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Run = cls.env["crm.relational.run"]
        # One customer per batch: the demo data's customers make many batches.
        cls.env["ir.config_parameter"].set_param("crm_relational.batch_size", 1)

    def _cron(self, time_left):
        """The scheduled job as the scheduler runs it (with its progress record), its commits
        recorded instead of made; after the n-th batch the scheduler says ``time_left(n)``
        seconds are left. The (processed, remaining) of each commit."""
        cron = self.env.ref("crm_relational.ir_cron_recompute_profiles")
        cron, _progress = cron._add_progress()
        commits = []

        def commit(_cron, processed=0, *, remaining=None, deactivate=False):
            commits.append((processed, remaining))
            return time_left(len(commits))

        with patch.object(type(self.env["ir.cron"]), "_commit_progress", commit):
            self.Run.with_context(**cron.env.context)._cron_recompute()
        return commits

    def _notices(self):
        self.env.cr.precommit.run()  # the bus writes its notifications just before commit
        return self.env["bus.bus"].search([("message", "like", "simple_notification")])

    def test_out_of_time_the_job_stops_and_carries_on(self):
        companies = self.env["res.company"].search([("active", "=", True)], order="id")
        first = companies[0]
        self.env["ir.config_parameter"].set_param(NOTIFY, json.dumps([self.sales_manager.id]))
        self.env["bus.bus"].search([]).unlink()
        # No time left after the first customer: the run waits, one customer done.
        commits = self._cron(lambda n: 0.0)
        run = self.Run.search([("company_id", "=", first.id)], limit=1)
        self.assertEqual(len(commits), 1)
        self.assertEqual((run.state, run.done_count), ("running", 1))
        self.assertGreater(run.customer_count, 2)
        self.assertEqual(commits[0], (1, run.customer_count - 1))
        self.assertEqual(json.loads(self.env["ir.config_parameter"].get_param(PENDING)),
                         companies.ids)  # fmt: skip
        self.assertFalse(self._notices(), "nobody is told before the end")
        # Called again with time: the same run carries on and every company is done.
        commits = self._cron(lambda n: 60.0)
        self.assertEqual(self.Run.search([("company_id", "=", first.id)], limit=1), run)
        self.assertEqual((run.state, run.done_count), ("done", run.customer_count))
        self.assertEqual(run.progress, 100.0)
        self.assertEqual(commits[run.customer_count - 2], (1, 0), "the first company's last")
        self.assertFalse(self.env["ir.config_parameter"].get_param(PENDING))
        self.assertEqual(len(self._notices()), 1)
        self.assertEqual(run.user_id, self.env.user, "the job's user asked for it")

    def test_commits_only_in_the_scheduled_job(self):
        run = self.Run.create({"company_id": self.company.id, "date": "2026-06-30",
                               "customer_count": 4, "done_count": 1})  # fmt: skip
        self.assertAlmostEqual(run.progress, 25.0)
        with patch.object(type(self.env["ir.cron"]), "_commit_progress") as commit:
            self.assertTrue(run._commit_progress(1))
        commit.assert_not_called()

    def test_an_unfinished_run_is_kept(self):
        run = self.Run.create({"company_id": self.company.id, "date": "2026-06-30"})
        with self.assertRaisesRegex(UserError, "not finished"):
            run.unlink()
        run.state = "done"
        run.unlink()
        self.assertFalse(run.exists())

    def test_locks_keep_their_numbers(self):
        # The keys of the earlier versions: a job running while the addons are upgraded keeps
        # its lock.
        self.assertEqual(
            LOCK_KEYS,
            {"profile_recompute": 2918431, "forecast_snapshot": 2918432,
             "forecast_backtest": 2918433, "forecast_fit": 2918434, "ticket_routing": 2918437},
        )  # fmt: skip
        self.assertTrue(self.Run._try_lock(self.company.id))
        with self.env.registry.cursor() as other:
            self.assertFalse(advisory_lock(other, "profile_recompute", self.company.id))
            self.assertTrue(advisory_lock(other, "profile_recompute", self.other_company.id))
            other.rollback()
