from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CrmRelationalSkill(models.Model):
    """Something a ticket may require of its agent: a language, a product line, a channel.
    Routing keeps the active skills between requests: any change forgets them."""

    _name = "crm.relational.skill"
    _description = "Service Skill"
    _order = "skill_type, name, id"

    name = fields.Char(required=True, translate=True)
    skill_type = fields.Selection(
        [
            ("language", "Language"),
            ("product_category", "Product Category"),
            ("channel", "Channel"),
        ],
        string="Type",
        help="What the skill is about: tickets of customers speaking the language, about "
        "products of the category (and its sub-categories), or arriving through the channel "
        "need it.",
        required=True,
        default="language",
    )
    lang = fields.Selection(
        selection="_get_languages",
        string="Language",
        help="The language a ticket must be written in to require this skill.",
    )
    product_category_id = fields.Many2one(
        "product.category",
        help="Tickets about products of this category (or its subcategories) require this skill.",
    )
    channel_id = fields.Many2one(
        "helpdesk.ticket.channel",
        help="Tickets arriving through this channel require this skill.",
    )
    min_level = fields.Integer(
        string="Minimum Level",
        default=1,
        help="Level (1-5) an agent needs in this skill to be routed a ticket requiring it.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env.company,
        help="Leave empty to share the skill with every company.",
    )

    _check_min_level = models.Constraint(
        "CHECK(min_level BETWEEN 1 AND 5)", "A skill's minimum level is between 1 and 5."
    )

    @api.constrains("skill_type", "lang", "product_category_id", "channel_id")
    def _check_target(self):
        required = {
            "language": ("lang", self.env._("a language")),
            "product_category": ("product_category_id", self.env._("a product category")),
            "channel": ("channel_id", self.env._("a channel")),
        }
        for skill in self:
            field_name, what = required[skill.skill_type]
            if not skill[field_name]:
                raise ValidationError(
                    self.env._("Skill %(skill)s needs %(what)s.", skill=skill.name, what=what)
                )

    @api.model_create_multi
    def create(self, vals_list):
        skills = super().create(vals_list)
        self.env["crm.relational.routing"]._forget_kept()
        return skills

    def write(self, vals):
        result = super().write(vals)
        # Routing keeps the active skills between requests (``_skill_rules``).
        self.env["crm.relational.routing"]._forget_kept()
        return result

    def unlink(self):
        result = super().unlink()
        self.env["crm.relational.routing"]._forget_kept()
        return result

    def _get_languages(self):
        return self.env["res.lang"].get_installed()
