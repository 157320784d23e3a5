from datetime import timedelta

from odoo import Command, fields
from odoo.tests import new_test_user

from .common import RelationalCase


class TestTimeline(RelationalCase):
    """Every source of the 360-degree timeline, on documents made through the ORM."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Reads every source: all sales documents, and payments through Invoicing.
        cls.rep = new_test_user(
            cls.env,
            login="timeline_rep",
            groups="sales_team.group_sale_salesman_all_leads,account.group_account_invoice",
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Timeline Widget", "type": "consu", "list_price": 100.0}
        )
        # An order promised three days ago, delivered today: late.
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.contact_sa.id,
                "user_id": cls.rep.id,
                "commitment_date": fields.Datetime.now() - timedelta(days=3),
                "order_line": [
                    Command.create({"product_id": cls.product.id, "product_uom_qty": 3})
                ],
            }
        )
        cls.order.action_confirm()
        picking = cls.order.picking_ids
        picking.move_ids.quantity = 3
        picking.button_validate()
        cls.invoice = cls.order._create_invoices()
        cls.invoice.action_post()
        cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=cls.invoice.ids
        ).create({})._create_payments()

        cls.won = cls.env["crm.lead"].create(
            {"name": "Won deal", "type": "opportunity", "partner_id": cls.customer_sa.id,
             "expected_revenue": 5000}
        )  # fmt: skip
        cls.won.action_set_won()
        cls.lost = cls.env["crm.lead"].create(
            {"name": "Lost deal", "type": "opportunity", "partner_id": cls.contact_sa.id}
        )
        cls.lost.action_set_lost()

        # An e-mail from the customer, one from us, and an internal note that is no interaction.
        cls.customer_sa.message_post(
            body="Do you have it in blue?", message_type="email", author_id=cls.contact_sa.id,
            subtype_xmlid="mail.mt_comment",
        )  # fmt: skip
        cls.order.with_user(cls.rep).message_post(
            body="Yes, shipping today.", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        cls.order.with_user(cls.rep).message_post(
            body="Customer is touchy", message_type="comment", subtype_xmlid="mail.mt_note"
        )
        # A call logged by marking a call activity done.
        activity = cls.won.activity_schedule("mail.mail_activity_data_call", user_id=cls.rep.id)
        activity.with_user(cls.rep).action_feedback(feedback="Agreed on the price")
        # A meeting with two people of the customer and our rep: one interaction.
        cls.env["calendar.event"].create(
            {
                "name": "Quarterly review",
                "start": fields.Datetime.now(),
                "stop": fields.Datetime.now() + timedelta(hours=1),
                "user_id": cls.rep.id,
                "partner_ids": [
                    Command.set((cls.contact_sa | cls.customer_sa | cls.rep.partner_id).ids)
                ],
            }
        )
        cls.env.flush_all()

    def rows(self, **domain):
        Timeline = self.env["crm.relational.timeline"].with_user(self.rep)
        return Timeline.search(
            [("partner_id", "=", self.customer_sa.id)] + [(k, "=", v) for k, v in domain.items()]
        )

    def test_every_source_is_in_the_timeline(self):
        kinds = sorted(self.rows().mapped("kind"))
        self.assertEqual(
            kinds,
            ["call", "delivery", "email", "email", "invoice", "meeting", "opportunity",
             "opportunity", "payment", "sale_order"],
        )  # fmt: skip

    def test_amounts_outcomes_and_directions(self):
        order = self.rows(kind="sale_order")
        self.assertEqual(order.amount, self.order.amount_untaxed)
        self.assertEqual(order.direction, "inbound")
        self.assertEqual(order.user_id, self.rep)
        invoice = self.rows(kind="invoice")
        self.assertEqual(invoice.amount, self.invoice.amount_untaxed_signed)
        self.assertEqual(invoice.outcome, "paid")
        payment = self.rows(kind="payment")
        self.assertEqual(payment.amount, self.invoice.amount_total)
        self.assertEqual(payment.direction, "inbound")
        self.assertEqual(self.rows(kind="delivery").outcome, "late")
        self.assertEqual(sorted(self.rows(kind="opportunity").mapped("outcome")), ["lost", "won"])
        emails = self.rows(kind="email")
        self.assertEqual(sorted(emails.mapped("direction")), ["inbound", "outbound"])
        self.assertEqual(emails.filtered(lambda r: r.direction == "outbound").user_id, self.rep)
        self.assertEqual(self.rows(kind="call").channel, "phone")

    def test_rows_open_their_document(self):
        action = self.rows(kind="sale_order").action_open_document()
        self.assertEqual((action["res_model"], action["res_id"]), ("sale.order", self.order.id))

    def test_partner_smart_button_counts_the_commercial_entity(self):
        total = len(self.rows())
        self.assertEqual(self.customer_sa.relational_interaction_count, total)
        # A contact shows the timeline of its company.
        self.assertEqual(self.contact_sa.relational_interaction_count, total)
        action = self.contact_sa.action_view_relational_timeline()
        self.assertEqual(action["domain"], [("partner_id", "=", self.customer_sa.id)])
        self.assertEqual(self.customer_ir.relational_interaction_count, 0)

    def test_other_company_users_do_not_see_the_interactions(self):
        seen = (
            self.env["crm.relational.timeline"]
            .with_user(self.other_company_manager)
            .search([("partner_id", "=", self.customer_sa.id), ("company_id", "!=", False)])
        )
        self.assertFalse(seen)
