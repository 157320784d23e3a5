from odoo import api, fields, models
from odoo.tools import SQL


class CrmRelationalAgent(models.Model):
    """A service agent as routing sees them: skills with levels, and how many open tickets
    they can carry at once."""

    _name = "crm.relational.agent"
    _description = "Service Agent"
    _order = "user_id, id"
    _rec_name = "user_id"

    user_id = fields.Many2one(
        "res.users",
        string="Agent",
        required=True,
        index=True,
        ondelete="cascade",
        domain=[("share", "=", False)],
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        help="Routing gives the agent the tickets of this company only.",
    )
    active = fields.Boolean(default=True)
    capacity = fields.Integer(
        default=10, help="Open tickets the agent can carry; routing gives them no more."
    )
    skill_ids = fields.One2many("crm.relational.agent.skill", "agent_id", string="Skills")
    last_assigned_at = fields.Datetime(
        string="Last Routed To",
        readonly=True,
        help="When routing last gave the agent a ticket: between agents equally loaded, the one "
        "who waited longest gets the next (round-robin).",
    )
    open_ticket_count = fields.Integer(
        string="Open Tickets",
        compute="_compute_open_ticket_count",
        help="Tickets assigned to the agent and not closed; routing compares it to the capacity.",
    )

    _unique_user = models.Constraint(
        "UNIQUE(user_id, company_id)", "A user is one agent per company."
    )
    _check_capacity = models.Constraint(
        "CHECK(capacity >= 0)", "An agent's capacity cannot be negative."
    )

    @api.depends("user_id", "company_id")
    def _compute_open_ticket_count(self):
        """The agent's open tickets in the agent's company, among those the reader may read
        (an agent who sees only their own tickets is not told how many the others have;
        routing counts them all, see ``crm.relational.routing._open_loads``). One grouped
        count for all the agents."""
        counts = dict.fromkeys(self.ids, 0)
        if self.user_id:
            groups = self.env["helpdesk.ticket"]._read_group(
                [("user_id", "in", self.user_id.ids), ("company_id", "in", self.company_id.ids),
                 ("stage_id.closed", "=", False)],
                ["user_id", "company_id"],
                ["__count"],
            )  # fmt: skip
            by_key = {(user.id, company.id): count for user, company, count in groups}
            for agent in self:
                counts[agent.id] = by_key.get((agent.user_id.id, agent.company_id.id), 0)
        for agent in self:
            agent.open_ticket_count = counts.get(agent.id, 0)

    @api.model
    def _sql_error_to_message(self, exc):
        # Skills imported with their agent: the message of the skill line's own constraint
        # ("A skill level is between 1 and 5."), not PostgreSQL's.
        AgentSkill = self.env["crm.relational.agent.skill"]
        if exc.diag.table_name == AgentSkill._table:
            return AgentSkill._sql_error_to_message(exc)
        return super()._sql_error_to_message(exc)

    def _relational_stamp(self, moment):
        """Record that routing gave the agent a ticket at ``moment``. The update locks the
        agent's row until the end of the transaction: a concurrent transaction that routed
        to the agent since this one began makes it fail to serialize, one still routing to
        the agent makes it wait, so the agent's load read before stays true."""
        self.ensure_one()
        self.flush_recordset(["last_assigned_at"])
        self.env.cr.execute(
            SQL(
                """UPDATE crm_relational_agent
                      SET last_assigned_at = %s, write_uid = %s, write_date = %s
                    WHERE id = %s""",
                moment,
                self.env.uid,
                self.env.cr.now(),
                self.id,
            )
        )
        self.invalidate_recordset(["last_assigned_at", "write_uid", "write_date"])
