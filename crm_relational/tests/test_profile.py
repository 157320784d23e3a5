from datetime import date, datetime, timedelta

from odoo import Command
from odoo.exceptions import AccessError

from .common import RelationalCase

TODAY = date(2026, 6, 30)


class TestProfile(RelationalCase):
    """Value, RFM and tiers of named customers, checked against hand-computed numbers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product = cls.env["product.product"].create(
            {"name": "Profile Widget", "type": "consu", "list_price": 100.0, "standard_price": 60.0}
        )
        Partner = cls.env["res.partner"]
        cls.loyal = cls.customer_sa  # three orders, bought through its contact too
        cls.once = cls.customer_ir  # one order, long ago
        cls.refunded = Partner.create({"name": "Refunded Ltd", "is_company": True})
        cls.archived = Partner.create({"name": "Archived Ltd", "is_company": True})
        cls.order(cls.loyal, 10, TODAY - timedelta(days=300))
        cls.order(cls.contact_sa, 5, TODAY - timedelta(days=200))
        cls.order(cls.loyal, 5, TODAY - timedelta(days=10))
        cls.order(cls.once, 1, TODAY - timedelta(days=400))
        cls.order(cls.refunded, 4, TODAY - timedelta(days=60))
        cls.order(cls.refunded, 4, TODAY - timedelta(days=30))
        cls.order(cls.archived, 2, TODAY - timedelta(days=5))
        cls.archived.active = False
        cls.customers = cls.loyal | cls.once | cls.refunded | cls.archived
        # A credit note of 200 (untaxed) for Refunded Ltd.
        refund = cls.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": cls.refunded.id,
                "invoice_date": TODAY - timedelta(days=20),
                "invoice_line_ids": [
                    Command.create({"product_id": cls.product.id, "quantity": 2, "price_unit": 100,
                                    "tax_ids": [Command.clear()]})
                ],
            }
        )  # fmt: skip
        refund.action_post()
        # Scores and tiers rank customers within the company: make these customers the whole
        # population by setting the demo data's orders aside (rolled back after the tests).
        ours = cls.env["sale.order"].search([("partner_id", "child_of", cls.customers.ids)])
        cls.env.flush_all()
        cls.env.cr.execute(
            "UPDATE sale_order SET state = 'cancel' WHERE state = 'sale' AND id != ALL(%s)",
            [ours.ids],
        )
        cls.env.invalidate_all()
        cls.Profile = cls.env["crm.relational.profile"]
        cls.Profile._recompute(cls.company, today=TODAY)

    @classmethod
    def order(cls, partner, quantity, day):
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    Command.create({"product_id": cls.product.id, "product_uom_qty": quantity,
                                    "price_unit": 100, "tax_ids": [Command.clear()]})
                ],
            }
        )  # fmt: skip
        order.action_confirm()
        order.date_order = datetime.combine(day, datetime.min.time()) + timedelta(hours=10)
        return order

    def profile(self, partner):
        return self.Profile.search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.company.id)]
        )

    def test_value_of_a_loyal_customer(self):
        profile = self.profile(self.loyal)
        self.assertEqual(profile.order_count, 3)
        self.assertEqual(profile.first_order_date, TODAY - timedelta(days=300))
        self.assertEqual(profile.last_order_date, TODAY - timedelta(days=10))
        self.assertEqual(profile.recency_days, 10)
        self.assertAlmostEqual(profile.revenue, 2000.0)  # 20 units at 100
        self.assertAlmostEqual(profile.margin, 800.0)  # 20 units at 100 - 60
        self.assertAlmostEqual(profile.average_order_value, 2000.0 / 3)

    def test_one_purchase_only(self):
        profile = self.profile(self.once)
        self.assertEqual(profile.order_count, 1)
        self.assertEqual(profile.recency_days, 400)
        self.assertAlmostEqual(profile.revenue, 100.0)
        self.assertEqual(profile.rfm_recency_score, 1)

    def test_refunds_reduce_revenue_and_margin(self):
        profile = self.profile(self.refunded)
        self.assertAlmostEqual(profile.revenue, 800.0 - 200.0)
        # Margin 320 on 800 of sales; the refund takes its share: 320 * (1 - 200 / 800).
        self.assertAlmostEqual(profile.margin, 240.0)

    def test_archived_customers_get_no_profile(self):
        self.assertFalse(self.profile(self.archived))

    def test_archived_customers_when_the_company_wants_them(self):
        self.company.relational_profile_archived = True
        self.Profile._recompute(self.company, today=TODAY)
        profile = self.profile(self.archived)
        self.assertEqual((profile.order_count, profile.recency_days), (1, 5))
        self.assertAlmostEqual(profile.revenue, 200.0)

    def test_tiers_and_scores(self):
        # Margins: loyal 800, refunded 240, once 40 of 1080: A is the loyal customer alone
        # (0 % before it), refunded brings 74 % before it: A too; once 96.3 % before: C.
        self.assertEqual(self.profile(self.loyal).value_tier, "A")
        self.assertEqual(self.profile(self.refunded).value_tier, "A")
        self.assertEqual(self.profile(self.once).value_tier, "C")
        loyal = self.profile(self.loyal)
        self.assertEqual(
            (loyal.rfm_recency_score, loyal.rfm_frequency_score, loyal.rfm_monetary_score),
            (5, 5, 5),
        )
        self.assertEqual(loyal.rfm_segment, "champions")

    def test_partner_fields_show_the_current_company_profile(self):
        self.assertEqual(self.contact_sa.relational_profile_id, self.profile(self.loyal))
        self.assertEqual(self.loyal.relational_value_tier, "A")
        tier_a = self.env["res.partner"].search([("relational_value_tier", "=", "A")])
        self.assertEqual(tier_a, self.loyal | self.refunded)
        # The other company has no profile of its own for this customer.
        other = self.loyal.with_company(self.other_company)
        self.assertFalse(other.relational_profile_id)

    def test_recompute_is_idempotent_and_drops_stale_profiles(self):
        before = self.Profile.search([]).read(["partner_id", "revenue", "value_tier"])
        self.Profile._recompute(self.company, today=TODAY)
        self.assertEqual(self.Profile.search([]).read(["partner_id", "revenue", "value_tier"]),
                         before)  # fmt: skip
        self.once.sale_order_ids.action_cancel()
        self.Profile._recompute(self.company, today=TODAY)
        self.assertFalse(self.profile(self.once))

    def test_only_managers_recompute(self):
        with self.assertRaises(AccessError):
            self.Profile.with_user(self.salesman).action_recompute()
        self.assertEqual(
            self.Profile.with_user(self.sales_manager).action_recompute()["params"]["type"],
            "success",
        )

    def test_background_recompute_tells_who_asked(self):
        with self.assertRaises(AccessError):
            self.Profile.with_user(self.salesman).action_recompute_background()
        cron = self.env.ref("crm_relational.ir_cron_recompute_profiles")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        action = self.Profile.with_user(self.sales_manager).action_recompute_background()
        self.assertEqual(action["params"]["type"], "info")
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1
        )
        self.env["bus.bus"].search([]).unlink()
        # What the job does once its (committing) run is over.
        self.env["crm.relational.run"]._notify_recompute_done()
        self.env.cr.precommit.run()  # the bus writes its notifications just before commit
        notices = self.env["bus.bus"].search([("message", "like", "simple_notification")])
        self.assertEqual(len(notices), 1)
        self.assertIn(f'"res.partner",{self.sales_manager.partner_id.id}]', notices.channel)
        self.assertEqual(
            self.env["ir.config_parameter"].get_param("crm_relational.recompute_notify_user_ids"),
            "[]",
        )

    def test_stage_and_its_history(self):
        loyal = self.profile(self.loyal)
        # Last half-year 500 of revenue, the half-year before 1500: declining.
        self.assertEqual(loyal.stage, "declining")
        self.assertEqual(loyal.stage_date, TODAY)
        self.assertEqual(loyal.stage_history_ids.mapped("stage_to"), ["declining"])
        self.assertFalse(loyal.stage_history_ids.stage_from)
        self.assertEqual(self.profile(self.once).stage, "lost")  # 400 days without an order
        # 200 days later, still no order: still declining, no new history.
        self.Profile._recompute(self.company, today=TODAY + timedelta(days=200))
        self.assertEqual((loyal.stage, loyal.stage_date), ("declining", TODAY))
        # More than a year without an order: lost.
        later = TODAY + timedelta(days=400)
        self.Profile._recompute(self.company, today=later)
        self.assertEqual((loyal.stage, loyal.stage_date), ("lost", later))
        # It orders again: won back.
        self.order(self.loyal, 1, later)
        self.Profile._recompute(self.company, today=later + timedelta(days=1))
        self.assertEqual(loyal.stage, "won_back")
        history = loyal.stage_history_ids.sorted("id")
        self.assertEqual(history.mapped("stage_to"), ["declining", "lost", "won_back"])
        self.assertEqual(history[-1].stage_from, "lost")
