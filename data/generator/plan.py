"""The plan of a generated company: customers, their behaviour and every event, from a seed.

Pure Python (``random.Random(seed)``, no database, no numpy), so the same seed and the same
``today`` always give the same plan, whatever the database. Customer behaviour follows the
processes the analytics expect to find (the BG/NBD and Gamma-Gamma assumptions):

* each customer buys at its own rate (Gamma distributed across customers), as a Poisson process;
* after each purchase it may drop out for good (Beta distributed probability), so some churn;
* its order values scatter around its own spend level (lognormal across customers), so a few
  customers carry most of the value;
* it starts at its own date (some are new in the last months), and some buy only in a few
  months of the year (seasonal buyers, at a higher rate while in season);
* it pays on time or late with its own propensity (Beta distributed);
* its repeat orders follow the month-of-year factors of ``truth.ORDER_MONTH_FACTORS`` (a
  November-December peak, a summer dip).

Opportunities follow the weekly pipeline process of ``truth.py`` (creation seasonality, stage
moves, win and loss hazards falling with the time open, salesperson, team and amount effects,
zombie deals that never close, imported deals); a won deal produces the customer's order on
its closing day for about its amount. Each deal is simulated to its end, past today: the plan
keeps its whole path (``path``, ``final_outcome``, ``final_day``) so tests can compare what is
recorded as of today with what happens later.

The latent parameters stay in the plan (the writers do not store them) and are reproducible.
Days are counted from the start of the history: day 0 is two years before ``today``, and day
``LAST_DAY`` is ``today``; events planned after ``today`` have not happened (``None``).
"""

import csv
import math
import os
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from . import truth

NAMES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "names")
HISTORY_DAYS = 730
LAST_DAY = HISTORY_DAYS - 1
PAYMENT_TERM_DAYS = 30

SIZES = {
    # customers, products, weekly purchase rate (Gamma shape, scale and cap), spend level
    "small": {"customers": 36, "products": 15, "shape": 0.9, "scale": 0.09, "cap": 0.3},
    "demo": {"customers": 200, "products": 30, "shape": 0.9, "scale": 0.09, "cap": 0.3},
    "large": {"customers": 100_000, "products": 2_000, "shape": 0.9, "scale": 0.27, "cap": 1.0},
}
COUNTRIES = [
    # code, culture, language, weight, legal forms of Latin company names
    ("SA", "arabic", "ar_001", 18, ()),
    ("AE", "arabic", "ar_001", 12, ()),
    ("EG", "arabic", "ar_001", 8, ()),
    ("IR", "persian", "fa_IR", 15, ()),
    ("DE", "latin", "de_DE", 12, ("GmbH", "AG", "KG")),
    ("FR", "latin", "fr_FR", 10, ("SARL", "SAS", "SA")),
    ("US", "latin", "en_US", 15, ("Inc.", "LLC", "Corp.")),
    ("GB", "latin", "en_GB", 10, ("Ltd", "PLC", "Ltd")),
]
WAREHOUSE_OF = {"SA": 1, "AE": 1, "EG": 1, "IR": 1, "DE": 2, "FR": 2, "GB": 2, "US": 0}
LOST_REASONS = 3
CRM_STAGES = 3  # stages an opportunity can pass before it is won (New, Qualified, Proposition)
TICKET_CATEGORIES = ("Delivery", "Product Defect", "Billing", "Installation", "Warranty")
TICKET_SUBJECTS = {
    "Delivery": ("Missing item in delivery", "Late delivery", "Wrong colour delivered"),
    "Product Defect": ("Damaged on arrival", "Stopped working after a week"),
    "Billing": ("Invoice question", "Duplicate invoice", "Credit note request"),
    "Installation": ("How do I assemble it?", "Need an installation visit"),
    "Warranty": ("Warranty claim", "Replacement part request"),
}
EMAIL_SUBJECTS = (
    "Question about your offer", "Order follow-up", "Price list request", "Delivery schedule",
    "Thank you for your order", "New catalogue", "Meeting next week", "Payment reminder",
    "Volume discount", "Product availability",
)  # fmt: skip


@dataclass(slots=True)
class Product:
    index: int
    category: str
    name: str
    code: str  # internal reference
    barcode: str  # EAN-13
    cost: float
    price: float


