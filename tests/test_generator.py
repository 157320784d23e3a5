"""The data generator: deterministic plans, and a coherent company written through the ORM."""

from datetime import date, timedelta

import pytest
from repository_case import RepositoryCase

from data.generator import build_plan, generate

TODAY = date(2026, 6, 30)


def fingerprint(plan):
    return [
        (c.name, c.country, c.start, [(o.day, o.lines, o.pay_after) for o in c.orders])
        for c in plan.customers
    ]


def revenue_by_customer(plan):
    prices = [product[3] for product in plan.products]
    return sorted(
        (sum(q * prices[p] for o in c.orders for p, q in o.lines) for c in plan.customers),
        reverse=True,
    )


def test_same_seed_same_plan_other_seed_other_plan():
    assert fingerprint(build_plan("demo", 7, TODAY)) == fingerprint(build_plan("demo", 7, TODAY))
    assert fingerprint(build_plan("demo", 7, TODAY)) != fingerprint(build_plan("demo", 8, TODAY))


def test_plan_is_heterogeneous_like_real_customers():
    plan = build_plan("demo", 42, TODAY)
    assert len(plan.customers) == 200
    revenue = revenue_by_customer(plan)
    top = sum(revenue[: len(revenue) // 5]) / sum(revenue)
    assert top > 0.5, f"the top 20 % carry only {top:.0%} of the revenue"
    orders = [o for c in plan.customers for o in c.orders]
    days = [o.day for o in orders]
    assert min(days) < 60 and max(days) > 670  # two years of history
    assert any(c.season for c in plan.customers)  # seasonal buyers
    assert sum(1 for c in plan.customers if c.start > 640) >= 10  # new customers
    assert any(o.pay_after is None for o in orders)  # unpaid invoices
    assert any(o.pay_after and o.pay_after > 30 for o in orders)  # late payers
    assert any(o.late_days > 0 for o in orders)  # late deliveries
    names = " ".join(c.name for c in plan.customers)
    assert any("\u0600" <= ch <= "\u06ff" for ch in names)  # Arabic script
    assert any(ch in names for ch in "پچژگ")  # letters only Persian writes
    outcomes = {o[2] for o in plan.opportunities}
    assert outcomes == {"won", "lost", "open"}


def test_bad_size_is_refused():
    with pytest.raises(ValueError, match="unknown size"):
        build_plan("huge")


@pytest.mark.slow
class TestGeneratedCompany(RepositoryCase):
    """The small data set through the ORM, checked through the timeline and the documents."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.counts = generate(cls.env, "small", seed=42, today=TODAY)
        cls.plan = build_plan("small", 42, TODAY)

    def test_counts_follow_the_plan(self):
        orders = sum(len(c.orders) for c in self.plan.customers)
        self.assertEqual(self.counts["customers"], 36)
        self.assertEqual(self.counts["sale_orders"], orders)
        self.assertEqual(self.counts["invoices"], orders)
        self.assertEqual(self.counts["warehouses"], 3)
        self.assertEqual(
            self.env["ir.config_parameter"].get_param("crm_relational.generated_size"), "small"
        )

    def test_history_spans_two_years_with_real_outcomes(self):
        partners = self.env["res.partner"].search([("ref", "=like", "C0000%")])
        self.assertEqual(len(partners), 36)
        rows = self.env["crm.relational.timeline"].search([("partner_id", "in", partners.ids)])
        orders = rows.filtered(lambda r: r.kind == "sale_order")
        first, last = min(orders.mapped("date")).date(), max(orders.mapped("date")).date()
        self.assertGreater((last - first).days, 600)
        self.assertLessEqual(last, TODAY)
        outcomes = {(r.kind, r.outcome) for r in rows}
        for expected in [("delivery", "late"), ("delivery", "on_time"), ("invoice", "paid"),
                         ("invoice", "overdue"), ("opportunity", "won"), ("opportunity", "lost"),
                         ("opportunity", "open"), ("ticket", "solved")]:  # fmt: skip
            self.assertIn(expected, outcomes)
        kinds = set(rows.mapped("kind"))
        self.assertTrue({"payment", "email", "call", "meeting", "refund"} <= kinds)

    def test_stock_in_several_warehouses_with_incoming_receipts(self):
        product = self.env["product.product"].search([("default_code", "=", "CRM-00001")])
        warehouses = self.env["stock.warehouse"].search([])
        on_hand = [product.with_context(warehouse_id=w.id).qty_available for w in warehouses]
        self.assertGreaterEqual(sum(1 for qty in on_hand if qty > 0), 3)
        receipts = self.env["stock.picking"].search(
            [("picking_type_code", "=", "incoming"), ("state", "not in", ("done", "cancel")),
             ("partner_id.name", "=", "Gulf Supply Co"),
             ("scheduled_date", ">", TODAY - timedelta(days=1))]
        )  # fmt: skip
        self.assertEqual(len(receipts), self.counts["receipts"])
