from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..analytics import stage


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

    relational_new_days = fields.Integer(
        string="New Customer Period (days)",
        default=stage.DEFAULTS["new_days"],
        help="A customer whose first order is more recent than this is new; a customer won "
        "back stays won back this long.",
    )
    relational_lost_days = fields.Integer(
        string="Lost After (days)",
        default=stage.DEFAULTS["lost_days"],
        help="A customer without an order for longer than this is lost.",
    )
    relational_dormant_factor = fields.Float(
        string="Dormant After (times the usual interval)",
        default=stage.DEFAULTS["dormant_factor"],
        help="A customer silent for longer than this many times its own usual interval "
        "between orders is dormant.",
    )
    relational_trend_threshold = fields.Float(
        string="Growth or Decline Threshold (%)",
        default=stage.DEFAULTS["trend_threshold"] * 100,
        help="Revenue of the last half-year this much above (below) the half-year before "
        "makes a customer growing (declining).",
    )
    relational_churn_threshold = fields.Integer(
        string="Churn Risk Below Health",
        default=40,
        help="Customers whose health score is below this are flagged at risk of churning.",
    )
    relational_neglect_days_a = fields.Integer(
        string="Contact Tier A Every (days)",
        default=30,
        help="A tier A customer not contacted (e-mail, call or meeting) for longer is neglected.",
    )
    relational_neglect_days_b = fields.Integer(
        string="Contact Tier B Every (days)",
        default=60,
        help="A tier B customer not contacted for longer is neglected.",
    )
    relational_neglect_days_c = fields.Integer(
        string="Contact At-Risk Tier C Every (days)",
        default=90,
        help="A tier C customer at risk of churning not contacted for longer is neglected "
        "(0: do not watch tier C).",
    )
    relational_profile_archived = fields.Boolean(
        string="Profile Archived Contacts",
        help="Also compute profiles for archived customers (by default they get none).",
    )
    relational_profile_blacklisted = fields.Boolean(
        string="Profile Blacklisted Contacts",
        help="Also compute profiles for customers whose e-mail address is blacklisted (by "
        "default they get none).",
    )
    relational_retention_months = fields.Integer(
        string="Inactive After (months)",
        default=24,
        help="Customers with no order, invoice, payment, delivery, opportunity, e-mail, call, "
        "meeting or ticket for this many months are listed under Inactive Customers, to be "
        "re-engaged or anonymised (0: no retention policy).",
    )

    @api.constrains(
        "relational_tier_a_share",
        "relational_tier_b_share",
        "relational_clv_horizon_months",
        "relational_clv_discount_rate",
        "relational_new_days",
        "relational_lost_days",
        "relational_dormant_factor",
        "relational_trend_threshold",
        "relational_churn_threshold",
        "relational_neglect_days_a",
        "relational_neglect_days_b",
        "relational_neglect_days_c",
        "relational_retention_months",
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
            if not 1 <= company.relational_new_days < company.relational_lost_days:
                raise ValidationError(
                    self.env._(
                        "The new customer period must be at least one day and shorter than "
                        "the time after which a customer is lost."
                    )
                )
            if company.relational_dormant_factor < 1:
                raise ValidationError(
                    self.env._("A customer cannot be dormant before its usual interval is over.")
                )
            if not company.relational_dormant_factor <= 100:
                raise ValidationError(
                    self.env._(
                        "A customer is dormant after at most 100 times its usual interval "
                        "between orders."
                    )
                )
            if not 0 < company.relational_trend_threshold < 100:
                raise ValidationError(
                    self.env._("The growth or decline threshold must be between 0 and 100 %.")
                )
            if not 0 <= company.relational_churn_threshold <= 100:
                raise ValidationError(
                    self.env._("The churn risk threshold is a health score, from 0 to 100.")
                )
            if min(company._relational_neglect_days().values()) < 0:
                raise ValidationError(self.env._("The contact intervals cannot be negative."))
            if not 0 <= company.relational_retention_months <= 1200:
                raise ValidationError(
                    self.env._(
                        "The retention period is a number of months from 0 (no policy) to 1200."
                    )
                )

    def _relational_stage_thresholds(self):
        """The stage engine's thresholds (see ``analytics.stage``) set on this company."""
        self.ensure_one()
        return {
            "new_days": self.relational_new_days,
            "lost_days": self.relational_lost_days,
            "dormant_factor": self.relational_dormant_factor,
            "trend_threshold": self.relational_trend_threshold / 100.0,
        }

    def _relational_neglect_days(self):
        """Days a customer of each tier may go without contact (0: not watched)."""
        self.ensure_one()
        return {
            "A": self.relational_neglect_days_a,
            "B": self.relational_neglect_days_b,
            "C": self.relational_neglect_days_c,
        }
