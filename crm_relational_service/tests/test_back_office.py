from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form

from .common import ServiceCase


class TestBackOffice(ServiceCase):
    """Tickets linked to orders, deliveries, invoices and serials; returns, opportunities,
    tickets from calls; goals for agents."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lamp = cls.env["product.product"].create(
            {"name": "Desk lamp", "is_storable": True, "tracking": "serial", "list_price": 40}
        )
        cls.serial = cls.env["stock.lot"].create({"name": "LAMP-0001", "product_id": cls.lamp.id})
        warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.env["stock.quant"]._update_available_quantity(
            cls.lamp, warehouse.lot_stock_id, 1, lot_id=cls.serial
        )
        cls.order = cls.env["sale.order"].create(
            {"partner_id": cls.customer.id,
             "order_line": [Command.create({"product_id": cls.lamp.id, "product_uom_qty": 1})]}
        )  # fmt: skip
        cls.order.action_confirm()
        cls.delivery = cls.order.picking_ids
        cls.delivery.move_ids.move_line_ids.write({"lot_id": cls.serial.id, "quantity": 1})
        cls.delivery.move_ids.picked = True
        cls.delivery.button_validate()

    def test_ticket_from_an_order_knows_its_delivery_and_serial(self):
        form = Form(self.env["helpdesk.ticket"])
        form.name = "Lamp flickers"
        form.description = "<p>Since yesterday</p>"
        form.sale_order_id = self.order
        form.lot_id = self.serial
        ticket = form.save()
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.picking_id, self.delivery)
        self.assertEqual(ticket.product_id, self.lamp)
        self.assertEqual(self.order.relational_ticket_count, 1)
        self.assertEqual(self.delivery.relational_ticket_count, 1)
        self.assertEqual(self.lamp.helpdesk_ticket_count, 1)
        self.assertEqual(
            self.order.action_relational_tickets()["domain"],
            [("sale_order_id", "=", self.order.id)],
        )
        # A return of the delivery starts from the ticket, in Odoo's return wizard.
        action = ticket.action_relational_return()
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"])).save()
        self.assertEqual(wizard.picking_id, self.delivery)
        self.assertEqual(wizard.product_return_moves.product_id, self.lamp)

    def test_return_needs_a_done_delivery(self):
        ticket = self._ticket()
        with self.assertRaises(UserError):
            ticket.action_relational_return()

    def test_ticket_becomes_an_opportunity_once(self):
        ticket = self._ticket(name="Wants ten more lamps")
        action = ticket.action_relational_opportunity()
        lead = self.env["crm.lead"].browse(action["res_id"])
        self.assertEqual(lead.partner_id, self.customer)
        self.assertIn(ticket.number, lead.name)
        self.assertIn("The lamp does not light.", lead.description)
        self.assertEqual(ticket.relational_lead_id, lead)
        self.assertEqual(ticket.action_relational_opportunity()["res_id"], lead.id)

    def test_a_call_becomes_a_ticket_on_the_phone_channel(self):
        action = self.customer.action_relational_ticket_from_call()
        form = Form(self.env["helpdesk.ticket"].with_context(**action["context"]))
        form.name = "Called about a late delivery"
        form.description = "<p>Customer called</p>"
        ticket = form.save()
        self.assertEqual(
            ticket.channel_id, self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone")
        )
        self.assertEqual(ticket.partner_id, self.customer)
        timeline = self.env["crm.relational.timeline"].search(
            [("res_model", "=", "helpdesk.ticket"), ("res_id", "=", ticket.id),
             ("kind", "=", "ticket")]
        )  # fmt: skip
        self.assertEqual(timeline.channel, "phone")

    def test_agents_goal_counts_tickets_solved_within_their_level(self):
        challenge = self.env.ref("crm_relational_service.challenge_service_month")
        challenge.user_ids = self.agent_a
        challenge.action_start()
        for _n in range(3):
            self._ticket(user_id=self.agent_a.id).stage_id = self.stage_done
        goal = self.env["gamification.goal"].search(
            [("challenge_id", "=", challenge.id), ("user_id", "=", self.agent_a.id),
             ("definition_id", "=", self.env.ref(
                 "crm_relational_service.goal_definition_solved_within_sla").id)]
        )  # fmt: skip
        goal.update_goal()  # what the challenge's job does for agents who use the web client
        self.assertEqual(goal.current, 3)

    def test_product_trends_for_sales_without_ticket_access(self):
        complaints = self.env["helpdesk.ticket.category"].create(
            {"name": "Lamp complaints", "relational_complaint": True}
        )
        for category in (complaints, complaints, self.env["helpdesk.ticket.category"]):
            self._ticket(product_id=self.lamp.id, category_id=category.id)
        salesman = self.env["res.users"].create(
            {"name": "Marketing Mona", "login": "trend_mona",
             "group_ids": [(6, 0, self.env.ref("sales_team.group_sale_salesman").ids)]}
        )  # fmt: skip
        self.env.flush_all()
        rows = (
            self.env["crm.relational.product.ticket.report"]
            .with_user(salesman)
            .search([("product_id", "=", self.lamp.id)])
        )
        self.assertEqual(sum(rows.mapped("ticket_count")), 3)
        self.assertEqual(sum(rows.mapped("complaint_count")), 2)
        # The tickets themselves stay out of the salesman's reach.
        self.assertFalse(
            self.env["helpdesk.ticket"]
            .with_user(salesman)
            .search([("product_id", "=", self.lamp.id)])
        )
