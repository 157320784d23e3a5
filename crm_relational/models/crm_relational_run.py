import json
import logging
import os
import socket
import threading
from datetime import datetime, time, timedelta

import numpy as np
from psycopg2.extensions import TransactionRollbackError

from odoo import api, fields, models
from odoo.tools import SQL

from ..analytics import rfm, scoring

_logger = logging.getLogger(__name__)

# The lifetime-value models are fitted on at most this many customers (a fixed pseudo-random
# sample above that size): the fit is as good, and memory stays bounded.
FIT_SAMPLE = 200_000
HALF_YEAR_DAYS = 182
YEAR_DAYS = 365
# The users waiting for a background recompute to finish (system parameter, JSON list of ids).
NOTIFY_PARAMETER = "crm_relational.recompute_notify_user_ids"
# The companies a scheduled recompute has left when it ran out of time (system parameter,
# suffixed with the mode, JSON list of ids).
PENDING_PARAMETER = "crm_relational.recompute_pending_company_ids"
FACTS = SQL.identifier("crm_relational_facts")
# The number of background workers a full recompute is shared between (system parameter; 1:
# one worker does it all). Each worker is a scheduled action (the recompute itself and the
# ``_cron_recompute_partitions`` ones): the scheduler runs different actions at once.
WORKERS_PARAMETER = "crm_relational.recompute_workers"
# A parallel run splits each company's customers into this many ranges per worker, so that a
# worker done early takes another range while a slower one finishes its own.
PARTITIONS_PER_WORKER = 4
# A claim that meets a range another worker has just committed is tried again this many times.
CLAIM_ATTEMPTS = 5


