from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..number_limits import MAX_AMOUNT, check_number_limits


class CrmRelationalSalesTarget(models.Model):
    """Revenue a salesperson or a sales team is expected to close over a period."""

    _name = "crm.relational.sales.target"
    _description = "Sales Target"
    _order = "date_from desc, team_id, user_id, id"
    _rec_names_search = ["user_id", "team_id"]

    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        index=True,
        help="Leave empty for a target of the whole sales team.",
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", index=True)
    date_from = fields.Date(string="From", required=True)
    date_to = fields.Date(string="To", required=True)
    amount = fields.Monetary(
        string="Target",
        required=True,
        currency_field="currency_id",
        help="Revenue to close (won opportunities and confirmed orders) within the period, "
        "in the company currency.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")

    _check_amount = models.Constraint("CHECK(amount >= 0)", "A sales target cannot be negative.")
    _check_dates = models.Constraint(
        "CHECK(date_from <= date_to)", "A sales target must end after it starts."
    )
    _check_owner = models.Constraint(
        "CHECK(user_id IS NOT NULL OR team_id IS NOT NULL)",
        "A sales target belongs to a salesperson, a sales team or both.",
    )

    @api.depends("user_id", "team_id", "date_from", "date_to")
    def _compute_display_name(self):
        for target in self:
            owner = target.user_id.name or target.team_id.name or ""
            target.display_name = f"{owner} {target.date_from or ''} → {target.date_to or ''}"

    @api.constrains("user_id", "team_id", "date_from", "date_to", "company_id")
    def _check_no_overlap(self):
        # One query for the whole batch: targets of the same owner whose periods intersect.
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
            SELECT a.id
              FROM crm_relational_sales_target a
              JOIN crm_relational_sales_target b
                ON a.id != b.id
               AND a.company_id = b.company_id
               AND a.user_id IS NOT DISTINCT FROM b.user_id
               AND a.team_id IS NOT DISTINCT FROM b.team_id
               AND a.date_from <= b.date_to AND b.date_from <= a.date_to
             WHERE a.id = ANY(%s)
             LIMIT 1
                """,
                self.ids,
            )
        )
        row = self.env.cr.fetchone()
        if row:
            target = self.browse(row[0])
            raise ValidationError(
                self.env._(
                    "%(target)s overlaps another target of the same salesperson and team.",
                    target=target.display_name,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_number_limits(self, vals, {"amount": MAX_AMOUNT})
        return super().create(vals_list)

    def write(self, vals):
        check_number_limits(self, vals, {"amount": MAX_AMOUNT})
        return super().write(vals)
