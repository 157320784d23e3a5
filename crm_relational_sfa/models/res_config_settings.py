from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    sfa_forecast_period = fields.Selection(related="company_id.sfa_forecast_period", readonly=False)
