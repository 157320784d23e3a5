import json
import logging
from datetime import datetime, time, timedelta

import numpy as np

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..analytics import clv, relationship, rfm, stage

_logger = logging.getLogger(__name__)

DAYS_PER_WEEK = 7.0
WEEKS_PER_MONTH = 52.0 / 12.0
# Below this many repeat buyers a lifetime-value model is not worth fitting.
MIN_REPEAT_BUYERS = 10
# The lifetime-value models are fitted on at most this many customers (a fixed pseudo-random
# sample above that size): the fit is as good, and memory stays bounded.
FIT_SAMPLE = 200_000
# Customers scored, written and committed together.
BATCH_SIZE = 20_000
HALF_YEAR_DAYS = 182
YEAR_DAYS = 365
# The users waiting for a background recompute to finish (system parameter, JSON list of ids).
NOTIFY_PARAMETER = "crm_relational.recompute_notify_user_ids"
# First key of the advisory lock that keeps two recomputes of one company apart.
LOCK_KEY = 2_918_431
FACTS = SQL.identifier("crm_relational_facts")


class CrmRelationalProfile(models.Model):
    """What a customer is to one company: value, lifetime value, stage, type and health.

    One row per commercial partner and company, written in bulk by ``_recompute`` from the
    confirmed sale orders, posted credit notes and the customer's timeline, never edited by
    hand (but for the relationship type a rep may override).
    """

    _name = "crm.relational.profile"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Customer Relational Profile"
    # Largest customers first, by their share rank rather than the margin itself: the margin
    # is for users who read all sales documents, the order must work for every reader.
    _order = "margin_share_before, id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, index=True, ondelete="cascade")
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        related="partner_id.user_id", string="Salesperson", help="The customer's salesperson."
    )
    computed_at = fields.Datetime(
        string="Computed On", readonly=True, help="When the profile was last recomputed."
    )

    first_order_date = fields.Date(
        readonly=True,
        help="Date of the customer's first confirmed sale order in this company.",
        groups="sales_team.group_sale_salesman_all_leads",
    )
    last_order_date = fields.Date(
        readonly=True,
        help="Date of the customer's latest confirmed sale order in this company.",
        groups="sales_team.group_sale_salesman_all_leads",
    )
    order_count = fields.Integer(
        string="Orders",
        readonly=True,
        help="Confirmed sale orders of the customer in this company.",
        groups="sales_team.group_sale_salesman_all_leads",
    )
    recency_days = fields.Integer(
        string="Days Since Last Order",
        readonly=True,
        aggregator="avg",
        help="Days from the last confirmed order to the day of the recompute.",
        groups="sales_team.group_sale_salesman_all_leads",
    )
    revenue = fields.Monetary(
        string="Revenue to Date",
        readonly=True,
        help="Untaxed amount of the confirmed orders, less posted credit notes.",
        groups="sales_team.group_sale_salesman_all_leads",
    )
    margin = fields.Monetary(
        string="Margin to Date",
        readonly=True,
        help="Margin of the confirmed orders, less the share of margin in posted credit notes.",
        groups="sales_team.group_sale_salesman_all_leads",
    )
    average_order_value = fields.Monetary(
        readonly=True,
        aggregator="avg",
        help="Revenue to date divided by the number of orders.",
        groups="sales_team.group_sale_salesman_all_leads",
    )

    rfm_recency_score = fields.Integer(
        string="Recency Score", readonly=True, aggregator="avg",
        help="1 to 5, by quintile of days since the last order (5: most recent).",
    )  # fmt: skip
    rfm_frequency_score = fields.Integer(
        string="Frequency Score", readonly=True, aggregator="avg",
        help="1 to 5, by quintile of the number of orders (5: most orders).",
    )  # fmt: skip
    rfm_monetary_score = fields.Integer(
        string="Monetary Score", readonly=True, aggregator="avg",
        help="1 to 5, by quintile of revenue to date (5: highest).",
    )  # fmt: skip
    rfm_segment = fields.Selection(
        [(code, label) for code, label, _r, _f in rfm.SEGMENTS],
        string="RFM Segment",
        readonly=True,
        help="Named group on the recency and frequency scores, e.g. Champions: recency 5 and "
        "frequency 4-5; At Risk: recency 1-2 and frequency 3-4; Hibernating: both 1-2.",
    )
    value_tier = fields.Selection(
        [("A", "A"), ("B", "B"), ("C", "C")],
        readonly=True,
        help="A: the largest customers who together bring the company's tier A share of the "
        "margin; B: the next ones up to the tier B share; C: everyone else.",
    )
    margin_share_before = fields.Float(
        string="Cumulative Margin Share (%)",
        readonly=True,
        aggregator=None,
        help="Share of the company's margin brought by the customers larger than this one, "
        "as of the last full recompute.",
    )

    probability_alive = fields.Float(
        string="Probability Active",
        readonly=True,
        aggregator="avg",
        help="Probability that the customer still buys from us (BG/NBD model).",
    )
    expected_orders = fields.Float(
        readonly=True,
        help="Orders expected over the lifetime value horizon (BG/NBD model).",
    )
    expected_order_value = fields.Monetary(
        readonly=True,
        aggregator="avg",
        help="Expected value of a future order (Gamma-Gamma).",
        groups="sales_team.group_sale_salesman_all_leads",
    )
    clv = fields.Monetary(
        string="Lifetime Value",
        readonly=True,
        help="Discounted value of the orders expected over the horizon set in the settings.",
    )

    stage = fields.Selection(
        stage.STAGES,
        string="Relationship Stage",
        readonly=True,
        help="Where the relationship is heading, from tenure, the customer's own order cadence, "
        "the revenue trend and the probability of being active. Prospects have opportunities "
        "but no order yet.",
    )
    stage_date = fields.Date(
        string="In Stage Since",
        readonly=True,
        help="Day of the recompute that first saw the customer in its current stage.",
    )
    stage_history_ids = fields.One2many("crm.relational.stage.history", "profile_id", readonly=True)

    interaction_count = fields.Integer(
        string="Interactions (12 months)",
        readonly=True,
        help="Entries of the customer's timeline over the last twelve months.",
        groups="sales_team.group_sale_salesman_all_leads",
    )
    positive_signal_count = fields.Integer(
        string="Positive Signals",
        readonly=True,
        help="Last twelve months: invoices paid, deliveries on time, opportunities won, good "
        "ratings.",
        groups="sales_team.group_sale_salesman_all_leads",
    )
    negative_signal_count = fields.Integer(
        string="Negative Signals",
        readonly=True,
        help="Last twelve months: overdue invoices, late deliveries, credit notes, opportunities "
        "lost, complaints.",
        groups="sales_team.group_sale_salesman_all_leads",
    )
    valence = fields.Integer(
        readonly=True,
        aggregator="avg",
        help="How the relationship feels, 0-100: the share of positive signals (50 is neutral).",
    )
    intensity = fields.Integer(
        readonly=True,
        aggregator="avg",
        help="How often we interact, 0-100: the customer's percentile by number of interactions.",
    )
    reciprocity = fields.Integer(
        readonly=True,
        aggregator="avg",
        help="Whether both sides start conversations, 0-100: 100 when the customer starts half "
        "of the e-mails, calls and meetings, 0 when one side starts them all.",
    )
    tenure_days = fields.Integer(
        string="Tenure (days)",
        readonly=True,
        help="Days since the first order.",
        groups="sales_team.group_sale_salesman_all_leads",
    )
    relationship_type_suggested_id = fields.Many2one(
        "crm.relational.relationship.type",
        string="Computed Type",
        readonly=True,
        help="The type the dimensions point to, before any override.",
    )
    relationship_type_override_id = fields.Many2one(
        "crm.relational.relationship.type",
        string="Type Set by Hand",
        readonly=True,
        help="A type chosen by a salesperson, kept until they clear it.",
    )
    relationship_type_override_reason = fields.Text(
        string="Why Set by Hand",
        readonly=True,
        help="The reason the salesperson gave for setting the type by hand.",
    )
    relationship_type_id = fields.Many2one(
        "crm.relational.relationship.type",
        readonly=True,
        index=True,
        help="The type set by hand if any, else the computed one.",
    )

    health_score = fields.Integer(
        string="Health",
        readonly=True,
        aggregator="avg",
        help="0-100: the weighted mean of activity (35 %), trend (20 %), sentiment (20 %), "
        "engagement (15 %) and payment (10 %).",
    )
    health_activity = fields.Integer(
        string="Activity", readonly=True, aggregator="avg",
        help="Probability that the customer still buys (or its recency score), 0-100.",
    )  # fmt: skip
    health_trend = fields.Integer(
        string="Trend", readonly=True, aggregator="avg",
        help="Revenue of the last half-year against the one before: 50 is flat, 100 all new, "
        "0 nothing in the last half-year.",
    )  # fmt: skip
    health_sentiment = fields.Integer(
        string="Sentiment", readonly=True, aggregator="avg", help="The valence, 0-100."
    )
    health_engagement = fields.Integer(
        string="Engagement", readonly=True, aggregator="avg", help="The intensity, 0-100."
    )
    health_payment = fields.Integer(
        string="Payment", readonly=True, aggregator="avg",
        help="Share of the last twelve months' due invoices that are paid, 0-100.",
    )  # fmt: skip
    churn_risk = fields.Boolean(
        readonly=True,
        help="Health below the company's churn threshold, for a customer not already lost.",
    )
    last_contact_date = fields.Date(
        string="Last Contacted",
        readonly=True,
        help="Last e-mail, call or meeting from us to the customer.",
    )
    days_without_contact = fields.Integer(
        readonly=True,
        aggregator="avg",
        help="Days since the last e-mail, call or meeting from us (empty: never contacted).",
    )
    neglected = fields.Boolean(
        readonly=True,
        help="A tier A or B, or at-risk, customer nobody has contacted for longer than its tier "
        "allows (see the settings).",
    )

    _unique_partner_company = models.Constraint(
        "UNIQUE(partner_id, company_id)", "A customer has one profile per company."
    )

    # ------------------------------------------------------------------ actions
    @api.model
    def action_recompute(self):
        """Recompute the profiles of every company the user works in, now."""
        if not self.env.user.has_group("crm_relational.group_manager"):
            raise AccessError(self.env._("Only relationship administrators recompute profiles."))
        for company in self.env.companies:
            if not self._recompute_company(company, fields.Date.context_today(self)):
                raise UserError(
                    self.env._(
                        "The profiles of %(company)s are being recomputed right now; try again "
                        "when that run has finished.",
                        company=company.name,
                    )
                )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("The customer profiles are up to date."),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def action_recompute_background(self):
        """Start the full recompute in the background (the scheduled job, now); the user gets
        a notification when it has finished, and the browser stays free meanwhile."""
        if not self.env.user.has_group("crm_relational.group_manager"):
            raise AccessError(self.env._("Only relationship administrators recompute profiles."))
        # sudo: a list of user ids waiting for the job, kept where the job can read it
        parameters = self.env["ir.config_parameter"].sudo()
        waiting = set(json.loads(parameters.get_param(NOTIFY_PARAMETER) or "[]"))
        parameters.set_param(NOTIFY_PARAMETER, json.dumps(sorted(waiting | {self.env.uid})))
        # sudo: starting a scheduled action needs write access on it, not given to managers
        self.env.ref("crm_relational.ir_cron_recompute_profiles").sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._(
                    "The profiles are being recomputed in the background; you will be told "
                    "when it has finished."
                ),
            },
        }

    @api.model
    def _cron_recompute(self, incremental=False):
        """Scheduled recompute, committing after each batch (see ``_recompute``); then tells
        the users who asked for it (``action_recompute_background``) that it has finished."""
        companies = self.env["res.company"].search([("active", "=", True)])
        self.with_context(crm_relational_commit=True)._recompute(companies, incremental=incremental)
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
        for user in waiting:
            user._bus_send(
                "simple_notification",
                {
                    "type": "success",
                    "title": self.env._("Relationships"),
                    "message": self.env._("The customer profiles are up to date."),
                },
            )
        parameters.set_param(NOTIFY_PARAMETER, "[]")

    # ------------------------------------------------------------------ computation
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
        """Recompute one company's profiles; False if another run holds the company's lock.

        Per company: one query gathers what is known of each customer into a temporary table
        (purchases, timeline signals, previous stage), the population figures come from that
        table by SQL, then customers are scored and upserted by batches in id order. With the
        ``crm_relational_commit`` context key each batch is committed with its progress on the
        run, and a run interrupted half-way is resumed by the next one.
        """
        if not self._lock(company):
            return False
        run = self._start_run(company, today, incremental)
        touched = None
        if run.mode == "incremental":
            touched = self._touched_partners(company, run.since)
        self._build_facts(company, today, touched)
        if not run.parameters:
            run.parameters = self._population(company, today)
        self.env.cr.execute(
            SQL("SELECT count(*) FROM %s WHERE partner_id > %s", FACTS, run.last_partner_id)
        )
        run.customer_count = run.done_count + self.env.cr.fetchone()[0]
        rules = self.env["crm.relational.relationship.type"]._rules()
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
            self._score_batch(company, today, run, facts, rules)
            run.write(
                {
                    "last_partner_id": int(facts["partner_id"][-1]),
                    "done_count": run.done_count + len(rows),
                }
            )
            if not self._commit_progress(company, run, len(rows)):
                return True  # another process took the company over and finishes this run
        self._drop_stale_profiles(company, touched)
        run.write({"state": "done", "finished_at": fields.Datetime.now()})
        self.env.cr.execute(SQL("DROP TABLE IF EXISTS %s", FACTS))
        self.invalidate_model()
        return True

    def _batch_size(self):
        """Customers scored and committed together: the system parameter
        ``crm_relational.batch_size`` if set (less memory, more commits), else 20,000."""
        # sudo: a technical setting read by the engine whoever started it
        value = self.env["ir.config_parameter"].sudo().get_param("crm_relational.batch_size")
        try:
            return max(int(value), 1) if value else BATCH_SIZE
        except ValueError:
            _logger.warning("crm_relational.batch_size is not a number: %r", value)
            return BATCH_SIZE

    def _lock(self, company):
        """Take the company's recompute lock for the current transaction, if it is free."""
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", LOCK_KEY, company.id))
        return self.env.cr.fetchone()[0]

    def _commit_progress(self, company, run, processed):
        """Commit a batch (scheduled runs only) and take the lock again; False if lost."""
        if not self.env.context.get("crm_relational_commit"):
            return True
        remaining = max(run.customer_count - run.done_count, 0)
        self.env["ir.cron"]._commit_progress(processed, remaining=remaining)
        return self._lock(company)

    def _start_run(self, company, today, incremental):
        """The run to carry on: the interrupted one of the same day and mode, or a new one."""
        # sudo: runs are the engine's own bookkeeping, written whoever started the recompute
        # (its callers check that right: action_recompute for managers, the cron).
        Run = self.env["crm.relational.run"].sudo()
        mode = "incremental" if incremental else "full"
        running = Run.search([("company_id", "=", company.id), ("state", "=", "running")])
        resumable = running.filtered(lambda run: run.mode == mode and run.date == today)[:1]
        # Interrupted runs of another day or mode will not be resumed.
        (running - resumable).write({"state": "done", "finished_at": fields.Datetime.now()})
        if resumable:
            return resumable
        reference = Run.search(
            [("company_id", "=", company.id), ("state", "=", "done"), ("mode", "=", "full"),
             ("parameters", "!=", False)],
            limit=1,
        )  # fmt: skip
        last = Run.search([("company_id", "=", company.id), ("state", "=", "done")], limit=1)
        if incremental and reference:
            return Run.create(
                {
                    "company_id": company.id,
                    "mode": "incremental",
                    "date": today,
                    "since": last.started_at,
                    "parameters": reference.parameters,
                }
            )
        return Run.create({"company_id": company.id, "mode": "full", "date": today})

    def _touched_partners(self, company, since):
        """Commercial partners of the records created or changed since `since`."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT p.commercial_partner_id FROM (%s) touched(partner_id)"
                " JOIN res_partner p ON p.id = touched.partner_id",
                SQL(" UNION ").join(self._touched_queries(company, since)),
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _touched_queries(self, company, since):
        """``SELECT partner_id`` of each source changed since `since`; other addons add theirs."""
        queries = [
            SQL("SELECT id FROM res_partner WHERE write_date > %s", since),
            SQL(
                "SELECT partner_id FROM sale_order WHERE write_date > %s AND company_id = %s",
                since,
                company.id,
            ),
            SQL(
                "SELECT commercial_partner_id FROM account_move"
                " WHERE write_date > %s AND company_id = %s AND move_type IN %s",
                since,
                company.id,
                ("out_invoice", "out_refund"),
            ),
            SQL(
                "SELECT partner_id FROM account_payment WHERE write_date > %s AND company_id = %s",
                since,
                company.id,
            ),
            SQL(
                "SELECT partner_id FROM crm_lead WHERE write_date > %s AND company_id = %s",
                since,
                company.id,
            ),
            SQL(
                "SELECT partner_id FROM stock_picking WHERE write_date > %s AND company_id = %s",
                since,
                company.id,
            ),
            SQL(
                "SELECT a.res_partner_id FROM calendar_event e"
                " JOIN calendar_event_res_partner_rel a ON a.calendar_event_id = e.id"
                " WHERE e.write_date > %s",
                since,
            ),
        ]
        queries.extend(
            SQL("SELECT p.id FROM mail_message m %s WHERE m.create_date > %s", joins, since)
            for joins in self.env["crm.relational.timeline"]._timeline_message_customers()
        )
        queries.append(SQL("SELECT author_id FROM mail_message WHERE create_date > %s", since))
        return queries

    @api.model
    def _valence_rules(self):
        """``(kind, outcome, sign)``: the timeline entries that are positive (1) or negative
        (-1) signals about the relationship; outcome None matches any. Other addons add theirs
        (ratings, complaints)."""
        return [
            ("invoice", "paid", 1),
            ("delivery", "on_time", 1),
            ("opportunity", "won", 1),
            ("invoice", "overdue", -1),
            ("delivery", "late", -1),
            ("refund", None, -1),
            ("opportunity", "lost", -1),
        ]

    @api.model
    def _conversation_kinds(self):
        """Timeline kinds that are conversations: who started them measures reciprocity, and
        ours count as contacting the customer. Other addons add theirs (tickets)."""
        return ["email", "call", "meeting"]

    @api.model
    def _withdrawn_conversations(self):
        """SQL conditions on a timeline row ``t``: conversations of a person who chose no
        profiling, which count for no customer's profile (a contact's opt-out covers the
        company profile's use of the contact's messages and meetings).

        E-mails and calls are messages: a row's id is the message id times 16 plus the source
        number (see ``_timeline_select``); a message is withdrawn when it is written by, sent
        to, or posted on a person who chose no profiling. A meeting is withdrawn when such a
        person attends it. Other addons add theirs (tickets opened by such a person).
        """
        opted_out = SQL("SELECT id FROM res_partner WHERE relational_no_profiling")
        messages = SQL(
            """SELECT m.id FROM mail_message m WHERE m.author_id IN (%(who)s)
               UNION
               SELECT r.mail_message_id FROM mail_message_res_partner_rel r
                WHERE r.res_partner_id IN (%(who)s)
               UNION
               SELECT m.id FROM mail_message m
                WHERE m.model = 'res.partner' AND m.res_id IN (%(who)s)""",
            who=opted_out,
        )
        meetings = SQL(
            "SELECT a.calendar_event_id FROM calendar_event_res_partner_rel a"
            " WHERE a.res_partner_id IN (%s)",
            opted_out,
        )
        return [
            SQL("(t.kind IN ('email', 'call') AND t.id / 16 IN (%s))", messages),
            SQL("(t.kind = 'meeting' AND t.res_id IN (%s))", meetings),
        ]

    def _eligible_partners(self, company, partner_ids):
        """SQL: the commercial partners that may have a profile in `company`.

        Never those who chose no profiling or were forgotten; archived and blacklisted
        contacts only if the company says so; with `partner_ids`, only those.
        """
        conditions = [
            SQL("p.id = p.commercial_partner_id"),
            SQL("NOT COALESCE(p.relational_no_profiling, FALSE)"),
            SQL("NOT COALESCE(p.relational_forgotten, FALSE)"),
        ]
        if not company.relational_profile_archived:
            conditions.append(SQL("p.active"))
        if not company.relational_profile_blacklisted:
            conditions.append(
                SQL(
                    "NOT EXISTS (SELECT 1 FROM mail_blacklist bl"
                    " WHERE bl.active AND bl.email = p.email_normalized)"
                )
            )
        if partner_ids is not None:
            conditions.append(SQL("p.id = ANY(%s)", partner_ids))
        return SQL("SELECT p.id FROM res_partner p WHERE %s", SQL(" AND ").join(conditions))

    def _build_facts(self, company, today, partner_ids=None):
        """Fill the temporary table of what is known of each customer of `company` (of
        `partner_ids` only, if given): purchase history, last year's timeline signals, stage
        and type override of the current profile, and the margin share of larger customers."""
        self.env.flush_all()
        timeline = self.env["crm.relational.timeline"]
        signal = {1: [], -1: []}
        for kind, outcome, sign in self._valence_rules():
            signal[sign].append(
                SQL("(t.kind = %s AND t.outcome = %s)", kind, outcome)
                if outcome
                else SQL("t.kind = %s", kind)
            )
        conversation = SQL("t.kind IN %s", tuple(self._conversation_kinds()))
        rate = SQL("COALESCE(NULLIF(so.currency_rate, 0), 1)::numeric")
        end_of_today = datetime.combine(today, time.max)
        year_ago = datetime.combine(today - timedelta(days=YEAR_DAYS), time.max)
        self.env.cr.execute(SQL("DROP TABLE IF EXISTS %s", FACTS))
        # The timeline's plan is large: JIT compilation would cost more than it saves.
        self.env.cr.execute(SQL("SET LOCAL jit = off"))
        self.env.cr.execute(
            SQL(
                """
                CREATE TEMPORARY TABLE %(facts)s AS
                WITH eligible AS (%(eligible)s
                ), orders AS (
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
                ), days AS (
                    SELECT partner_id, day, count(*) AS orders,
                           sum(amount) AS amount, sum(margin) AS margin,
                           row_number() OVER (PARTITION BY partner_id ORDER BY day) AS nth
                      FROM orders
                     GROUP BY partner_id, day
                ), refunds AS (
                    SELECT am.commercial_partner_id AS partner_id,
                           sum(am.amount_untaxed_signed) AS amount
                      FROM account_move am
                      JOIN eligible e ON e.id = am.commercial_partner_id
                     WHERE am.move_type = 'out_refund'
                       AND am.state = 'posted'
                       AND am.company_id = %(company)s
                       AND am.invoice_date <= %(today)s
                     GROUP BY am.commercial_partner_id
                ), purchases AS (
                    SELECT d.partner_id,
                           min(d.day) AS first_day,
                           max(d.day) AS last_day,
                           sum(d.orders)::int AS order_count,
                           count(*)::int AS purchase_days,
                           (sum(d.amount) + COALESCE(max(r.amount), 0))::float8 AS revenue,
                           (sum(d.margin) * CASE WHEN sum(d.amount) > 0
                               THEN 1 + COALESCE(max(r.amount), 0) / sum(d.amount)
                               ELSE 1 END)::float8 AS margin,
                           COALESCE(avg(d.amount) FILTER (WHERE d.nth > 1), 0)::float8
                               AS repeat_value,
                           COALESCE(sum(d.amount) FILTER (WHERE d.day > %(half_year)s), 0)::float8
                               AS recent_revenue,
                           COALESCE(sum(d.amount) FILTER (
                               WHERE d.day <= %(half_year)s AND d.day > %(year)s), 0)::float8
                               AS previous_revenue
                      FROM days d
                      LEFT JOIN refunds r ON r.partner_id = d.partner_id
                     GROUP BY d.partner_id
                ), people AS (
                    SELECT partner_id FROM purchases
                     UNION
                    SELECT p.commercial_partner_id
                      FROM crm_lead l
                      JOIN res_partner p ON p.id = l.partner_id
                      JOIN eligible e ON e.id = p.commercial_partner_id
                     WHERE l.type = 'opportunity' AND l.company_id = %(company)s
                       AND l.create_date <= %(end_of_today)s
                ), signals AS (
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
                      JOIN people ON people.partner_id = t.partner_id
                     WHERE (t.company_id = %(company)s OR t.company_id IS NULL)
                       AND t.date <= %(end_of_today)s
                       AND %(timeline_partners)s
                       AND NOT (%(withdrawn)s)
                     GROUP BY t.partner_id
                )
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
                facts=FACTS,
                eligible=self._eligible_partners(company, partner_ids),
                rate=rate,
                company=company.id,
                today=today,
                end_of_today=end_of_today,
                year_ago=year_ago,
                half_year=today - timedelta(days=HALF_YEAR_DAYS),
                year=today - timedelta(days=2 * HALF_YEAR_DAYS),
                conversation=conversation,
                positive=SQL(" OR ").join(signal[1]) or SQL("FALSE"),
                negative=SQL(" OR ").join(signal[-1]) or SQL("FALSE"),
                timeline=SQL.identifier(timeline._table),
                withdrawn=SQL(" OR ").join(self._withdrawn_conversations()) or SQL("FALSE"),
                # The given customers as constants, which PostgreSQL pushes into every branch of
                # the timeline's union down to the sources' partner indexes: an incremental run
                # reads the rows of its customers only, not the whole timeline (a join with
                # `people` alone is not pushed down and scans all of it).
                timeline_partners=SQL("t.partner_id = ANY(%s)", partner_ids)
                if partner_ids is not None
                else SQL("TRUE"),
            )
        )
        self.env.cr.execute(SQL("CREATE INDEX ON %s (partner_id)", FACTS))

    def _population(self, company, today):
        """The population figures a full run scores every customer against (JSON-able):
        order statistics of recency, orders, revenue and interactions, the smallest margins of
        tiers A and B, and the lifetime-value models fitted on (a sample of) the customers."""
        self.env.cr.execute(SQL("SELECT count(*) FROM %s WHERE order_count > 0", FACTS))
        buyers = self.env.cr.fetchone()[0]
        self.env.cr.execute(SQL("SELECT count(*) FROM %s", FACTS))
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
                    FACTS,
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
                    FACTS,
                    share,
                )
            )
            figures[f"tier_{tier}_margin"] = self.env.cr.fetchone()[0]
        figures["lifetime"] = self._fit_lifetime(company, today, buyers)
        return figures

    def _fit_lifetime(self, company, today, buyers):
        """BG/NBD and Gamma-Gamma parameters fitted on the company's buyers (a fixed sample of
        ``FIT_SAMPLE`` of them when there are more), or None when they cannot be fitted."""
        sample = SQL("TRUE")
        if buyers > FIT_SAMPLE:
            sample = SQL("hashint4(partner_id) %% %s = 0", -(-buyers // FIT_SAMPLE))
        self.env.cr.execute(
            SQL(
                "SELECT first_day, last_day, purchase_days, repeat_value FROM %s"
                " WHERE order_count > 0 AND %s",
                FACTS,
                sample,
            )
        )
        rows = self.env.cr.fetchall()
        if not rows:
            return None
        first, last, days, repeat_value = (np.array(column) for column in zip(*rows, strict=True))
        x, t_x, age, m = self._lifetime_inputs(today, first, last, days, repeat_value)
        repeat = (x > 0) & (m > 0)
        if repeat.sum() < MIN_REPEAT_BUYERS:
            return None
        try:
            bgnbd = clv.fit_bgnbd(x, t_x, age)
            gamma_gamma = clv.fit_gamma_gamma(x[repeat], m[repeat])
        except ValueError as error:
            _logger.info("No lifetime value for %s: %s", company.name, error)
            return None
        return {
            "bgnbd": {key: float(bgnbd[key]) for key in ("r", "alpha", "a", "b")},
            "gamma_gamma": {key: float(gamma_gamma[key]) for key in ("p", "q", "gamma")},
        }

    @staticmethod
    def _lifetime_inputs(today, first_day, last_day, purchase_days, repeat_value):
        """(x, t_x, T, m) in weeks for the lifetime-value models, from the purchase history."""
        now = np.datetime64(today, "D")
        first = np.asarray(first_day, dtype="datetime64[D]")
        last = np.asarray(last_day, dtype="datetime64[D]")
        x = np.asarray(purchase_days, dtype=float) - 1
        t_x = (last - first).astype(float) / DAYS_PER_WEEK
        # Observed until the end of today, so a first purchase today has an age of one day.
        age = ((now - first).astype(float) + 1) / DAYS_PER_WEEK
        # Repeat purchases netted to nothing or less by refunds carry no spend information: the
        # spend model sees them at a token positive value (their expected value shrinks to the
        # population's).
        m = np.asarray(repeat_value, dtype=float)
        return x, t_x, age, np.where(m > 0, m, 0.01)

    def _lifetime_values(self, company, model, x, t_x, T, m):
        """P(alive), expected orders and order value, and CLV of each customer (NaN without a
        fitted model)."""
        if not model:
            nothing = np.full(x.shape, np.nan)
            return {
                "probability_alive": nothing,
                "expected_orders": nothing,
                "expected_order_value": nothing,
                "clv": nothing,
            }
        horizon = company.relational_clv_horizon_months * WEEKS_PER_MONTH
        weekly_rate = clv.discount_rate_per(1.0, company.relational_clv_discount_rate / 100.0)
        bgnbd, spend = model["bgnbd"], model["gamma_gamma"]
        return {
            "probability_alive": clv.probability_alive(x=x, t_x=t_x, T=T, **bgnbd),
            "expected_orders": clv.expected_purchases(horizon, x=x, t_x=t_x, T=T, **bgnbd),
            "expected_order_value": clv.expected_average_value(x=x, m=m, **spend),
            "clv": clv.customer_lifetime_value(
                bgnbd, spend, x, t_x, T, m, horizon=horizon, discount_rate=weekly_rate
            ),
        }

    def _score_batch(self, company, today, run, facts, rules):
        """Score one batch of customers (column arrays of the facts table) and write them."""
        n = len(facts["partner_id"])
        buyer = facts["order_count"] > 0

        def spread(values, empty=None):
            """Values of the buyers, placed in a full-batch column (`empty` elsewhere)."""
            column = np.full(n, empty, dtype=object)
            column[buyer] = list(values)
            return column

        value = self._value_scores(company, today, run, {k: v[buyer] for k, v in facts.items()})
        previous_stage = facts["previous_stage"].astype(object)
        new_stage = np.full(n, "prospect", dtype=object)
        new_stage[buyer] = value["stage"]
        changed = new_stage != previous_stage
        stage_date = facts["previous_stage_date"].astype(object)
        stage_date[changed] = today
        everyone, buyers = self._relationship_scores(
            company, today, run, facts, rules, buyer, value
        )
        values = {
            "partner_id": facts["partner_id"],
            "order_count": facts["order_count"],
            "revenue": facts["revenue"],
            "margin": facts["margin"],
            **{name: spread(column) for name, column in value.items()},
            **{name: spread(column) for name, column in buyers.items()},
            "churn_risk": spread(buyers["churn_risk"], empty=False),
            "stage": new_stage,
            "stage_date": stage_date,
            "interaction_count": facts["interactions"],
            "positive_signal_count": facts["positive"],
            "negative_signal_count": facts["negative"],
            "last_contact_date": facts["last_contact"],
            **everyone,
        }
        if run.mode == "full":
            values["margin_share_before"] = facts["share_before"]
        self._write_profiles(company, values)
        partner_ids = facts["partner_id"]
        self._log_stage_changes(
            company, partner_ids[changed], previous_stage[changed], new_stage[changed], today
        )

    def _value_scores(self, company, today, run, facts):
        """Value, RFM, tier, lifetime value and stage of buyers (facts of buyers only)."""
        figures = run.parameters
        now = np.datetime64(today, "D")
        first = facts["first_day"].astype("datetime64[D]")
        last = facts["last_day"].astype("datetime64[D]")
        recency = (now - last).astype(int)
        order_count = facts["order_count"].astype(float)
        revenue = facts["revenue"].astype(float)
        margin = facts["margin"].astype(float)
        scores = {
            "rfm_recency_score": rfm.quintile_scores(
                recency, higher_is_better=False, reference=figures["recency"]
            ),
            "rfm_frequency_score": rfm.quintile_scores(order_count, reference=figures["orders"]),
            "rfm_monetary_score": rfm.quintile_scores(revenue, reference=figures["revenue"]),
        }
        if run.mode == "full":
            tiers = rfm.tiers_from_shares(
                margin,
                facts["share_before"].astype(float),
                company.relational_tier_a_share,
                company.relational_tier_b_share,
            )
        else:
            tiers = rfm.tiers_from_cutoffs(
                margin, figures["tier_a_margin"], figures["tier_b_margin"]
            )
        x, t_x, age, m = self._lifetime_inputs(
            today, first, last, facts["purchase_days"], facts["repeat_value"]
        )
        lifetime = self._lifetime_values(company, figures["lifetime"], x, t_x, age, m)
        days_in_stage = [(today - day).days if day else 0 for day in facts["previous_stage_date"]]
        stages = stage.stages(
            tenure_days=(now - first).astype(float),
            recency_days=recency.astype(float),
            purchase_days=facts["purchase_days"].astype(float),
            recent_revenue=facts["recent_revenue"].astype(float),
            previous_revenue=facts["previous_revenue"].astype(float),
            probability_alive=lifetime["probability_alive"],
            previous_stage=facts["previous_stage"].astype(object),
            days_in_stage=np.array(days_in_stage, dtype=float),
            **company._relational_stage_thresholds(),
        )
        return {
            "first_order_date": first.astype(object),
            "last_order_date": last.astype(object),
            "recency_days": recency,
            "average_order_value": revenue / order_count,
            **scores,
            "rfm_segment": rfm.segments(scores["rfm_recency_score"], scores["rfm_frequency_score"]),
            "value_tier": tiers,
            **{name: self._nan_to_none(column) for name, column in lifetime.items()},
            "stage": stages,
        }

    def _relationship_scores(self, company, today, run, facts, rules, buyer, value):
        """Dimensions, type and neglect of every customer of the batch, and health and churn
        risk of its buyers (`value`: their value scores): ``(batch columns, buyer columns)``."""
        tenure = [(today - day).days if day else 0 for day in facts["first_day_known"]]
        tenure = np.array(tenure, dtype=float)
        valence = relationship.valence(facts["positive"], facts["negative"])
        intensity = relationship.intensity(facts["interactions"], run.parameters["interactions"])
        reciprocity = relationship.reciprocity(facts["inbound"], facts["outbound"])
        suggested = relationship.relationship_types(valence, intensity, reciprocity, tenure, rules)
        override = np.array([value or 0 for value in facts["type_override"]], dtype=np.int64)
        factors = relationship.health_factors(
            probability_alive=np.array(value["probability_alive"], dtype=float),
            recency_score=value["rfm_recency_score"],
            recent_revenue=facts["recent_revenue"][buyer].astype(float),
            previous_revenue=facts["previous_revenue"][buyer].astype(float),
            valence=valence[buyer],
            intensity=intensity[buyer],
            paid_invoices=facts["paid_invoices"][buyer],
            overdue_invoices=facts["overdue_invoices"][buyer],
        )
        health = relationship.health_score(factors)
        at_risk = relationship.churn_risk(
            health, value["stage"], company.relational_churn_threshold
        )
        silence = [(today - day).days if day else np.nan for day in facts["last_contact"]]
        silence = np.array(silence, dtype=float)
        neglected = np.zeros(len(tenure), dtype=bool)
        neglected[buyer] = relationship.neglected(
            value["value_tier"], at_risk, silence[buyer], company._relational_neglect_days()
        )
        everyone = {
            "valence": np.rint(valence).astype(int),
            "intensity": np.rint(intensity).astype(int),
            "reciprocity": np.rint(reciprocity).astype(int),
            "tenure_days": tenure.astype(int),
            "relationship_type_suggested_id": self._zero_to_none(suggested),
            "relationship_type_id": self._zero_to_none(np.where(override > 0, override, suggested)),
            "days_without_contact": self._nan_to_none(silence),
            "neglected": neglected,
        }
        buyers = {
            "churn_risk": at_risk,
            "health_score": health,
            **{f"health_{name}": np.rint(column).astype(int) for name, column in factors.items()},
        }
        return everyone, buyers

    @staticmethod
    def _plain(column):
        """A column as a list of plain Python values (numpy scalars do not go to SQL)."""
        return [
            value.item() if isinstance(value, np.generic) else value for value in column.tolist()
        ]

    @staticmethod
    def _nan_to_none(values):
        values = np.asarray(values, dtype=float)
        return np.where(np.isnan(values), None, values.astype(object))

    @staticmethod
    def _zero_to_none(values):
        values = np.asarray(values)
        return np.where(values > 0, values.astype(object), None)

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
                FACTS,
            )
        )

    def _sql_array_type(self, name):
        """The PostgreSQL array type of the column of field `name`."""
        field = self._fields[name]
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
                  FROM unnest(%(partners)s::int[], %(old)s::varchar[], %(new)s::varchar[])
                       AS c(partner_id, old, new)
                  JOIN crm_relational_profile p
                    ON p.partner_id = c.partner_id AND p.company_id = %(company)s
                """,
                today=today,
                uid=self.env.uid,
                partners=partner_ids.tolist(),
                old=old_stages.tolist(),
                new=new_stages.tolist(),
                company=company.id,
            )
        )

    def _write_profiles(self, company, values):
        """Upsert profiles of `company` from column arrays (one batch), in one
        ``INSERT ... SELECT FROM unnest(<one array per column>)``.

        Customers who chose no profiling or were forgotten while the run was going are
        skipped, read at write time in the same statement: a running recompute never
        re-creates a profile that was just withdrawn.
        """
        names = list(values)
        set_columns = [*names, "computed_at", "write_uid", "write_date"]
        arrays = [
            SQL("%s::%s", self._plain(values[name]), SQL(self._sql_array_type(name)))
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
                  JOIN res_partner p ON p.id = v.partner_id
                 WHERE NOT COALESCE(p.relational_no_profiling, FALSE)
                   AND NOT COALESCE(p.relational_forgotten, FALSE)
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
        self.invalidate_model()
