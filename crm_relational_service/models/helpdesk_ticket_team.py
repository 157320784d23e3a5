from odoo import fields, models
from odoo.exceptions import UserError


class HelpdeskTicketTeam(models.Model):
    _inherit = "helpdesk.ticket.team"

    resource_calendar_id = fields.Many2one(
        default=lambda self: (
            self.env.company.service_calendar_id or self.env.company.resource_calendar_id
        ),
        help="The team's working hours: service level deadlines are counted in them, and "
        "routing gives tickets only to agents working now (their own hours if they have any, "
        "else these).",
    )
    relational_routing = fields.Boolean(
        string="Skills-based Routing",
        help="New unassigned tickets go to the least-loaded agent of the team who has the "
        "required skills, has room and is working now (round-robin between equals).",
    )

    def action_relational_route_unassigned(self):
        """Route every unassigned open ticket of the team in the background (helpdesk
        managers); see ``helpdesk.ticket.action_relational_route_background``."""
        self.ensure_one()
        if not self.relational_routing:
            raise UserError(self.env._("Turn on skills-based routing for the team first."))
        tickets = self.env["helpdesk.ticket"].search(
            [("team_id", "=", self.id), ("user_id", "=", False), ("closed", "=", False)]
        )
        return self.env["crm.relational.routing.run"]._start(tickets, team=self)
