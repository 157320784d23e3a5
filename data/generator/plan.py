"""The plan of a generated company: customers, their behaviour and every event, from a seed.

Pure Python (``random.Random(seed)``, no database, no numpy), so the same seed and the same
``today`` always give the same plan. Customer behaviour follows the processes the analytics
expect to find: each customer buys at its own rate (Gamma distributed) and may drop out after
any purchase (Beta distributed probability), spends on a lognormal scale (a few customers carry
most of the value), starts at its own date (some are new), and some buy only in a few months.
"""

import csv
import math
import os
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

NAMES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "names")
HISTORY_DAYS = 730

SIZES = {
    # customers, products, cap and scale of the weekly order rate (ORM sizes stay fast)
    "small": {"customers": 36, "products": 15, "max_rate": 0.35, "rate_scale": 0.12},
    "demo": {"customers": 200, "products": 22, "max_rate": 0.35, "rate_scale": 0.12},
    "large": {"customers": 100_000, "products": 2_000, "max_rate": 1.2, "rate_scale": 0.36},
}
COUNTRIES = [
    # code, culture, language, weight
    ("SA", "arabic", "ar_001", 18),
    ("AE", "arabic", "ar_001", 12),
    ("EG", "arabic", "ar_001", 8),
    ("IR", "persian", "fa_IR", 15),
    ("DE", "latin", "de_DE", 12),
    ("FR", "latin", "fr_FR", 10),
    ("US", "latin", "en_US", 15),
    ("GB", "latin", "en_GB", 10),
]
TICKET_SUBJECTS = [
    "Damaged on arrival", "Missing item in delivery", "Invoice question", "How do I assemble it?",
    "Warranty claim", "Wrong colour delivered", "Request for a quote", "Late delivery",
]  # fmt: skip
EMAIL_SUBJECTS = [
    "Question about your offer", "Order follow-up", "Price list request", "Delivery schedule",
    "Thank you for your order", "New catalogue", "Meeting next week", "Payment reminder",
]  # fmt: skip


@dataclass
class Customer:
    index: int
    name: str
    is_company: bool
    country: str
    lang: str
    contact: str
    email: str
    rate: float  # expected orders per week while active
    dropout: float  # probability of leaving after each order
    spend: float  # typical order value
    start: int  # first day (0 = two years ago)
    season: tuple = ()  # months it buys in; empty: all year
    salesperson: int = 0
    orders: list = field(default_factory=list)


@dataclass
class Order:
    customer: int
    day: int
    lines: list  # (product index, quantity)
    late_days: int  # days the delivery came after the promised date (<= 0: on time)
    pay_after: int | None  # days from invoice to payment; None: unpaid
    refund_share: float  # share of the invoice refunded (0: none)


@dataclass
class Plan:
    today: date
    size: str
    seed: int
    customers: list
    products: list  # (category, name, cost, price)
    opportunities: list  # (customer, created day, outcome, closed day, revenue, order or None)
    interactions: list  # (customer, day, kind, subject)
    activities: list  # (customer, deadline day, kind, summary)
    tickets: list  # (customer, day, closed day or None, subject, channel, priority)
    receipts: list  # (warehouse index, product, quantity, days ahead)
    stock: list  # (warehouse index, product, quantity)

    def day(self, offset):
        """The date of a plan day (0 is two years before today)."""
        return self.today - timedelta(days=HISTORY_DAYS - offset)


def _read(name):
    with open(os.path.join(NAMES_DIR, name), encoding="utf-8") as file:
        return list(csv.DictReader(file))


def _products(rng, count):
    base = _read("products.csv")
    products = []
    for index in range(count):
        row = base[index % len(base)]
        variant = index // len(base)
        name = row["name"] if not variant else f"{row['name']} Mk {variant + 1}"
        cost = round(float(row["cost"]) * rng.uniform(0.9, 1.1), 2)
        products.append((row["category"], name, cost, round(cost * rng.uniform(1.5, 2.1), 2)))
    return products


def _customers(rng, count, max_rate, rate_scale):
    companies = {}
    for row in _read("companies.csv"):
        companies.setdefault(row["culture"], []).append(row["name"])
    people = {}
    for row in _read("people.csv"):
        people.setdefault(row["culture"], []).append((row["first"], row["last"]))
    weights = [c[3] for c in COUNTRIES]
    customers = []
    for index in range(count):
        code, culture, lang, _weight = rng.choices(COUNTRIES, weights)[0]
        first, last = rng.choice(people[culture])
        is_company = rng.random() < 0.8
        if is_company:
            name = rng.choice(companies[culture])
            name = f"{name} {index + 1}" if count > len(companies[culture]) else name
        else:
            name = f"{first} {last} {index + 1}"
        start = int(rng.uniform(0, HISTORY_DAYS - 1))
        if rng.random() < 0.12:  # new customers: their first order in the last quarter
            start = HISTORY_DAYS - 1 - int(rng.uniform(0, 90))
        customers.append(
            Customer(
                index=index,
                name=name,
                is_company=is_company,
                country=code,
                lang=lang,
                contact=f"{first} {last}",
                email=f"customer{index + 1}@example.com",
                rate=min(rng.gammavariate(0.9, rate_scale), max_rate),
                dropout=rng.betavariate(1.0, 5.0),
                spend=rng.lognormvariate(6.2, 1.1),
                start=start,
                season=tuple(sorted(rng.sample(range(1, 13), 3))) if rng.random() < 0.15 else (),
                salesperson=rng.randrange(4),
            )
        )
    return customers


