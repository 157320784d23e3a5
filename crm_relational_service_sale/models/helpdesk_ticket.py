from odoo import Command, api, models


class HelpdeskTicket(models.Model):
    """A ticket's order (crm_relational_service's ``sale_order_id``, which fills in the
    delivery and invoice) is also one of its orders in OCA's ``sale_order_ids``, so OCA's
    Tickets button on the order, the one kept, counts every ticket about it."""

    _inherit = "helpdesk.ticket"

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        tickets._relational_link_sale_order()
        return tickets

    def write(self, vals):
        if "sale_order_id" not in vals:
            return super().write(vals)
        previous = {ticket: ticket.sale_order_id for ticket in self}
        result = super().write(vals)
        # The order the ticket was about before leaves its orders (a ticket moves to another).
        moved = self.filtered(
            lambda t: previous[t] and previous[t] != t.sale_order_id
            and previous[t] in t.sale_order_ids
        )  # fmt: skip
        for order, tickets in moved.grouped(lambda t: previous[t]).items():
            tickets.write({"sale_order_ids": [Command.unlink(order.id)]})
        self._relational_link_sale_order()
        return result

    def _relational_link_sale_order(self):
        """Link each ticket's order among its orders: one write per order, not per ticket."""
        unlinked = self.filtered(
            lambda t: t.sale_order_id and t.sale_order_id not in t.sale_order_ids
        )
        for order, tickets in unlinked.grouped("sale_order_id").items():
            tickets.write({"sale_order_ids": [Command.link(order.id)]})
