from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools.safe_eval import safe_eval


class CrmRelationalSegment(models.Model):
    """A saved, named group of customers defined by a domain over their fields."""

    _name = "crm.relational.segment"
    _description = "Customer Segment"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    description = fields.Text(
        translate=True, help="What the customers of this segment have in common."
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env.company,
        help="Leave empty to share the segment with every company.",
    )
    domain = fields.Char(
        string="Customers",
        default="[]",
        required=True,
        help="Which customers belong to the segment. Only commercial entities (companies and "
        "individuals without a parent company) are counted.",
    )
    partner_count = fields.Integer(string="Customer Count", compute="_compute_partner_count")

    def _compute_partner_count(self):
        # One count per segment: each segment has its own domain, so they cannot share a query;
        # segments are few (tens), customers many.
        for segment in self:
            segment.partner_count = self.env["res.partner"].search_count(segment._partner_domain())

    @api.constrains("domain")
    def _check_domain(self):
        for segment in self:
            try:
                self.env["res.partner"].search_count(segment._partner_domain(), limit=1)
            except Exception as error:
                raise ValidationError(
                    self.env._(
                        "The customer filter of segment %(segment)s is not valid: %(error)s",
                        segment=segment.name,
                        error=error,
                    )
                ) from error

    def action_view_partners(self):
        """Open the customers of the segment."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": "res.partner",
            "view_mode": "list,kanban,form",
            "domain": self._partner_domain(),
            "context": {"default_is_company": True},
        }

    def _partner_domain(self):
        """The segment's domain restricted to commercial entities."""
        self.ensure_one()
        commercial = Domain("is_company", "=", True) | Domain("parent_id", "=", False)
        return list(Domain(safe_eval(self.domain or "[]")) & commercial)
