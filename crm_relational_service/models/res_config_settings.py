from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    service_calendar_id = fields.Many2one(related="company_id.service_calendar_id", readonly=False)