class CrmRelationalRun(models.Model):
    """One recompute of a company's customer profiles: what it did, and where it stands; and
    the profile job itself.

    A run keeps the population figures it scored against (quintile grids, tier cutoffs, fitted
    lifetime-value models) and the last customer it wrote, committed after every batch: a run
    stopped half-way is resumed by the next one with the same figures, and an incremental run
    scores the customers touched since against the figures of the last full run.

    The job: per company, one query gathers what is known of each customer into a temporary
    table (``_build_facts``), the population figures come from that table by SQL
    (``_population``), then customers are scored by ``analytics.scoring`` and upserted by
    batches in id order (``_score_batch``). What counts as a signal, a conversation or a
    change is the profile's extension hooks (``crm.relational.profile._valence_rules`` etc.).
    """

    _name = "crm.relational.run"
    _inherit = ["crm.relational.job"]
    _description = "Customer Profile Recompute"
    _order = "id desc"
    # One recompute of a company at a time; customers scored, written and committed together.
    _job_lock = "profile_recompute"
    _job_batch_parameter = "crm_relational.batch_size"
    _job_batch_default = 20_000
    _job_total_field = "customer_count"

    company_id = fields.Many2one("res.company", required=True, index=True, ondelete="cascade")
    mode = fields.Selection(
        [("full", "Full"), ("incremental", "Incremental")],
        required=True,
        default="full",
        help="Full: every customer, scored against fresh population figures. Incremental: only "
        "the customers whose records changed, scored against the last full run's figures.",
    )
    date = fields.Date(string="As Of", required=True, help="The day the profiles describe.")
    started_at = fields.Datetime(required=True)
    since = fields.Datetime(
        string="Changes Since",
        help="Incremental runs: customers whose records changed after this moment are redone.",
    )
    customer_count = fields.Integer(
        string="Customers to Do", help="Customers this run has to recompute."
    )
    done_count = fields.Integer(
        string="Customers Done", help="Customers recomputed and saved so far."
    )
    last_partner_id = fields.Integer(
        string="Last Customer Written", help="Customers are written in id order; resume after."
    )
    parameters = fields.Json(
        string="Population Figures", help="What the customers were scored against."
    )
    duration = fields.Float(
        string="Duration (s)",
        compute="_compute_duration",
        help="Seconds from the start to the end of the run (to now while it runs).",
    )
    progress = fields.Float(help="Customers done, in percent.")
    parallel = fields.Boolean(
        string="Shared Between Workers",
        readonly=True,
        help="A full recompute whose customers are split into ranges that several background "
        "workers score at once, against population figures computed once for the run.",
    )
    partition_ids = fields.One2many(
        "crm.relational.run.partition", "run_id", string="Shares", readonly=True
    )

    def _compute_duration(self):
        for run in self:
            end = run.finished_at or fields.Datetime.now()
            run.duration = (end - run.started_at).total_seconds() if run.started_at else 0.0

    # ------------------------------------------------------------------ job
    @api.model
    def _cron_recompute(self, incremental=False):
        """Scheduled recompute of every active company, committing after each batch (see
        ``_recompute_company``); then tells the users who asked for it
        (``action_recompute_background``) that it has finished.

        When the scheduler's time runs out half-way, the companies left are noted and the job
        stops; called again (the scheduler does so while work is left), it carries on with
        them, the interrupted run first.
        """
        mode = "incremental" if incremental else "full"
        workers = self._workers()
        if not incremental and workers > 1:
            self._cron_recompute_parallel(workers)
            return
        # sudo: the job's own note of the companies it has left, kept between its calls
        parameters = self.env["ir.config_parameter"].sudo()
        key = f"{PENDING_PARAMETER}.{mode}"
        pending = json.loads(parameters.get_param(key) or "[]")
        domain = [("active", "=", True)] + ([("id", "in", pending)] if pending else [])
        companies = self.env["res.company"].search(domain, order="id")
        today = fields.Date.context_today(self)
        for index, company in enumerate(companies):
            outcome = self._recompute_company(company, today, incremental)
            if outcome == "paused":
                parameters.set_param(key, json.dumps(companies[index:].ids))
                return
            if not outcome:
                _logger.info("Profiles of %s: another recompute is running", company.name)
        if pending:
            parameters.set_param(key, "")
        if not incremental:
            self._notify_recompute_done()

    @api.model
    def _notify_recompute_done(self):
        """Tell the users waiting for a background recompute that it has finished."""
        # sudo: the job reads and clears the list of users waiting for it
        parameters = self.env["ir.config_parameter"].sudo()
        waiting = (
            self.env["res.users"]
            .browse(json.loads(parameters.get_param(NOTIFY_PARAMETER) or "[]"))
            .exists()
        )
        title = self.env._("Relationships")
        self._notify(waiting, title, self.env._("The customer profiles are up to date."))
        parameters.set_param(NOTIFY_PARAMETER, "[]")

    @api.model
    def _recompute(self, companies, today=None, incremental=False):
        """Recompute the profiles of `companies` as of `today` (default: today).

        Full: every customer. Incremental: only those whose records changed since the last run,
        scored against the population figures of the last full run (a company never fully
        computed gets a full run). See ``_recompute_company``.
        """
        today = today or fields.Date.context_today(self)
        for company in companies:
            if not self._recompute_company(company, today, incremental):
                _logger.info("Profiles of %s: another recompute is running", company.name)

    def _recompute_company(self, company, today, incremental=False):
        """Recompute one company's profiles: True when done; False if another run holds the
        company's lock; ``"paused"`` when the scheduled job stopped it half-way (out of time,
        or another worker took it over).

        In the scheduled job each batch is committed with its progress on the run (see
        ``crm.relational.job._commit_progress``), and a run interrupted half-way is resumed by
        the next one.
        """
        if not self._try_lock(company.id) or self._running_parallel(company, today):
            return False
        run = self._start_run(company, today, incremental)
        touched = None
        if run.mode == "incremental":
            touched = self._touched_partners(company, run.since)
        run._build_facts(company, today, touched)
        if not run.parameters:
            run.parameters = run._population(company, today)
        self.env.cr.execute(
            SQL("SELECT count(*) FROM %s WHERE partner_id > %s", FACTS, run.last_partner_id)
        )
        run.customer_count = run.done_count + self.env.cr.fetchone()[0]
        rules = self.env["crm.relational.relationship.type"]._rules()
        settings = self._scoring_settings(company)
        batch_size = self._batch_size()
        while True:
            self.env.cr.execute(
                SQL(
                    "SELECT * FROM %s WHERE partner_id > %s ORDER BY partner_id LIMIT %s",
                    FACTS,
                    run.last_partner_id,
                    batch_size,
                )
            )
            names = [column.name for column in self.env.cr.description]
            rows = self.env.cr.fetchall()
            if not rows:
                break
            columns = zip(*rows, strict=True)
            facts = {name: np.array(column) for name, column in zip(names, columns, strict=True)}
            run._score_batch(facts, rules, settings)
            run.write(
                {
                    "last_partner_id": int(facts["partner_id"][-1]),
                    "done_count": run.done_count + len(rows),
                }
            )
            if not run._commit_progress(len(rows)):
                return "paused"
        run._drop_stale_profiles(company, touched)
        run.write({"state": "done", "finished_at": fields.Datetime.now()})
        self.env.cr.execute(SQL("DROP TABLE IF EXISTS %s", FACTS))
        self.env["crm.relational.profile"].invalidate_model()
        return True

    def _start_run(self, company, today, incremental, parallel=False):
        """The run to carry on: the interrupted one of the same day and mode (shared between
        workers or not, as `parallel`), or a new one."""
        # sudo: runs are the engine's own bookkeeping, written whoever started the recompute
        # (its callers check that right: action_recompute for managers, the cron).
        Run = self.sudo()
        reference = Run.search(
            [("company_id", "=", company.id), ("state", "=", "done"), ("mode", "=", "full"),
             ("parameters", "!=", False)],
            limit=1,
        )  # fmt: skip
        # An incremental recompute of a company never fully computed is a full one.
        mode = "incremental" if incremental and reference else "full"
        running = Run.search([("company_id", "=", company.id), ("state", "=", "running")])
        resumable = running.filtered(
            lambda run: run.mode == mode and run.date == today and run.parallel == parallel
        )[:1]
        # Interrupted runs of another day or mode will not be resumed.
        for stale in (running - resumable).filtered("parallel"):
            self.env.cr.execute(SQL("DROP TABLE IF EXISTS %s", stale._facts_table()))
        (running - resumable).write({"state": "done", "finished_at": fields.Datetime.now()})
        if resumable:
            return resumable
        last = Run.search([("company_id", "=", company.id), ("state", "=", "done")], limit=1)
        if mode == "incremental":
            return Run.create(
                {
                    "company_id": company.id,
                    "mode": "incremental",
                    "date": today,
                    "since": last.started_at,
                    "parameters": reference.parameters,
                }
            )
        return Run.create(
            {"company_id": company.id, "mode": "full", "date": today, "parallel": parallel}
        )

    def _touched_partners(self, company, since):
        """Commercial partners of the records created or changed since `since`."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT p.commercial_partner_id FROM (%s) touched(partner_id)"
                " JOIN res_partner p ON p.id = touched.partner_id",
                SQL(" UNION ").join(
                    self.env["crm.relational.profile"]._touched_queries(company, since)
                ),
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    # ------------------------------------------------------------------ parallel job
    @api.model
    def _workers(self):
        """How many background workers share a full recompute (``WORKERS_PARAMETER``)."""
        # sudo: a technical setting read by the job whoever started it
        value = self.env["ir.config_parameter"].sudo().get_param(WORKERS_PARAMETER)
        try:
            return max(int(value), 1) if value else 1
        except ValueError:
            _logger.warning("%s is not a number: %r", WORKERS_PARAMETER, value)
            return 1

    @api.model
    def _cron_recompute_parallel(self, workers):
        """Scheduled full recompute shared between `workers` workers: prepares each active
        company's run (``_prepare_parallel``), commits it, wakes the other workers
        (``_cron_recompute_partitions``) and works on the ranges with them; the users who
        asked for the recompute are told when every run has finished."""
        today = fields.Date.context_today(self)
        companies = self.env["res.company"].search([("active", "=", True)], order="id")
        runs = self.browse()
        for company in companies:
            run = self._prepare_parallel(company, today, workers * PARTITIONS_PER_WORKER)
            runs |= run
            if not run:
                _logger.info("Profiles of %s: another recompute is running", company.name)
        if not runs:
            return
        if self.env.context.get("ir_cron_progress_id"):
            self.env["ir.cron"]._commit_progress()
            self.env["ir.cron"].search(
                [("code", "like", "_cron_recompute_partitions"), ("active", "=", True)]
            )._trigger()
        if runs._work_partitions(commit=bool(self.env.context.get("ir_cron_progress_id"))):
            self._notify_recompute_done()

    @api.model
    def _cron_recompute_partitions(self):
        """A worker of the parallel full recompute (a scheduled action of its own, woken by
        ``_cron_recompute_parallel``): scores the ranges left of the running shared runs."""
        runs = self.search([("parallel", "=", True), ("state", "=", "running")], order="id")
        if runs and runs._work_partitions(commit=bool(self.env.context.get("ir_cron_progress_id"))):
            self._notify_recompute_done()

    @api.model
    def _running_parallel(self, company, today):
        """Today's shared run of `company` while its workers are at it (another recompute of
        the company waits for it)."""
        return self.search_count(
            [("company_id", "=", company.id), ("parallel", "=", True),
             ("state", "=", "running"), ("date", "=", today)],
            limit=1,
        )  # fmt: skip

    @api.model
    def _prepare_parallel(self, company, today, partitions):
        """The full run of `company` shared between workers, ready for them: what is known of
        each customer in a table all workers read, the population figures computed once and
        kept on the run, the customers split into `partitions` ranges of equal size, by id.
        Today's unfinished shared run if there is one; no run if another recompute holds the
        company's lock.

        The ranges change nothing to the result: a customer's scores depend on its own facts
        and the run's figures only, so any split writes the same profiles as one worker."""
        if not self._try_lock(company.id):
            return self.browse()
        run = self._start_run(company, today, False, parallel=True)
        if run.partition_ids:
            return run
        run._build_facts(company, today)
        run.parameters = run._population(company, today)
        self.env.cr.execute(
            SQL(
                """SELECT min(partner_id), max(partner_id), count(*)
                     FROM (SELECT partner_id, ntile(%s) OVER (ORDER BY partner_id) AS part
                             FROM %s) facts
                    GROUP BY part ORDER BY part""",
                max(partitions, 1),
                run._facts_table(),
            )
        )
        ranges = self.env.cr.fetchall()
        run.customer_count = sum(count for _first, _last, count in ranges)
        run.env["crm.relational.run.partition"].create(
            [
                {
                    "run_id": run.id,
                    "partner_from": first,
                    "partner_to": last,
                    "customer_count": count,
                }
                for first, last, count in ranges
            ]
        )
        if not ranges:
            run._finish_parallel()
        return run

    def _work_partitions(self, worker=None, commit=False):
        """Claim the ranges left of these shared runs one at a time, score and write their
        customers, and finish each run whose ranges are all done: True if this worker
        finished every run of `self`.

        With `commit` (the scheduled job, or a worker on a cursor of its own), each batch is
        committed with the range's progress, so that other workers see it; in the scheduled
        job the worker stops when the scheduler says no time is left, and the range is
        taken over by the next worker."""
        worker = worker or f"{socket.gethostname()}/{os.getpid()}/{threading.get_ident()}"
        rules = self.env["crm.relational.relationship.type"]._rules()
        finished = True
        for run in self:
            settings = self._scoring_settings(run.company_id)
            while partition := run._claim_partition(worker, commit):
                if not run._score_partition(partition, rules, settings, commit):
                    return False
            finished = run._finish_parallel(commit) and finished
        return finished

    def _claim_partition(self, worker, commit=False):
        """The first range of this run no other worker holds, locked for this transaction
        (``FOR NO KEY UPDATE SKIP LOCKED``) and marked as taken by `worker`; none when all are
        done or held."""
        self.ensure_one()
        Partition = self.env["crm.relational.run.partition"]
        query = SQL(
            """SELECT id FROM crm_relational_run_partition
                WHERE run_id = %s AND state <> 'done'
                ORDER BY partner_from LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED""",
            self.id,
        )
        for _attempt in range(CLAIM_ATTEMPTS if commit else 1):
            if commit:
                # A new transaction: its snapshot sees the ranges other workers have finished.
                self.env["ir.cron"]._commit_progress()
            rows = self._lock_rows(query, commit)
            if rows is not None:
                break
        else:
            return Partition
        if not rows:
            return Partition
        partition = Partition.browse(rows[0][0])
        partition.write(
            {"state": "running", "worker": worker,
             "started_at": partition.started_at or fields.Datetime.now()}
        )  # fmt: skip
        return partition

    def _lock_rows(self, query, commit):
        """The rows `query` (a ``SELECT ... FOR ... SKIP LOCKED``, the first statement of its
        transaction) locks; None when a row it meets was changed by a worker that committed
        after the transaction's snapshot was taken: PostgreSQL refuses the lock then
        (repeatable read), the transaction is rolled back (nothing else is in it) and the
        caller may try again in a new one. Outside a worker committing its batches the error
        is raised."""
        Partition = self.env["crm.relational.run.partition"]
        Partition.invalidate_model()
        try:
            self.env.cr.execute(query, log_exceptions=False)
        except TransactionRollbackError:
            if not commit:
                raise
            self.env.cr.rollback()
            return None
        return self.env.cr.fetchall()

    def _score_partition(self, partition, rules, settings, commit=False):
        """Score and write the customers of `partition` (claimed) by batches in id order,
        after the last one written: True when the range is done, False when the worker must
        stop (no time left, or the range was taken over)."""
        self.ensure_one()
        batch_size = self._batch_size()
        while True:
            self.env.cr.execute(
                SQL(
                    """SELECT * FROM %s WHERE partner_id > %s AND partner_id <= %s
                        ORDER BY partner_id LIMIT %s""",
                    self._facts_table(),
                    max(partition.last_partner_id, partition.partner_from - 1),
                    partition.partner_to,
                    batch_size,
                )
            )
            names = [column.name for column in self.env.cr.description]
            rows = self.env.cr.fetchall()
            if not rows:
                break
            columns = zip(*rows, strict=True)
            facts = {name: np.array(column) for name, column in zip(names, columns, strict=True)}
            self._score_batch(facts, rules, settings)
            partition.write(
                {
                    "last_partner_id": int(facts["partner_id"][-1]),
                    "done_count": partition.done_count + len(rows),
                }
            )
            if commit and not self._commit_partition(partition, len(rows)):
                return False
        partition.write({"state": "done", "finished_at": fields.Datetime.now()})
        return True

    def _commit_partition(self, partition, processed):
        """Commit a batch of `partition` (in the scheduled job with its progress) and lock the
        range again: False when no time is left or another worker took the range meanwhile."""
        remaining = max(partition.customer_count - partition.done_count, 0)
        # Outside the scheduled job (a worker on a cursor of its own) this only commits.
        if not self.env["ir.cron"]._commit_progress(processed, remaining=remaining):
            return False
        query = SQL(
            "SELECT id FROM crm_relational_run_partition WHERE id = %s"
            " FOR NO KEY UPDATE SKIP LOCKED",
            partition.id,
        )
        return bool(self._lock_rows(query, commit=True))

    def _finish_parallel(self, commit=False):
        """Close this shared run once all its ranges are done: the profiles of customers no
        longer in the facts are dropped, the shared table too. True if the run is done (here
        or by another worker), False while ranges are left or another worker closes it."""
        self.ensure_one()
        if commit:
            self.env["ir.cron"]._commit_progress()
        self.invalidate_recordset()
        self.partition_ids.invalidate_recordset()
        if self.state == "done":
            return True
        if not self._lock():
            return False
        self.env.cr.execute(
            SQL(
                "SELECT count(*) FROM crm_relational_run_partition"
                " WHERE run_id = %s AND state <> 'done'",
                self.id,
            )
        )
        if self.env.cr.fetchone()[0]:
            return False
        table = self._facts_table()
        self._drop_stale_profiles(self.company_id, None)
        self.env.cr.execute(SQL("DROP TABLE IF EXISTS %s", table))
        self.write(
            {"state": "done", "finished_at": fields.Datetime.now(),
             "done_count": sum(self.partition_ids.mapped("done_count"))}
        )  # fmt: skip
        self.env["crm.relational.profile"].invalidate_model()
        if commit:
            self.env["ir.cron"]._commit_progress()
        return True

    def _facts_table(self):
        """The table of what is known of each customer: a temporary one of the session, or,
        for a run shared between workers, the run's own table every session sees."""
        if len(self) == 1 and self.parallel:
            return SQL.identifier(f"crm_relational_facts_run_{self.id}")
        return FACTS

    # ------------------------------------------------------------------ facts
    def _build_facts(self, company, today, partner_ids=None):
        """Fill the temporary table of what is known of each customer of `company` (of
        `partner_ids` only, if given): purchase history, last year's timeline signals, stage
        and type override of the current profile, and the margin share of larger customers."""
        self.env.flush_all()
        table = self._facts_table()
        self.env.cr.execute(SQL("DROP TABLE IF EXISTS %s", table))
        # The timeline's plan is large: JIT compilation would cost more than it saves.
        self.env.cr.execute(SQL("SET LOCAL jit = off"))
        parts = {
            "eligible": self.env["crm.relational.profile"]._eligible_partners(company, partner_ids),
            "orders": self._facts_orders(company, today),
            "days": self._facts_days(),
            "refunds": self._facts_refunds(company, today, partner_ids),
            "purchases": self._facts_purchases(today),
            "people": self._facts_people(company, today),
            "signals": self._facts_signals(company, today, partner_ids),
        }
        self.env.cr.execute(
            SQL(
                "CREATE %s TABLE %s AS WITH %s %s",
                # Shared between workers: a table every session sees (not worth logging).
                SQL("UNLOGGED") if self.parallel else SQL("TEMPORARY"),
                table,
                SQL(", ").join(
                    SQL("%s AS (%s)", SQL.identifier(name), query) for name, query in parts.items()
                ),
                self._facts_select(company),
            )
        )
        self.env.cr.execute(SQL("CREATE INDEX ON %s (partner_id)", table))

    def _facts_orders(self, company, today):
        """Facts, part ``orders``: the confirmed sale orders of eligible customers up to
        `today`, in the company's currency."""
        rate = SQL("COALESCE(NULLIF(so.currency_rate, 0), 1)::numeric")
        return SQL(
            """
            SELECT p.commercial_partner_id AS partner_id,
                   so.date_order::date AS day,
                   so.amount_untaxed / %(rate)s AS amount,
                   COALESCE(so.margin, 0) / %(rate)s AS margin
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
              JOIN eligible e ON e.id = p.commercial_partner_id
             WHERE so.state = 'sale'
               AND so.company_id = %(company)s
               AND so.date_order::date <= %(today)s
            """,
            rate=rate,
            company=company.id,
            today=today,
        )

    def _facts_days(self):
        """Facts, part ``days``: the orders summed by customer and day (a purchase day), with
        each day's rank in the customer's history."""
        return SQL(
            """
            SELECT partner_id, day, count(*) AS orders,
                   sum(amount) AS amount, sum(margin) AS margin,
                   row_number() OVER (PARTITION BY partner_id ORDER BY day) AS nth
              FROM orders
             GROUP BY partner_id, day
            """
        )

    def _facts_refunds(self, company, today, partner_ids=None):
        """Facts, part ``refunds``: posted credit notes by eligible customer up to `today`."""
        return SQL(
            """
            SELECT am.commercial_partner_id AS partner_id,
                   sum(am.amount_untaxed_signed) AS amount
              FROM account_move am
              JOIN eligible e ON e.id = am.commercial_partner_id
             WHERE am.move_type = 'out_refund'
               AND am.state = 'posted'
               AND am.company_id = %(company)s
               AND am.invoice_date <= %(today)s
               AND %(partners)s
             GROUP BY am.commercial_partner_id
            """,
            company=company.id,
            today=today,
            # The given customers as constants: an incremental run reads their credit notes
            # by the index, not all of them (see ``_facts_signals``).
            partners=SQL("am.commercial_partner_id = ANY(%s)", partner_ids)
            if partner_ids is not None
            else SQL("TRUE"),
        )

    def _facts_purchases(self, today):
        """Facts, part ``purchases``: each buyer's purchase history (first and last day,
        orders, revenue and margin net of credit notes, repeat order value, last two
        half-years' revenue)."""
        # Days summed by customer first, then its credit notes joined: one row per customer
        # on each side, whatever the planner guesses of their sizes.
        return SQL(
            """
            SELECT d.partner_id, d.first_day, d.last_day, d.order_count, d.purchase_days,
                   (d.amount + COALESCE(r.amount, 0))::float8 AS revenue,
                   (d.margin * CASE WHEN d.amount > 0
                       THEN 1 + COALESCE(r.amount, 0) / d.amount
                       ELSE 1 END)::float8 AS margin,
                   d.repeat_value, d.recent_revenue, d.previous_revenue
              FROM (
                SELECT partner_id,
                       min(day) AS first_day,
                       max(day) AS last_day,
                       sum(orders)::int AS order_count,
                       count(*)::int AS purchase_days,
                       sum(amount) AS amount,
                       sum(margin) AS margin,
                       COALESCE(avg(amount) FILTER (WHERE nth > 1), 0)::float8 AS repeat_value,
                       COALESCE(sum(amount) FILTER (WHERE day > %(half_year)s), 0)::float8
                           AS recent_revenue,
                       COALESCE(sum(amount) FILTER (
                           WHERE day <= %(half_year)s AND day > %(year)s), 0)::float8
                           AS previous_revenue
                  FROM days
                 GROUP BY partner_id
              ) d
              LEFT JOIN refunds r ON r.partner_id = d.partner_id
            """,
            half_year=today - timedelta(days=HALF_YEAR_DAYS),
            year=today - timedelta(days=2 * HALF_YEAR_DAYS),
        )

    def _facts_people(self, company, today):
        """Facts, part ``people``: the customers to profile, buyers and eligible customers
        with an opportunity."""
        return SQL(
            """
            SELECT partner_id FROM purchases
             UNION
            SELECT p.commercial_partner_id
              FROM crm_lead l
              JOIN res_partner p ON p.id = l.partner_id
              JOIN eligible e ON e.id = p.commercial_partner_id
             WHERE l.type = 'opportunity' AND l.company_id = %(company)s
               AND l.create_date <= %(end_of_today)s
            """,
            company=company.id,
            end_of_today=datetime.combine(today, time.max),
        )

    def _facts_signals(self, company, today, partner_ids):
        """Facts, part ``signals``: each customer's last year on the timeline (interactions,
        who started the conversations, positive and negative signals, invoices paid and
        overdue, our last contact), without withdrawn conversations."""
        Profile = self.env["crm.relational.profile"]
        signal = {1: [], -1: []}
        for kind, outcome, sign in Profile._valence_rules():
            signal[sign].append(
                SQL("(t.kind = %s AND t.outcome = %s)", kind, outcome)
                if outcome
                else SQL("t.kind = %s", kind)
            )
        return SQL(
            """
            SELECT t.partner_id,
                   count(*) FILTER (WHERE t.date > %(year_ago)s)::int AS interactions,
                   count(*) FILTER (WHERE t.date > %(year_ago)s AND %(conversation)s
                                      AND t.direction = 'inbound')::int AS inbound,
                   count(*) FILTER (WHERE t.date > %(year_ago)s AND %(conversation)s
                                      AND t.direction = 'outbound')::int AS outbound,
                   count(*) FILTER (WHERE t.date > %(year_ago)s AND (%(positive)s))::int
                       AS positive,
                   count(*) FILTER (WHERE t.date > %(year_ago)s AND (%(negative)s))::int
                       AS negative,
                   count(*) FILTER (WHERE t.date > %(year_ago)s AND t.kind = 'invoice'
                                      AND t.outcome = 'paid')::int AS paid_invoices,
                   count(*) FILTER (WHERE t.date > %(year_ago)s AND t.kind = 'invoice'
                                      AND t.outcome = 'overdue')::int AS overdue_invoices,
                   max(t.date) FILTER (WHERE %(conversation)s
                                         AND t.direction = 'outbound')::date
                       AS last_contact,
                   min(t.date)::date AS first_interaction
              FROM %(timeline)s t
             WHERE (t.company_id = %(company)s OR t.company_id IS NULL)
               AND t.date <= %(end_of_today)s
               AND %(timeline_partners)s
               AND NOT (%(withdrawn)s)
             GROUP BY t.partner_id
            """,
            company=company.id,
            end_of_today=datetime.combine(today, time.max),
            year_ago=datetime.combine(today - timedelta(days=YEAR_DAYS), time.max),
            conversation=SQL("t.kind IN %s", tuple(Profile._conversation_kinds())),
            positive=SQL(" OR ").join(signal[1]) or SQL("FALSE"),
            negative=SQL(" OR ").join(signal[-1]) or SQL("FALSE"),
            timeline=SQL.identifier(self.env["crm.relational.timeline"]._table),
            withdrawn=SQL(" OR ").join(Profile._withdrawn_conversations()) or SQL("FALSE"),
            # The given customers as constants, which PostgreSQL pushes into every branch of
            # the timeline's union down to the sources' partner indexes: an incremental run
            # reads the rows of its customers only, not the whole timeline (a join with
            # `people` alone is not pushed down and scans all of it).
            timeline_partners=SQL("t.partner_id = ANY(%s)", partner_ids)
            if partner_ids is not None
            else SQL("TRUE"),
        )

    def _facts_select(self, company):
        """Facts, the final select: one row per customer with its purchases, signals, current
        profile (stage, type set by hand) and the margin share of larger customers."""
        return SQL(
            """
            SELECT people.partner_id,
                   pu.first_day, pu.last_day,
                   COALESCE(pu.order_count, 0) AS order_count,
                   COALESCE(pu.purchase_days, 0) AS purchase_days,
                   COALESCE(pu.revenue, 0) AS revenue,
                   COALESCE(pu.margin, 0) AS margin,
                   COALESCE(pu.repeat_value, 0) AS repeat_value,
                   COALESCE(pu.recent_revenue, 0) AS recent_revenue,
                   COALESCE(pu.previous_revenue, 0) AS previous_revenue,
                   COALESCE(s.interactions, 0) AS interactions,
                   COALESCE(s.inbound, 0) AS inbound,
                   COALESCE(s.outbound, 0) AS outbound,
                   COALESCE(s.positive, 0) AS positive,
                   COALESCE(s.negative, 0) AS negative,
                   COALESCE(s.paid_invoices, 0) AS paid_invoices,
                   COALESCE(s.overdue_invoices, 0) AS overdue_invoices,
                   s.last_contact,
                   COALESCE(pu.first_day, s.first_interaction) AS first_day_known,
                   COALESCE(profile.stage, '') AS previous_stage,
                   profile.stage_date AS previous_stage_date,
                   profile.relationship_type_override_id AS type_override,
                   COALESCE(100 * (sum(GREATEST(pu.margin, 0)) OVER larger
                                   - GREATEST(pu.margin, 0))
                            / NULLIF(sum(GREATEST(pu.margin, 0)) OVER (), 0), 100)::float8
                       AS share_before
              FROM people
              LEFT JOIN purchases pu ON pu.partner_id = people.partner_id
              LEFT JOIN signals s ON s.partner_id = people.partner_id
              LEFT JOIN crm_relational_profile profile
                     ON profile.partner_id = people.partner_id
                    AND profile.company_id = %(company)s
            WINDOW larger AS (ORDER BY GREATEST(pu.margin, 0) DESC, people.partner_id
                              ROWS UNBOUNDED PRECEDING)
            """,
            company=company.id,
        )

    # ------------------------------------------------------------------ scoring
    def _population(self, company, today):
        """The population figures a full run scores every customer against (JSON-able):
        order statistics of recency, orders, revenue and interactions, the smallest margins of
        tiers A and B, and the lifetime-value models fitted on (a sample of) the customers."""
        self.env.cr.execute(
            SQL("SELECT count(*) FROM %s WHERE order_count > 0", self._facts_table())
        )
        buyers = self.env.cr.fetchone()[0]
        self.env.cr.execute(SQL("SELECT count(*) FROM %s", self._facts_table()))
        everyone = self.env.cr.fetchone()[0]

        def grid(expression, count, condition):
            if not count:
                return []
            self.env.cr.execute(
                SQL(
                    "SELECT percentile_disc(%s::float8[]) WITHIN GROUP (ORDER BY %s)"
                    " FROM %s WHERE %s",
                    rfm.grid_fractions(count),
                    expression,
                    self._facts_table(),
                    condition,
                )
            )
            return [float(value) for value in self.env.cr.fetchone()[0]]

        bought = SQL("order_count > 0")
        figures = {
            "recency": grid(SQL("(%s - last_day)", today), buyers, bought),
            "orders": grid(SQL("order_count"), buyers, bought),
            "revenue": grid(SQL("revenue"), buyers, bought),
            "interactions": grid(SQL("interactions"), everyone, SQL("TRUE")),
        }
        for tier, share in (
            ("a", company.relational_tier_a_share),
            ("b", company.relational_tier_b_share),
        ):
            self.env.cr.execute(
                SQL(
                    "SELECT min(margin) FROM %s WHERE margin > 0 AND share_before < %s",
                    self._facts_table(),
                    share,
                )
            )
            figures[f"tier_{tier}_margin"] = self.env.cr.fetchone()[0]
        figures["lifetime"] = self._fit_lifetime(company, today, buyers)
        return figures

    def _fit_lifetime(self, company, today, buyers):
        """BG/NBD and Gamma-Gamma parameters fitted on the company's buyers (a fixed sample of
        ``FIT_SAMPLE`` of them when there are more), or None when they cannot be fitted. The
        fit starts from the company's last one, learned on what was known before `today`."""
        sample = SQL("TRUE")
        if buyers > FIT_SAMPLE:
            sample = SQL("hashint4(partner_id) %% %s = 0", -(-buyers // FIT_SAMPLE))
        self.env.cr.execute(
            SQL(
                "SELECT first_day, last_day, purchase_days, repeat_value FROM %s"
                " WHERE order_count > 0 AND %s",
                self._facts_table(),
                sample,
            )
        )
        rows = self.env.cr.fetchall()
        if not rows:
            return None
        first, last, days, repeat_value = (np.array(column) for column in zip(*rows, strict=True))
        last_fit = self.search(
            [("company_id", "=", company.id), ("state", "=", "done"), ("mode", "=", "full"),
             ("date", "<=", today), ("parameters", "!=", False)],
            limit=1,
        )  # fmt: skip
        previous = (last_fit.parameters or {}).get("lifetime")
        return scoring.fit_lifetime(today, first, last, days, repeat_value, previous=previous)

    @api.model
    def _scoring_settings(self, company):
        """The company settings the scores depend on, as plain values for the engine (see
        ``analytics.scoring.score_customers``)."""
        return {
            "tier_a_share": company.relational_tier_a_share,
            "tier_b_share": company.relational_tier_b_share,
            "clv_horizon_months": company.relational_clv_horizon_months,
            "clv_discount_rate": company.relational_clv_discount_rate,
            "churn_threshold": company.relational_churn_threshold,
            "stage_thresholds": company._relational_stage_thresholds(),
            "neglect_days": company._relational_neglect_days(),
        }

    def _score_batch(self, facts, rules, settings):
        """Score one batch of customers of this run (column arrays of the facts table) and
        write them, with their stage changes."""
        self.ensure_one()
        values, changed = scoring.score_customers(
            facts, self.parameters, self.date, settings, rules, self.mode == "full"
        )
        self._write_profiles(self.company_id, values)
        self._log_stage_changes(
            self.company_id,
            facts["partner_id"][changed],
            facts["previous_stage"].astype(object)[changed],
            values["stage"][changed],
            self.date,
        )

    @staticmethod
    def _array_literal(column):
        """A column as one PostgreSQL array literal (``{1,2,NULL}``), sent as a single text
        parameter: the server reads it with the array type's input function, whereas a Python
        list goes as ``ARRAY[...]`` with one parsed expression per value, several times
        slower to send and to plan on large batches."""
        values = column.tolist()
        if column.dtype.kind in "iuf":
            return "{" + ",".join(map(str, values)) + "}"

        def text(value):
            if value is None:
                return "NULL"
            if isinstance(value, str):
                return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
            return str(value)

        distinct = set(values)
        if 2 * len(distinct) > len(values):
            return "{" + ",".join(map(text, values)) + "}"
        # Stages, tiers, dates repeat over customers: each distinct value is spelled once.
        spelled = {value: text(value) for value in distinct}
        return "{" + ",".join(map(spelled.__getitem__, values)) + "}"

    def _drop_stale_profiles(self, company, partner_ids):
        """Delete the profiles of `company` (among `partner_ids`, if given) whose customer is
        no longer in the facts table: no order or opportunity left, archived, no profiling."""
        scope = SQL("TRUE") if partner_ids is None else SQL("partner_id = ANY(%s)", partner_ids)
        self.env.cr.execute(
            SQL(
                """DELETE FROM crm_relational_profile profile
                    WHERE company_id = %s AND %s
                      AND NOT EXISTS (SELECT FROM %s f WHERE f.partner_id = profile.partner_id)""",
                company.id,
                scope,
                self._facts_table(),
            )
        )

    def _sql_array_type(self, name):
        """The PostgreSQL array type of the column of field `name`."""
        field = self.env["crm.relational.profile"]._fields[name]
        return {
            "many2one": "int4[]",
            "integer": "int4[]",
            "float": "float8[]",
            "monetary": "numeric[]",
            "date": "date[]",
            "selection": "varchar[]",
            "boolean": "bool[]",
        }[field.type]

    def _log_stage_changes(self, company, partner_ids, old_stages, new_stages, today):
        """Record each stage change in the history, in one statement."""
        if not len(partner_ids):
            return
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_relational_stage_history
                       (profile_id, partner_id, company_id, stage_from, stage_to, date,
                        create_uid, create_date, write_uid, write_date)
                SELECT p.id, p.partner_id, p.company_id, NULLIF(c.old, ''), c.new, %(today)s,
                       %(uid)s, now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC'
                  FROM unnest(%(partners)s::int4[], %(old)s::varchar[], %(new)s::varchar[])
                       AS c(partner_id, old, new)
                  JOIN crm_relational_profile p
                    ON p.partner_id = c.partner_id AND p.company_id = %(company)s
                """,
                today=today,
                uid=self.env.uid,
                partners=self._array_literal(partner_ids),
                old=self._array_literal(old_stages),
                new=self._array_literal(new_stages),
                company=company.id,
            )
        )

    def _write_profiles(self, company, values):
        """Upsert profiles of `company` from column arrays (one batch), in one
        ``INSERT ... SELECT FROM unnest(<one array per column>)``.

        Customers who chose no profiling or were forgotten while the run was going are
        skipped, read at write time in the same statement: a running recompute never
        re-creates a profile that was just withdrawn. Each customer is looked up by its key
        (``OFFSET 0`` keeps the test row by row): cheaper than hashing every partner.
        """
        names = list(values)
        set_columns = [*names, "computed_at", "write_uid", "write_date"]
        # Integer columns may hold whole floats (0.0): read as numbers, then rounded.
        arrays = [
            SQL(
                "%s::%s",
                self._array_literal(values[name]),
                SQL(self._sql_array_type(name).replace("int4[]", "numeric[]::int4[]")),
            )
            for name in names
        ]
        columns = SQL(", ").join(SQL.identifier(name) for name in names)
        self.env["res.partner"].flush_model(["relational_no_profiling", "relational_forgotten"])
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_relational_profile
                       (company_id, computed_at, create_uid, create_date, write_uid,
                        write_date, %(columns)s)
                SELECT %(company)s, %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s, v.*
                  FROM unnest(%(arrays)s) AS v(%(columns)s)
                 WHERE EXISTS (SELECT FROM res_partner p
                                WHERE p.id = v.partner_id
                                  AND NOT COALESCE(p.relational_no_profiling, FALSE)
                                  AND NOT COALESCE(p.relational_forgotten, FALSE)
                               OFFSET 0)
                ON CONFLICT (partner_id, company_id) DO UPDATE SET %(updates)s
                """,
                columns=columns,
                company=company.id,
                now=fields.Datetime.now(),
                uid=self.env.uid,
                arrays=SQL(", ").join(arrays),
                updates=SQL(", ").join(
                    SQL("%s = EXCLUDED.%s", SQL.identifier(c), SQL.identifier(c))
                    for c in set_columns
                    if c != "partner_id"
                ),
            )
        )
        self.env["crm.relational.profile"].invalidate_model()
