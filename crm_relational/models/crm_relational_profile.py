import json

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..analytics import rfm, stage
from .crm_relational_run import NOTIFY_PARAMETER


class CrmRelationalProfile(models.Model):
    """What a customer is to one company: value, lifetime value, stage, type and health.

    One row per commercial partner and company, written in bulk by the profile job
    (``crm.relational.run``) from the confirmed sale orders, posted credit notes and the
    customer's timeline, never edited by hand (but for the relationship type a rep may
    override). The ``_valence_rules``, ``_conversation_kinds``, ``_withdrawn_conversations``,
    ``_touched_queries`` and ``_eligible_partners`` hooks say what the job reads; other addons
    extend them.
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
        [("A", "Tier A"), ("B", "Tier B"), ("C", "Tier C")],
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
        help="Discounted value of the orders expected over the horizon set in the settings; "
        "empty (shown as 'Not enough history') when it cannot be estimated, never 0.",
    )
    clv_unknown_reason = fields.Selection(
        [
            ("no_orders", "No order yet: the lifetime value is estimated from orders."),
            (
                "no_model",
                "Not enough order history in the company to estimate lifetime values: the "
                "model needs at least 10 customers who ordered more than once.",
            ),
        ],
        string="Why No Lifetime Value",
        readonly=True,
        help="Why the lifetime value is unknown; empty when it is estimated.",
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
        Run = self.env["crm.relational.run"]
        for company in self.env.companies:
            if not Run._recompute_company(company, fields.Date.context_today(self)):
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
        """Scheduled recompute: the profile job, ``crm.relational.run._cron_recompute``."""
        self.env["crm.relational.run"]._cron_recompute(incremental=incremental)

    # ------------------------------------------------------------------ job entry points
    @api.model
    def _recompute(self, companies, today=None, incremental=False):
        """Recompute the profiles of `companies` as of `today` (default: today): the profile
        job, ``crm.relational.run._recompute``."""
        self.env["crm.relational.run"]._recompute(companies, today=today, incremental=incremental)

    # ------------------------------------------------------------------ extension hooks
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
            # Its own commercial partner (``res.partner._compute_commercial_partner``), said
            # so that PostgreSQL estimates how many there are (it cannot for ``id =
            # commercial_partner_id``, guesses a few hundred, and reads the sources one
            # customer at a time on large data).
            SQL("(p.is_company OR p.parent_id IS NULL)"),
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
