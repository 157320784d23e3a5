from odoo import api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    relational_ticket_ids = fields.One2many("helpdesk.ticket", "sale_order_id", string="Tickets")
    relational_ticket_count = fields.Integer(
        string="Ticket Count", compute="_compute_relational_ticket_count"
    )

    @api.depends("relational_ticket_ids")
    def _compute_relational_ticket_count(self):
        counts = self.env["helpdesk.ticket"]._relational_counts("sale_order_id", self)
        for order in self:
            order.relational_ticket_count = counts.get(order, 0)

    def action_relational_tickets(self):
        self.ensure_one()
        return self.env["helpdesk.ticket"]._relational_tickets_action(
            [("sale_order_id", "=", self.id)],
            {"default_sale_order_id": self.id, "default_partner_id": self.partner_id.id},
        )
