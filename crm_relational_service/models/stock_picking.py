from odoo import api, fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    relational_ticket_ids = fields.One2many("helpdesk.ticket", "picking_id", string="Tickets")
    relational_ticket_count = fields.Integer(
        string="Ticket Count", compute="_compute_relational_ticket_count"
    )

    @api.depends("relational_ticket_ids")
    def _compute_relational_ticket_count(self):
        counts = self.env["helpdesk.ticket"]._relational_counts("picking_id", self)
        for picking in self:
            picking.relational_ticket_count = counts.get(picking, 0)

    def action_relational_tickets(self):
        self.ensure_one()
        return self.env["helpdesk.ticket"]._relational_tickets_action(
            [("picking_id", "=", self.id)],
            {"default_picking_id": self.id, "default_partner_id": self.partner_id.id,
             "default_sale_order_id": self.sale_id.id},
        )  # fmt: skip
