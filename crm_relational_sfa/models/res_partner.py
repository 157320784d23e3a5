from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.fields import Domain

RECENT = 5
# Timeline kinds the call sheet lists as documents of their own.
DOCUMENT_KINDS = ["sale_order", "invoice", "refund", "payment", "delivery", "opportunity"]


class ResPartner(models.Model):
    _inherit = "res.partner"

    relational_credit_outstanding = fields.Monetary(
        string="Outstanding (Tax Incl.)",
        compute="_compute_relational_credit",
        groups="crm_relational_sfa.group_user",
        currency_field="relational_credit_currency_id",
        help="Receivable not yet paid, taxes included (posted invoices less credit notes and "
        "payments).",
    )
    relational_credit_overdue = fields.Monetary(
        string="Overdue",
        compute="_compute_relational_credit",
        groups="crm_relational_sfa.group_user",
        currency_field="relational_credit_currency_id",
        help="The part of the outstanding amount past its due date.",
    )
    relational_credit_to_invoice = fields.Monetary(
        string="Ordered, Not Invoiced (Tax Incl.)",
        compute="_compute_relational_credit",
        groups="crm_relational_sfa.group_user",
        currency_field="relational_credit_currency_id",
        help="Confirmed orders still to invoice, taxes included (as they will be invoiced).",
    )
    relational_credit_exposure = fields.Monetary(
        string="Credit Exposure (Tax Incl.)",
        compute="_compute_relational_credit",
        groups="crm_relational_sfa.group_user",
        currency_field="relational_credit_currency_id",
        help="Outstanding plus ordered but not invoiced, both taxes included: what the "
        "customer owes or will owe.",
    )
    relational_credit_limit = fields.Monetary(
        string="Applicable Credit Limit",
        compute="_compute_relational_credit",
        groups="crm_relational_sfa.group_user",
        currency_field="relational_credit_currency_id",
        help="The customer's own limit, else the company's default; 0 when none applies.",
    )
    relational_credit_available = fields.Monetary(
        string="Credit Available",
        compute="_compute_relational_credit",
        groups="crm_relational_sfa.group_user",
        currency_field="relational_credit_currency_id",
        help="The applicable credit limit less the credit exposure (negative: over the limit); "
        "0 when no limit applies.",
    )
    relational_credit_blocked = fields.Boolean(
        string="Over Credit Limit",
        compute="_compute_relational_credit",
        groups="crm_relational_sfa.group_user",
        help="The exposure exceeds the credit limit, or invoices are overdue.",
    )
    relational_credit_currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_relational_credit",
        string="Credit Currency",
        groups="crm_relational_sfa.group_user",
    )
    relational_open_opportunity_ids = fields.Many2many(
        "crm.lead",
        string="Open Opportunities",
        compute="_compute_relational_call_sheet",
        groups="crm_relational_sfa.group_user",
        help="The customer's opportunities still open, earliest expected closing first.",
    )
    relational_quotation_ids = fields.Many2many(
        "sale.order",
        string="Open Quotations",
        compute="_compute_relational_call_sheet",
        groups="crm_relational_sfa.group_user",
        help="The customer's quotations not yet confirmed nor cancelled.",
    )
    relational_recent_order_ids = fields.Many2many(
        "sale.order",
        "res_partner_relational_recent_order_rel",
        string="Recent Orders",
        compute="_compute_relational_call_sheet",
        groups="crm_relational_sfa.group_user",
        help="The customer's five latest confirmed sale orders.",
    )
    relational_recent_interaction_ids = fields.Many2many(
        "crm.relational.timeline",
        string="Recent Conversations",
        compute="_compute_relational_call_sheet",
        groups="crm_relational_sfa.group_user",
        help="The latest e-mails, calls, meetings and tickets of the customer.",
    )
    relational_recent_picking_ids = fields.Many2many(
        "stock.picking",
        string="Recent Deliveries",
        compute="_compute_relational_call_sheet",
        groups="crm_relational_sfa.group_user",
        help="The customer's five latest deliveries, cancelled ones left out.",
    )

    # Computed from the documents the user may read: one value per user and company.
    @api.depends_context("uid", "company")
    def _compute_relational_credit(self):
        company = self.env.company
        customers = self.commercial_partner_id
        today = fields.Date.context_today(self)
        outstanding, overdue, to_invoice = (
            defaultdict(float),
            defaultdict(float),
            defaultdict(float),
        )
        lines = Domain.AND(
            [
                [("partner_id", "child_of", customers.ids)],
                [("company_id", "=", company.id), ("parent_state", "=", "posted")],
                [("account_type", "=", "asset_receivable"), ("reconciled", "=", False)],
            ]
        )
        # The sums are read as the user: only the invoices, payments and orders the user may
        # read count (own-documents salespeople: their own and unassigned ones).
        for partner, late, residual in self._relational_read_group(
            "account.move.line",
            lines,
            ["partner_id", "date_maturity:day"],
            ["amount_residual:sum"],
        ):
            customer = partner.commercial_partner_id
            outstanding[customer] += residual
            if late and fields.Date.to_date(late) < today:
                overdue[customer] += residual
        # Tax included, like the receivable it is added to (and like Odoo's own credit
        # check, res.partner.credit_to_invoice): the lines' un-invoiced balance. It is not
        # stored, so the lines left to invoice are fetched once, as the user, and summed.
        lines_to_invoice = self.env["sale.order.line"]
        if lines_to_invoice.has_access("read"):
            lines_to_invoice = lines_to_invoice.search_fetch(
                [
                    ("order_id.partner_invoice_id", "child_of", customers.ids),
                    ("company_id", "=", company.id),
                    ("state", "=", "sale"),
                    ("untaxed_amount_to_invoice", "!=", 0),
                ],
                ["order_partner_id", "currency_id", "price_total", "product_uom_qty"],
            )
        for (partner, currency), group in lines_to_invoice.grouped(
            lambda line: (line.order_partner_id, line.currency_id)
        ).items():
            to_invoice[partner.commercial_partner_id] += currency._convert(
                sum(group.mapped("amount_to_invoice")), company.currency_id, company, today
            )
        # sudo: the credit limit fields are for accounting users; a salesperson sees the
        # applicable limit (and only it) on the call sheet to sell on terms safely.
        limits = {customer: customer.sudo() for customer in customers}
        for partner in self:
            customer = partner.commercial_partner_id
            limit = (
                limits[customer].credit_limit
                if limits[customer].use_partner_credit_limit
                else company.account_default_credit_limit
                if company.account_use_credit_limit
                else 0.0
            )  # fmt: skip
            exposure = outstanding[customer] + to_invoice[customer]
            partner.relational_credit_currency_id = company.currency_id
            partner.relational_credit_outstanding = outstanding[customer]
            partner.relational_credit_overdue = overdue[customer]
            partner.relational_credit_to_invoice = to_invoice[customer]
            partner.relational_credit_exposure = exposure
            partner.relational_credit_limit = limit
            partner.relational_credit_available = limit - exposure if limit else 0.0
            partner.relational_credit_blocked = bool(
                (limit and exposure > limit) or overdue[customer] > 0
            )

    # Computed from the documents the user may read: one value per user and company.
    @api.depends_context("uid", "company")
    def _compute_relational_call_sheet(self):
        self._compute_relational_recent_interactions()
        customers = self.commercial_partner_id
        family = [("partner_id", "child_of", customers.ids)]
        leads = self.env["crm.lead"].search(
            [*family, ("type", "=", "opportunity"), ("won_status", "=", "pending")],
            order="date_deadline, id",
        )
        orders = self.env["sale.order"].search(
            [*family, ("state", "in", ("draft", "sent", "sale"))], order="date_order desc, id desc"
        )
        pickings = self.env["stock.picking"].search(
            [*family, ("picking_type_code", "=", "outgoing"), ("state", "!=", "cancel")],
            order="scheduled_date desc, id desc",
        )

        def of(records, customer):
            return records.filtered(
                lambda record: record.partner_id.commercial_partner_id == customer
            )

        for partner in self:
            customer = partner.commercial_partner_id
            mine = of(orders, customer)
            partner.relational_open_opportunity_ids = of(leads, customer)
            partner.relational_quotation_ids = mine.filtered(
                lambda order: order.state in ("draft", "sent")
            )
            partner.relational_recent_order_ids = mine.filtered(
                lambda order: order.state == "sale"
            )[:RECENT]
            partner.relational_recent_picking_ids = of(pickings, customer)[:RECENT]

    def _compute_relational_recent_interactions(self):
        """The latest conversations of the year: e-mails, calls, meetings and, with the service
        addon, tickets (every timeline kind but the documents the call sheet lists itself)."""
        customers = self.commercial_partner_id
        interactions = self.env["crm.relational.timeline"].search(
            [
                ("partner_id", "in", customers.ids),
                ("kind", "not in", DOCUMENT_KINDS),
                ("date", ">=", fields.Datetime.now() - timedelta(days=365)),
            ],
            order="date desc, id desc",
        )
        for partner in self:
            customer = partner.commercial_partner_id
            partner.relational_recent_interaction_ids = interactions.filtered(
                lambda row, customer=customer: row.partner_id == customer
            )[:RECENT]

    def _relational_read_group(self, model, domain, groupby, aggregates):
        """``_read_group`` of ``model`` as the current user, record rules applied; nothing
        when the user may not read that model at all (no accounting nor sales rights)."""
        Model = self.env[model]
        if not Model.has_access("read"):
            return []
        return Model._read_group(domain, groupby, aggregates)

    @api.readonly
    def action_relational_call_sheet(self):
        """The customer's one-page call sheet."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Call Sheet"),
            "res_model": "res.partner",
            "res_id": self.commercial_partner_id.id,
            "view_mode": "form",
            "views": [(self.env.ref("crm_relational_sfa.view_partner_call_sheet").id, "form")],
            "target": "current",
        }
