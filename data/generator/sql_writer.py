"""Write a large plan with bulk SQL: the rows and columns the ORM would write, in chunks.

Master data (salespeople, teams, products, warehouses, stock, incoming receipts) goes through
the ORM as for the other sizes. Then, a chunk of customers at a time, multi-row
``INSERT ... SELECT FROM unnest(...)`` statements with ids taken from the tables' sequences:

* customers (companies with their contact person, and individuals);
* confirmed sale orders and their lines, named from the ``sale.order`` sequence, with amounts,
  margins, delivered and invoiced quantities and statuses as the ORM computes them;
* posted customer invoices (``INV/<year>/<n>``, as ``sequence.mixin`` names them), with a
  product line per order line and the receivable line, balanced (debit = credit), linked to
  the order lines, with residual amounts and payment states;
* bank payments (``PBNK1/<year>/<n>``) with their journal entry (outstanding receipts against
  receivable), reconciled with the invoice (partial and full reconciliation, matching numbers);
* a delivery per order (``<WH>/OUT/<n>``) with its stock moves and move lines: done for the
  delivered orders, on the planned day (late ones after their deadline), reserved for the
  others; the stock on hand of the warehouses decreases (and the reserved quantities grow) by
  one set-based update of the quants per chunk, and the customers' location receives the goods;
* credit notes (``RINV/<year>/<n>``) for part or all of some invoices, posted, balanced, linked
  to the invoice they reverse and reconciled with it;
* opportunities (won, lost with a reason, open) as Odoo records them (see the ORM writer): a
  creation message, a ``stage_id`` tracking message per stage move, the messages of
  ``action_set_won`` (to the won stage) and ``action_set_lost`` (archived with a lost reason, no
  stage change) with their tracking values, on the days of the changes; imported deals without
  any message; won ones linked to their order;
* e-mails in and out and logged calls on the customers and their opportunities;
* meetings (calendar events with the contact and the salesperson as attendees, and the meeting
  activity the calendar adds on the customer or the opportunity), planned and overdue
  activities, and helpdesk tickets (when ``helpdesk_mgmt`` is installed).

Not written in bulk (the ORM sizes have them): taxes (no tax on the bulk lines).
"""

import time
import uuid
from datetime import timedelta

from markupsafe import Markup

from odoo.tools import SQL

from .orm_writer import OrmWriter, at
from .plan import CRM_STAGES, LAST_DAY, PAYMENT_TERM_DAYS

CUSTOMERS_PER_CHUNK = 5_000


def insert(env, table, columns, rows):
    """Insert `rows` (tuples in `columns` order; columns are (name, SQL array type)).

    Columns the table does not have (those of modules not installed, such as sale_margin's
    margins) are left out.
    """
    if not rows:
        return
    env.cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s", [table]
    )
    present = {row[0] for row in env.cr.fetchall()}
    arrays = [values for values, (name, _type) in zip(zip(*rows, strict=True), columns,
                                                       strict=True) if name in present]  # fmt: skip
    columns = [column for column in columns if column[0] in present]
    env.cr.execute(
        SQL(
            "INSERT INTO %s (%s) SELECT * FROM unnest(%s)",
            SQL.identifier(table),
            SQL(", ").join(SQL.identifier(name) for name, _type in columns),
            SQL(", ").join(
                SQL("%s::%s", list(values), SQL(sql_type))
                for values, (_name, sql_type) in zip(arrays, columns, strict=True)
            ),
        )
    )


def columns(spec):
    """[(name, array type)] from "name:type name:type ..." (types: int, num, text, ...)."""
    types = {"int": "int[]", "num": "numeric[]", "text": "varchar[]", "bool": "bool[]",
             "ts": "timestamp[]", "date": "date[]", "float": "float8[]"}  # fmt: skip
    return [(item.split(":")[0], types[item.split(":")[1]]) for item in spec.split()]


STAMP = "create_uid:int write_uid:int create_date:ts write_date:ts"
PARTNER = columns(
    "id:int name:text complete_name:text is_company:bool type:text active:bool lang:text "
    "country_id:int city:text email:text customer_rank:int supplier_rank:int user_id:int "
    "ref:text parent_id:int commercial_partner_id:int function:text autopost_bills:text " + STAMP
)
ORDER = columns(
    "id:int name:text partner_id:int partner_invoice_id:int partner_shipping_id:int "
    "date_order:ts commitment_date:ts effective_date:ts validity_date:date state:text "
    "company_id:int currency_id:int user_id:int team_id:int warehouse_id:int "
    "picking_policy:text invoice_status:text delivery_status:text currency_rate:num "
    "amount_untaxed:num amount_tax:num amount_total:num margin:num margin_percent:num "
    "locked:bool require_signature:bool require_payment:bool prepayment_percent:float "
    "payment_term_id:int opportunity_id:int " + STAMP
)
ORDER_LINE = columns(
    "id:int order_id:int sequence:int name:text product_id:int product_uom_id:int "
    "product_uom_qty:num price_unit:num technical_price_unit:num discount:num "
    "price_subtotal:num price_tax:num price_total:num price_reduce_taxexcl:num "
    "price_reduce_taxinc:num purchase_price:num margin:num margin_percent:num "
    "customer_lead:float qty_delivered:num qty_delivered_method:text qty_invoiced:num "
    "qty_to_invoice:num untaxed_amount_invoiced:num untaxed_amount_to_invoice:num "
    "invoice_status:text state:text company_id:int currency_id:int order_partner_id:int "
    "salesman_id:int warehouse_id:int is_downpayment:bool is_expense:bool " + STAMP
)
MOVE = columns(
    "id:int name:text sequence_prefix:text sequence_number:int journal_id:int company_id:int "
    "partner_id:int commercial_partner_id:int partner_shipping_id:int currency_id:int "
    "invoice_user_id:int team_id:int ref:text state:text move_type:text auto_post:text "
    "payment_reference:text payment_state:text invoice_partner_display_name:text "
    "invoice_origin:text date:date invoice_date:date invoice_date_due:date delivery_date:date "
    "invoice_currency_rate:num invoice_payment_term_id:int origin_payment_id:int "
    "amount_untaxed:num amount_tax:num amount_total:num amount_residual:num "
    "amount_untaxed_signed:num amount_untaxed_in_currency_signed:num amount_tax_signed:num "
    "amount_total_signed:num amount_total_in_currency_signed:num amount_residual_signed:num "
    "always_tax_exigible:bool checked:bool posted_before:bool made_sequence_gap:bool "
    "is_manually_modified:bool reversed_entry_id:int " + STAMP
)
MOVE_LINE = columns(
    "id:int move_id:int move_name:text journal_id:int company_id:int company_currency_id:int "
    "currency_id:int sequence:int account_id:int partner_id:int product_id:int "
    "product_uom_id:int parent_state:text ref:text name:text display_type:text date:date "
    "invoice_date:date date_maturity:date debit:num credit:num balance:num "
    "amount_currency:num amount_residual:num amount_residual_currency:num quantity:num "
    "price_unit:num price_subtotal:num price_total:num discount:num "
    "discount_amount_currency:num discount_balance:num tax_base_amount:num is_storno:bool "
    "reconciled:bool full_reconcile_id:int matching_number:text payment_id:int "
    "collapse_composition:bool collapse_prices:bool no_followup:bool deductible_amount:num "
    "is_downpayment:bool " + STAMP
)
PAYMENT = columns(
    "id:int move_id:int name:text journal_id:int company_id:int payment_method_line_id:int "
    "payment_method_id:int currency_id:int partner_id:int outstanding_account_id:int "
    "destination_account_id:int state:text payment_type:text partner_type:text memo:text "
    "date:date amount:num amount_company_currency_signed:num is_reconciled:bool "
    "is_matched:bool " + STAMP
)
PARTIAL = columns(
    "id:int debit_move_id:int credit_move_id:int full_reconcile_id:int debit_currency_id:int "
    "credit_currency_id:int company_id:int max_date:date amount:num debit_amount_currency:num "
    "credit_amount_currency:num " + STAMP
)
LEAD = columns(
    "id:int name:text type:text active:bool partner_id:int user_id:int team_id:int "
    "company_id:int stage_id:int expected_revenue:num prorated_revenue:num probability:float "
    "automated_probability:float won_status:text lost_reason_id:int date_open:ts "
    "date_closed:ts date_last_stage_update:ts date_deadline:date day_open:float "
    "day_close:float priority:text email_from:text contact_name:text partner_name:text " + STAMP
)
CREATED = Markup('<div summary="o_mail_notification"><p>%s</p></div>')  # crm.lead's creation
LEAD_MESSAGE = columns(
    "id:int model:text res_id:int message_type:text subtype_id:int author_id:int "
    "email_from:text reply_to:text body:text date:ts record_company_id:int message_id:text "
    "parent_id:int email_add_signature:bool " + STAMP
)
TRACKING = columns(
    "id:int mail_message_id:int field_id:int old_value_integer:int new_value_integer:int "
    "old_value_char:text new_value_char:text " + STAMP
)
MESSAGE = columns(
    "id:int model:text res_id:int message_type:text subtype_id:int "
    "author_id:int email_from:text subject:text body:text date:ts record_company_id:int "
    "mail_activity_type_id:int message_id:text " + STAMP
)

