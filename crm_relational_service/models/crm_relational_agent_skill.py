from odoo import fields, models


class CrmRelationalAgentSkill(models.Model):
    """How well an agent masters a skill, from 1 (basic) to 5 (expert)."""

    _name = "crm.relational.agent.skill"
    _description = "Agent Skill"
    _order = "agent_id, skill_id"

    agent_id = fields.Many2one(
        "crm.relational.agent", required=True, index=True, ondelete="cascade"
    )
    skill_id = fields.Many2one(
        "crm.relational.skill",
        required=True,
        ondelete="cascade",
        help="Routing gives the agent tickets needing it if their level reaches the skill's "
        "minimum.",
    )
    level = fields.Integer(default=3, required=True, help="1 (basic) to 5 (expert).")
    company_id = fields.Many2one(related="agent_id.company_id", store=True)

    _unique_skill = models.Constraint("UNIQUE(agent_id, skill_id)", "An agent has each skill once.")
    _check_level = models.Constraint(
        "CHECK(level BETWEEN 1 AND 5)", "A skill level is between 1 and 5."
    )
