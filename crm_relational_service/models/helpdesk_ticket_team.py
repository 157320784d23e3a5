from odoo import fields, models


class HelpdeskTicketTeam(models.Model):
    _inherit = "helpdesk.ticket.team"

    resource_calendar_id = fields.Many2one(
        default=lambda self: (
            self.env.company.service_calendar_id or self.env.company.resource_calendar_id
        )
    )
    relational_routing = fields.Boolean(
        string="Skills-based Routing",
        help="New unassigned tickets go to the least-loaded agent of the team who has the "
        "required skills, has room and is working now (round-robin between equals).",
    )
