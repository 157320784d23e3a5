from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    relational_tier_a_share = fields.Float(
        string="Tier A Share of Margin (%)",
        default=80.0,
        help="Customers who together bring this share of the margin, largest first, are tier A.",
    )
    relational_tier_b_share = fields.Float(
        string="Tier B Share of Margin (%)",
        default=95.0,
        help="Customers after tier A up to this cumulative share of the margin are tier B; "
        "the rest are tier C.",
    )
    relational_clv_horizon_months = fields.Integer(
        string="Lifetime Value Horizon (months)",
        default=12,
        help="How far ahead the customer lifetime value counts future purchases.",
    )
    relational_clv_discount_rate = fields.Float(
        string="Annual Discount Rate (%)",
        default=10.0,
        help="Rate at which future purchases are discounted in the customer lifetime value.",
    )

    @api.constrains(
        "relational_tier_a_share",
        "relational_tier_b_share",
        "relational_clv_horizon_months",
        "relational_clv_discount_rate",
    )
    def _check_relational_settings(self):
        for company in self:
            if not 0 < company.relational_tier_a_share < company.relational_tier_b_share <= 100:
                raise ValidationError(
                    self.env._(
                        "Value tiers need 0 < tier A share < tier B share <= 100 %% "
                        "(company %(company)s).",
                        company=company.name,
                    )
                )
            if not 1 <= company.relational_clv_horizon_months <= 120:
                raise ValidationError(
                    self.env._("The lifetime value horizon must be between 1 and 120 months.")
                )
            if not 0 <= company.relational_clv_discount_rate < 100:
                raise ValidationError(
                    self.env._("The annual discount rate must be at least 0 % and below 100 %.")
                )
