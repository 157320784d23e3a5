"""The data generator: deterministic plans, and a coherent company written through the ORM."""

import hashlib
import threading
from collections import Counter
from datetime import date, timedelta

import pytest
from repository_case import RepositoryCase

from data.generator import build_plan, generate
from data.generator.plan import LAST_DAY, PAYMENT_TERM_DAYS

TODAY = date(2026, 6, 30)
ARABIC = ("\u0600", "\u06ff")
PERSIAN_ONLY = "پچژگ"  # letters Persian writes and Arabic does not


def digest(plan):
    """A stable digest of everything a plan decides (customers, latent parameters, events)."""
    parts = [repr((c.name, c.country, c.start, c.season, round(c.rate, 9), round(c.spend, 6),
                   [(o.day, o.lines, o.promised, o.delivered, o.refund, o.paid)
                    for o in c.orders]))
             for c in plan.customers]  # fmt: skip
    parts += [repr(o) for o in plan.opportunities + plan.interactions + plan.tickets]
    parts += [repr(p) for p in plan.products + plan.stock + plan.receipts]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def revenue_shares(plan):
    """Each customer's planned revenue, largest first."""
    prices = [product.price for product in plan.products]
    return sorted(
        (sum(q * prices[p] for o in c.orders for p, q in o.lines) for c in plan.customers),
        reverse=True,
    )


