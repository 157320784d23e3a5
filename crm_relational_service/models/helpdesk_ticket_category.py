from odoo import fields, models


class HelpdeskTicketCategory(models.Model):
    _inherit = "helpdesk.ticket.category"

    relational_skill_ids = fields.Many2many(
        "crm.relational.skill",
        string="Required Skills",
        help="Skills an agent needs for tickets of this category.",
    )
    relational_complaint = fields.Boolean(
        string="Complaint",
        help="Tickets of this category are complaints: a negative signal in the customer's "
        "relational profile.",
    )
