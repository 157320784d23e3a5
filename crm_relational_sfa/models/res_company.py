from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    sfa_forecast_period = fields.Selection(
        [("month", "Month"), ("quarter", "Quarter")],
        string="Forecast Period",
        default="quarter",
        required=True,
        help="The period the sales forecast and the targets are reported by.",
    )
    sfa_idle_days = fields.Integer(
        string="Idle Opportunity After (days)",
        default=14,
        help="An open opportunity untouched for longer needs a follow-up (0: only those without "
        "a planned activity).",
    )
    sfa_followup_activity = fields.Boolean(
        string="Plan Follow-ups Automatically",
        help="Every day, plan a to-do for the salesperson of each open opportunity that has "
        "no next activity.",
    )

    @api.constrains("sfa_idle_days")
    def _check_sfa_idle_days(self):
        if any(company.sfa_idle_days < 0 for company in self):
            raise ValidationError(self.env._("The idle limit cannot be negative."))
