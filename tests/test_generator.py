"""The data generator: deterministic plans, and a coherent company written through the ORM."""

import copy
import hashlib
import math
import random
import threading
from collections import Counter
from datetime import date, timedelta
from functools import cache

import pytest
from repository_case import RepositoryCase

from data.generator import build_plan, generate, truth
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
    for customer in plan.customers:  # seasonal buyers reorder only in their months
        if customer.season:
            repeat = [o for o in customer.orders if o.deal is None]
            assert all(plan.day(o.day).month in customer.season for o in repeat)
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


# ---------------------------------------------------------------------- pipeline dynamics
@cache
def medium_plan():
    """The medium bench data set's plan (the large size on a tenth of its customers)."""
    return build_plan("large", 42, TODAY, scale=0.1)


def win_rate(deals):
    return sum(o.final_outcome == "won" for o in deals) / len(deals)


def within_error(found, expected, count, sigmas=4):
    """Whether a rate `found` over `count` draws is within `sigmas` standard errors of the
    rate `expected`."""
    error = math.sqrt(max(expected * (1 - expected), 1e-4) / count)
    return abs(found - expected) <= sigmas * error


def test_win_chance_falls_with_the_time_open():
    """Deals open longer win less often: at every fourth week, the deals open then, by how
    long they have been open."""
    deals = medium_plan().opportunities
    groups = {"0-3": [], "4-11": [], "12-25": [], "26+": []}
    for day in range(0, LAST_DAY, 28):
        for deal in deals:
            state = deal.state(day)
            if state:
                weeks = state[1]
                key = (
                    "0-3"
                    if weeks < 4
                    else "4-11"
                    if weeks < 12
                    else "12-25"
                    if weeks < 26
                    else "26+"
                )
                groups[key].append(deal)
    rates = [win_rate(group) for group in groups.values()]
    assert all(len(group) > 1000 for group in groups.values())
    assert rates == sorted(rates, reverse=True) and rates[0] > 3 * rates[-1], rates


def test_salespeople_rank_as_planted():
    deals = [o for o in medium_plan().opportunities if o.final_outcome != "open"]
    rates = {rep: win_rate([o for o in deals if o.salesperson == rep]) for rep in range(4)}
    offsets = {rep: truth.win_offset(rep, truth.AMOUNT_REFERENCE) for rep in range(4)}
    assert sorted(rates, key=rates.get) == sorted(offsets, key=offsets.get), rates
    assert rates[0] - rates[3] > 0.25  # some much better than others