@dataclass(slots=True)
class Order:
    """A confirmed sale order and what followed it (days are plan days, None: not yet)."""

    customer: int
    number: int  # the customer's n-th order
    day: int
    lines: list  # (product index, quantity)
    promised: int  # the delivery date promised to the customer (commitment date)
    delivered: int | None  # the delivery, then the invoice, on that day
    refund: tuple | None  # (day, share of the invoice refunded)
    paid: int | None  # the day the (rest of the) invoice was paid
    deal: int | None = None  # index in Plan.opportunities of the won deal that produced it

    @property
    def late(self):
        """Whether the delivery came after the promised date."""
        return self.delivered is not None and self.delivered > self.promised


@dataclass(slots=True)
class Customer:
    index: int
    name: str
    is_company: bool
    country: str
    city: str
    lang: str
    contact: str  # the person we deal with (the customer itself for an individual)
    email: str
    rate: float  # expected orders per week while active (in season)
    dropout: float  # probability of leaving after each order
    spend: float  # typical order value
    late_payer: float  # probability of paying an invoice after its due date
    start: int  # first day as a customer
    season: tuple = ()  # months it buys in; empty: all year
    salesperson: int = 0
    warehouse: int = 0  # 0: the main warehouse, 1: Dubai, 2: Hamburg
    active_until: int = LAST_DAY  # its last order if it left, else today
    orders: list = field(default_factory=list)


@dataclass(slots=True)
class Opportunity:
    """A deal of the weekly pipeline process (truth.py), as of today and to its end."""

    customer: int
    name: str
    created: int
    outcome: str  # as of today: won, lost or open
    closed: int | None  # the day it was won or lost (None: open today)
    revenue: float
    stages: int  # its stage today (0 New, 1 Qualified, 2 Proposition): where it was won or lost
    order: int | None = None  # number of the customer's order it produced (won ones)
    lost_reason: int | None = None
    salesperson: int = 0
    zombie: bool = False  # never decided
    imported: bool = False  # written in its state of today without tracking
    path: tuple = ()  # (day, stage entered) of every stage move, also those after today
    final_outcome: str = "open"  # won, lost, or open (never decided)
    final_day: int | None = None  # the day it was won or lost, may be after today

    def moves(self, until=LAST_DAY):
        """(day, stage entered) of the stage moves up to day `until`."""
        return [(day, stage) for day, stage in self.path if day <= until]

    def state(self, day):
        """(stage, whole weeks open, whole weeks in the stage) on `day` if it is open then, else
        None (not created yet, or won or lost by then)."""
        if day < self.created or (self.final_day is not None and self.final_day <= day):
            return None
        weeks = (day - self.created) // 7
        moves = self.moves(day)
        entered, stage = moves[-1] if moves else (self.created, 0)
        return stage, weeks, weeks - (entered - self.created) // 7


@dataclass(slots=True)
class Interaction:
    """An e-mail in or out, a logged call or a meeting, on the customer or an opportunity."""

    customer: int
    day: int
    kind: str  # email_in, email_out, call, meeting
    subject: str
    opportunity: int | None = None  # index in Plan.opportunities


@dataclass(slots=True)
class Activity:
    customer: int
    deadline: int  # may be before today: overdue
    kind: str  # call, email, meeting
    summary: str
    opportunity: int | None = None


@dataclass(slots=True)
class Ticket:
    customer: int
    day: int
    closed: int | None
    stage: str  # new, in_progress, awaiting, done, cancelled
    category: str
    subject: str
    channel: str  # email, phone, web
    priority: str  # "0" (low) to "3" (very high)


@dataclass
class Plan:
    today: date
    size: str
    seed: int
    products: list = field(default_factory=list)
    customers: list = field(default_factory=list)
    opportunities: list = field(default_factory=list)
    interactions: list = field(default_factory=list)
    activities: list = field(default_factory=list)
    tickets: list = field(default_factory=list)
    stock: list = field(default_factory=list)  # (warehouse index, product, quantity on hand)
    receipts: list = field(default_factory=list)  # (warehouse, product, quantity, days ahead)

    def day(self, offset):
        """The date of plan day `offset` (day LAST_DAY is today)."""
        return self.today - timedelta(days=LAST_DAY - offset)

    def orders(self):
        """Every order, customer by customer, in plan order."""
        return [order for customer in self.customers for order in customer.orders]


def read_names(name):
    """The rows of ``data/names/<name>`` as dictionaries."""
    with open(os.path.join(NAMES_DIR, name), encoding="utf-8") as file:
        return list(csv.DictReader(file))


def _by(rows, key, value):
    grouped = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row[value])
    return grouped