PICKING = columns(
    "id:int name:text state:text origin:text sale_id:int priority:text move_type:text "
    "is_locked:bool company_id:int partner_id:int location_id:int location_dest_id:int "
    "picking_type_id:int scheduled_date:ts date_deadline:ts date_done:ts shipping_weight:num "
    "has_deadline_issue:bool " + STAMP
)
STOCK_MOVE = columns(
    "id:int picking_id:int reference:text origin:text state:text sequence:int priority:text "
    "company_id:int partner_id:int product_id:int product_uom:int product_uom_qty:num "
    "product_qty:num quantity:num packaging_uom_id:int packaging_uom_qty:float "
    "location_id:int location_dest_id:int location_final_id:int picking_type_id:int "
    "warehouse_id:int rule_id:int sale_line_id:int procure_method:text date:ts "
    "date_deadline:ts reservation_date:date picked:bool to_refund:bool additional:bool "
    "propagate_cancel:bool is_dropship:bool is_in:bool is_out:bool value:num " + STAMP
)
STOCK_MOVE_LINE = columns(
    "id:int move_id:int picking_id:int state:text company_id:int product_id:int "
    "product_uom_id:int quantity:num quantity_product_uom:num picked:bool location_id:int "
    "location_dest_id:int date:ts " + STAMP
)
EVENT = columns(
    "id:int name:text start:ts stop:ts duration:float allday:bool active:bool show_as:text "
    "user_id:int res_model_id:int res_model:text res_id:int follow_recurrence:bool "
    "description:text " + STAMP
)
ATTENDEE = columns(
    "id:int event_id:int partner_id:int state:text common_name:text access_token:text " + STAMP
)
ACTIVITY = columns(
    "id:int res_model_id:int res_model:text res_id:int res_name:text activity_type_id:int "
    "summary:text date_deadline:date user_id:int active:bool calendar_event_id:int " + STAMP
)
TICKET = columns(
    "id:int number:text name:text description:text partner_id:int commercial_partner_id:int "
    "partner_name:text partner_email:text company_id:int team_id:int user_id:int "
    "channel_id:int category_id:int stage_id:int unattended:bool priority:text sequence:int "
    "active:bool closed_date:ts last_stage_update:ts rating_status:text "
    "positive_rate_percentage:int rating_last_value:float " + STAMP
)  # the ratings' columns: helpdesk_mgmt_rating, when installed