def test_bigger_deals_win_less_often_and_later():
    deals = sorted(medium_plan().opportunities, key=lambda o: o.revenue)
    quarter = len(deals) // 4
    small, big = deals[:quarter], deals[-quarter:]
    assert win_rate(big) < win_rate(small) - 0.1

    def median_weeks_to_win(group):
        weeks = sorted((o.final_day - o.created) / 7 for o in group if o.final_outcome == "won")
        return weeks[len(weeks) // 2]

    assert median_weeks_to_win(big) > median_weeks_to_win(small)


def test_zombie_deals_stay_open_and_the_pipeline_holds_stale_deals():
    plan = medium_plan()
    deals = plan.opportunities
    zombies = [o for o in deals if o.zombie]
    assert within_error(len(zombies) / len(deals), truth.ZOMBIE_SHARE, len(deals))
    assert all(o.final_outcome == "open" and o.outcome == "open" for o in zombies)
    assert all(o.closed is None and o.order is None for o in zombies)
    open_today = [o for o in deals if o.outcome == "open"]
    stale = [o for o in open_today if LAST_DAY - o.created > 26 * 7]
    assert len(stale) > len(open_today) / 3  # many of today's open deals are old
    assert {o.stages for o in stale} == {0, 1, 2}
    imported = sum(o.imported for o in deals)
    assert within_error(imported / len(deals), truth.IMPORTED_SHARE, len(deals))


def test_won_deals_produce_their_order_on_the_closing_day():
    plan = medium_plan()
    prices = [p.price for p in plan.products]
    won = [o for o in plan.opportunities if o.outcome == "won"]
    assert won and all(o.order is not None for o in won)
    assert all(o.order is None for o in plan.opportunities if o.outcome != "won")
    ratios = []
    for deal in won:
        order = plan.customers[deal.customer].orders[deal.order]
        assert order.day == deal.closed and order.deal is not None
        ratios.append(sum(q * prices[p] for p, q in order.lines) / deal.revenue)
    ratios.sort()
    assert 0.8 < ratios[len(ratios) // 2] < 1.25  # about the deal's amount
    for customer in plan.customers:  # numbered in date order
        assert [o.number for o in customer.orders] == list(range(len(customer.orders)))
        assert [o.day for o in customer.orders] == sorted(o.day for o in customer.orders)


def month_factors(counts, exposure):
    """Rates per month of the year relative to their mean."""
    rates = [count / time for count, time in zip(counts, exposure, strict=True)]
    return [rate / (sum(rates) / 12) for rate in rates]


def test_repeat_orders_and_new_deals_show_the_planted_month_factors():
    """Orders without a deal (after each customer's first) and new deals per month of the year,
    against the time customers were active in that month, follow the planted factors."""
    plan = medium_plan()
    month = [plan.day(day).month - 1 for day in range(LAST_DAY + 1)]
    orders, order_time = [0] * 12, [0.0] * 12
    deals, deal_time = [0] * 12, [0.0] * 12
    for customer in plan.customers:
        for day in range(customer.start + 1, customer.active_until + 1):
            deal_time[month[day]] += 1
            if not customer.season:
                order_time[month[day]] += customer.rate
        if not customer.season:
            for order in [o for o in customer.orders if o.deal is None][1:]:
                orders[month[order.day]] += 1
    for deal in plan.opportunities:
        deals[month[deal.created]] += 1
    for counts, exposure, planted in (
        (orders, order_time, truth.ORDER_MONTH_FACTORS),
        (deals, deal_time, truth.DEAL_MONTH_FACTORS),
    ):
        found = month_factors(counts, exposure)
        for factor, expected, count in zip(found, planted, counts, strict=True):
            assert abs(factor - expected) < 4 * expected / math.sqrt(count) + 0.02, found
    assert orders[10] + orders[11] > 1.3 * (orders[6] + orders[7])  # the peak, the dip


def test_true_win_chance_matches_the_plan():
    """truth.win_chance, for deals open at three dates, against what became of them: won at all
    and won within 13 weeks, in total and from the least to the most likely fifth."""
    deals = medium_plan().opportunities
    snapshots = [(deal, day, deal.state(day)) for day in (300, 450, 600) for deal in deals
                 if deal.state(day)]  # fmt: skip
    sample = random.Random(7).sample(snapshots, 1000)
    for horizon in (None, 13):
        pairs = []
        for deal, _day, (stage, weeks, in_stage) in sample:
            chance = truth.win_chance(stage, weeks, in_stage, deal.salesperson, deal.revenue,
                                      horizon)  # fmt: skip
            won = deal.final_outcome == "won" and (
                horizon is None or deal.final_day <= deal.created + 7 * (weeks + horizon)
            )
            pairs.append((chance, won))
        expected = sum(p for p, _won in pairs)
        spread = math.sqrt(sum(p * (1 - p) for p, _won in pairs))
        assert abs(sum(won for _p, won in pairs) - expected) < 4 * spread
        pairs.sort()
        for fifth in range(5):
            group = pairs[fifth * 200 : (fifth + 1) * 200]
            chance = sum(p for p, _won in group) / 200
            assert within_error(sum(won for _p, won in group) / 200, chance, 200), (fifth, chance)
    assert all(0 < p < 1 for p, _won in pairs)


def test_true_win_chance_refuses_impossible_states():
    with pytest.raises(ValueError, match="stage"):
        truth.win_chance(3, 4, 0, 0, 1000)
    with pytest.raises(ValueError, match="weeks in the stage"):
        truth.win_chance(1, 4, 5, 0, 1000)
    assert truth.win_chance(2, 10, 2, 0, 1000) > truth.win_chance(2, 10, 2, 3, 1000)
    assert truth.win_chance(2, 10, 2, 0, 1000, 4) < truth.win_chance(2, 10, 2, 0, 1000)


def test_small_plan_has_a_pipeline():
    deals = build_plan("small", 42, TODAY).opportunities
    assert {o.outcome for o in deals} == {"won", "lost", "open"}
    assert any(o.imported for o in deals) and any(o.zombie for o in deals)
    assert any(o.moves() for o in deals if not o.imported)


# ---------------------------------------------------------------------- recorded as Odoo does
DEAL_SUBTYPES = ("crm.mt_lead_create", "crm.mt_lead_stage", "crm.mt_lead_won", "crm.mt_lead_lost")


def deal_records(env, leads):
    """Per lead: (its state, its messages of the pipeline subtypes in order), where the state
    is (active, probability, won status, has a lost reason, has a closing date, in a won stage)
    and a message is (subtype, its filled columns, its tracking values as (field, filled value
    columns)), with the message's date apart: {lead id: (state, [(message, date)])}."""
    env.flush_all()
    subtypes = {env.ref(xmlid).id: xmlid for xmlid in DEAL_SUBTYPES}
    env.cr.execute(
        """SELECT l.id, l.active, l.probability, l.won_status, l.lost_reason_id IS NOT NULL,
                  l.date_closed IS NOT NULL, s.is_won
             FROM crm_lead l JOIN crm_stage s ON s.id = l.stage_id WHERE l.id = ANY(%s)
            ORDER BY l.id""",
        [leads.ids],
    )
    records = {row[0]: (row[1:], []) for row in env.cr.fetchall()}
    env.cr.execute(
        """SELECT m.res_id, m.subtype_id, m.date, to_jsonb(m),
                  (SELECT jsonb_agg(jsonb_build_array(f.name, to_jsonb(v)) ORDER BY v.id)
                     FROM mail_tracking_value v JOIN ir_model_fields f ON f.id = v.field_id
                    WHERE v.mail_message_id = m.id)
             FROM mail_message m
            WHERE m.model = 'crm.lead' AND m.res_id = ANY(%s) AND m.subtype_id = ANY(%s)
            ORDER BY m.res_id, m.id""",
        [leads.ids, list(subtypes)],
    )
    for lead, subtype, when, message, tracking in env.cr.fetchall():
        filled = tuple(sorted(key for key, value in message.items() if value is not None))
        values = tuple(
            (field, tuple(sorted(k for k, v in value.items() if v is not None and "value" in k)))
            for field, value in tracking or ()
        )
        records[lead][1].append(((subtypes[subtype], filled, values), when))
    return records


def reference_deals(env, rep):
    """Deals that `rep` moves through the pipeline in the ORM as a user does: won with
    action_set_won, lost with action_set_lost, left open; and one imported lost, without
    tracking. Returns their records (deal_records) by kind."""
    stages = env["crm.stage"].search([("is_won", "=", False)], order="sequence, id")
    reason = env["crm.lost.reason"].search([], limit=1)
    Lead = env["crm.lead"].with_user(rep)
    values = {"type": "opportunity", "user_id": rep.id, "stage_id": stages[0].id,
              "expected_revenue": 1000, "partner_id": rep.partner_id.id}  # fmt: skip

    def commit():  # what the end of a request does: flush, then post the tracking
        env.flush_all()
        env.cr.precommit.run()

    won, lost, still = Lead.create([{**values, "name": name} for name in ("W", "L", "O")])
    commit()
    (won + lost + still).write({"stage_id": stages[1].id})
    commit()
    won.action_set_won()
    commit()
    lost.action_set_lost(lost_reason_id=reason.id)
    commit()
    imported = Lead.with_context(tracking_disable=True).create(
        {**values, "name": "I", "stage_id": stages[1].id, "active": False, "probability": 0,
         "lost_reason_id": reason.id, "date_closed": "2025-01-02 16:00:00"}
    )  # fmt: skip
    commit()
    records = deal_records(env, won + lost + still + imported)
    return dict(zip(("won", "lost", "open", "imported"), records.values(), strict=True))


def check_deals_recorded_like_odoo(case, leads, plan):
    """The generated deals `leads` (plan order) carry the same rows as the reference deals
    recorded through the ORM: the same states, the same kinds of messages with the same
    columns and tracking values, dated on the planned days."""
    rep = case.env["res.users"].search([("login", "=", "crm_rep_1")])
    reference = reference_deals(case.env, rep)
    shapes = {}  # subtype: message shapes of the reference
    for _state, messages in reference.values():
        for shape, _when in messages:
            shapes.setdefault(shape[0], set()).add(shape)
    records = deal_records(case.env, leads)
    kinds = Counter()
    for deal, lead in zip(plan.opportunities, leads, strict=True):
        state, messages = records[lead.id]
        kind = "imported" if deal.imported and deal.outcome == "lost" else deal.outcome
        if deal.outcome != "open":  # (open deals' probabilities are Odoo's scoring)
            case.assertEqual(state, reference[kind][0], (deal, lead.name))
        for shape, _when in messages:
            case.assertIn(shape, shapes[shape[0]], (deal, lead.name))
        subtypes = [shape[0] for shape, _when in messages]
        dates = [when.date() for _shape, when in messages]
        kinds[kind] += 1
        if deal.imported:
            case.assertEqual(messages, [])
            continue
        planned = [plan.day(deal.created)] + [plan.day(day) for day, _stage in deal.moves()]
        expected = ["crm.mt_lead_create"] + ["crm.mt_lead_stage"] * len(deal.moves())
        if deal.outcome != "open":
            planned.append(plan.day(deal.closed))
            expected.append(f"crm.mt_lead_{deal.outcome}")
            case.assertEqual(lead.date_closed.date(), plan.day(deal.closed))
        case.assertEqual((subtypes, dates), (expected, planned))
        last_stage = messages[-1 if deal.outcome == "won" else len(deal.moves())][1]
        case.assertEqual(lead.date_last_stage_update, last_stage)
        case.assertEqual(lead.create_date.date(), plan.day(deal.created))
    case.assertTrue(all(kinds[kind] for kind in ("won", "lost", "open", "imported")), kinds)


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

    def test_deals_recorded_like_action_set_won_and_lost(self):
        leads = (
            self.env["crm.lead"]
            .with_context(active_test=False)
            .search([("partner_id.commercial_partner_id", "in", self.partners.ids)], order="id")
        )
        by_name = {}
        for lead in leads:
            by_name.setdefault(lead.name, []).append(lead)
        ordered = self.env["crm.lead"].concat(
            *(by_name[o.name].pop(0) for o in sorted(self.plan.opportunities,
                                                       key=lambda o: o.imported))
        )  # fmt: skip
        plan = copy.copy(self.plan)
        plan.opportunities = sorted(self.plan.opportunities, key=lambda o: o.imported)
        check_deals_recorded_like_odoo(self, ordered, plan)

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


@pytest.mark.slow
class TestGeneratedCompanyInBulk(RepositoryCase):
    """The large size's bulk SQL path, on a fraction of its customers, checked against its plan."""

    SCALE = 0.002  # 200 customers

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        threading.current_thread().dbname = cls.env.cr.dbname
        cls.plan = build_plan("large", 42, TODAY, scale=cls.SCALE)
        cls.counts = generate(cls.env, "large", seed=42, today=TODAY, scale=cls.SCALE)
        cls.partners = cls.env["res.partner"].search(
            [("ref", "=like", "C000%"), ("customer_rank", ">", 0)]
        )
        cls.contacts = cls.env["res.partner"].search(
            [("commercial_partner_id", "in", cls.partners.ids)]
        )
        cls.orders = cls.env["sale.order"].search(
            [("partner_id.commercial_partner_id", "in", cls.partners.ids)]
        )
        cls.planned = cls.plan.orders()
        cls.delivered = [o for o in cls.planned if o.delivered is not None]

    def test_deliveries_done_with_their_moves(self):
        self.assertEqual(len(self.partners), len(self.plan.customers))
        pickings = self.orders.picking_ids
        self.assertEqual(len(pickings), len(self.planned))
        done = pickings.filtered(lambda p: p.state == "done")
        self.assertEqual(len(done), len(self.delivered))
        self.assertEqual(self.counts["deliveries"], len(self.delivered))
        self.assertLessEqual(set((pickings - done).mapped("state")), {"assigned"})
        self.assertEqual({p.picking_type_code for p in pickings}, {"outgoing"})
        self.assertEqual(set(done.location_dest_id.mapped("usage")), {"customer"})
        self.assertEqual(set(done.location_id.mapped("usage")), {"internal"})
        moves = done.move_ids
        self.assertEqual(set(moves.mapped("state")), {"done"})
        self.assertTrue(all(m.quantity == m.product_uom_qty for m in moves))
        self.assertTrue(all(m.date == m.picking_id.date_done for m in moves))
        self.assertEqual(
            sum(moves.mapped("quantity")), sum(q for o in self.delivered for _p, q in o.lines)
        )
        self.assertEqual(moves.move_line_ids.mapped("quantity"), moves.mapped("quantity"))
        late = done.filtered(lambda p: p.date_done > p.date_deadline)
        self.assertEqual(len(late), sum(1 for o in self.delivered if o.late))
        self.assertEqual(self.counts["late_deliveries"], len(late))
        self.assertTrue(all(p.date_done.date() <= TODAY for p in done))
        self.assertEqual(set(self.orders.mapped("delivery_status")) - {"pending"}, {"full"})

    def test_stock_reduced_by_the_deliveries(self):
        """On hand: the planned stock less what each warehouse delivered; reserved: the rest."""
        company = self.env.company
        Warehouse = self.env["stock.warehouse"]
        warehouses = Warehouse.search([("company_id", "=", company.id)], limit=1, order="id")
        for code in ("DXB", "HAM"):
            warehouses |= Warehouse.search([("code", "=", code), ("company_id", "=", company.id)])
        locations = warehouses.lot_stock_id
        expected = {(locations[w].id, self.plan.products[p].code): [quantity, 0]
                    for w, p, quantity in self.plan.stock}  # fmt: skip
        for customer in self.plan.customers:
            for order in customer.orders:
                for product, quantity in order.lines:
                    key = (locations[customer.warehouse].id, self.plan.products[product].code)
                    if order.delivered is not None:
                        expected[key][0] -= quantity
                    else:
                        expected[key][1] += quantity
        quants = self.env["stock.quant"].search(
            [("location_id", "in", locations.ids), ("product_id.default_code", "=like", "P0%")]
        )
        found = {(q.location_id.id, q.product_id.default_code): [q.quantity, q.reserved_quantity]
                 for q in quants}  # fmt: skip
        self.assertEqual(found, expected)
        self.assertGreater(min(q.quantity for q in quants), 0)
        customers = self.env.ref("stock.stock_location_customers")
        delivered = sum(q for o in self.delivered for _p, q in o.lines)
        received = self.env["stock.quant"].search(
            [("location_id", "=", customers.id), ("product_id.default_code", "=like", "P0%")]
        )
        self.assertEqual(sum(received.mapped("quantity")), delivered)

    def test_credit_notes_balanced_against_their_invoices(self):
        refunded = [o for o in self.planned if o.refund is not None]
        refunds = self.env["account.move"].search(
            [("commercial_partner_id", "in", self.partners.ids), ("move_type", "=", "out_refund")]
        )
        self.assertTrue(refunded)
        self.assertEqual(len(refunds), len(refunded))
        self.assertEqual(self.counts["refunds"], len(refunded))
        self.assertEqual(set(refunds.mapped("state")), {"posted"})
        self.assertEqual(set(refunds.mapped("payment_state")), {"paid"})
        for refund in refunds:
            lines = refund.line_ids
            self.assertAlmostEqual(sum(lines.mapped("debit")), sum(lines.mapped("credit")))
            self.assertEqual(refund.reversed_entry_id.move_type, "out_invoice")
            self.assertEqual(
                refund.commercial_partner_id, refund.reversed_entry_id.commercial_partner_id
            )
            self.assertLessEqual(refund.amount_total, refund.reversed_entry_id.amount_total)
        prices = [p.price for p in self.plan.products]
        self.assertAlmostEqual(
            sum(refunds.mapped("amount_total")),
            sum(round(q * o.refund[1] * prices[p], 2) for o in refunded for p, q in o.lines),
            places=2,
        )
        wholly = sum(1 for o in refunded if o.refund[1] == 1.0)
        self.assertEqual(
            len(refunds.reversed_entry_id.filtered(lambda m: m.payment_state == "reversed")),
            wholly,
        )

    def test_deals_recorded_like_action_set_won_and_lost(self):
        """The bulk rows of the deals are those the ORM leaves (plan order: ids in order)."""
        leads = (
            self.env["crm.lead"]
            .with_context(active_test=False)
            .search([("partner_id.commercial_partner_id", "in", self.partners.ids)], order="id")
        )
        self.assertEqual(len(leads), len(self.plan.opportunities))
        check_deals_recorded_like_odoo(self, leads, self.plan)

    def test_emails_and_calls_on_customers_and_opportunities(self):
        kinds = Counter(i.kind for i in self.plan.interactions)
        self.assertEqual(self.counts["emails"], kinds["email_in"] + kinds["email_out"])
        self.assertEqual(self.counts["calls"], kinds["call"])
        leads = (
            self.env["crm.lead"]
            .with_context(active_test=False)
            .search([("partner_id.commercial_partner_id", "in", self.partners.ids)])
        )
        messages = self.env["mail.message"].search(
            [("message_type", "=", "email"), "|", "&", ("model", "=", "res.partner"),
             ("res_id", "in", self.partners.ids), "&", ("model", "=", "crm.lead"),
             ("res_id", "in", leads.ids)]
        )  # fmt: skip
        self.assertEqual(len(messages), kinds["email_in"] + kinds["email_out"])
        self.assertEqual(set(messages.mapped("model")), {"res.partner", "crm.lead"})

    def test_meetings_activities_and_tickets(self):
        meetings = [i for i in self.plan.interactions if i.kind == "meeting"]
        events = self.env["calendar.event"].search([("partner_ids", "in", self.contacts.ids)])
        self.assertEqual(len(events), len(meetings))
        self.assertEqual(self.counts["meetings"], len(meetings))
        self.assertTrue(all(len(e.attendee_ids) == 2 and e.user_id for e in events))
        self.assertEqual(set(events.mapped("res_model")), {"res.partner", "crm.lead"})
        activities = self.env["mail.activity"].search([("user_id.login", "=like", "crm_rep_%")])
        planned = activities.filtered(lambda a: not a.calendar_event_id)
        self.assertEqual(len(planned), len(self.plan.activities))
        self.assertEqual(self.counts["activities"], len(self.plan.activities))
        self.assertEqual(activities.calendar_event_id, events)  # the calendar's meeting activity
        self.assertTrue(planned.filtered(lambda a: a.date_deadline < TODAY))
        self.assertTrue(planned.filtered(lambda a: a.date_deadline >= TODAY))
        self.assertEqual(set(planned.mapped("res_model")), {"res.partner", "crm.lead"})
        if "helpdesk.ticket" not in self.env:
            return
        tickets = self.env["helpdesk.ticket"].search(
            [("commercial_partner_id", "in", self.partners.ids)]
        )
        self.assertEqual(len(tickets), len(self.plan.tickets))
        self.assertEqual(self.counts["tickets"], len(self.plan.tickets))
        self.assertEqual(len(set(tickets.mapped("number"))), len(tickets))
        closed = tickets.filtered("closed")
        self.assertEqual(len(closed), sum(1 for t in self.plan.tickets if t.closed is not None))
        self.assertTrue(all(t.closed_date for t in closed))
        self.assertGreater(len(tickets.category_id), 1)
        self.assertTrue(all(t.create_date.date() <= TODAY for t in tickets))