def _products(rng, count):
    base = read_names("products.csv")
    products = []
    for index in range(count):
        row = base[index % len(base)]
        series = index // len(base)
        name = row["name"] if not series else f"{row['name']} Series {series + 1}"
        cost = round(float(row["cost"]) * rng.uniform(0.9, 1.1), 2)
        price = round(float(row["price"]) * rng.uniform(0.95, 1.1), 2)
        digits = f"629{index + 1:09d}"  # EAN-13 with its check digit
        check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
        products.append(
            Product(index, row["category"], name, f"P{index + 1:05d}", digits + str(check),
                    cost, max(price, round(cost * 1.2, 2)))
        )  # fmt: skip
    return products


class _Names:
    """Company and person names combined from the word lists, unique within a plan."""

    def __init__(self):
        words = read_names("company_words.csv")
        self.parts = {
            culture: {part: [w["word"] for w in words if w["culture"] == culture
                             and w["part"] == part] for part in ("prefix", "core", "suffix")}
            for culture in ("arabic", "persian", "latin")
        }  # fmt: skip
        self.first = _by(read_names("first_names.csv"), "culture", "name")
        self.last = _by(read_names("last_names.csv"), "culture", "name")
        self.cities = _by(read_names("cities.csv"), "country", "city")
        self.seen = {}

    def unique(self, name):
        count = self.seen[name] = self.seen.get(name, 0) + 1
        return name if count == 1 else f"{name} {count}"

    def company(self, rng, culture, legal_forms):
        parts = self.parts[culture]
        words = [rng.choice(parts["prefix"]), rng.choice(parts["core"]),
                 rng.choice(parts["suffix"])]  # fmt: skip
        if legal_forms:
            words.append(rng.choice(legal_forms))
        return self.unique(" ".join(word for word in words if word))

    def person(self, rng, culture):
        return f"{rng.choice(self.first[culture])} {rng.choice(self.last[culture])}"


def _customers(rng, count, spec):
    names = _Names()
    weights = [country[3] for country in COUNTRIES]
    customers = []
    for index in range(count):
        code, culture, lang, _weight, legal_forms = rng.choices(COUNTRIES, weights)[0]
        contact = names.person(rng, culture)
        is_company = rng.random() < 0.8
        name = names.company(rng, culture, legal_forms) if is_company else names.unique(contact)
        start = int(rng.uniform(0, LAST_DAY - 30))
        if rng.random() < 0.12:  # new customers: their first order in the last quarter
            start = LAST_DAY - int(rng.uniform(5, 90))
        seasonal = rng.random() < 0.15
        rep = rng.randrange(2) + (0 if culture != "latin" else 2)  # the Middle East team: 0, 1
        customers.append(
            Customer(
                index=index,
                name=name,
                is_company=is_company,
                country=code,
                city=rng.choice(names.cities[code]),
                lang=lang,
                contact=contact,
                email=f"contact{index + 1}@customer{index + 1}.example.com",
                rate=min(rng.gammavariate(spec["shape"], spec["scale"]), spec["cap"]),
                dropout=rng.betavariate(1.0, 6.0),
                spend=rng.lognormvariate(5.8, 1.6),
                late_payer=rng.betavariate(1.0, 4.0),
                start=start,
                season=tuple(sorted(rng.sample(range(1, 13), 3))) if seasonal else (),
                salesperson=rep,
                warehouse=WAREHOUSE_OF[code],
            )
        )
    return customers


def _order(rng, plan, customer, number, day, amount=None):
    """An order of the customer on `day`: about `amount`, or else about its usual spend."""
    products = plan.products
    lines = []
    count = rng.choice((1, 1, 2, 3))
    for _line in range(count):
        product = min(int(len(products) * rng.random() ** 2.2), len(products) - 1)
        if amount is None:
            value = customer.spend * rng.lognormvariate(0, 0.35) / count
        else:
            value = amount / count
        lines.append((product, max(1, round(value / products[product].price))))
    promised = day + rng.randrange(3, 8)
    late = rng.random() < 0.15
    delivered = promised + (rng.randrange(1, 11) if late else -rng.randrange(0, 3))
    if delivered > LAST_DAY:
        return Order(customer.index, number, day, lines, promised, None, None, None)
    refund = None
    if rng.random() < 0.05:
        refund_day = delivered + rng.randrange(2, 11)
        if refund_day <= LAST_DAY:
            refund = (refund_day, rng.choice((0.25, 0.5, 1.0)))
    roll = rng.random()
    if roll < 0.06:
        paid = None  # never paid: overdue once past its due date
    elif roll < 0.06 + customer.late_payer * 0.9:
        paid = delivered + PAYMENT_TERM_DAYS + rng.randrange(3, 90)  # late
    else:
        paid = delivered + rng.randrange(3, PAYMENT_TERM_DAYS + 1)
    if refund and paid is not None:
        paid = max(paid, refund[0] + 1)
    if refund and refund[1] == 1.0:
        paid = None  # fully credited: nothing left to pay
    if paid is not None and paid > LAST_DAY:
        paid = None
    return Order(customer.index, number, day, lines, promised, delivered, refund, paid)


