from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError


class CrmRelationalTypeOverride(models.TransientModel):
    """A salesperson sets (or clears) a customer's relationship type by hand, saying why."""

    _name = "crm.relational.type.override"
    _description = "Set the Relationship Type by Hand"

    profile_id = fields.Many2one("crm.relational.profile", required=True, ondelete="cascade")
    partner_id = fields.Many2one(related="profile_id.partner_id")
    suggested_type_id = fields.Many2one(
        related="profile_id.relationship_type_suggested_id", string="Computed Type"
    )
    relationship_type_id = fields.Many2one(
        "crm.relational.relationship.type",
        string="New Type",
        help="Leave empty to go back to the computed type.",
    )
    reason = fields.Text(
        required=True, help="Why the computed type does not fit; kept in the chatter."
    )

    def action_apply(self):
        self.ensure_one()
        profile = self.profile_id
        # The user must be able to read the profile and to write its customer; then only the
        # override fields are written (sudo: profiles are written by the engine only, users
        # have read access).
        profile.check_access("read")
        profile.partner_id.check_access("write")
        if not (self.reason or "").strip():
            raise UserError(self.env._("Say why you set the relationship type by hand."))
        before = profile.relationship_type_id
        after = self.relationship_type_id or profile.relationship_type_suggested_id
        profile.sudo().write(
            {
                "relationship_type_override_id": self.relationship_type_id.id,
                "relationship_type_override_reason": self.reason.strip()
                if self.relationship_type_id else False,
                "relationship_type_id": after.id,
            }
        )  # fmt: skip
        if self.relationship_type_id:
            body = self.env._(
                "Relationship type set by hand: %(before)s → %(after)s. Reason: %(reason)s",
                before=before.name or self.env._("none"),
                after=after.name,
                reason=self.reason.strip(),
            )
        else:
            body = self.env._(
                "Relationship type back to the computed one (%(after)s). Reason: %(reason)s",
                after=after.name or self.env._("none"),
                reason=self.reason.strip(),
            )
        # An internal note of its own subtype: Forget This Customer finds and deletes it.
        profile.partner_id.message_post(
            body=Markup("<p>%s</p>") % body,
            subtype_xmlid="crm_relational.mt_relationship_type_override",
        )
        return {"type": "ir.actions.act_window_close"}
