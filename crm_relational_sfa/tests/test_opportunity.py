from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import Form

from .common import StockCase


class TestOpportunity(StockCase):
    """Products on opportunities, forecast categories, follow-up discipline, duplicate effort."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls.env["res.users"].create(
            {"name": "Lamp Manager", "login": "lamp_manager",
             "group_ids": [(6, 0, [cls.env.ref("sales_team.group_sale_manager").id])]}
        )  # fmt: skip
        cls.other_rep = cls.env["res.users"].create(
            {"name": "Other Rep", "login": "lamp_other_rep",
             "group_ids": [(6, 0, [cls.env.ref("sales_team.group_sale_salesman").id])]}
        )  # fmt: skip
        cls.customer = cls.env["res.partner"].create({"name": "Gulf Lights", "is_company": True})
        cls.contact = cls.env["res.partner"].create({"name": "Sara", "parent_id": cls.customer.id})
        cls.lead = cls.env["crm.lead"].create(
            {"name": "Lamps for the new office", "type": "opportunity",
             "partner_id": cls.contact.id, "user_id": cls.rep.id, "expected_revenue": 5000}
        )  # fmt: skip

    def test_products_show_availability_and_flow_into_the_quotation(self):
        dozen = self.env.ref("uom.product_uom_dozen")
        line = self.env["crm.relational.lead.line"].with_user(self.rep).create(
            {"lead_id": self.lead.id, "product_id": self.lamp.id, "quantity": 1,
             "uom_id": dozen.id, "price_unit": 600}
        )  # fmt: skip
        # 12 lamps: 7 free in Riyadh and nothing in Jeddah; Jeddah can promise in five days.
        self.assertAlmostEqual(line.free_qty, 7 / 12, delta=0.005)
        self.assertEqual(line.promise_date, self.today + timedelta(days=5))
        self.assertEqual(self.lead.relational_lines_amount, 600)
        action = self.lead.with_user(self.rep).action_new_quotation()
        with Form(
            self.env["sale.order"].with_user(self.rep).with_context(**action["context"])
        ) as form:
            pass
        order = form.save()
        self.assertEqual(order.opportunity_id, self.lead)
        self.assertEqual(
            [(ol.product_id, ol.product_uom_qty, ol.product_uom_id, ol.price_unit)
             for ol in order.order_line],
            [(self.lamp, 12, self.lamp.uom_id, 50)],
        )  # fmt: skip

    def test_forecast_category_and_manager_adjustment(self):
        self.assertEqual(self.lead.forecast_effective_category, "pipeline")
        self.lead.with_user(self.rep).forecast_category = "commit"
        self.assertEqual(
            (self.lead.forecast_effective_category, self.lead.forecast_effective_amount),
            ("commit", 5000),
        )
        with self.assertRaises(AccessError):
            self.lead.with_user(self.rep).forecast_manager_category = "best_case"
        self.lead.with_user(self.manager).write(
            {"forecast_manager_category": "best_case", "forecast_manager_amount": 3000}
        )
        self.assertEqual(
            (self.lead.forecast_effective_category, self.lead.forecast_effective_amount),
            ("best_case", 3000),
        )
        self.env.cr.precommit.run()  # tracking is written when the transaction commits
        adjusted = self.lead.message_ids.filtered(
            lambda message: (
                "forecast_manager_category" in message.tracking_value_ids.field_id.mapped("name")
            )
        )
        self.assertEqual(adjusted.author_id, self.manager.partner_id)
        self.lead.action_set_won()
        self.assertEqual(self.lead.forecast_effective_category, "closed")

    def test_follow_up_discipline(self):
        Lead = self.env["crm.lead"]
        self.assertTrue(self.lead.followup_needed)  # no activity planned
        self.assertIn(self.lead, Lead.search([("followup_needed", "=", True)]))
        self.lead.activity_schedule("mail.mail_activity_data_call", user_id=self.rep.id)
        self.assertFalse(self.lead.followup_needed)
        self.assertNotIn(self.lead, Lead.search([("followup_needed", "=", True)]))
        # Idle for longer than the limit, activity or not.
        self.env.flush_all()
        old = fields.Datetime.now() - timedelta(days=30)
        self.env.cr.execute(
            "UPDATE crm_lead SET write_date = %s, date_last_stage_update = %s WHERE id = %s",
            [old, old, self.lead.id],
        )
        self.lead.invalidate_recordset()
        self.assertIn(self.lead, Lead.search([("followup_needed", "=", True)]))
        # The daily job plans a to-do only where nothing is planned, when switched on.
        quiet = Lead.create(
            {"name": "Quiet deal", "type": "opportunity", "partner_id": self.customer.id,
             "user_id": self.rep.id}
        )  # fmt: skip
        Lead._cron_schedule_followups()
        self.assertFalse(quiet.activity_ids)
        self.env.company.sfa_followup_activity = True
        Lead._cron_schedule_followups()
        self.assertEqual(quiet.activity_ids.user_id, self.rep)
        self.assertEqual(len(self.lead.activity_ids), 1)

    def test_duplicate_effort_guard(self):
        twin = self.env["crm.lead"].create(
            {"name": "New office lamps", "type": "opportunity", "partner_id": self.customer.id,
             "user_id": self.other_rep.id}
        )  # fmt: skip
        unrelated = self.env["crm.lead"].create(
            {"name": "Warehouse racks", "type": "opportunity", "partner_id": self.customer.id,
             "user_id": self.rep.id}
        )  # fmt: skip
        self.assertEqual(self.lead.other_salesperson_ids, self.other_rep)
        self.assertEqual(self.lead.similar_opportunity_ids, twin)
        self.assertNotIn(unrelated, self.lead.similar_opportunity_ids)
        self.assertEqual(twin.other_salesperson_ids, self.rep)
