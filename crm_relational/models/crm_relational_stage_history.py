from odoo import fields, models

from ..analytics import stage


class CrmRelationalStageHistory(models.Model):
    """A change of relationship stage of a customer, as the nightly computation saw it."""

    _name = "crm.relational.stage.history"
    _description = "Relationship Stage Change"
    _order = "date desc, id desc"

    profile_id = fields.Many2one(
        "crm.relational.profile", required=True, index=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, index=True, ondelete="cascade")
    stage_from = fields.Selection(
        stage.STAGES,
        string="From Stage",
        readonly=True,
        help="Empty for the first stage recorded for the customer.",
    )
    stage_to = fields.Selection(stage.STAGES, string="To Stage", required=True, readonly=True)
    date = fields.Date(
        required=True, readonly=True, help="Day of the recompute that saw the change."
    )
