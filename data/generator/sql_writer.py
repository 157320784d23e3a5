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
* opportunities (won, lost with a reason, open) with one stage-change tracking message each,
  won ones linked to their order;
* e-mails in and out and logged calls on the customers.

Not written in bulk (the ORM sizes have them): delivery pickings and stock moves (the orders
carry their delivered quantities, delivery status and effective date, but no picking, and stock
on hand is not decreased), credit notes, taxes (no tax on the bulk lines), meetings, planned
activities and tickets.
"""

import time
from datetime import timedelta

from odoo.tools import SQL

from .orm_writer import OrmWriter, at
from .plan import CRM_STAGES, PAYMENT_TERM_DAYS

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
    "is_manually_modified:bool " + STAMP
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
MESSAGE = columns(
    "id:int model:text res_id:int message_type:text subtype_id:int "
    "author_id:int email_from:text subject:text body:text date:ts record_company_id:int "
    "mail_activity_type_id:int message_id:text " + STAMP
)


class SqlWriter(OrmWriter):
    """Writes a large `Plan`: master data through the ORM, the volume through SQL."""

    def __init__(self, env, plan, commit=None):
        super().__init__(env, plan)
        self.commit = commit or (lambda: None)

    def write(self):
        """Write the plan, committing through `commit` after each chunk; return the counts."""
        started = time.monotonic()
        self.master_data()
        self.env.flush_all()
        self._references()
        self.commit()
        for name in ("customers", "contacts", "sale_orders", "order_lines", "invoices",
                     "payments", "opportunities", "emails", "calls"):  # fmt: skip
            self.counts[name] = 0
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

    def _finish_sequences(self):
        self.sale_sequence.write({"number_next": self.next_order})

    # ------------------------------------------------------------------ one chunk
    def _chunk(self, customers):
        partner_ids, contact_ids = self._bulk_customers(customers)
        orders = [order for customer in customers for order in customer.orders]
        order_ids, line_ids = self._bulk_orders(customers, orders, contact_ids)
        self._bulk_accounting(customers, orders, order_ids, line_ids, partner_ids, contact_ids)
        self._bulk_opportunities(customers, orders, order_ids, contact_ids)
        self._bulk_messages(customers, partner_ids, contact_ids)

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

    def _bulk_accounting(self, customers, orders, order_ids, line_ids, partner_ids, contact_ids):
        """Posted invoices of the delivered orders; payments reconciled with the paid ones."""
        plan, products, company = self.plan, self.plan.products, self.company.id
        by_index = {c.index: n for n, c in enumerate(customers)}
        partner_of = {c.index: pid for c, pid in zip(customers, partner_ids, strict=True)}
        invoiced = [(o, oid, lids) for o, oid, lids in zip(orders, order_ids, line_ids,
                                                           strict=True)
                    if o.delivered is not None]  # fmt: skip
        paid = [entry for entry in invoiced if entry[0].paid is not None]
        ids = {
            "move": iter(self._ids("account_move", len(invoiced) + len(paid))),
            "aml": iter(self._ids("account_move_line",
                                  sum(len(e[0].lines) + 1 for e in invoiced) + 2 * len(paid))),
            "payment": iter(self._ids("account_payment", len(paid))),
            "partial": iter(self._ids("account_partial_reconcile", len(paid))),
        }  # fmt: skip
        full_ids = iter(self._ids("account_full_reconcile", len(paid)))
        rows = {key: [] for key in ("moves", "lines", "payments", "partials", "fulls", "matched")}
        moves, lines, links = rows["moves"], rows["lines"], []
        for order, order_id, order_line_ids in invoiced:
            customer = plan.customers[order.customer]
            contact = contact_ids[by_index[order.customer]]
            commercial = partner_of[order.customer]
            day = plan.day(order.delivered)
            due = day + timedelta(days=PAYMENT_TERM_DAYS)
            created = at(day, 16)
            total = round(sum(q * products[p].price for p, q in order.lines), 2)
            is_paid = order.paid is not None
            residual = 0.0 if is_paid else total
            prefix, number, name = self._number(self.sale_journal.code, day)
            move_id = next(ids["move"])
            origin = self.order_names[order_id]
            rep = self.reps[customer.salesperson].id
            moves.append(
                (move_id, name, prefix, number, self.sale_journal.id, company, contact,
                 commercial, contact, self.currency, rep,
                 self.team_of[customer.salesperson].id, origin, "posted", "out_invoice", "no",
                 name, "paid" if is_paid else "not_paid", customer.name, origin, day, day, due,
                 day, 1.0, self.term, None, total, 0.0, total, residual, total, total, 0.0,
                 total, total, residual, False, True, True, False, False,
                 *self._row_stamp(created))
            )  # fmt: skip
            for number_in_order, ((product, quantity), sale_line) in enumerate(
                zip(order.lines, order_line_ids, strict=True)
            ):
                price = products[product].price
                subtotal = round(quantity * price, 2)
                aml = next(ids["aml"])
                lines.append(
                    (aml, move_id, name, self.sale_journal.id, company, self.currency,
                     self.currency, 10 + number_in_order, self.income, commercial,
                     self.products[product].id, self.uom, "posted", origin,
                     self.product_names[product], "product", day, day, None, 0.0, subtotal,
                     -subtotal, -subtotal, 0.0, 0.0, quantity, price, subtotal, subtotal, 0.0,
                     0.0, 0.0, 0.0, False, False, None, None, None, False, False, False, 100.0,
                     False, *self._row_stamp(created))
                )  # fmt: skip
                links.append((aml, sale_line))
            receivable = next(ids["aml"])
            full = next(full_ids) if is_paid else None
            lines.append(
                (receivable, move_id, name, self.sale_journal.id, company, self.currency,
                 self.currency, 10_000, self.receivable, commercial, None, None, "posted",
                 origin, name, "payment_term", day, day, due, total, 0.0, total, total,
                 residual, residual, None, None, None, None, None, None, None, 0.0, False,
                 is_paid, full, str(full) if full else None, None, False, False, False, 100.0,
                 False, *self._row_stamp(created))
            )  # fmt: skip
            if not is_paid:
                continue
            self._pay(rows, ids, order, customer.name, commercial, name, day, total,
                      (move_id, receivable, full))  # fmt: skip
        env, payments = self.env, rows["payments"]
        insert(env, "account_move", MOVE, moves)
        insert(env, "account_full_reconcile", columns("id:int " + STAMP), rows["fulls"])
        insert(env, "account_payment", PAYMENT, payments)
        env.cr.execute(
            """UPDATE account_move m SET origin_payment_id = p.id
                 FROM account_payment p WHERE p.move_id = m.id AND p.id = ANY(%s)""",
            [[row[0] for row in payments]],
        )
        insert(env, "account_move_line", MOVE_LINE, lines)
        insert(env, "account_partial_reconcile", PARTIAL, rows["partials"])
        insert(env, "sale_order_line_invoice_rel",
               columns("invoice_line_id:int order_line_id:int"), links)  # fmt: skip
        insert(env, "account_move__account_payment", columns("invoice_id:int payment_id:int"),
               rows["matched"])  # fmt: skip
        self.counts["invoices"] += len(invoiced)
        self.counts["payments"] += len(payments)

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
             0.0, 0.0, 0.0, total, total, 0.0, True, True, True, False, False,
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
        """Opportunities of the chunk's customers, a tracking message for their last stage."""
        plan = self.plan
        indexes = {c.index for c in customers}
        by_index = {c.index: n for n, c in enumerate(customers)}
        order_of = {(o.customer, o.number): oid for o, oid in zip(orders, order_ids,
                                                                  strict=True)}  # fmt: skip
        chosen = self.opportunities_of(indexes)
        ids = self._ids("crm_lead", len(chosen))
        message_ids = self._ids("mail_message", len(chosen))
        rows, messages, links = [], [], []
        for opportunity, lead_id, message_id in zip(chosen, ids, message_ids, strict=True):
            customer = plan.customers[opportunity.customer]
            contact = contact_ids[by_index[opportunity.customer]]
            created = at(plan.day(opportunity.created), 9)
            closed = (at(plan.day(opportunity.closed), 16)
                      if opportunity.closed is not None else None)  # fmt: skip
            outcome = opportunity.outcome
            stage = (self.won_stage if outcome == "won"
                     else self.stages[min(opportunity.stages, len(self.stages) - 1)])  # fmt: skip
            probability = {"won": 100.0, "lost": 0.0}.get(outcome, 10.0 + 30 * opportunity.stages)
            last_change = closed or created + timedelta(days=5)
            rows.append(
                (lead_id, opportunity.name, "opportunity", outcome != "lost", contact,
                 self.reps[customer.salesperson].id, self.team_of[customer.salesperson].id,
                 self.company.id, stage.id, opportunity.revenue,
                 round(opportunity.revenue * probability / 100, 2), probability, probability,
                 "pending" if outcome == "open" else outcome,
                 self.reasons[opportunity.lost_reason].id if outcome == "lost" else None,
                 created, closed, last_change,
                 plan.day(opportunity.closed if opportunity.closed is not None
                          else opportunity.created + 60), 0.0,
                 (closed - created).days if closed else None, "1", customer.email,
                 customer.contact, customer.name if customer.is_company else None,
                 *self._row_stamp(created))
            )  # fmt: skip
            messages.append(
                (message_id, "crm.lead", lead_id, "notification",
                 self.subtypes["stage"], self.reps[customer.salesperson].partner_id.id, None,
                 None, f"<p>Stage changed to {stage.name}</p>", last_change, self.company.id,
                 None, f"<crm-lead-{lead_id}-{message_id}@generated>",
                 *self._row_stamp(last_change))
            )  # fmt: skip
            if opportunity.order is not None:
                links.append((order_of[opportunity.customer, opportunity.order], lead_id))
        insert(self.env, "crm_lead", LEAD, rows)
        insert(self.env, "mail_message", MESSAGE, messages)
        if links:
            self.env.cr.execute(
                """UPDATE sale_order o SET opportunity_id = v.lead
                     FROM unnest(%s::int[], %s::int[]) AS v(id, lead) WHERE o.id = v.id""",
                [[o for o, _lead in links], [lead for _o, lead in links]],
            )
        self.counts["opportunities"] += len(rows)

    def opportunities_of(self, indexes):
        """The planned opportunities of the customers in `indexes`, in plan order."""
        if not hasattr(self, "_opportunities_by_customer"):
            grouped = {}
            for opportunity in self.plan.opportunities:
                grouped.setdefault(opportunity.customer, []).append(opportunity)
            self._opportunities_by_customer = grouped
        return [o for index in sorted(indexes)
                for o in self._opportunities_by_customer.get(index, ())]  # fmt: skip

    def _bulk_messages(self, customers, partner_ids, contact_ids):
        """E-mails in and out and logged calls on the customers (not those on leads)."""
        plan = self.plan
        by_index = {c.index: n for n, c in enumerate(customers)}
        if not hasattr(self, "_interactions_by_customer"):
            grouped = {}
            for item in plan.interactions:
                if item.kind != "meeting" and item.opportunity is None:
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
            rows.append(
                (message_id, "res.partner", partner_ids[n], message_type, subtype,
                 author, email_from, subject, body, when, self.company.id, activity_type,
                 f"<partner-{partner_ids[n]}-{message_id}@generated>", *self._row_stamp(when))
            )  # fmt: skip
        insert(self.env, "mail_message", MESSAGE, rows)
        self.counts["emails"] += sum(1 for row in rows if row[3] == "email")
        self.counts["calls"] += sum(1 for row in rows if row[3] == "notification")
