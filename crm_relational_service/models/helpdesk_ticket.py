from odoo import fields, models


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    # Indexed: the customer timeline finds a customer's tickets by partner.
    partner_id = fields.Many2one(index=True)
