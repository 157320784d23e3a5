from odoo import api, fields, models
from odoo.exceptions import ValidationError

DIMENSIONS = ("valence", "intensity", "reciprocity")


class CrmRelationalRelationshipType(models.Model):
    """A named kind of relationship (friend, adversary, ...) and the dimension ranges that make it.

    The recompute gives each customer the first type, in sequence order, whose ranges hold its
    valence, intensity, reciprocity and tenure. The types and their ranges are data: a manager
    can tune, add or retire them.
    """

    _name = "crm.relational.relationship.type"
    _description = "Relationship Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    description = fields.Text(translate=True, help="What this kind of relationship means.")
    advice = fields.Text(translate=True, help="What to do with a customer of this type.")
    sequence = fields.Integer(
        default=10, help="Types are tried in this order; the first one that matches wins."
    )
    active = fields.Boolean(default=True)
    color = fields.Integer()
    valence_min = fields.Integer(
        string="Valence From", default=0,
        help="Lowest valence (0-100: share of positive signals, 50 neutral) of this type.",
    )  # fmt: skip
    valence_max = fields.Integer(
        string="Valence To", default=100, help="Highest valence (0-100) of this type."
    )
    intensity_min = fields.Integer(
        string="Intensity From", default=0,
        help="Lowest intensity (0-100: percentile of the number of interactions) of this type.",
    )  # fmt: skip
    intensity_max = fields.Integer(
        string="Intensity To", default=100, help="Highest intensity (0-100) of this type."
    )
    reciprocity_min = fields.Integer(
        string="Reciprocity From", default=0,
        help="Lowest reciprocity (0-100: 100 when the customer starts half the conversations).",
    )  # fmt: skip
    reciprocity_max = fields.Integer(
        string="Reciprocity To", default=100, help="Highest reciprocity (0-100) of this type."
    )
    tenure_min_days = fields.Integer(
        string="Minimum Tenure (days)", default=0, help="How long the customer must have bought."
    )
    profile_count = fields.Integer(
        string="Customers",
        compute="_compute_profile_count",
        help="Customer profiles that have this type now (computed or set by hand).",
    )

    def _compute_profile_count(self):
        counts = dict(
            self.env["crm.relational.profile"]._read_group(
                [("relationship_type_id", "in", self.ids)], ["relationship_type_id"], ["__count"]
            )
        )
        for relationship_type in self:
            relationship_type.profile_count = counts.get(relationship_type, 0)

    @api.constrains(
        *(f"{d}_{end}" for d in DIMENSIONS for end in ("min", "max")), "tenure_min_days"
    )
    def _check_ranges(self):
        for relationship_type in self:
            for dimension in DIMENSIONS:
                low = relationship_type[f"{dimension}_min"]
                high = relationship_type[f"{dimension}_max"]
                if not 0 <= low <= high <= 100:
                    raise ValidationError(
                        self.env._(
                            "Relationship type %(type)s: the %(dimension)s range must lie "
                            "within 0-100, its start not above its end.",
                            type=relationship_type.name,
                            dimension=self._fields[f"{dimension}_min"].string,
                        )
                    )
            if relationship_type.tenure_min_days < 0:
                raise ValidationError(self.env._("The minimum tenure cannot be negative."))

    def _rules(self):
        """The active types as plain dicts, in matching order, for the engine."""
        return [
            {
                "id": relationship_type.id,
                "tenure_min_days": relationship_type.tenure_min_days,
                **{
                    f"{d}_{end}": relationship_type[f"{d}_{end}"]
                    for d in DIMENSIONS
                    for end in ("min", "max")
                },
            }
            for relationship_type in self.search([("active", "=", True)], order="sequence, id")
        ]

    def action_view_profiles(self):
        self.ensure_one()
        self.check_access("read")  # callable over RPC: only by those who see the types
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relational.action_crm_relational_profile"
        )
        action["domain"] = [("relationship_type_id", "=", self.id)]
        return action
