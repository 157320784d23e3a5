from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    relational_tier_a_share = fields.Float(
        related="company_id.relational_tier_a_share", readonly=False
    )
    relational_tier_b_share = fields.Float(
        related="company_id.relational_tier_b_share", readonly=False
    )
    relational_clv_horizon_months = fields.Integer(
        related="company_id.relational_clv_horizon_months", readonly=False
    )
    relational_clv_discount_rate = fields.Float(
        related="company_id.relational_clv_discount_rate", readonly=False
    )
