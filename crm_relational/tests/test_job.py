import json
import re
from itertools import pairwise
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL

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
             "forecast_backtest": 2918433, "forecast_fit": 2918434, "ticket_routing": 2918437,
             "timeline_reconcile": 2918438},
        )  # fmt: skip
        self.assertTrue(self.Run._try_lock(self.company.id))
        with self.env.registry.cursor() as other:
            self.assertFalse(advisory_lock(other, "profile_recompute", self.company.id))
            self.assertTrue(advisory_lock(other, "profile_recompute", self.other_company.id))
            other.rollback()


@tagged("post_install", "-at_install")
class TestParallelRecompute(RelationalCase):
    """A full recompute shared between workers (``_prepare_parallel``, ``_work_partitions``):
    the facts and population figures once per run, the customers split into ranges, and
    whatever the split, the same profiles and stage changes as one worker."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The demo data's orders are recent: the profiles of today.
        cls.TODAY = fields.Date.today()
        cls.Run = cls.env["crm.relational.run"]
        # Two customers per batch: every range takes several batches.
        cls.env["ir.config_parameter"].set_param("crm_relational.batch_size", 2)

    def _snapshot(self):
        """The company's profiles (every stored column but ids and write dates) and stage
        changes, in customer order."""
        self.env.flush_all()
        skip = {"id", "computed_at", "create_date", "write_date", "create_uid", "write_uid"}
        fields_ = self.env["crm.relational.profile"]._fields
        columns = sorted(
            name
            for name, field in fields_.items()
            if field.store and field.column_type and name not in skip
        )
        self.env.cr.execute(
            SQL(
                "SELECT %s FROM crm_relational_profile WHERE company_id = %s ORDER BY partner_id",
                SQL(", ").join(SQL.identifier(name) for name in columns),
                self.company.id,
            )
        )
        profiles = self.env.cr.fetchall()
        self.env.cr.execute(
            SQL(
                "SELECT partner_id, stage_from, stage_to, date FROM crm_relational_stage_history"
                " WHERE company_id = %s ORDER BY partner_id, id",
                self.company.id,
            )
        )
        return profiles, self.env.cr.fetchall()

    def _undone(self, recompute):
        """What `recompute()` writes (``_snapshot``) and its run; then everything undone."""
        self.env.cr.execute("SAVEPOINT parallel_case")
        run = recompute()
        snapshot = self._snapshot()
        facts = {
            "parameters": run.parameters,
            "customer_count": run.customer_count,
            "done_count": run.done_count,
            "state": run.state,
        }
        self.env.cr.execute("ROLLBACK TO SAVEPOINT parallel_case")
        self.env.invalidate_all()
        return snapshot, facts

    def _one_worker(self):
        self.env["crm.relational.profile"]._recompute(self.company, today=self.TODAY)
        return self.Run.search([("company_id", "=", self.company.id)], limit=1)

    def _shared(self, partitions):
        def recompute():
            run = self.Run._prepare_parallel(self.company, self.TODAY, partitions)
            ranges = run.partition_ids
            self.assertTrue(run.parallel)
            self.assertEqual(len(ranges), min(partitions, run.customer_count))
            self.assertEqual(set(ranges.mapped("state")), {"queued"})
            self.assertEqual(sum(ranges.mapped("customer_count")), run.customer_count)
            # The ranges follow one another, in id order, without overlap.
            bounds = [(r.partner_from, r.partner_to) for r in ranges.sorted("partner_from")]
            for (_first, last), (first, _last) in pairwise(bounds):
                self.assertLess(last, first)
            self.assertTrue(run._work_partitions(worker="test worker"))
            self.assertEqual(set(ranges.mapped("state")), {"done"})
            self.assertEqual(set(ranges.mapped("worker")), {"test worker"})
            self.assertEqual(ranges.mapped("done_count"), ranges.mapped("customer_count"))
            # The shared table of facts is gone with the run.
            self.env.cr.execute("SELECT to_regclass(%s)", [f"crm_relational_facts_run_{run.id}"])
            self.assertIsNone(self.env.cr.fetchone()[0])
            return run

        return self._undone(recompute)

    def test_any_split_writes_what_one_worker_writes(self):
        (profiles, history), one = self._undone(self._one_worker)
        self.assertGreater(len(profiles), 3, "the demo data's customers make several ranges")
        self.assertTrue(history, "a first recompute records stage changes")
        for partitions in (1, 3, 1000):
            shared, run = self._shared(partitions)
            self.assertEqual(shared[0], profiles, f"profiles, {partitions} ranges")
            self.assertEqual(shared[1], history, f"stage changes, {partitions} ranges")
            self.assertEqual(run["state"], "done")
            self.assertEqual(run["customer_count"], one["customer_count"])
            self.assertEqual(run["done_count"], one["customer_count"])
            self.assertEqual(run["parameters"], one["parameters"], "figures computed once")

    def test_another_recompute_waits_for_the_shared_run(self):
        run = self.Run._prepare_parallel(self.company, self.TODAY, 3)
        self.assertFalse(self.Run._recompute_company(self.company, self.TODAY))
        # The same day's shared run is carried on, not prepared again.
        self.assertEqual(self.Run._prepare_parallel(self.company, self.TODAY, 3), run)
        self.assertEqual(len(run.partition_ids), 3)
        self.assertTrue(run._work_partitions())
        self.assertEqual(run.state, "done")
        self.assertTrue(self.Run._recompute_company(self.company, self.TODAY))

    def test_the_worker_job_without_a_shared_run_does_nothing(self):
        before = self.Run.search_count([])
        self.env.ref("crm_relational.ir_cron_recompute_profiles_worker").method_direct_trigger()
        self.assertEqual(self.Run.search_count([]), before)

    def test_the_job_shares_the_recompute_when_told_to(self):
        self.env["ir.config_parameter"].set_param("crm_relational.recompute_workers", 2)
        self.Run._cron_recompute()
        runs = self.Run.search([("company_id", "=", self.company.id)], limit=1)
        self.assertTrue(runs.parallel)
        self.assertEqual(runs.state, "done")
        self.assertEqual(len(runs.partition_ids), min(8, runs.customer_count))
        self.assertEqual(runs.done_count, runs.customer_count)


@tagged("post_install", "-at_install")
class TestIncrementalReads(RelationalCase):
    """What an incremental recompute reads is found by index, not by reading whole tables:
    the records changed since the last run, and the customers eligible for a profile."""

    def test_changes_since_the_last_run_are_found_by_index(self):
        # Each query of the sources changed since a date filters its first table on a date of
        # change: that table has an index led by that column (tiny test tables give no plan
        # to judge by, the catalog does).
        since = fields.Datetime.now()
        queries = self.env["crm.relational.profile"]._touched_queries(self.company, since)
        self.assertGreaterEqual(len(queries), 8)
        for query in queries:
            table = re.search(r"FROM (\w+)", query.code).group(1)
            column = re.search(r"(\w+_date) > %s", query.code).group(1)
            self.env.cr.execute(
                """SELECT count(*) FROM pg_index i
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                    WHERE i.indrelid = %s::regclass AND a.attname = %s""",
                [table, column],
            )
            self.assertTrue(self.env.cr.fetchone()[0], f"{table}.{column}: {query.code}")

    def test_eligible_customers_are_their_own_commercial_partners(self):
        # A company under a parent company, a person without a company, and a company's
        # contact: the first two are customers, the contact is not.
        group = self.env["res.partner"].create({"name": "Holding", "is_company": True})
        branch = self.env["res.partner"].create(
            {"name": "Branch", "is_company": True, "parent_id": group.id}
        )
        person = self.env["res.partner"].create({"name": "Private buyer"})
        self.env.flush_all()
        eligible = self.env["crm.relational.profile"]._eligible_partners(self.company, None)
        self.env.cr.execute(eligible)
        ids = {row[0] for row in self.env.cr.fetchall()}
        self.assertTrue({group.id, branch.id, person.id, self.customer_sa.id} <= ids)
        self.assertNotIn(self.contact_sa.id, ids)
        self.env.cr.execute(
            "SELECT id FROM res_partner WHERE id = commercial_partner_id AND id = ANY(%s)",
            [list(ids)],
        )
        self.assertEqual({row[0] for row in self.env.cr.fetchall()}, ids)
