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
    relational_new_days = fields.Integer(related="company_id.relational_new_days", readonly=False)
    relational_lost_days = fields.Integer(related="company_id.relational_lost_days", readonly=False)
    relational_dormant_factor = fields.Float(
        related="company_id.relational_dormant_factor", readonly=False
    )
    relational_trend_threshold = fields.Float(
        related="company_id.relational_trend_threshold", readonly=False
    )
    relational_churn_threshold = fields.Integer(
        related="company_id.relational_churn_threshold", readonly=False
    )
    relational_neglect_days_a = fields.Integer(
        related="company_id.relational_neglect_days_a", readonly=False
    )
    relational_neglect_days_b = fields.Integer(
        related="company_id.relational_neglect_days_b", readonly=False
    )
    relational_neglect_days_c = fields.Integer(
        related="company_id.relational_neglect_days_c", readonly=False
    )
    relational_profile_archived = fields.Boolean(
        related="company_id.relational_profile_archived", readonly=False
    )
    relational_profile_blacklisted = fields.Boolean(
        related="company_id.relational_profile_blacklisted", readonly=False
    )
    relational_retention_months = fields.Integer(
        related="company_id.relational_retention_months", readonly=False
    )
