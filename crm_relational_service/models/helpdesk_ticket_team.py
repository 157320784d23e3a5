from odoo import fields, models


class HelpdeskTicketTeam(models.Model):
    _inherit = "helpdesk.ticket.team"

    relational_routing = fields.Boolean(
        string="Skills-based Routing",
        help="New unassigned tickets go to the least-loaded agent of the team who has the "
        "required skills, has room and is working now (round-robin between equals).",
    )