def _orders(rng, plan, customer):
    """The customer's repeat orders: a Poisson process of its own rate, times the month's
    factor (by thinning), until it drops out. The first one is on its first day."""
    day, orders = customer.start, []
    in_season_boost = 12 / 3  # seasonal buyers buy their year's volume in three months
    peak = max(truth.ORDER_MONTH_FACTORS)
    while day <= LAST_DAY:
        month = plan.day(day).month
        in_season = not customer.season or month in customer.season
        if in_season and (not orders or rng.random() < truth.ORDER_MONTH_FACTORS[month - 1] / peak):
            orders.append(_order(rng, plan, customer, len(orders), day))
            if len(orders) > 1 and rng.random() < customer.dropout:
                customer.active_until = day
                break
        rate = customer.rate * (in_season_boost if customer.season else 1) * peak
        if customer.season and month not in customer.season:
            day += 7  # wait for the season, a week at a time
            continue
        day += max(1, math.ceil(rng.expovariate(rate) * 7)) if rate > 0 else HISTORY_DAYS
    return orders


def _relationship(rng, plan, customer):
    """Opportunities, e-mails, calls, meetings, activities and tickets of one customer."""
    c = customer.index
    products = plan.products

    def opportunity(created, outcome, closed, revenue, stages, **extra):
        product = products[min(int(len(products) * rng.random() ** 2), len(products) - 1)]
        plan.opportunities.append(
            Opportunity(c, f"{product.name} for {customer.name}", created, outcome, closed,
                        round(revenue, 2), stages, **extra)
        )  # fmt: skip
        index = len(plan.opportunities) - 1
        for _email in range(rng.randrange(0, 3)):  # the discussion on the opportunity
            end = closed if closed is not None else LAST_DAY
            day = rng.randint(created, max(created, end))
            kind = rng.choice(("email_in", "email_out", "email_out", "call"))
            plan.interactions.append(Interaction(c, day, kind, rng.choice(EMAIL_SUBJECTS), index))
        if rng.random() < 0.25:
            day = rng.randint(created, max(created, closed if closed is not None else LAST_DAY))
            plan.interactions.append(Interaction(c, day, "meeting", "Product demonstration", index))
        return index

    _pipeline(rng, plan, customer, opportunity)
    for order in customer.orders:  # repeat orders and won deals' orders alike
        for _message in range(rng.choice((0, 1, 1, 2))):
            kind = rng.choice(("email_in", "email_out", "email_out", "call"))
            day = min(LAST_DAY, order.day + rng.randrange(0, 20))
            plan.interactions.append(Interaction(c, day, kind, rng.choice(EMAIL_SUBJECTS)))
        if order.delivered is not None and rng.random() < 0.12:
            category = rng.choice(TICKET_CATEGORIES)
            day = min(LAST_DAY, order.delivered + rng.randrange(1, 30))
            closed = day + rng.randrange(0, 45)
            if closed <= LAST_DAY:
                stage = "done" if rng.random() < 0.85 else "cancelled"
            else:
                closed, stage = None, rng.choice(("new", "in_progress", "awaiting"))
            plan.tickets.append(
                Ticket(c, day, closed, stage, category, rng.choice(TICKET_SUBJECTS[category]),
                       rng.choice(("email", "phone", "web")), rng.choice("01123"))
            )  # fmt: skip
    if rng.random() < 0.4:
        day = rng.randrange(customer.start, HISTORY_DAYS)
        plan.interactions.append(Interaction(c, day, "meeting", "Business review"))
    if rng.random() < 0.3:
        deadline = LAST_DAY + rng.randrange(-20, 15)
        plan.activities.append(Activity(c, deadline, "call", "Follow up on the last order"))


