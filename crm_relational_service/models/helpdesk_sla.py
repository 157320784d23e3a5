from odoo import fields, models

TIERS = [("A", "Tier A"), ("B", "Tier B"), ("C", "Tier C")]


class HelpdeskSla(models.Model):
    """OCA's service levels, by priority and customer value tier too, for the first reply or a
    stage, with an escalation when missed."""

    _inherit = "helpdesk.sla"

    relational_target = fields.Selection(
        [("stage", "Stage Reached"), ("first_response", "First Reply")],
        string="Measures",
        default="stage",
        required=True,
        help="Stage Reached: met when the ticket reaches the stage (resolution). First Reply: met "
        "when an agent first writes to the customer.",
    )
    relational_priority = fields.Selection(
        [("0", "Low"), ("1", "Medium"), ("2", "High"), ("3", "Very High")],
        string="Priority",
        help="Only tickets of this priority (empty: any).",
    )
    relational_value_tier = fields.Selection(
        TIERS,
        string="Customer Tier",
        help="Only customers of this value tier (empty: every customer). Every service level "
        "that fits a ticket applies and the earliest deadline counts, so a tier's level can "
        "shorten the base one, never lengthen it.",
    )
    relational_escalation = fields.Selection(
        [("none", "Nothing"), ("notify", "Notify the Team Leader"), ("reassign", "Reassign to "
         "the Team Leader")],
        string="When Missed",
        default="notify",
        required=True,
        help="What happens when a ticket misses this target: the escalation job (every 15 "
        "minutes) notifies the team leader or gives them the ticket, once per ticket.",
    )  # fmt: skip
