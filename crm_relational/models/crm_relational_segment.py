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
    partner_count = fields.Integer(
        string="Customer Count",
        compute="_compute_partner_count",
        help="Customers (commercial entities) that match the segment's filter now.",
    )
    mailing_filter_id = fields.Many2one(
        "mailing.filter",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The favorite filter that offers this segment as recipients in Email Marketing.",
    )

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

    @api.model_create_multi
    def create(self, vals_list):
        segments = super().create(vals_list)
        segments._sync_mailing_filter()
        return segments

    def write(self, vals):
        result = super().write(vals)
        if {"name", "domain", "active"} & set(vals):
            self._sync_mailing_filter()
        return result

    def unlink(self):
        # sudo: the filters are the segments' own copies, see _sync_mailing_filter.
        filters = self.sudo().mailing_filter_id
        result = super().unlink()
        filters.unlink()
        return result

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

    def action_send_mailing(self):
        """A new mass mailing to the customers of the segment."""
        self.ensure_one()
        # Checked here: the sudo of _sync_mailing_filter prefetches the segment, so its fields
        # would be read from the cache, past the record rules (another company's segment).
        self.check_access("read")
        # The favorite filter is refreshed (written as superuser) only for those who may write
        # the segment; a reader gets the mailing on the segment's customers without any write
        # (the filter was kept up to date by the segment's last write).
        if self.has_access("write"):
            self._sync_mailing_filter()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Mailing to %s", self.name),
            "res_model": "mailing.mailing",
            "view_mode": "form",
            "context": {
                "default_subject": self.name,
                "default_mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "default_mailing_filter_id": self.mailing_filter_id.id,
                "default_mailing_domain": repr(self._partner_domain()),
            },
        }

    def _partner_domain(self):
        """The segment's domain restricted to commercial entities that accept profiling."""
        self.ensure_one()
        commercial = Domain("is_company", "=", True) | Domain("parent_id", "=", False)
        consenting = Domain("relational_no_profiling", "=", False)
        return list(Domain(safe_eval(self.domain or "[]")) & commercial & consenting)

    def _sync_mailing_filter(self):
        """Keep one Email Marketing favorite filter per active segment, with its domain.

        sudo: a relationship administrator need not be an Email Marketing user; the filter
        holds nothing but the segment's own name and customer domain.
        """
        partner_model = self.env["ir.model"]._get_id("res.partner")
        for segment in self:
            mailing_filter = segment.sudo().mailing_filter_id
            if not segment.active:
                mailing_filter.unlink()
                continue
            values = {
                "name": self.env._("Segment: %s", segment.name),
                "mailing_domain": repr(segment._partner_domain()),
                "mailing_model_id": partner_model,
            }
            if mailing_filter:
                mailing_filter.write(values)
            else:
                segment.sudo().mailing_filter_id = self.env["mailing.filter"].sudo().create(values)