def _orders(rng, plan, customer, products):
    """The customer's orders: a Poisson process of its own rate until it drops out."""
    day = customer.start
    orders = []
    while day < HISTORY_DAYS:
        if not customer.season or plan.day(day).month in customer.season:
            lines = []
            for _line in range(rng.choice((1, 1, 2, 3))):
                product = min(int(rng.paretovariate(1.2)) - 1, len(products) - 1)
                price = products[product][3]
                quantity = max(1, round(customer.spend * rng.uniform(0.5, 1.5) / price / 2))
                lines.append((product, quantity))
            roll = rng.random()
            pay_after = (
                int(rng.uniform(5, 30)) if roll < 0.72  # invoices are due after 30 days
                else int(rng.uniform(45, 120)) if roll < 0.9
                else None
            )  # fmt: skip
            orders.append(
                Order(
                    customer=customer.index,
                    day=day,
                    lines=lines,
                    late_days=int(rng.uniform(1, 10)) if rng.random() < 0.15 else 0,
                    pay_after=pay_after,
                    refund_share=rng.choice((0.25, 0.5, 1.0)) if rng.random() < 0.05 else 0.0,
                )
            )
            if rng.random() < customer.dropout and len(orders) > 1:
                break
        wait = rng.expovariate(customer.rate) * 7 if customer.rate > 0 else HISTORY_DAYS
        day += max(1, math.ceil(wait))
    return orders


def build_plan(size="small", seed=42, today=None, scale=1.0):
    """The whole plan for `size` ('small', 'demo' or 'large'), deterministic for a seed.

    `scale` multiplies the number of customers (to try a size on a fraction of its volume).
    """
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}: choose one of {', '.join(SIZES)}")
    spec = SIZES[size]
    rng = random.Random(seed)
    plan = Plan(
        today=today or date.today(), size=size, seed=seed, customers=[], products=[],
        opportunities=[], interactions=[], activities=[], tickets=[], receipts=[], stock=[],
    )  # fmt: skip
    plan.products = _products(rng, spec["products"])
    count = max(1, round(spec["customers"] * scale))
    plan.customers = _customers(rng, count, spec["max_rate"], spec["rate_scale"])
    for customer in plan.customers:
        customer.orders = _orders(rng, plan, customer, plan.products)
        _relationship(rng, plan, customer)
    for warehouse in range(3):
        for product in range(len(plan.products)):
            plan.stock.append((warehouse, product, rng.randrange(5, 400)))
            if rng.random() < 0.3:
                plan.receipts.append(
                    (warehouse, product, rng.randrange(20, 200), rng.randrange(2, 40))
                )
    return plan


def _relationship(rng, plan, customer):
    """Opportunities, e-mails, calls, meetings, activities and tickets of one customer."""
    last = HISTORY_DAYS - 1
    for order_number, order in enumerate(customer.orders):
        if rng.random() < 0.35:  # a won opportunity led to this order
            created = max(0, order.day - rng.randrange(5, 40))
            revenue = sum(q * plan.products[p][3] for p, q in order.lines)
            plan.opportunities.append(
                (customer.index, created, "won", order.day, revenue, order_number)
            )
        for _message in range(rng.choice((0, 1, 1, 2))):
            kind = rng.choice(("email_in", "email_out", "email_out", "call"))
            day = min(last, order.day + rng.randrange(0, 20))
            plan.interactions.append((customer.index, day, kind, rng.choice(EMAIL_SUBJECTS)))
        if rng.random() < 0.12:
            day = min(last, order.day + rng.randrange(2, 30))
            closed = day + rng.randrange(0, 15)
            plan.tickets.append(
                (customer.index, day, closed if closed < last else None,
                 rng.choice(TICKET_SUBJECTS), rng.choice(("email", "phone", "web")),
                 rng.choice(("0", "1", "1", "2", "3")))
            )  # fmt: skip
    for _lost in range(rng.choice((0, 0, 1, 2))):
        created = rng.randrange(customer.start, HISTORY_DAYS)
        closed = min(last, created + rng.randrange(10, 60))
        revenue = round(customer.spend * rng.uniform(1, 4), 2)
        plan.opportunities.append((customer.index, created, "lost", closed, revenue, None))
    if customer.orders and rng.random() < 0.5:
        created = rng.randrange(max(0, last - 120), HISTORY_DAYS)
        revenue = round(customer.spend * rng.uniform(1, 5), 2)
        plan.opportunities.append((customer.index, created, "open", None, revenue, None))
    if rng.random() < 0.4:
        day = rng.randrange(customer.start, HISTORY_DAYS)
        plan.interactions.append((customer.index, day, "meeting", "Business review"))
    if rng.random() < 0.5:
        deadline = last + rng.randrange(-20, 15)  # some overdue, some planned
        plan.activities.append((customer.index, deadline, "call", "Follow up on the last order"))
