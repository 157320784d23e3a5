from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError

from .common import StockCase


class TestCallSheet(StockCase):
    """Credit exposure and the one-page call sheet, on hand-checked amounts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Credit Buyer", "is_company": True, "credit_limit": 1000,
             "use_partner_credit_limit": True}
        )  # fmt: skip
        cls.contact = cls.env["res.partner"].create(
            {"name": "Buyer Contact", "parent_id": cls.customer.id}
        )
        # An invoice of 300 (no tax) due ten days ago, 100 of it paid: 200 overdue.
        cls.invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.contact.id,
                "invoice_user_id": cls.rep.id,
                "invoice_date": cls.today - timedelta(days=40),
                "invoice_date_due": cls.today - timedelta(days=10),
                "invoice_line_ids": [Command.create({"name": "Lamps", "quantity": 3,
                                                     "price_unit": 100,
                                                     "tax_ids": [Command.clear()]})],
            }
        )  # fmt: skip
        cls.invoice.action_post()
        cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=cls.invoice.ids
        ).create({"amount": 100})._create_payments()
        # A confirmed order of 4 lamps at 150 (no tax), not invoiced; a quotation.
        cls.order = cls.env["sale.order"].create(
            {"partner_id": cls.contact.id, "user_id": cls.rep.id,
             "order_line": [Command.create({"product_id": cls.lamp.id, "product_uom_qty": 4,
                                            "price_unit": 150, "tax_ids": [Command.clear()]})]}
        )  # fmt: skip
        cls.order.action_confirm()
        cls.quotation = cls.order.copy()
        cls.deal = cls.env["crm.lead"].create(
            {
                "name": "More lamps",
                "type": "opportunity",
                "partner_id": cls.contact.id,
                "user_id": cls.rep.id,
            }
        )

    def test_credit_exposure(self):
        sheet = self.contact.with_user(self.rep)
        self.assertAlmostEqual(sheet.relational_credit_outstanding, 200)
        self.assertAlmostEqual(sheet.relational_credit_overdue, 200)
        self.assertAlmostEqual(sheet.relational_credit_to_invoice, 600)
        self.assertAlmostEqual(sheet.relational_credit_exposure, 800)
        self.assertAlmostEqual(sheet.relational_credit_limit, 1000)
        self.assertAlmostEqual(sheet.relational_credit_available, 200)
        self.assertTrue(sheet.relational_credit_blocked)  # overdue invoices
        # The totals are the rep's own documents (his invoice and order); the credit limit
        # settings themselves stay out of his reach.
        self.invoice.with_user(self.rep).check_access("read")
        with self.assertRaises(AccessError):
            self.customer.with_user(self.rep).read(["use_partner_credit_limit"])
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=self.invoice.ids
        ).create({})._create_payments()
        self.contact.invalidate_recordset()
        self.assertAlmostEqual(self.contact.relational_credit_exposure, 600)
        self.assertFalse(self.contact.relational_credit_blocked)

    def test_credit_exposure_is_tax_included_throughout(self):
        """The receivable is tax included, so the orders still to invoice are added with
        their taxes too: like with like, as the labels say."""
        tax = self.env["account.tax"].create(
            {"name": "VAT 15 %", "amount": 15, "amount_type": "percent", "type_tax_use": "sale"}
        )
        customer = self.env["res.partner"].create({"name": "Taxed Buyer", "is_company": True})
        invoice = self.env["account.move"].create(
            {"move_type": "out_invoice", "partner_id": customer.id,
             "invoice_user_id": self.rep.id,
             "invoice_line_ids": [Command.create({"name": "Lamps", "quantity": 2,
                                                  "price_unit": 100,
                                                  "tax_ids": [Command.set(tax.ids)]})]}
        )  # fmt: skip
        invoice.action_post()
        # 4 lamps at 150 with 15 % tax, one of them invoiced already.
        order = self.env["sale.order"].create(
            {"partner_id": customer.id, "user_id": self.rep.id,
             "order_line": [Command.create({"product_id": self.lamp.id, "product_uom_qty": 4,
                                            "price_unit": 150,
                                            "tax_ids": [Command.set(tax.ids)]})]}
        )  # fmt: skip
        order.action_confirm()
        partial = order._create_invoices()
        partial.invoice_line_ids.quantity = 1
        partial.action_post()
        sheet = customer.with_user(self.rep)
        # Receivable: 2 x 100 x 1.15 = 230 and 1 x 150 x 1.15 = 172.50.
        self.assertAlmostEqual(sheet.relational_credit_outstanding, 402.5)
        # Still to invoice: 3 x 150 x 1.15 = 517.50 (not the untaxed 450).
        self.assertAlmostEqual(sheet.relational_credit_to_invoice, 517.5)
        self.assertAlmostEqual(sheet.relational_credit_exposure, 920)
        fields = self.env["res.partner"].fields_get(
            ["relational_credit_outstanding", "relational_credit_to_invoice",
             "relational_credit_exposure"], ["string"]
        )  # fmt: skip
        for name, description in fields.items():
            with self.subTest(name):
                self.assertIn("(Tax Incl.)", description["string"])

    def test_call_sheet(self):
        action = self.deal.with_user(self.rep).action_relational_call_sheet()
        self.assertEqual(action["res_id"], self.customer.id)
        sheet = self.customer.with_user(self.rep)
        self.assertEqual(sheet.relational_open_opportunity_ids, self.deal)
        self.assertEqual(sheet.relational_quotation_ids, self.quotation)
        self.assertEqual(sheet.relational_recent_order_ids, self.order)
        self.assertEqual(sheet.relational_recent_picking_ids, self.order.picking_ids)
        self.assertFalse(sheet.relational_recent_interaction_ids)
        # The customer writes about the deal: the conversation shows, the documents do not.
        self.deal.message_post(
            body="Can you deliver 40 more lamps?", message_type="email",
            author_id=self.contact.id, subtype_xmlid="mail.mt_comment",
        )  # fmt: skip
        self.env.flush_all()
        sheet.invalidate_recordset(["relational_recent_interaction_ids"])
        self.assertEqual(
            sheet.relational_recent_interaction_ids.mapped(lambda row: (row.kind, row.direction)),
            [("email", "inbound")],
        )
