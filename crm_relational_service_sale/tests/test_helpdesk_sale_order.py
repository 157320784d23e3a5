from lxml import etree

from odoo import Command
from odoo.tests import TransactionCase, tagged

from ..hooks import post_init_hook


@tagged("post_install", "-at_install")
class TestHelpdeskSaleOrder(TransactionCase):
    """With OCA's helpdesk_mgmt_sale: a ticket's order is one of its orders, one Tickets button."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Lamp Buyer"})
        product = cls.env["product.product"].create({"name": "Lamp", "list_price": 40})
        cls.orders = cls.env["sale.order"].create(
            [
                {
                    "partner_id": cls.customer.id,
                    "order_line": [Command.create({"product_id": product.id})],
                }
                for _i in range(2)
            ]
        )
        cls.orders.action_confirm()

    def new_ticket(self, order):
        return self.env["helpdesk.ticket"].create(
            {
                "name": "Lamp flickers",
                "description": "<p>Since yesterday</p>",
                "partner_id": self.customer.id,
                "sale_order_id": order.id,
            }
        )

    def test_a_tickets_order_is_among_its_orders_and_counted_on_the_order(self):
        first, second = self.orders
        ticket = self.new_ticket(first)
        self.assertEqual(ticket.sale_order_ids, first)
        self.assertEqual((first.ticket_count, second.ticket_count), (1, 0))
        self.assertEqual(first.relational_ticket_count, 1)

        ticket.sale_order_id = second
        self.assertEqual(ticket.sale_order_ids, second)
        self.assertEqual((first.ticket_count, second.ticket_count), (0, 1))

        # An order linked by hand through OCA's field stays when the ticket's order goes.
        ticket.sale_order_ids = [Command.link(first.id)]
        ticket.sale_order_id = False
        self.assertEqual(ticket.sale_order_ids, first)

    def test_install_links_the_orders_of_existing_tickets(self):
        first = self.orders[0]
        ticket = self.new_ticket(first)
        self.env.cr.execute(
            "DELETE FROM helpdesk_ticket_sale_order_rel WHERE helpdesk_ticket_id = %s",
            [ticket.id],
        )
        ticket.invalidate_recordset(["sale_order_ids"])
        self.assertFalse(ticket.sale_order_ids)
        post_init_hook(self.env)
        ticket.invalidate_recordset(["sale_order_ids"])
        self.assertEqual(ticket.sale_order_ids, first)

    def test_the_order_shows_one_tickets_button(self):
        arch = self.env["sale.order"].get_views([(False, "form")])["views"]["form"]["arch"]
        box = etree.fromstring(arch).xpath("//div[@name='button_box']")[0]
        ticket_buttons = [
            button
            for button in box.iter("button")
            if button.xpath("field[@name='ticket_count' or @name='relational_ticket_count']")
        ]
        shown = [b for b in ticket_buttons if b.get("invisible") not in ("True", "1")]
        self.assertEqual(len(ticket_buttons), 2)  # both modules' buttons are in the view
        self.assertEqual([b.xpath("field/@name")[0] for b in shown], ["ticket_count"])
