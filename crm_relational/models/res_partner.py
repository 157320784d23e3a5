from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    relational_interaction_count = fields.Integer(
        string="Interactions", compute="_compute_relational_interaction_count"
    )

    def _compute_relational_interaction_count(self):
        # One grouped query for the whole batch, over the commercial entities.
        commercial = self.commercial_partner_id
        counts = dict(
            self.env["crm.relational.timeline"]._read_group(
                [("partner_id", "in", commercial.ids)], ["partner_id"], ["__count"]
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
        action["context"] = {"search_default_groupby_month": 0}
        action["name"] = self.env._("Timeline of %s", self.commercial_partner_id.display_name)
        return action
