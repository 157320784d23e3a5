from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    service_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Service Working Hours",
        help="Working hours and public holidays that service level deadlines are counted in, "
        "unless a team has its own. Empty means the company's working hours.",
    )