def top_fifth_share(revenues):
    return sum(revenues[: len(revenues) // 5]) / sum(revenues)


def test_same_seed_same_plan_other_seed_other_plan():
    assert digest(build_plan("small", 42, TODAY)) == digest(build_plan("small", 42, TODAY))
    assert digest(build_plan("demo", 7, TODAY)) == digest(build_plan("demo", 7, TODAY))
    assert digest(build_plan("small", 42, TODAY)) != digest(build_plan("small", 43, TODAY))


def test_plan_is_heterogeneous_like_real_customers():
    plan = build_plan("demo", 42, TODAY)
    assert len(plan.customers) == 200
    assert top_fifth_share(revenue_shares(plan)) > 0.6
    orders = plan.orders()
    days = [o.day for o in orders]
    assert min(days) < 60 and max(days) > LAST_DAY - 30  # two years of history
    rates = sorted(c.rate for c in plan.customers)
    assert rates[-20] > 4 * rates[20]  # purchase rates differ a lot between customers
    assert any(c.season for c in plan.customers)
    for customer in plan.customers:  # seasonal buyers order only in their months
        if customer.season:
            assert all(plan.day(o.day).month in customer.season for o in customer.orders)
    assert sum(1 for c in plan.customers if c.start > LAST_DAY - 90) >= 10  # new customers
    # Churned customers: active in the first year, silent for the last six months.
    assert sum(
        1 for c in plan.customers
        if c.orders and c.orders[-1].day < LAST_DAY - 180 and c.orders[0].day < 365
    ) >= 10  # fmt: skip
    invoiced = [o for o in orders if o.delivered is not None]
    assert any(o.paid is None and o.delivered + PAYMENT_TERM_DAYS < LAST_DAY for o in invoiced)
    assert any(o.paid and o.paid > o.delivered + PAYMENT_TERM_DAYS for o in invoiced)
    assert any(o.late for o in invoiced) and any(not o.late for o in invoiced)
    assert {o.outcome for o in plan.opportunities} == {"won", "lost", "open"}
    names = " ".join(c.name for c in plan.customers)
    assert any(ARABIC[0] <= ch <= ARABIC[1] for ch in names)
    assert any(ch in names for ch in PERSIAN_ONLY)
    assert len({c.name for c in plan.customers}) == len(plan.customers)


def test_large_plan_reaches_its_volume():
    plan = build_plan("large", 42, TODAY, scale=0.02)
    lines = sum(len(o.lines) for o in plan.orders())
    assert len(plan.customers) == 2000
    assert 15_000 < lines < 25_000  # about a million lines at full scale


def test_bad_size_is_refused():
    with pytest.raises(ValueError, match="unknown size"):
        build_plan("huge")


@pytest.mark.slow
class TestGeneratedCompany(RepositoryCase):
    """The small data set through the ORM, checked on the documents it leaves."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        threading.current_thread().dbname = cls.env.cr.dbname
        cls.plan = build_plan("small", 42, TODAY)
        cls.counts = generate(cls.env, "small", seed=42, today=TODAY)
        cls.partners = cls.env["res.partner"].search(
            [("ref", "=like", "C0000%"), ("customer_rank", ">", 0)]
        )
        cls.orders = cls.env["sale.order"].search(
            [("partner_id.commercial_partner_id", "in", cls.partners.ids)]
        )
        cls.invoices = cls.env["account.move"].search(
            [("commercial_partner_id", "in", cls.partners.ids), ("move_type", "=", "out_invoice")]
        )

    def test_counts_follow_the_plan(self):
        orders = self.plan.orders()
        delivered = [o for o in orders if o.delivered is not None]
        self.assertEqual(len(self.partners), 36)
        self.assertEqual(self.counts["customers"], 36)
        self.assertEqual(len(self.orders), len(orders))
        self.assertEqual(self.counts["sale_orders"], len(orders))
        self.assertEqual(len(self.invoices), len(delivered))
        self.assertEqual(self.counts["payments"], sum(1 for o in orders if o.paid is not None))
        self.assertEqual(self.counts["warehouses"], 3)
        self.assertEqual(self.counts["opportunities"], len(self.plan.opportunities))
        parameters = self.env["ir.config_parameter"]
        self.assertEqual(parameters.get_param("crm_relational.generated_size"), "small")
        self.assertEqual(parameters.get_param("crm_relational.generated_seed"), "42")

    def test_documents_match_the_plan_in_order_and_amounts(self):
        """The orders carry the planned dates and amounts (what makes the data deterministic)."""
        prices = [p.price for p in self.plan.products]
        planned = sorted(
            (self.plan.day(o.day), round(sum(q * prices[p] for p, q in o.lines), 2))
            for o in self.plan.orders()
        )
        written = sorted((o.date_order.date(), o.amount_untaxed) for o in self.orders)
        self.assertEqual(written, planned)

    def test_two_years_of_history(self):
        days = sorted(o.date_order.date() for o in self.orders)
        self.assertGreater((days[-1] - days[0]).days, 600)
        self.assertLessEqual(days[-1], TODAY)
        self.assertTrue(all(o.state == "sale" for o in self.orders))
        months = {(d.year, d.month) for d in days}
        self.assertGreater(len(months), 18)  # spread over the two years, not all "now"

    def test_revenue_is_concentrated(self):
        by_partner = Counter()
        for invoice in self.invoices:
            by_partner[invoice.commercial_partner_id] += invoice.amount_untaxed_signed
        revenues = sorted(by_partner.values(), reverse=True)
        top = sum(revenues[: len(self.partners) // 5]) / sum(revenues)
        self.assertGreater(top, 0.5)

    def test_invoices_paid_late_and_unpaid(self):
        self.assertFalse(self.invoices.filtered(lambda m: m.state != "posted"))
        self.assertTrue(all(m.date == m.invoice_date for m in self.invoices))
        self.assertEqual(
            {m.invoice_date_due - m.invoice_date for m in self.invoices}, {timedelta(days=30)}
        )
        overdue = self.invoices.filtered(
            lambda m: m.payment_state == "not_paid" and m.invoice_date_due < TODAY
        )
        self.assertTrue(overdue)
        paid = self.invoices.filtered(lambda m: m.payment_state in ("paid", "in_payment"))
        self.assertGreater(len(paid), len(self.invoices) / 2)
        payments = paid.matched_payment_ids
        late = [m for m in paid if max(m.matched_payment_ids.mapped("date")) > m.invoice_date_due]
        self.assertTrue(late)
        self.assertTrue(all(p.date <= TODAY for p in payments))
        self.assertGreater(len({p.date.year * 12 + p.date.month for p in payments}), 12)
        refunds = self.env["account.move"].search(
            [("commercial_partner_id", "in", self.partners.ids), ("move_type", "=", "out_refund")]
        )
        self.assertEqual(len(refunds), self.counts["refunds"])
        self.assertTrue(refunds and all(r.state == "posted" for r in refunds))

    def test_deliveries_done_some_late(self):
        pickings = self.orders.picking_ids
        done = pickings.filtered(lambda p: p.state == "done")
        self.assertEqual(len(done), self.counts["deliveries"])
        late = done.filtered(lambda p: p.date_done.date() > p.date_deadline.date())
        self.assertTrue(late)
        self.assertLess(len(late), len(done) / 2)
        self.assertTrue(all(p.date_done.date() <= TODAY for p in done))
        moves = done.move_ids
        self.assertTrue(all(m.date == m.picking_id.date_done for m in moves))

    def test_stock_in_three_warehouses_with_incoming_receipts(self):
        warehouses = self.env["stock.warehouse"].search([("company_id", "=", self.env.company.id)])
        self.assertGreaterEqual(len(warehouses), 3)
        stocked = {
            q.warehouse_id
            for q in self.env["stock.quant"].search(
                [
                    ("product_id.default_code", "=like", "P0%"),
                    ("quantity", ">", 0),
                    ("location_id.usage", "=", "internal"),
                ]
            )
        }
        self.assertGreaterEqual(len(stocked), 3)
        receipts = self.env["stock.picking"].search(
            [("picking_type_code", "=", "incoming"), ("state", "not in", ("done", "cancel")),
             ("partner_id.name", "=", "Gulf Industrial Supply Co")]
        )  # fmt: skip
        self.assertEqual(len(receipts), self.counts["receipts"])
        self.assertTrue(all(r.scheduled_date.date() > TODAY for r in receipts))

    def test_opportunities_won_lost_open_with_stage_history(self):
        leads = (
            self.env["crm.lead"]
            .with_context(active_test=False)
            .search([("partner_id.commercial_partner_id", "in", self.partners.ids)])
        )
        self.assertEqual(set(leads.mapped("won_status")), {"won", "lost", "pending"})
        lost = leads.filtered(lambda lead: lead.won_status == "lost")
        self.assertGreater(len(lost.lost_reason_id), 1)
        won = leads.filtered(lambda lead: lead.won_status == "won")
        self.assertTrue(won.order_ids)
        self.assertGreater(len(leads.user_id), 1)
        self.assertEqual(len(leads.team_id), 2)
        tracking = self.env["mail.message"].search(
            [("model", "=", "crm.lead"), ("res_id", "in", leads.ids),
             ("tracking_value_ids", "!=", False)]
        )  # fmt: skip
        self.assertGreaterEqual(len(tracking), len(won) + len(lost))
        days = {m.date.date() for m in tracking}
        self.assertGreater(len(days), 30)
        self.assertLessEqual(max(days), TODAY)

    def test_emails_calls_meetings_activities(self):
        contacts = self.env["res.partner"].search(
            [("commercial_partner_id", "in", self.partners.ids)]
        )
        emails = self.env["mail.message"].search(
            [("message_type", "=", "email"), "|", ("author_id", "in", contacts.ids),
             ("partner_ids", "in", contacts.ids)]
        )  # fmt: skip
        incoming = emails.filtered(lambda m: m.author_id in contacts)
        outgoing = emails.filtered(lambda m: m.author_id.user_ids)
        self.assertTrue(incoming and outgoing)
        self.assertEqual({m.model for m in emails}, {"res.partner", "crm.lead"})
        calls = self.env["mail.message"].search(
            [("mail_activity_type_id.category", "=", "phonecall"),
             ("model", "in", ("res.partner", "crm.lead"))]
        )  # fmt: skip
        self.assertEqual(len(calls), self.counts["calls"])
        meetings = self.env["calendar.event"].search([("partner_ids", "in", contacts.ids)])
        self.assertEqual(len(meetings), self.counts["meetings"])
        activities = self.env["mail.activity"].search([("user_id.login", "=like", "crm_rep_%")])
        self.assertTrue(activities.filtered(lambda a: a.date_deadline < TODAY))
        self.assertTrue(activities.filtered(lambda a: a.date_deadline >= TODAY))

    def test_tickets_when_helpdesk_is_installed(self):
        if "helpdesk.ticket" not in self.env:
            self.skipTest("helpdesk_mgmt is not installed")
        tickets = self.env["helpdesk.ticket"].search(
            [("commercial_partner_id", "in", self.partners.ids)]
        )
        self.assertEqual(len(tickets), len(self.plan.tickets))
        self.assertTrue(
            tickets.filtered("closed_date") and tickets.filtered(lambda t: not t.closed)
        )
        self.assertGreater(len(tickets.category_id), 1)
        self.assertTrue(all(t.create_date.date() <= TODAY for t in tickets))

    def test_arabic_and_persian_names(self):
        names = " ".join(self.partners.mapped("name"))
        self.assertTrue(any(ARABIC[0] <= ch <= ARABIC[1] for ch in names))
        self.assertTrue(any(ch in names for ch in PERSIAN_ONLY))
        self.assertGreater(len(self.partners.country_id), 5)
