from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    sfa_forecast_period = fields.Selection(
        [("month", "Month"), ("quarter", "Quarter")],
        string="Forecast Period",
        default="quarter",
        required=True,
        help="The period the sales forecast and the targets are reported by.",
    )
