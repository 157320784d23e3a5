from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from .common import RelationalCase

TODAY = "2026-06-15 12:00:00"
MONTHS = [f"2025-{m:02d}-01" for m in range(7, 13)] + [f"2026-{m:02d}-01" for m in range(1, 7)]


class TestPurchaseTrend(RelationalCase):
    """The customer's purchases of the last twelve months, month by month, and their direction,
    checked against orders created here (today is 15 June 2026)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product = cls.env["product.product"].create(
            {"name": "Trend Widget", "type": "consu", "list_price": 100.0, "taxes_id": False}
        )
        Partner = cls.env["res.partner"]
        cls.rising = cls.customer_sa  # buys through its contact too
        cls.falling = cls.customer_ir
        cls.steady = Partner.create({"name": "Steady Ltd", "is_company": True})
        cls.private = Partner.create({"name": "Private Ltd", "is_company": True})
        cls.idle = Partner.create({"name": "Idle Ltd", "is_company": True})
        # Rising: previous quarter (Dec-Feb) 400 + 600, last quarter (Mar-May) 500 + 1000.
        cls.order(cls.rising, 300, "2025-07-01 00:30:00")  # the first month shown
        cls.order(cls.rising, 999, "2025-06-30 20:00:00")  # too old
        cls.order(cls.rising, 400, "2025-12-05 10:00:00")
        cls.order(cls.contact_sa, 600, "2026-01-20 10:00:00")
        cls.order(cls.rising, 500, "2026-03-02 10:00:00")
        cls.order(cls.contact_sa, 700, "2026-05-10 10:00:00")
        cls.order(cls.rising, 300, "2026-05-28 10:00:00")
        cls.order(cls.rising, 200, "2026-06-03 10:00:00")  # this month: not in the direction
        cls.order(cls.rising, 5000, "2026-05-11 10:00:00", confirm=False)  # a quotation
        cls.order(cls.rising, 7000, "2026-05-12 10:00:00", company=cls.other_company)
        # Falling: 1000 in February, 500 in April.
        cls.order(cls.falling, 1000, "2026-02-10 10:00:00")
        cls.order(cls.falling, 500, "2026-04-15 10:00:00")
        # Steady: 1000 in each quarter, within 10 %.
        cls.order(cls.steady, 1000, "2026-01-10 10:00:00")
        cls.order(cls.steady, 1050, "2026-04-10 10:00:00")
        # Private: buys, but chose no profiling.
        cls.order(cls.private, 800, "2026-05-10 10:00:00")
        cls.private.relational_no_profiling = True

    @classmethod
    def order(cls, partner, amount, when, company=None, confirm=True):
        Order = cls.env["sale.order"].with_company(company or cls.env.company)
        order = Order.create(
            {
                "partner_id": partner.id,
                # The salesman's own orders: he reads them, so his trend counts them.
                "user_id": cls.salesman.id,
                "order_line": [
                    Command.create({"product_id": cls.product.id, "product_uom_qty": 1,
                                    "price_unit": amount, "tax_ids": [Command.clear()]})
                ],
            }
        )  # fmt: skip
        if confirm:
            order.action_confirm()
        order.date_order = datetime.fromisoformat(when)
        return order

    def trend(self, partner, user=None):
        partner = partner.with_user(user or self.salesman)
        partner.invalidate_recordset(["relational_purchase_trend"])
        with freeze_time(TODAY):
            return partner.relational_purchase_trend, partner.relational_purchase_direction

    def test_months_amounts_and_direction(self):
        trend, direction = self.trend(self.rising)
        self.assertEqual(trend["months"], MONTHS)
        amounts = dict(zip(trend["months"], trend["amounts"], strict=True))
        self.assertEqual(
            amounts,
            {
                **dict.fromkeys(MONTHS, 0.0),
                "2025-07-01": 300.0,
                "2025-12-01": 400.0,
                "2026-01-01": 600.0,
                "2026-03-01": 500.0,
                "2026-05-01": 1000.0,  # 700 through the contact, 300 directly
                "2026-06-01": 200.0,
            },
        )
        self.assertEqual(trend["currency_id"], self.company.currency_id.id)
        self.assertEqual(direction, "up")  # 1500 against 1000
        self.assertEqual(trend["direction"], "up")

    def test_contacts_show_their_company_trend(self):
        self.assertEqual(self.trend(self.contact_sa), self.trend(self.rising))

    def test_falling_and_steady(self):
        trend, direction = self.trend(self.falling)
        self.assertEqual(sum(trend["amounts"]), 1500.0)
        self.assertEqual(direction, "down")  # 500 against 1000
        self.assertEqual(self.trend(self.steady)[1], "flat")  # 1050 against 1000

    def test_forms_being_edited(self):
        Partner = self.env["res.partner"].with_user(self.salesman)
        with freeze_time(TODAY):
            self.assertFalse(Partner.new({"name": "New Ltd"}).relational_purchase_trend)
            edited = Partner.new({"name": "Rising, renamed"}, origin=self.rising)
            self.assertEqual(sum(edited.relational_purchase_trend["amounts"]), 3000.0)

    def test_no_orders_no_trend(self):
        self.assertEqual(self.trend(self.idle), (False, False))

    def test_no_profiling_no_trend(self):
        self.assertEqual(self.trend(self.private), (False, False))
        self.private.relational_no_profiling = False
        trend, direction = self.trend(self.private)
        self.assertEqual(trend["amounts"][-2], 800.0)
        self.assertEqual(direction, "up")

    def test_other_company_orders_in_their_company_only(self):
        trend, _direction = self.trend(self.rising)
        self.assertNotIn(7000.0, trend["amounts"])
        in_other_company = self.rising.with_company(self.other_company)
        other_trend, other_direction = self.trend(in_other_company, user=self.other_company_manager)
        self.assertEqual(other_trend["amounts"], [0.0] * 10 + [7000.0, 0.0])
        self.assertEqual(other_trend["currency_id"], self.other_company.currency_id.id)
        self.assertEqual(other_direction, "up")

    def test_foreign_currency_orders_in_company_currency(self):
        currency = self.env["res.currency"].create({"name": "TRX", "symbol": "T", "rounding": 0.01})
        self.env["res.currency.rate"].create(
            {"currency_id": currency.id, "name": "2020-01-01", "rate": 4.0,
             "company_id": self.company.id}
        )  # fmt: skip
        pricelist = self.env["product.pricelist"].create(
            {"name": "TRX prices", "currency_id": currency.id}
        )
        in_company_currency = self.order(self.idle, 2000, "2026-04-05 10:00:00")
        self.assertEqual(in_company_currency.currency_id, self.company.currency_id)
        in_trx = self.env["sale.order"].create(
            {
                "partner_id": self.idle.id,
                "user_id": self.salesman.id,
                "pricelist_id": pricelist.id,
                "order_line": [
                    Command.create({"product_id": self.product.id, "product_uom_qty": 1,
                                    "price_unit": 2000, "tax_ids": [Command.clear()]})
                ],
            }
        )  # fmt: skip
        in_trx.action_confirm()
        in_trx.date_order = datetime(2026, 4, 6, 10)
        self.assertEqual(in_trx.currency_rate, 4.0)
        trend, _direction = self.trend(self.idle)
        self.assertEqual(trend["amounts"][MONTHS.index("2026-04-01")], 2500.0)  # 2000 + 2000/4

    def test_own_documents_salesman_sees_his_own_orders_only(self):
        colleague = new_test_user(
            self.env, login="trend_colleague", groups="sales_team.group_sale_salesman"
        )
        self.assertEqual(self.trend(self.rising, user=colleague), (False, False))
        self.order(self.rising, 900, "2026-05-20 10:00:00").user_id = colleague
        trend, _direction = self.trend(self.rising, user=colleague)
        self.assertEqual(sum(trend["amounts"]), 900.0)
        # The salesman's own trend is unchanged by his colleague's order.
        self.assertEqual(sum(self.trend(self.rising)[0]["amounts"]), 3000.0)

    def test_only_relational_users_read_the_trend(self):
        clerk = new_test_user(self.env, login="trend_clerk", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.trend(self.rising, user=clerk)

    def test_one_query_for_many_customers(self):
        """A kanban page of customers costs the same queries as one customer."""
        many = self.env["res.partner"].create(
            [{"name": f"Trend Customer {n}", "is_company": True} for n in range(30)]
        )
        for n, customer in enumerate(many):
            self.order(customer, 100 + n, f"2026-0{1 + n % 5}-10 10:00:00")

        def queries(partners):
            partners = partners.with_user(self.salesman)
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            with freeze_time(TODAY):
                values = partners.read(["relational_purchase_trend"])
            self.assertTrue(all(value["relational_purchase_trend"] for value in values))
            return self.cr.sql_log_count - before

        queries(many[:1])  # warm the access caches
        self.assertEqual(queries(many[:1]), queries(many))
        self.assertLessEqual(queries(many), 4)
