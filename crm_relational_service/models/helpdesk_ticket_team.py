from odoo import api, fields, models
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

    @api.model_create_multi
    def create(self, vals_list):
        teams = super().create(vals_list)
        teams._relational_start_agent_challenge()
        return teams

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

    @api.model
    def _relational_start_agent_challenge(self):
        """Start the monthly agent challenge shipped in draft as soon as a helpdesk team
        exists, so that goals and badges work without anyone looking for them. A challenge
        that has already run (it has goals) and was stopped by hand is left alone."""
        challenge = self.env.ref(
            "crm_relational_service.challenge_service_month", raise_if_not_found=False
        )
        if not challenge or not self.search_count([], limit=1):
            return
        # sudo: starting a challenge is gamification administration; a helpdesk manager's
        # first team starts only this shipped challenge (its users: the service agents), and
        # only while it is a draft that never ran; nothing is read back.
        challenge = challenge.sudo()
        goals = challenge.env["gamification.goal"].search_count(
            [("challenge_id", "=", challenge.id)], limit=1
        )
        if challenge.state == "draft" and not goals:
            challenge.action_start()
