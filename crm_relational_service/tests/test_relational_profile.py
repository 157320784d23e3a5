from datetime import timedelta

from odoo import Command, fields
from odoo.tests import TransactionCase
from odoo.tools import SQL


class TestRelationalProfile(TransactionCase):
    """Tickets feed the customer's relational profile: reciprocity and incremental runs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Ticket Buyer", "is_company": True})
        product = cls.env["product.product"].create({"name": "Serviced", "list_price": 10.0})
        order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})],
            }
        )
        order.action_confirm()
        cls.Profile = cls.env["crm.relational.profile"]

    def ticket(self):
        return self.env["helpdesk.ticket"].create(
            {"name": "It broke", "description": "Please help", "partner_id": self.customer.id}
        )

    def profile(self):
        return self.Profile.search(
            [("partner_id", "=", self.customer.id), ("company_id", "=", self.env.company.id)]
        )

    def test_a_ticket_is_a_conversation_started_by_the_customer(self):
        self.ticket()
        self.Profile._recompute(self.env.company)
        # One conversation, from the customer: one-sided, reciprocity 0.
        self.assertEqual(self.profile().reciprocity, 0)
        self.customer.message_post(
            body="We are on it", message_type="comment", subtype_xmlid="mail.mt_comment",
            author_id=self.env.user.partner_id.id,
        )  # fmt: skip
        self.Profile._recompute(self.env.company)
        # One from each side: balanced.
        self.assertEqual(self.profile().reciprocity, 100)

    def test_a_contacts_no_profiling_withdraws_their_tickets(self):
        """A ticket opened by a contact counts for the company's profile until that contact
        chooses no profiling; a ticket of another contact still counts."""
        quinn = self.env["res.partner"].create({"name": "Quinn", "parent_id": self.customer.id})
        pat = self.env["res.partner"].create({"name": "Pat", "parent_id": self.customer.id})
        for contact in (quinn, pat):
            self.env["helpdesk.ticket"].create(
                {"name": "It broke", "description": "Help", "partner_id": contact.id}
            )
        self.Profile._recompute(self.env.company)
        # The order and the two tickets.
        self.assertEqual(self.profile().interaction_count, 3)
        quinn.relational_no_profiling = True
        self.Profile._recompute(self.env.company)
        self.assertEqual(self.profile().interaction_count, 2)

    def test_a_new_ticket_marks_the_customer_for_the_incremental_run(self):
        since = fields.Datetime.now() - timedelta(hours=1)
        self.env.flush_all()
        for table in ("res_partner", "sale_order", "stock_picking", "account_move"):
            self.env.cr.execute(
                SQL("UPDATE %s SET write_date = now() - interval '2 hours'", SQL.identifier(table))
            )
        self.env.cr.execute("UPDATE mail_message SET create_date = now() - interval '2 hours'")
        touched = self.env["crm.relational.run"]._touched_partners(self.env.company, since)
        self.assertNotIn(self.customer.id, touched)
        ticket = self.ticket()
        self.env.cr.execute(
            "UPDATE mail_message SET create_date = now() - interval '2 hours'"
            " WHERE model = 'helpdesk.ticket' AND res_id = %s",
            [ticket.id],
        )
        touched = self.env["crm.relational.run"]._touched_partners(self.env.company, since)
        self.assertIn(self.customer.id, touched)


class TestServiceSignals(TransactionCase):
    """Solved tickets and good ratings are positive signals; complaints, reopenings, missed
    service levels and poor ratings negative ones."""

    def test_service_outcomes_feed_valence(self):
        customer = self.env["res.partner"].create({"name": "Signal Buyer", "is_company": True})
        product = self.env["product.product"].create({"name": "Rated", "list_price": 10.0})
        self.env["sale.order"].create(
            {"partner_id": customer.id,
             "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})]}
        ).action_confirm()  # fmt: skip
        done = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        progress = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_in_progress")
        complaints = self.env["helpdesk.ticket.category"].create(
            {"name": "Complaints", "relational_complaint": True}
        )
        Ticket = self.env["helpdesk.ticket"]
        values = {"description": "<p>Help</p>", "partner_id": customer.id}
        complaint = Ticket.create({"name": "Rude driver", "category_id": complaints.id, **values})
        solved = Ticket.create({"name": "Wrong colour", **values})
        reopened = Ticket.create({"name": "Still broken", **values})
        (complaint | solved | reopened).stage_id = done
        reopened.stage_id = progress
        self.assertEqual(reopened.relational_reopen_count, 1)
        for ticket, stars in ((solved, 5), (reopened, 1)):
            ticket.rating_apply(stars, token=ticket._rating_get_access_token())
        self.env.flush_all()
        outcomes = self.env["crm.relational.timeline"].search(
            [("partner_id", "=", customer.id), ("kind", "in", ("ticket", "rating"))]
        )
        self.assertEqual(
            sorted(outcomes.mapped(lambda row: (row.kind, row.outcome))),
            [("rating", "satisfied"), ("rating", "unsatisfied"), ("ticket", "complaint"),
             ("ticket", "reopened"), ("ticket", "solved")],
        )  # fmt: skip
        Profile = self.env["crm.relational.profile"]
        Profile._recompute(self.env.company)
        profile = Profile.search(
            [("partner_id", "=", customer.id), ("company_id", "=", self.env.company.id)]
        )
        self.assertEqual((profile.positive_signal_count, profile.negative_signal_count), (2, 3))
        # Valence: 100 * (2 + 1) / (2 + 3 + 2)
        self.assertEqual(profile.valence, round(300 / 7))
