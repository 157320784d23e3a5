from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    sfa_forecast_period = fields.Selection(related="company_id.sfa_forecast_period", readonly=False)
    sfa_idle_days = fields.Integer(related="company_id.sfa_idle_days", readonly=False)
    sfa_followup_activity = fields.Boolean(
        related="company_id.sfa_followup_activity", readonly=False
    )
