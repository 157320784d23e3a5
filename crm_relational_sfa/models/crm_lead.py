from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.fields import Domain

from ..number_limits import MAX_AMOUNT, check_number_limits

FORECAST_CATEGORIES = [
    ("pipeline", "Pipeline"),
    ("best_case", "Best Case"),
    ("commit", "Commit"),
    ("closed", "Closed"),
    ("omitted", "Omitted"),
]
# Fields only a sales force manager sets: a correction of the salesperson's own call.
MANAGER_FIELDS = ("forecast_manager_category", "forecast_manager_amount")
# Fields the forms show read-only that drive the forecast: written by their computation or
# by the nightly scoring job, never by hand (over RPC or import) by anyone but a manager.
FORECAST_DRIVEN_FIELDS = (
    "forecast_effective_category",
    "forecast_effective_amount",
    "relational_win_probability",
    "relational_close_date",
)
# The group of the sales force managers (Sales / Administrator implies it).
MANAGER_GROUP = "crm_relational_sfa.group_manager"


class CrmLead(models.Model):
    _inherit = "crm.lead"

    forecast_category = fields.Selection(
        FORECAST_CATEGORIES,
        default="pipeline",
        tracking=True,
        help="The salesperson's call: Pipeline (may close), Best Case (could close this "
        "period), Commit (will close this period), Closed, Omitted (left out of the forecast).",
    )
    forecast_manager_category = fields.Selection(
        FORECAST_CATEGORIES,
        string="Manager Category",
        tracking=True,
        copy=False,
        help="A sales manager's correction of the category; the chatter keeps who changed what.",
    )
    forecast_manager_amount = fields.Monetary(
        string="Manager Amount",
        currency_field="company_currency",
        tracking=True,
        copy=False,
        help="A sales manager's correction of the expected revenue counted in the forecast.",
    )
    forecast_effective_category = fields.Selection(
        FORECAST_CATEGORIES,
        string="Forecast Category (Final)",
        compute="_compute_forecast_effective",
        store=True,
        help="The manager's category if set, else the salesperson's; won is Closed, lost Omitted.",
    )
    forecast_effective_amount = fields.Monetary(
        string="Forecast Amount",
        currency_field="company_currency",
        compute="_compute_forecast_effective",
        store=True,
        help="The manager's amount if set, else the expected revenue.",
    )
    relational_win_probability = fields.Float(
        string="Win Probability (%)",
        readonly=True,
        copy=False,
        groups="crm_relational_sfa.group_user",
        aggregator="avg",
        digits=(16, 1),
        help="The chance of being won within a year, learned from every week of the company's "
        "opportunities as they were then (stage, days open, amount, salesperson, team, the "
        "customer's history); refitted every night, its calibration is shown on the win "
        "probability model.",
    )
    relational_close_date = fields.Date(
        string="Likely Closing",
        readonly=True,
        copy=False,
        groups="crm_relational_sfa.group_user",
        help="The day by which half of the chance of winning is reached, if it is won: "
        "opportunities like it, as they moved on and closed week by week.",
    )
    relational_weighted_revenue = fields.Monetary(
        string="Weighted Revenue",
        currency_field="company_currency",
        compute="_compute_relational_weighted_revenue",
        groups="crm_relational_sfa.group_user",
        help="The forecast amount times the learned win probability.",
    )
    relational_line_ids = fields.One2many(
        "crm.relational.lead.line", "lead_id", string="Products", copy=True
    )
    relational_lines_amount = fields.Monetary(
        string="Products Total",
        currency_field="company_currency",
        compute="_compute_relational_lines_amount",
        help="Sum of the product lines: quantity times unit price.",
    )
    followup_needed = fields.Boolean(
        string="Needs Follow-up",
        compute="_compute_followup_needed",
        search="_search_followup_needed",
        help="Open opportunity with no next activity, or untouched for longer than the "
        "company's idle limit.",
    )
    other_salesperson_ids = fields.Many2many(
        "res.users",
        string="Also Working This Customer",
        compute="_compute_duplicate_effort",
        groups="crm_relational_sfa.group_user",
        help="Other salespeople with open opportunities for the same customer, whether or not "
        "you can open those opportunities.",
    )
    similar_opportunity_ids = fields.Many2many(
        "crm.lead",
        string="Similar Opportunities",
        compute="_compute_duplicate_effort",
        groups="crm_relational_sfa.group_user",
        help="Other open opportunities of the same customer with a similar name, among those "
        "you can open.",
    )
    similar_opportunity_count = fields.Integer(
        string="Similar Opportunities Open",
        compute="_compute_duplicate_effort",
        groups="crm_relational_sfa.group_user",
        help="How many other open opportunities of the same customer have a similar name, "
        "including those of other salespeople you cannot open.",
    )

    @api.depends(
        "forecast_category", "forecast_manager_category", "forecast_manager_amount",
        "expected_revenue", "won_status", "active",
    )  # fmt: skip
    def _compute_forecast_effective(self):
        for lead in self:
            if lead.won_status == "won":
                category = "closed"
            elif lead.won_status == "lost" or not lead.active:
                category = "omitted"
            else:
                category = lead.forecast_manager_category or lead.forecast_category or "pipeline"
            lead.forecast_effective_category = category
            lead.forecast_effective_amount = (
                lead.forecast_manager_amount
                if lead.forecast_manager_category or lead.forecast_manager_amount
                else lead.expected_revenue
            )

    @api.depends("forecast_effective_amount", "relational_win_probability")
    def _compute_relational_weighted_revenue(self):
        for lead in self:
            lead.relational_weighted_revenue = (
                lead.forecast_effective_amount * lead.relational_win_probability / 100.0
            )

    @api.depends("relational_line_ids.price_subtotal")
    def _compute_relational_lines_amount(self):
        for lead in self:
            lead.relational_lines_amount = sum(lead.relational_line_ids.mapped("price_subtotal"))

    @api.depends_context("company")
    @api.depends("activity_ids", "date_last_stage_update", "write_date", "won_status", "type")
    def _compute_followup_needed(self):
        needing = self.search(Domain("id", "in", self.ids) & self._followup_domain())
        for lead in self:
            lead.followup_needed = lead in needing

    def _search_followup_needed(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            return NotImplemented
        wanted = (operator == "=") == value
        return self._followup_domain() if wanted else ~self._followup_domain()

    def _followup_domain(self):
        """Open opportunities with no planned activity, or idle beyond the company's limit."""
        idle_days = self.env.company.sfa_idle_days
        idle_since = fields.Datetime.now() - timedelta(days=idle_days)
        stale = Domain("activity_ids", "=", False)
        if idle_days:
            stale |= Domain("date_last_stage_update", "<", idle_since) & Domain(
                "write_date", "<", idle_since
            )
        return (
            Domain("type", "=", "opportunity")
            & Domain("won_status", "=", "pending")
            & Domain("active", "=", True)
            & stale
        )

    @api.depends("partner_id", "user_id", "name")
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_duplicate_effort(self):
        """Warn a salesperson that colleagues work the same customer even when own-documents
        rights hide their opportunities: the colleagues' names and how many similar deals are
        open are told, the deals themselves only when the user may read them."""
        partners = self.partner_id.commercial_partner_id
        # sudo: an own-documents rep must be warned about deals he cannot read; only the
        # salespeople (users) and a count leave this search, never the other deals' names or
        # amounts; limited to the user's companies.
        others = (
            self.sudo()
            .with_context(active_test=True)
            .search(
                [
                    ("type", "=", "opportunity"),
                    ("won_status", "=", "pending"),
                    ("partner_id", "child_of", partners.ids),
                    ("company_id", "in", [*self.env.companies.ids, False]),
                ]
            )
        )
        readable = others.sudo(False)._filtered_access("read")
        for lead in self:
            customer = lead.partner_id.commercial_partner_id
            same_customer = others.filtered(
                lambda other, lead=lead, customer=customer: (
                    other.id != lead._origin.id
                    and customer
                    and other.partner_id.commercial_partner_id == customer
                )
            )
            similar = same_customer.filtered(
                lambda other, lead=lead: _similar(other.name, lead.name)
            )
            lead.other_salesperson_ids = same_customer.user_id - lead.user_id
            lead.similar_opportunity_count = len(similar)
            lead.similar_opportunity_ids = readable & similar

    @api.constrains("forecast_manager_amount")
    def _check_forecast_manager_amount(self):
        if any(lead.forecast_manager_amount < 0 for lead in self):
            raise ValidationError(self.env._("The manager's forecast amount cannot be negative."))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_number_limits(self, vals, {"forecast_manager_amount": MAX_AMOUNT})
        # A new opportunity starts without them: any value given is a manager's setting.
        self._check_forecast_authority(
            {fname for vals in vals_list for fname, value in vals.items() if value}
        )
        return super().create(vals_list)

    def write(self, vals):
        check_number_limits(self, vals, {"forecast_manager_amount": MAX_AMOUNT})
        # Writing back the value a record holds (a form saved whole, an export imported
        # again) changes nothing and is allowed.
        self._check_forecast_authority(self._relational_changed_fields(vals))
        return super().write(vals)

    def _prepare_opportunity_quotation_context(self):
        """The opportunity's products become the quotation's lines."""
        context = super()._prepare_opportunity_quotation_context()
        if self.relational_line_ids:
            context["default_order_line"] = [
                (0, 0, line._quotation_line_values()) for line in self.relational_line_ids
            ]
        return context

    @api.readonly
    def action_relational_call_sheet(self):
        """The call sheet of the opportunity's customer."""
        self.ensure_one()
        return self.partner_id.action_relational_call_sheet()

    @api.model
    def _cron_schedule_followups(self):
        """Plan a to-do for the salesperson of each opportunity needing a follow-up and having
        no activity at all (companies that switched it on)."""
        for company in self.env["res.company"].search([("sfa_followup_activity", "=", True)]):
            leads = (
                self.with_company(company)
                .search(
                    Domain("company_id", "in", [company.id, False])
                    & self.with_company(company)._followup_domain()
                    & Domain("activity_ids", "=", False)
                    & Domain("user_id", "!=", False)
                )
            )  # fmt: skip
            for lead in leads:
                lead.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=self.env._("Follow up: no next step planned"),
                    user_id=lead.user_id.id,
                )

    @api.model
    def _sql_error_to_message(self, exc):
        # Product lines imported with their opportunity: the message of the line's own
        # constraint ("The quantity of a product must be positive."), not PostgreSQL's.
        Line = self.env["crm.relational.lead.line"]
        if exc.diag.table_name == Line._table:
            return Line._sql_error_to_message(exc)
        return super()._sql_error_to_message(exc)

    def _check_forecast_authority(self, fnames):
        """Refuse the manager-only and forecast-driven fields among ``fnames`` to anyone but a
        sales force manager (create, write and import alike); the system and superuser pass."""
        guarded = set(fnames) & {*MANAGER_FIELDS, *FORECAST_DRIVEN_FIELDS}
        if not guarded or self.env.su or self.env.user.has_group(MANAGER_GROUP):
            return
        if guarded & set(MANAGER_FIELDS):
            raise AccessError(self.env._("Only sales managers adjust the forecast."))
        raise AccessError(
            self.env._(
                "%(fields)s are computed for the forecast and cannot be set by hand.",
                fields=", ".join(
                    sorted(self._fields[fname]._description_string(self.env) for fname in guarded)
                ),
            )
        )

    def _relational_changed_fields(self, vals):
        """The guarded fields of ``vals`` whose value differs from one of the records'."""
        changed = set()
        for fname in {*MANAGER_FIELDS, *FORECAST_DRIVEN_FIELDS} & set(vals):
            field = self._fields[fname]
            for lead in self:
                new = field.convert_to_record(field.convert_to_cache(vals[fname], lead), lead)
                if new != lead[fname]:
                    changed.add(fname)
                    break
        return changed


def _similar(first, second):
    """Names that share most of their words (case and order aside)."""
    words = [set((name or "").lower().split()) for name in (first, second)]
    if not words[0] or not words[1]:
        return False
    return len(words[0] & words[1]) / min(len(words[0]), len(words[1])) >= 0.6