def _pipeline(rng, plan, customer, opportunity):
    """The customer's deals in the plan (through `opportunity`, which adds the discussion),
    the orders of the won ones, and a next step planned on the open ones."""
    deal_orders = []
    for deal in _deals(rng, plan, customer):
        index = opportunity(deal.created, deal.outcome, deal.closed, deal.revenue, deal.stages)
        deal.name = plan.opportunities[index].name
        plan.opportunities[index] = deal
        if deal.outcome == "won":
            deal_orders.append(_order(rng, plan, customer, 0, deal.closed, deal.revenue))
            deal_orders[-1].deal = index
        elif deal.outcome == "open":
            kind = rng.choice(("call", "email", "meeting"))
            deadline = LAST_DAY + rng.randrange(-20, 15)  # some overdue, some planned
            plan.activities.append(
                Activity(customer.index, deadline, kind, "Next step on the proposal", index)
            )
    if deal_orders:  # the customer's orders in date order, numbered again
        customer.orders = sorted(customer.orders + deal_orders, key=lambda o: o.day)
        for number, order in enumerate(customer.orders):
            order.number = number
            if order.deal is not None:
                plan.opportunities[order.deal].order = number


def _deals(rng, plan, customer):
    """The customer's deals, each run through the weekly process of truth.py to its end.

    Created as a Poisson process of ``truth.DEAL_RATE`` times the month's factor (thinning)
    while the customer is one; returns Opportunity objects without their name.
    """
    peak = max(truth.DEAL_MONTH_FACTORS)
    rate = truth.DEAL_RATE * peak
    deals = []
    day = customer.start + math.ceil(rng.expovariate(rate) * 7)
    while day <= min(customer.active_until, LAST_DAY):
        if rng.random() < truth.DEAL_MONTH_FACTORS[plan.day(day).month - 1] / peak:
            deals.append(_deal(rng, customer, day))
        day += max(1, math.ceil(rng.expovariate(rate) * 7))
    return deals


def _deal(rng, customer, created):
    """One deal created on `created`, simulated week by week until it is won or lost (or
    forever open), with what of it is known today."""
    amount = round(customer.spend * rng.lognormvariate(truth.AMOUNT_LOG_MEAN,
                                                       truth.AMOUNT_LOG_SIGMA), 2)  # fmt: skip
    rep = customer.salesperson
    hazards = truth.deal_hazards(rep, amount)
    zombie = rng.random() < truth.ZOMBIE_SHARE
    imported = rng.random() < truth.IMPORTED_SHARE
    stage, path, outcome, final_day = 0, [], "open", None
    for week in range(truth.MAX_WEEKS):
        day = created + 7 * (week + 1)
        if zombie:  # no win or loss hazard; stage moves only while they may matter
            if stage == CRM_STAGES - 1 or day > LAST_DAY:
                break
            roll_close = 1.0
        else:
            roll_close = rng.random()
        outcome, moved = truth.step(stage, week, hazards, roll_close, rng.random())
        if outcome != "open":
            final_day = day
            break
        if moved != stage:
            stage = moved
            path.append((day, stage))
    known = final_day is not None and final_day <= LAST_DAY
    stage_today = max([0] + [s for d, s in path if d <= LAST_DAY])
    return Opportunity(
        customer=customer.index, name="", created=created,
        outcome=outcome if known else "open", closed=final_day if known else None,
        revenue=amount, stages=stage_today,
        lost_reason=rng.randrange(LOST_REASONS) if outcome == "lost" else None,
        salesperson=rep, zombie=zombie, imported=imported, path=tuple(path),
        final_outcome=outcome, final_day=final_day,
    )  # fmt: skip


def build_plan(size="small", seed=42, today=None, scale=1.0):
    """The whole plan for `size` ('small', 'demo' or 'large'), deterministic for a seed.

    The same `size`, `seed`, `today` and `scale` always give an equal plan; `today` defaults
    to the current date. `scale` multiplies the number of customers (to try a size on a
    fraction of its volume).
    """
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}: choose one of {', '.join(SIZES)}")
    spec = SIZES[size]
    rng = random.Random(seed)
    plan = Plan(today=today or date.today(), size=size, seed=seed)
    plan.products = _products(rng, spec["products"])
    plan.customers = _customers(rng, max(1, round(spec["customers"] * scale)), spec)
    for customer in plan.customers:
        customer.orders = _orders(rng, plan, customer)
        _relationship(rng, plan, customer)
    sold = {}
    for customer in plan.customers:
        for order in customer.orders:
            for product, quantity in order.lines:
                key = (customer.warehouse, product)
                sold[key] = sold.get(key, 0) + quantity
    for warehouse in range(3):
        for product in plan.products:
            # Enough for two years of deliveries from the warehouse, and some left on hand.
            needed = sold.get((warehouse, product.index), 0)
            plan.stock.append((warehouse, product.index, needed + rng.randrange(5, 400)))
            if rng.random() < 0.3:
                plan.receipts.append(
                    (warehouse, product.index, rng.randrange(20, 200), rng.randrange(2, 40))
                )
    return plan