class SqlWriter(OrmWriter):
    """Writes a large `Plan`: master data through the ORM, the volume through SQL."""

    def __init__(self, env, plan, commit=None):
        super().__init__(env, plan)
        self.commit = commit or (lambda: None)
        self._by_customer = {}

    def write(self):
        """Write the plan, committing through `commit` after each chunk; return the counts."""
        started = time.monotonic()
        self.master_data()
        self.env.flush_all()
        self._references()
        self._stock_references()
        self._relationship_references()
        self.commit()
        for name in ("customers", "contacts", "sale_orders", "order_lines", "deliveries",
                     "late_deliveries", "invoices", "refunds", "payments", "opportunities",
                     "emails", "calls", "meetings", "activities"):  # fmt: skip
            self.counts[name] = 0
        if self.helpdesk:
            self.counts["tickets"] = 0
        customers = self.plan.customers
        for start in range(0, len(customers), CUSTOMERS_PER_CHUNK):
            self._chunk(customers[start : start + CUSTOMERS_PER_CHUNK])
            self.commit()
        self._finish_sequences()
        self.env.invalidate_all()
        self.env.registry.clear_cache()
        self.counts["seconds"] = round(time.monotonic() - started)
        return self.counts

    # ------------------------------------------------------------------ set-up
    def _references(self):
        """The ids, accounts, sequences and names the bulk rows refer to."""
        env, company = self.env, self.company
        self.stamp = (env.uid, env.uid)
        self.currency = company.currency_id.id
        self.countries = {c.code: c.id for c in env["res.country"].search([])}
        self.langs = set(env["res.lang"].search([]).mapped("code"))
        self.term = env.ref("account.account_payment_term_30days").id
        self.uom = self.products[:1].uom_id.id
        self.product_names = self.products.mapped("display_name")
        self.sale_journal = env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        self.bank_journal = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
        self.method_line = self.bank_journal._get_available_payment_method_lines("inbound")[:1]
        sample = env["account.payment"].new(
            {"payment_type": "inbound", "partner_type": "customer",
             "partner_id": self.reps[0].partner_id.id, "journal_id": self.bank_journal.id,
             "payment_method_line_id": self.method_line.id, "company_id": company.id}
        )  # fmt: skip
        self.outstanding = (
            sample.outstanding_account_id or sample._get_outstanding_account("inbound")
        ).id
        self.receivable = sample.destination_account_id.id
        self.income = (
            self.sale_journal.default_account_id.id
            or self.products[:1].categ_id.property_account_income_categ_id.id
        )
        self.stages = env["crm.stage"].search([("is_won", "=", False)], order="sequence, id")
        self.stages = self.stages[:CRM_STAGES]
        self.won_stage = env["crm.stage"].search([("is_won", "=", True)], limit=1)
        self.reasons = env["crm.lost.reason"].search([], order="id")[:3]
        self.subtypes = {
            "comment": env.ref("mail.mt_comment").id,
            "note": env.ref("mail.mt_activities").id,
            "stage": env.ref("crm.mt_lead_stage").id,
            "create": env.ref("crm.mt_lead_create").id,
            "won": env.ref("crm.mt_lead_won").id,
            "lost": env.ref("crm.mt_lead_lost").id,
        }
        self.call_type = env.ref("mail.mail_activity_data_call").id
        self.sale_sequence = env["ir.sequence"].search(
            [("code", "=", "sale.order"), ("company_id", "in", (company.id, False))], limit=1
        )
        self.next_order = self.sale_sequence.number_next_actual
        self.numbers = {}  # sequence prefix: last number used

    def _ids(self, table, count):
        """`count` new ids from the table's own sequence, in increasing order."""
        self.env.cr.execute(
            SQL("SELECT nextval(%s) FROM generate_series(1, %s)", f"{table}_id_seq", count)
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _number(self, journal_code, day):
        """The next ``CODE/<year>/<n>`` name, as ``sequence.mixin`` numbers journal entries."""
        prefix = f"{journal_code}/{day.year}/"
        if prefix not in self.numbers:
            self.env.cr.execute(
                "SELECT COALESCE(max(sequence_number), 0) FROM account_move"
                " WHERE sequence_prefix = %s AND company_id = %s",
                [prefix, self.company.id],
            )
            self.numbers[prefix] = self.env.cr.fetchone()[0]
        self.numbers[prefix] += 1
        return prefix, self.numbers[prefix], f"{prefix}{self.numbers[prefix]:05d}"

    def _stock_references(self):
        """Per warehouse: its delivery type, stock location, pull rule and name sequence."""
        self.customers_location = self.env.ref("stock.stock_location_customers").id
        self.deliveries = []
        for warehouse in self.warehouses:
            kind = warehouse.out_type_id
            rule = self.env["stock.rule"].search(
                [("picking_type_id", "=", kind.id), ("action", "in", ("pull", "pull_push")),
                 ("location_src_id", "=", warehouse.lot_stock_id.id)], limit=1,
            )  # fmt: skip
            self.deliveries.append((kind.id, warehouse.lot_stock_id.id, rule.id, kind.sequence_id))
        self.costs = [product.cost for product in self.plan.products]
        self.next_numbers = {}  # ir.sequence id: next number, for the sequences named in bulk
        self.sequence_formats = {}  # ir.sequence id: (prefix, padding, suffix)
        journal = self.sale_journal
        self.refund_code = f"R{journal.code}" if journal.refund_sequence else journal.code

    def _relationship_references(self):
        """Activity types, models and the helpdesk's team, categories, channels and stages."""
        env = self.env
        self.models = {
            model: env["ir.model"]._get_id(model) for model in ("crm.lead", "res.partner")
        }
        self.activity_types = {
            kind: env.ref(f"mail.mail_activity_data_{kind}").id
            for kind in ("call", "email", "meeting")
        }
        self.helpdesk = "helpdesk.ticket" in env and self._helpdesk_master_data()
        if self.helpdesk:
            self.helpdesk = {
                "team": self.helpdesk["team"].id,
                "categories": {k: v.id for k, v in self.helpdesk["categories"].items()},
                "channels": {k: v.id for k, v in self.helpdesk["channels"].items()},
                "stages": {k: (v.id, v.unattended) for k, v in self.helpdesk["stages"].items()},
            }
            self.ticket_sequence = env["ir.sequence"].search(
                [("code", "=", "helpdesk.ticket.sequence"),
                 ("company_id", "in", (self.company.id, False))], order="company_id", limit=1,
            )  # fmt: skip
            # What create() would default to (helpdesk_mgmt's auto-assignment, the ratings).
            defaults = env["helpdesk.ticket"].default_get(
                ["user_id", "rating_status", "positive_rate_percentage"]
            )
            self.ticket_defaults = (
                defaults.get("user_id"),
                defaults.get("rating_status"),
                defaults.get("positive_rate_percentage", -1),
            )

    def _sequence_name(self, sequence):
        """The next name of an ``ir.sequence``, as ``next_by_id`` gives it (without the call)."""
        if sequence.id not in self.next_numbers:
            prefix, suffix = sequence._get_prefix_suffix()
            self.next_numbers[sequence.id] = sequence.number_next_actual
            self.sequence_formats[sequence.id] = (prefix, sequence.padding, suffix)
        number = self.next_numbers[sequence.id]
        self.next_numbers[sequence.id] += sequence.number_increment
        prefix, padding, suffix = self.sequence_formats[sequence.id]
        return f"{prefix}{number:0{padding}d}{suffix}"

    def _finish_sequences(self):
        self.sale_sequence.write({"number_next": self.next_order})
        for sequence_id, number in self.next_numbers.items():
            self.env["ir.sequence"].browse(sequence_id).write({"number_next": number})

    # ------------------------------------------------------------------ one chunk
    def _chunk(self, customers):
        partner_ids, contact_ids = self._bulk_customers(customers)
        orders = [order for customer in customers for order in customer.orders]
        order_ids, line_ids = self._bulk_orders(customers, orders, contact_ids)
        contact_of = {c.index: contact for c, contact in zip(customers, contact_ids, strict=True)}
        self._bulk_deliveries(orders, order_ids, line_ids, contact_of)
        self._bulk_accounting(customers, orders, order_ids, line_ids, partner_ids, contact_ids)
        lead_of = self._bulk_opportunities(customers, orders, order_ids, contact_ids)
        record_of = {c.index: partner for c, partner in zip(customers, partner_ids, strict=True)}
        self._bulk_messages(customers, contact_ids, record_of, lead_of)
        self._bulk_meetings(customers, record_of, lead_of, contact_of)
        self._bulk_activities(customers, record_of, lead_of)
        if self.helpdesk:
            self._bulk_tickets(customers, record_of, contact_of)

    def _row_stamp(self, when):
        return (*self.stamp, when, when)

    def _bulk_customers(self, customers):
        """Companies with their contact person, and individuals; returns both id lists."""
        plan = self.plan
        ids = self._ids("res_partner", len(customers))
        companies = [c for c in customers if c.is_company]
        contact_of = dict(zip((c.index for c in companies),
                              self._ids("res_partner", len(companies)), strict=True))  # fmt: skip
        rows, contacts = [], []
        for customer, partner_id in zip(customers, ids, strict=True):
            lang = customer.lang if customer.lang in self.langs else None
            created = at(plan.day(customer.start) - timedelta(days=20), 9)
            rep = self.reps[customer.salesperson].id
            rows.append(
                (partner_id, customer.name, customer.name, customer.is_company, "contact", True,
                 lang, self.countries[customer.country], customer.city, customer.email, 1, 0,
                 rep, f"C{customer.index + 1:06d}", None, partner_id, None, "ask",
                 *self._row_stamp(created))
            )  # fmt: skip
            if customer.is_company:
                contacts.append(
                    (contact_of[customer.index], customer.contact,
                     f"{customer.name}, {customer.contact}", False, "contact", True, lang,
                     self.countries[customer.country], customer.city, customer.email, 0, 0,
                     rep, None, partner_id, partner_id, "Purchasing Manager", "ask",
                     *self._row_stamp(created))
                )  # fmt: skip
        insert(self.env, "res_partner", PARTNER, rows + contacts)
        self.counts["customers"] += len(rows)
        self.counts["contacts"] += len(contacts)
        return ids, [contact_of.get(c.index, pid) for c, pid in zip(customers, ids, strict=True)]

    def _bulk_orders(self, customers, orders, contact_ids):
        """Confirmed orders and their lines; returns their ids (lines: a list per order)."""
        plan, products = self.plan, self.plan.products
        by_index = {c.index: n for n, c in enumerate(customers)}
        order_ids = self._ids("sale_order", len(orders))
        line_ids = iter(self._ids("sale_order_line", sum(len(o.lines) for o in orders)))
        order_rows, line_rows, ids_per_order = [], [], []
        sequence = self.sale_sequence
        for order, order_id in zip(orders, order_ids, strict=True):
            customer = plan.customers[order.customer]
            contact = contact_ids[by_index[order.customer]]
            rep, team = self.reps[customer.salesperson].id, self.team_of[customer.salesperson].id
            warehouse = self.warehouses[customer.warehouse].id
            delivered = order.delivered is not None
            ordered = at(plan.day(order.day))
            untaxed = round(sum(q * products[p].price for p, q in order.lines), 2)
            margin = round(sum(q * (products[p].price - products[p].cost)
                               for p, q in order.lines), 2)  # fmt: skip
            name = f"{sequence.prefix or ''}{self.next_order:0{sequence.padding}d}"
            self.next_order += 1
            order_rows.append(
                (order_id, name, contact, contact, contact, ordered,
                 at(plan.day(order.promised), 17),
                 at(plan.day(order.delivered), 15) if delivered else None,
                 plan.day(order.day) + timedelta(days=30), "sale", self.company.id,
                 self.currency, rep, team, warehouse, "direct",
                 "invoiced" if delivered else "to invoice", "full" if delivered else "pending",
                 1.0,
                 untaxed, 0.0, untaxed, margin, round(margin / untaxed, 4) if untaxed else 0.0,
                 False, True, True, 1.0, self.term, None, *self._row_stamp(ordered))
            )  # fmt: skip
            ids = []
            for number, (product, quantity) in enumerate(order.lines):
                line_id = next(line_ids)
                ids.append(line_id)
                price, cost = products[product].price, products[product].cost
                subtotal = round(quantity * price, 2)
                line_margin = round(quantity * (price - cost), 2)
                done = quantity if delivered else 0.0
                line_rows.append(
                    (line_id, order_id, 10 + number, self.product_names[product],
                     self.products[product].id, self.uom, quantity, price, price, 0.0, subtotal,
                     0.0, subtotal, price, price, cost, line_margin,
                     round(line_margin / subtotal, 4) if subtotal else 0.0, 5.0, done,
                     "stock_move", done, quantity - done, subtotal if delivered else 0.0,
                     0.0 if delivered else subtotal, "invoiced" if delivered else "to invoice",
                     "sale", self.company.id, self.currency,
                     contact, rep, warehouse, False, False, *self._row_stamp(ordered))
                )  # fmt: skip
            ids_per_order.append(ids)
        insert(self.env, "sale_order", ORDER, order_rows)
        insert(self.env, "sale_order_line", ORDER_LINE, line_rows)
        self.order_names = dict(zip(order_ids, (row[1] for row in order_rows), strict=True))
        self.counts["sale_orders"] += len(order_rows)
        self.counts["order_lines"] += len(line_rows)
        return order_ids, ids_per_order

    def _bulk_deliveries(self, orders, order_ids, line_ids, contact_of):
        """A delivery per order, as confirming the order and validating it leaves them.

        Delivered orders: the picking is done on the delivery day (its deadline is the promised
        day, so late ones show), its moves and move lines done, valued at cost. The others: the
        picking is ready, its quantities reserved. Then the quants follow (see _bulk_quants).
        """
        count = sum(len(order.lines) for order in orders)
        ids = {
            "picking": iter(self._ids("stock_picking", len(orders))),
            "reference": iter(self._ids("stock_reference", len(orders))),
            "move": iter(self._ids("stock_move", count)),
            "line": iter(self._ids("stock_move_line", count)),
        }
        rows = {key: [] for key in ("pickings", "moves", "lines", "references", "sales",
                                    "reference_moves")}  # fmt: skip
        for order, order_id, order_line_ids in zip(orders, order_ids, line_ids, strict=True):
            self._delivery(rows, ids, (order, order_id, order_line_ids), contact_of[order.customer])
        env = self.env
        insert(env, "stock_picking", PICKING, rows["pickings"])
        insert(env, "stock_move", STOCK_MOVE, rows["moves"])
        insert(env, "stock_move_line", STOCK_MOVE_LINE, rows["lines"])
        insert(env, "stock_reference", columns("id:int name:text " + STAMP), rows["references"])
        insert(env, "stock_reference_sale_rel", columns("sale_id:int reference_id:int"),
               rows["sales"])  # fmt: skip
        insert(env, "stock_reference_move_rel", columns("move_id:int reference_id:int"),
               rows["reference_moves"])  # fmt: skip
        self._bulk_quants(rows["lines"])
        delivered = [order for order in orders if order.delivered is not None]
        self.counts["deliveries"] += len(delivered)
        self.counts["late_deliveries"] += sum(1 for order in delivered if order.late)

    def _delivery(self, rows, ids, entry, contact):
        """Rows of the delivery of one order: picking, moves, move lines, stock reference."""
        plan = self.plan
        order, order_id, order_line_ids = entry
        warehouse = plan.customers[order.customer].warehouse
        kind, stock, rule, sequence = self.deliveries[warehouse]
        picking, reference = next(ids["picking"]), next(ids["reference"])
        name, origin = self._sequence_name(sequence), self.order_names[order_id]
        done = order.delivered is not None
        state = "done" if done else "assigned"
        created, promised = at(plan.day(order.day), 9), at(plan.day(order.promised), 17)
        when = at(plan.day(order.delivered), 15) if done else promised
        company, stamp = self.company.id, self._row_stamp(created)
        rows["pickings"].append(
            (picking, name, state, origin, order_id, "0", "direct", True, company, contact,
             stock, self.customers_location, kind, promised, promised, when if done else None,
             0.0, False, *stamp)
        )  # fmt: skip
        rows["references"].append((reference, origin, *stamp))
        rows["sales"].append((order_id, reference))
        for (product, quantity), sale_line in zip(order.lines, order_line_ids, strict=True):
            move, product_id = next(ids["move"]), self.products[product].id
            rows["moves"].append(
                (move, picking, name, origin, state, 10, "0", company, contact, product_id,
                 self.uom, quantity, quantity, quantity, self.uom, float(quantity), stock,
                 self.customers_location, self.customers_location, kind,
                 self.warehouses[warehouse].id, rule, sale_line, "make_to_stock", when,
                 promised, created.date(), done, True, False, False, False, False, done,
                 round(quantity * self.costs[product], 2) if done else None, *stamp)
            )  # fmt: skip
            rows["lines"].append(
                (next(ids["line"]), move, picking, state, company, product_id, self.uom,
                 quantity, quantity, done, stock, self.customers_location, when, *stamp)
            )  # fmt: skip
            rows["reference_moves"].append((move, reference))

    def _bulk_quants(self, move_lines):
        """Take the delivered quantities out of the warehouses' quants (one update for the
        chunk), reserve the quantities still to deliver, and put the delivered goods in the
        customers' location, as validating the deliveries does."""
        moved, received, first = {}, {}, None
        for line in move_lines:
            state, product, quantity, source, when = line[3], line[5], line[7], line[10], line[12]
            out, reserved = moved.get((source, product), (0, 0))
            if state == "done":
                moved[source, product] = (out + quantity, reserved)
                received[product] = received.get(product, 0) + quantity
                first = min(first or when, when)
            else:
                moved[source, product] = (out, reserved + quantity)
        if not moved:
            return
        keys, amounts = zip(*sorted(moved.items()), strict=True)
        self.env.cr.execute(
            """UPDATE stock_quant q SET quantity = q.quantity - v.out,
                      reserved_quantity = q.reserved_quantity + v.reserved
                 FROM unnest(%s::int[], %s::int[], %s::numeric[], %s::numeric[])
                      AS v(location_id, product_id, out, reserved)
                WHERE q.location_id = v.location_id AND q.product_id = v.product_id
                  AND q.lot_id IS NULL AND q.package_id IS NULL AND q.owner_id IS NULL""",
            [[k[0] for k in keys], [k[1] for k in keys], [a[0] for a in amounts],
             [a[1] for a in amounts]],
        )  # fmt: skip
        if not received:
            return
        products, quantities = zip(*sorted(received.items()), strict=True)
        self.env.cr.execute(
            """WITH v AS (SELECT * FROM unnest(%s::int[], %s::numeric[]) AS v(product_id, qty)),
               updated AS (
                   UPDATE stock_quant q SET quantity = q.quantity + v.qty FROM v
                    WHERE q.location_id = %s AND q.product_id = v.product_id
                      AND q.lot_id IS NULL AND q.package_id IS NULL AND q.owner_id IS NULL
                RETURNING q.product_id)
               INSERT INTO stock_quant (product_id, location_id, quantity, reserved_quantity,
                                        in_date, inventory_quantity_set, inventory_diff_quantity,
                                        create_uid, write_uid, create_date, write_date)
               SELECT v.product_id, %s, v.qty, 0, %s, false, 0, %s, %s, %s, %s FROM v
                WHERE v.product_id NOT IN (SELECT product_id FROM updated)""",
            [list(products), list(quantities), self.customers_location, self.customers_location,
             first, *self.stamp, first, first],
        )  # fmt: skip

    def _bulk_accounting(self, customers, orders, order_ids, line_ids, partner_ids, contact_ids):
        """Posted invoices of the delivered orders, credit notes set against some of them, and
        payments reconciled with the paid ones."""
        plan = self.plan
        by_index = {c.index: n for n, c in enumerate(customers)}
        partner_of = {c.index: pid for c, pid in zip(customers, partner_ids, strict=True)}
        invoiced = [(o, oid, lids) for o, oid, lids in zip(orders, order_ids, line_ids,
                                                           strict=True)
                    if o.delivered is not None]  # fmt: skip
        paid = [entry for entry in invoiced if entry[0].paid is not None]
        refunded = [entry for entry in invoiced if entry[0].refund is not None]
        settled = [entry for entry in invoiced if self._settled(entry[0])]
        ids = {
            "move": iter(self._ids("account_move",
                                   len(invoiced) + len(paid) + len(refunded))),
            "aml": iter(self._ids("account_move_line",
                                  sum(len(e[0].lines) + 1 for e in invoiced + refunded)
                                  + 2 * len(paid))),
            "payment": iter(self._ids("account_payment", len(paid))),
            "partial": iter(self._ids("account_partial_reconcile", len(paid) + len(refunded))),
            "full": iter(self._ids("account_full_reconcile", len(settled))),
        }  # fmt: skip
        rows = {key: [] for key in ("moves", "lines", "payments", "partials", "fulls", "matched",
                                    "links")}  # fmt: skip
        for entry in invoiced:
            order = entry[0]
            parties = (plan.customers[order.customer], contact_ids[by_index[order.customer]],
                       partner_of[order.customer])  # fmt: skip
            self._invoice(rows, ids, entry, parties)
        env, payments = self.env, rows["payments"]
        insert(env, "account_move", MOVE, rows["moves"])
        insert(env, "account_full_reconcile", columns("id:int " + STAMP), rows["fulls"])
        insert(env, "account_payment", PAYMENT, payments)
        env.cr.execute(
            """UPDATE account_move m SET origin_payment_id = p.id
                 FROM account_payment p WHERE p.move_id = m.id AND p.id = ANY(%s)""",
            [[row[0] for row in payments]],
        )
        insert(env, "account_move_line", MOVE_LINE, rows["lines"])
        insert(env, "account_partial_reconcile", PARTIAL, rows["partials"])
        insert(env, "sale_order_line_invoice_rel",
               columns("invoice_line_id:int order_line_id:int"), rows["links"])  # fmt: skip
        insert(env, "account_move__account_payment", columns("invoice_id:int payment_id:int"),
               rows["matched"])  # fmt: skip
        self.counts["invoices"] += len(invoiced)
        self.counts["refunds"] += len(refunded)
        self.counts["payments"] += len(payments)

    @staticmethod
    def _settled(order):
        """Whether the invoice of `order` ends fully reconciled (paid, or wholly credited)."""
        return order.paid is not None or (order.refund is not None and order.refund[1] == 1.0)

    def _refunded(self, order):
        """The lines of the credit note of `order`: (product, quantity, subtotal), and total."""
        if order.refund is None:
            return [], 0.0
        share, products = order.refund[1], self.plan.products
        lines = [(product, quantity * share, round(quantity * share * products[product].price, 2))
                 for product, quantity in order.lines]  # fmt: skip
        return lines, round(sum(line[2] for line in lines), 2)

    def _invoice(self, rows, ids, entry, parties):
        """Rows of the invoice of an order, and of its credit note and payment if any.

        `entry` is (planned order, sale order id, its line ids); `parties` is (planned
        customer, contact id, commercial partner id).
        """
        order, order_id, order_line_ids = entry
        customer, contact, commercial = parties
        products, company = self.plan.products, self.company.id
        day = self.plan.day(order.delivered)
        due = day + timedelta(days=PAYMENT_TERM_DAYS)
        created = at(day, 16)
        total = round(sum(q * products[p].price for p, q in order.lines), 2)
        credited = self._refunded(order)[1]
        settled = self._settled(order)
        residual = 0.0 if settled else round(total - credited, 2)
        if order.refund is not None and order.refund[1] == 1.0:
            state = "reversed"
        else:
            state = "paid" if order.paid is not None else "partial" if credited else "not_paid"
        prefix, number, name = self._number(self.sale_journal.code, day)
        move_id = next(ids["move"])
        origin = self.order_names[order_id]
        rep = self.reps[customer.salesperson].id
        rows["moves"].append(
            (move_id, name, prefix, number, self.sale_journal.id, company, contact,
             commercial, contact, self.currency, rep,
             self.team_of[customer.salesperson].id, origin, "posted", "out_invoice", "no",
             name, state, customer.name, origin, day, day, due,
             day, 1.0, self.term, None, total, 0.0, total, residual, total, total, 0.0,
             total, total, residual, False, True, True, False, False, None,
             *self._row_stamp(created))
        )  # fmt: skip
        for number_in_order, ((product, quantity), sale_line) in enumerate(
            zip(order.lines, order_line_ids, strict=True)
        ):
            price = products[product].price
            subtotal = round(quantity * price, 2)
            aml = next(ids["aml"])
            rows["lines"].append(
                (aml, move_id, name, self.sale_journal.id, company, self.currency,
                 self.currency, 10 + number_in_order, self.income, commercial,
                 self.products[product].id, self.uom, "posted", origin,
                 self.product_names[product], "product", day, day, None, 0.0, subtotal,
                 -subtotal, -subtotal, 0.0, 0.0, quantity, price, subtotal, subtotal, 0.0,
                 0.0, 0.0, 0.0, False, False, None, None, None, False, False, False, 100.0,
                 False, *self._row_stamp(created))
            )  # fmt: skip
            rows["links"].append((aml, sale_line))
        receivable = next(ids["aml"])
        full = next(ids["full"]) if settled else None
        partial = next(ids["partial"]) if order.refund is not None else None
        matching = str(full) if full else f"P{partial}" if partial else None
        rows["lines"].append(
            (receivable, move_id, name, self.sale_journal.id, company, self.currency,
             self.currency, 10_000, self.receivable, commercial, None, None, "posted",
             origin, name, "payment_term", day, day, due, total, 0.0, total, total,
             residual, residual, None, None, None, None, None, None, None, 0.0, False,
             settled, full, matching, None, False, False, False, 100.0,
             False, *self._row_stamp(created))
        )  # fmt: skip
        if order.refund is not None:
            self._refund(rows, ids, order, parties, (move_id, name, receivable, full, partial))
        if order.paid is not None:
            self._pay(rows, ids, order, customer.name, commercial, name, day,
                      round(total - credited, 2), (move_id, receivable, full))  # fmt: skip

    def _refund(self, rows, ids, order, parties, invoice):
        """Rows of the credit note of an invoice, posted and reconciled with the invoice.

        `invoice` is (move id, name, receivable line id, full reconcile id or None, partial
        reconcile id). As the ORM path does: the same products and prices, on a share of the
        invoiced quantities, with the invoice's payment terms.
        """
        customer, contact, commercial = parties
        move_id, invoice_name, receivable, full, partial = invoice
        journal, company, currency = self.sale_journal.id, self.company.id, self.currency
        day = self.plan.day(order.refund[0])
        due = day + timedelta(days=PAYMENT_TERM_DAYS)
        created = at(day, 16)
        lines, total = self._refunded(order)
        prefix, number, name = self._number(self.refund_code, day)
        refund = next(ids["move"])
        ref = f"Credit note on {invoice_name}: damaged goods"
        rows["moves"].append(
            (refund, name, prefix, number, journal, company, contact, commercial, contact,
             currency, self.reps[customer.salesperson].id, self.team_of[customer.salesperson].id,
             ref, "posted", "out_refund", "no", None, "paid", customer.name, None, day, day,
             due, None, 1.0, self.term, None, total, 0.0, total, 0.0, -total, -total, 0.0,
             -total, -total, 0.0, False, True, True, False, False, move_id,
             *self._row_stamp(created))
        )  # fmt: skip
        for number_in_order, (product, quantity, subtotal) in enumerate(lines):
            rows["lines"].append(
                (next(ids["aml"]), refund, name, journal, company, currency, currency,
                 10 + number_in_order, self.income, commercial, self.products[product].id,
                 self.uom, "posted", ref, self.product_names[product], "product", day, day,
                 None, subtotal, 0.0, subtotal, subtotal, 0.0, 0.0, quantity,
                 self.plan.products[product].price, subtotal, subtotal, 0.0, 0.0, 0.0, 0.0,
                 False, False, None, None, None, False, False, False, 100.0, False,
                 *self._row_stamp(created))
            )  # fmt: skip
        counterpart = next(ids["aml"])
        matching = str(full) if full else f"P{partial}"
        rows["lines"].append(
            (counterpart, refund, name, journal, company, currency, currency, 10_000,
             self.receivable, commercial, None, None, "posted", ref, None, "payment_term", day,
             day, due, 0.0, total, -total, -total, 0.0, 0.0, None, None, None, None, None,
             None, None, 0.0, False, True, full, matching, None, False, False, False, 100.0,
             False, *self._row_stamp(created))
        )  # fmt: skip
        rows["partials"].append(
            (partial, receivable, counterpart, full, currency, currency, company, day, total,
             total, total, *self._row_stamp(at(day, 12)))
        )  # fmt: skip
        if full and order.paid is None:  # wholly credited: the credit note settles the invoice
            rows["fulls"].append((full, *self._row_stamp(at(day, 12))))

    def _pay(self, rows, ids, order, customer_name, commercial, name, day, total, invoice):
        """Rows of the payment of an invoice: payment, entry, lines, reconciliation.

        `invoice` is (move id, receivable line id, full reconcile id); `rows` gets the rows
        and `ids` gives the new ids.
        """
        move_id, receivable, full = invoice
        pay_day = self.plan.day(order.paid)
        pay_created = at(pay_day, 12)
        _prefix, pay_number, pay_name = self._number(self.bank_journal.code, pay_day)
        pay_move, payment = next(ids["move"]), next(ids["payment"])
        rows["moves"].append(
            (pay_move, pay_name, f"{self.bank_journal.code}/{pay_day.year}/", pay_number,
             self.bank_journal.id, self.company.id, commercial, commercial, None, self.currency,
             None, None, name, "posted", "entry", "no", None, "not_paid", customer_name,
             None, pay_day, None, pay_day, None, 0.0, None, None, 0.0, 0.0, total, 0.0,
             0.0, 0.0, 0.0, total, total, 0.0, True, True, True, False, False, None,
             *self._row_stamp(pay_created))
        )  # fmt: skip
        label = f"{self.method_line.name}: {name}"
        liquidity, counterpart = next(ids["aml"]), next(ids["aml"])
        for aml, account, debit, credit, reconciled in (
            (liquidity, self.outstanding, total, 0.0, False),
            (counterpart, self.receivable, 0.0, total, True),
        ):
            rows["lines"].append(
                (aml, pay_move, pay_name, self.bank_journal.id, self.company.id, self.currency,
                 self.currency, 10, account, commercial, None, None, "posted", name, label,
                 "product", pay_day, None, pay_day, debit, credit, debit - credit,
                 debit - credit, debit if not reconciled else 0.0,
                 debit if not reconciled else 0.0, None, None, None, None, None, None, None,
                 0.0, False, reconciled, full if reconciled else None,
                 str(full) if reconciled else None, payment, False, False, False, 100.0,
                 False, *self._row_stamp(pay_created))
            )  # fmt: skip
        rows["payments"].append(
            (payment, pay_move, pay_name, self.bank_journal.id, self.company.id,
             self.method_line.id, self.method_line.payment_method_id.id, self.currency,
             commercial, self.outstanding, self.receivable, "paid", "inbound", "customer",
             name, pay_day, total, total, True, False, *self._row_stamp(pay_created))
        )  # fmt: skip
        rows["partials"].append(
            (next(ids["partial"]), receivable, counterpart, full, self.currency, self.currency,
             self.company.id, max(day, pay_day), total, total, total, *self._row_stamp(pay_created))
        )  # fmt: skip
        rows["fulls"].append((full, *self._row_stamp(pay_created)))
        rows["matched"].append((move_id, payment))

    def _bulk_opportunities(self, customers, orders, order_ids, contact_ids):
        """Opportunities of the chunk's customers, with the messages and tracking values the
        ORM writer leaves (creation, stage moves, won or lost), dated on the days of the changes.

        Returns {index in the plan's opportunities: crm.lead id}.
        """
        plan = self.plan
        indexes = {c.index for c in customers}
        by_index = {c.index: n for n, c in enumerate(customers)}
        order_of = {(o.customer, o.number): oid for o, oid in zip(orders, order_ids,
                                                                  strict=True)}  # fmt: skip
        chosen = self.opportunities_of(indexes)
        ids = self._ids("crm_lead", len(chosen))
        rows, links, history = [], [], []
        for opportunity, lead_id in zip(chosen, ids, strict=True):
            customer = plan.customers[opportunity.customer]
            contact = contact_ids[by_index[opportunity.customer]]
            created = at(plan.day(opportunity.created), 9)
            closed = (at(plan.day(opportunity.closed), 16)
                      if opportunity.closed is not None else None)  # fmt: skip
            outcome = opportunity.outcome
            stage = self.won_stage if outcome == "won" else self.stages[opportunity.stages]
            probability = {"won": 100.0, "lost": 0.0}.get(outcome, 10.0 + 30 * opportunity.stages)
            moves = [] if opportunity.imported else opportunity.moves()
            last_change = at(plan.day(moves[-1][0]), 11) if moves else created
            if outcome == "won":
                last_change = closed
            rows.append(
                (lead_id, opportunity.name, "opportunity", outcome != "lost", contact,
                 self.reps[customer.salesperson].id, self.team_of[customer.salesperson].id,
                 self.company.id, stage.id, opportunity.revenue,
                 round(opportunity.revenue * probability / 100, 2), probability, probability,
                 "pending" if outcome == "open" else outcome,
                 self.reasons[opportunity.lost_reason].id if outcome == "lost" else None,
                 created, closed, last_change,
                 plan.day(opportunity.closed if opportunity.closed is not None
                          else LAST_DAY + 30), 0.0,
                 (closed.date() - created.date()).days if closed else None, "1",
                 customer.email, customer.contact,
                 customer.name if customer.is_company else None,
                 *self.stamp, created, closed or created)
            )  # fmt: skip
            if not opportunity.imported:
                history.append((opportunity, lead_id, created, closed, moves))
            if opportunity.order is not None:
                links.append((order_of[opportunity.customer, opportunity.order], lead_id))
        insert(self.env, "crm_lead", LEAD, rows)
        self._bulk_lead_history(history)
        if links:
            self.env.cr.execute(
                """UPDATE sale_order o SET opportunity_id = v.lead
                     FROM unnest(%s::int[], %s::int[]) AS v(id, lead) WHERE o.id = v.id""",
                [[o for o, _lead in links], [lead for _o, lead in links]],
            )
        self.counts["opportunities"] += len(rows)
        numbers = [number for number, _opportunity in self._planned("opportunities", customers)]
        return dict(zip(numbers, ids, strict=True))

    def _lead_tracking_references(self):
        """The tracked fields of crm.lead, the labels of its won status, the stages' names."""
        if hasattr(self, "tracked_fields"):
            return
        Fields = self.env["ir.model.fields"]
        self.tracked_fields = {
            name: Fields._get("crm.lead", name).id
            for name in ("stage_id", "won_status", "active", "lost_reason_id")
        }
        self.won_labels = dict(self.env["crm.lead"]._fields["won_status"].selection)
        self.stage_names = [stage.name for stage in self.stages]

    def _bulk_lead_history(self, history):
        """The messages and tracking values of the tracked deals: `history` is a list of
        (opportunity, lead id, created, closed, moves)."""
        self._lead_tracking_references()
        fields, labels, names = self.tracked_fields, self.won_labels, self.stage_names
        count = sum(1 + len(moves) + (o.outcome != "open") for o, _l, _c, _d, moves in history)
        message_ids = iter(self._ids("mail_message", count))
        messages, values = [], []
        for opportunity, lead_id, created, closed, moves in history:
            rep = self.reps[self.plan.customers[opportunity.customer].salesperson]
            sender = f'"{rep.name}" <{rep.email}>'
            team = self.team_of[self.plan.customers[opportunity.customer].salesperson]
            parent = None

            def message(subtype, when, body="", tracking=(), rep=rep, sender=sender, lead=lead_id):
                nonlocal parent
                message_id = next(message_ids)
                messages.append(
                    (message_id, "crm.lead", lead, "notification", self.subtypes[subtype],
                     rep.partner_id.id, sender, sender, body, when, self.company.id,
                     f"<{message_id}.{lead}-openerp-{lead}-crm.lead@generated>", parent, True,
                     *self._row_stamp(when))
                )  # fmt: skip
                values.extend((message_id, *value, when) for value in tracking)
                parent = message_id

            text = f'A new lead has been created for the team "{team.display_name}".'
            message("create", created, str(CREATED % text))
            stage = 0
            for day, entered in moves:
                message("stage", at(self.plan.day(day), 11), tracking=[
                    (fields["stage_id"], self.stages[stage].id, self.stages[entered].id,
                     names[stage], names[entered])])  # fmt: skip
                stage = entered
            if opportunity.outcome == "won":
                message("won", closed, tracking=[
                    (fields["stage_id"], self.stages[stage].id, self.won_stage.id, names[stage],
                     self.won_stage.name),
                    (fields["won_status"], None, None, labels["pending"], labels["won"]),
                ])  # fmt: skip
            elif opportunity.outcome == "lost":
                reason = self.reasons[opportunity.lost_reason]
                message("lost", closed, tracking=[
                    (fields["active"], 1, 0, None, None),
                    (fields["lost_reason_id"], 0, reason.id, "", reason.name),
                    (fields["won_status"], None, None, labels["pending"], labels["lost"]),
                ])  # fmt: skip
        insert(self.env, "mail_message", LEAD_MESSAGE, messages)
        tracking_ids = self._ids("mail_tracking_value", len(values))
        insert(self.env, "mail_tracking_value", TRACKING, [
            (tracking_id, message_id, *value, *self.stamp, when, when)
            for tracking_id, (message_id, *value, when) in zip(tracking_ids, values, strict=True)
        ])  # fmt: skip

    def opportunities_of(self, indexes):
        """The planned opportunities of the customers in `indexes`, in plan order."""
        if not hasattr(self, "_opportunities_by_customer"):
            grouped = {}
            for opportunity in self.plan.opportunities:
                grouped.setdefault(opportunity.customer, []).append(opportunity)
            self._opportunities_by_customer = grouped
        return [o for index in sorted(indexes)
                for o in self._opportunities_by_customer.get(index, ())]  # fmt: skip

    def _bulk_messages(self, customers, contact_ids, record_of, lead_of):
        """E-mails in and out and logged calls on the customers and their opportunities."""
        plan = self.plan
        by_index = {c.index: n for n, c in enumerate(customers)}
        if not hasattr(self, "_interactions_by_customer"):
            grouped = {}
            for item in plan.interactions:
                if item.kind != "meeting":
                    grouped.setdefault(item.customer, []).append(item)
            self._interactions_by_customer = grouped
        items = [i for c in customers for i in self._interactions_by_customer.get(c.index, ())]
        rows = []
        for item, message_id in zip(items, self._ids("mail_message", len(items)), strict=True):
            customer = plan.customers[item.customer]
            n = by_index[item.customer]
            rep = self.reps[customer.salesperson]
            when = at(plan.day(item.day), 11)
            inbound = item.kind == "email_in"
            author = contact_ids[n] if inbound else rep.partner_id.id
            email_from = (f'"{customer.contact}" <{customer.email}>' if inbound
                          else f'"{rep.name}" <{rep.email}>')  # fmt: skip
            if item.kind == "call":
                values = (
                    "notification",
                    self.subtypes["note"],
                    None,
                    f"<p>Call with {customer.contact}: {item.subject}</p>",
                    self.call_type,
                )
            else:
                values = ("email", self.subtypes["comment"], item.subject,
                          f"<p>{item.subject}</p>", None)  # fmt: skip
            message_type, subtype, subject, body, activity_type = values
            model, res_id, _name = self._record(item, record_of, lead_of)
            tag = "crm-lead" if model == "crm.lead" else "partner"
            rows.append(
                (message_id, model, res_id, message_type, subtype,
                 author, email_from, subject, body, when, self.company.id, activity_type,
                 f"<{tag}-{res_id}-{message_id}@generated>", *self._row_stamp(when))
            )  # fmt: skip
        insert(self.env, "mail_message", MESSAGE, rows)
        self.counts["emails"] += sum(1 for row in rows if row[3] == "email")
        self.counts["calls"] += sum(1 for row in rows if row[3] == "notification")

    # ------------------------------------------------------------------ relationship
    def _planned(self, kind, customers):
        """(index in the plan's list, item) of the planned `kind` of the `customers`, in plan
        order; `kind`: "opportunities", "activities", "tickets" or "meetings" (interactions)."""
        if kind not in self._by_customer:
            grouped = {}
            items = self.plan.interactions if kind == "meetings" else getattr(self.plan, kind)
            for number, item in enumerate(items):
                if kind != "meetings" or item.kind == "meeting":
                    grouped.setdefault(item.customer, []).append((number, item))
            self._by_customer[kind] = grouped
        return [pair for c in customers for pair in self._by_customer[kind].get(c.index, ())]

    def _record(self, item, record_of, lead_of):
        """(model, id, display name) of the record a planned meeting or activity is on: its
        opportunity, or else its customer."""
        if item.opportunity is not None:
            name = self.plan.opportunities[item.opportunity].name
            return "crm.lead", lead_of[item.opportunity], name
        return "res.partner", record_of[item.customer], self.plan.customers[item.customer].name

    @staticmethod
    def _contact_name(customer):
        """The name of the partner we deal with: the contact person, or the individual."""
        return customer.contact if customer.is_company else customer.name

    def _activity_stamp(self, deadline):
        """The creation stamp of an activity: a week before its deadline (or before today)."""
        return self._row_stamp(at(min(deadline, self.plan.today) - timedelta(days=7), 9))

    def _bulk_meetings(self, customers, record_of, lead_of, contact_of):
        """Meetings on the customers and their opportunities, as creating the calendar events
        leaves them: the event, the contact and the salesperson as attendees, and the meeting
        activity the calendar puts on the customer or the opportunity."""
        plan = self.plan
        meetings = self._planned("meetings", customers)
        event_ids = self._ids("calendar_event", len(meetings))
        attendee_ids = iter(self._ids("calendar_attendee", 2 * len(meetings)))
        activity_ids = self._ids("mail_activity", len(meetings))
        rows = {key: [] for key in ("events", "attendees", "partners", "activities")}
        for (_number, item), event, activity in zip(meetings, event_ids, activity_ids,
                                                    strict=True):  # fmt: skip
            customer = plan.customers[item.customer]
            rep = self.reps[customer.salesperson]
            model, res_id, res_name = self._record(item, record_of, lead_of)
            start = at(plan.day(item.day), 11)
            name = f"{item.subject}: {customer.name}"
            stamp = self._row_stamp(start - timedelta(days=7))
            rows["events"].append(
                (event, name, start, start + timedelta(hours=1), 1.0, False, True, "busy",
                 rep.id, self.models[model], model, res_id, False,
                 self._meeting_description(rep, customer), *stamp)
            )  # fmt: skip
            for partner, common_name in ((contact_of[item.customer], self._contact_name(customer)),
                                         (rep.partner_id.id, rep.name)):  # fmt: skip
                rows["attendees"].append(
                    (next(attendee_ids), event, partner, "needsAction", common_name,
                     uuid.uuid4().hex, *stamp)
                )  # fmt: skip
                rows["partners"].append((partner, event))
            rows["activities"].append(
                (activity, self.models[model], model, res_id, res_name,
                 self.activity_types["meeting"], name, start.date(), rep.id, True, event,
                 *self._activity_stamp(start.date()))
            )  # fmt: skip
        insert(self.env, "calendar_event", EVENT, rows["events"])
        insert(self.env, "calendar_attendee", ATTENDEE, rows["attendees"])
        insert(self.env, "calendar_event_res_partner_rel",
               columns("res_partner_id:int calendar_event_id:int"), rows["partners"])  # fmt: skip
        insert(self.env, "mail_activity", ACTIVITY, rows["activities"])
        self.counts["meetings"] += len(meetings)

    def _meeting_description(self, rep, customer):
        """The description the calendar gives a one-to-one meeting: organizer and contact."""
        details = [
            Markup('<strong>Organized by</strong><br>%s<br><a href="mailto:%s">%s</a>')
            % (rep.name, rep.email, rep.email),
            Markup('<strong>Contact Details</strong><br>%s<br><a href="mailto:%s">%s</a>')
            % (self._contact_name(customer), customer.email, customer.email),
        ]
        return str(Markup("<div>%s</div>") % Markup("<br><br>").join(details))

    def _bulk_activities(self, customers, record_of, lead_of):
        """Planned activities (some overdue) on the customers and their open opportunities."""
        plan = self.plan
        planned = self._planned("activities", customers)
        rows = []
        for (_number, activity), activity_id in zip(
            planned, self._ids("mail_activity", len(planned)), strict=True
        ):
            model, res_id, res_name = self._record(activity, record_of, lead_of)
            deadline = plan.day(activity.deadline)
            rows.append(
                (activity_id, self.models[model], model, res_id, res_name,
                 self.activity_types[activity.kind], activity.summary, deadline,
                 self.reps[plan.customers[activity.customer].salesperson].id, True, None,
                 *self._activity_stamp(deadline))
            )  # fmt: skip
        insert(self.env, "mail_activity", ACTIVITY, rows)
        self.counts["activities"] += len(rows)

    def _bulk_tickets(self, customers, record_of, contact_of):
        """Helpdesk tickets, open and closed, numbered from the ticket sequence."""
        plan, helpdesk = self.plan, self.helpdesk
        user, rating_status, rate = self.ticket_defaults
        planned = self._planned("tickets", customers)
        rows = []
        for (_number, ticket), ticket_id in zip(
            planned, self._ids("helpdesk_ticket", len(planned)), strict=True
        ):
            customer = plan.customers[ticket.customer]
            opened = at(plan.day(ticket.day), 8)
            closed = at(plan.day(ticket.closed), 14) if ticket.closed is not None else None
            stage, unattended = helpdesk["stages"][ticket.stage]
            rows.append(
                (ticket_id, self._sequence_name(self.ticket_sequence), ticket.subject,
                 str(Markup("<p>%s</p>") % ticket.subject), contact_of[ticket.customer],
                 record_of[ticket.customer], self._contact_name(customer), customer.email,
                 self.company.id, helpdesk["team"], user, helpdesk["channels"][ticket.channel],
                 helpdesk["categories"][ticket.category], stage, unattended, ticket.priority, 10,
                 True, closed, closed or opened, rating_status, rate, 0.0,
                 *self._row_stamp(opened))
            )  # fmt: skip
        insert(self.env, "helpdesk_ticket", TICKET, rows)
        self.counts["tickets"] += len(rows)
