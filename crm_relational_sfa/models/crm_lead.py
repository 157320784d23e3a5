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
        help="A sales manager's correction of the category; the chatter keeps who changed what.",
    )
    forecast_manager_amount = fields.Monetary(
        string="Manager Amount",
        currency_field="company_currency",
        tracking=True,
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
        aggregator="avg",
        digits=(16, 1),
        help="Learned from the company's closed opportunities (stage, team, salesperson, amount, "
        "age, the customer's tier and health, Odoo's stage odds); refitted every night, its "
        "calibration is shown on the win probability model.",
    )
    relational_close_date = fields.Date(
        string="Likely Closing",
        readonly=True,
        help="The expected closing date moved by how late opportunities in this stage have "
        "closed against theirs (or, without one, the usual time from this stage to closing).",
    )
    relational_weighted_revenue = fields.Monetary(
        string="Weighted Revenue",
        currency_field="company_currency",
        compute="_compute_relational_weighted_revenue",
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
        help="Other salespeople with open opportunities for the same customer.",
    )
    similar_opportunity_ids = fields.Many2many(
        "crm.lead",
        string="Similar Opportunities",
        compute="_compute_duplicate_effort",
        help="Other open opportunities of the same customer with a similar name.",
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
    def _compute_duplicate_effort(self):
        # One search over every open opportunity of the batch's customers.
        partners = self.partner_id.commercial_partner_id
        others = self.search(
            [
                ("type", "=", "opportunity"),
                ("won_status", "=", "pending"),
                ("partner_id", "child_of", partners.ids),
            ]
        )
        for lead in self:
            customer = lead.partner_id.commercial_partner_id
            same_customer = others.filtered(
                lambda other, lead=lead, customer=customer: (
                    other.id != lead._origin.id
                    and customer
                    and other.partner_id.commercial_partner_id == customer
                )
            )
            lead.other_salesperson_ids = same_customer.user_id - lead.user_id
            lead.similar_opportunity_ids = same_customer.filtered(
                lambda other, lead=lead: _similar(other.name, lead.name)
            )

    @api.constrains("forecast_manager_amount")
    def _check_forecast_manager_amount(self):
        if any(lead.forecast_manager_amount < 0 for lead in self):
            raise ValidationError(self.env._("The manager's forecast amount cannot be negative."))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_number_limits(self, vals, {"forecast_manager_amount": MAX_AMOUNT})
        return super().create(vals_list)

    def write(self, vals):
        check_number_limits(self, vals, {"forecast_manager_amount": MAX_AMOUNT})
        manager_fields = {"forecast_manager_category", "forecast_manager_amount"}
        if manager_fields & set(vals) and not self.env.user.has_group(
            "sales_team.group_sale_manager"
        ):
            raise AccessError(self.env._("Only sales managers adjust the forecast."))
        return super().write(vals)

    def _prepare_opportunity_quotation_context(self):
        """The opportunity's products become the quotation's lines."""
        context = super()._prepare_opportunity_quotation_context()
        if self.relational_line_ids:
            context["default_order_line"] = [
                (0, 0, line._quotation_line_values()) for line in self.relational_line_ids
            ]
        return context

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


def _similar(first, second):
    """Names that share most of their words (case and order aside)."""
    words = [set((name or "").lower().split()) for name in (first, second)]
    if not words[0] or not words[1]:
        return False
    return len(words[0] & words[1]) / min(len(words[0]), len(words[1])) >= 0.6
