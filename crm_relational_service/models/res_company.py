from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    service_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Service Working Hours",
        help="The working hours and public holidays new helpdesk teams count their service "
        "level deadlines in (each team can change its own). Empty means the company's working "
        "hours.",
    )
