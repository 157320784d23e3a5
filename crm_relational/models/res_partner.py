from odoo import api, fields, models
from odoo.fields import Domain


class ResPartner(models.Model):
    _inherit = "res.partner"

    relational_profile_ids = fields.One2many(
        "crm.relational.profile", "partner_id", string="Profiles per Company"
    )
    relational_profile_id = fields.Many2one(
        "crm.relational.profile",
        string="Profile in This Company",
        compute="_compute_relational_profile_id",
        search="_search_relational_profile_id",
        help="The customer's profile in the current company.",
    )
    relational_value_tier = fields.Selection(
        related="relational_profile_id.value_tier", string="Value Tier"
    )
    relational_rfm_segment = fields.Selection(
        related="relational_profile_id.rfm_segment", string="RFM Segment"
    )
    relational_stage = fields.Selection(
        related="relational_profile_id.stage", string="Relationship Stage"
    )
    relational_clv = fields.Monetary(
        related="relational_profile_id.clv",
        string="Lifetime Value",
        currency_field="relational_currency_id",
    )
    relational_currency_id = fields.Many2one(
        related="relational_profile_id.currency_id", string="Profile Currency"
    )
    relational_interaction_count = fields.Integer(
        string="Interactions", compute="_compute_relational_interaction_count"
    )

    @api.depends_context("company")
    def _compute_relational_profile_id(self):
        # One search for the whole batch, over the commercial entities, in the current company.
        profiles = self.env["crm.relational.profile"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
            ]
        )
        by_partner = {profile.partner_id: profile for profile in profiles}
        for partner in self:
            partner.relational_profile_id = by_partner.get(partner.commercial_partner_id)

    def _search_relational_profile_id(self, operator, value):
        current = Domain("company_id", "=", self.env.company.id)
        if operator in ("any", "not any"):
            return [("relational_profile_ids", operator, current & Domain(value))]
        return [("relational_profile_ids", "any", current & Domain("id", operator, value))]

    def _compute_relational_interaction_count(self):
        # One grouped query for the whole batch, over the commercial entities.
        counts = dict(
            self.env["crm.relational.timeline"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.relational_interaction_count = counts.get(partner.commercial_partner_id, 0)

    def action_view_relational_timeline(self):
        """The customer's timeline: every interaction with its commercial entity."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relational.action_crm_relational_timeline"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["name"] = self.env._("Timeline of %s", self.commercial_partner_id.display_name)
        return action
