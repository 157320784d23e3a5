"""Write a large plan with bulk SQL: the rows and columns the ORM would write, in chunks.

Master data (salespeople, teams, products, warehouses, stock, incoming receipts) goes through
the ORM as for the other sizes. Customers and their contacts, confirmed sale orders with their
lines (amounts and margins as the ORM computes them, no taxes) and opportunities (won, lost,
open) are inserted with ``INSERT ... SELECT FROM unnest(...)``, a chunk at a time.

Not written in bulk yet: deliveries, invoices, payments, e-mails, meetings and tickets; the
orders are therefore confirmed, to deliver and to invoice.
"""

import time

from odoo.tools import SQL

from .orm_writer import OrmWriter, _at

CHUNK = 50_000


def _insert(env, table, columns, rows, returning=False):
    """Insert `rows` (tuples in `columns` order, with their SQL array types) in one statement."""
    names = [name for name, _type in columns]
    arrays = list(zip(*rows, strict=True)) if rows else [[] for _ in columns]
    query = SQL(
        "INSERT INTO %s (%s) SELECT * FROM unnest(%s)%s",
        SQL.identifier(table),
        SQL(", ").join(SQL.identifier(name) for name in names),
        SQL(", ").join(
            SQL("%s::%s", list(values), SQL(sql_type))
            for values, (_name, sql_type) in zip(arrays, columns, strict=True)
        ),
        SQL(" RETURNING id") if returning else SQL(),
    )
    env.cr.execute(query)
    return [row[0] for row in env.cr.fetchall()] if returning else None


class SqlWriter(OrmWriter):
    """Writes a large `Plan`: master data through the ORM, the volume through SQL."""

    def write(self):
        started = time.monotonic()
        self._people()
        self._products()
        self._warehouses()
        self.env.flush_all()
        self._bulk_customers()
        self._bulk_orders()
        self._bulk_opportunities()
        self._receipts()
        self.env.flush_all()
        self.env.invalidate_all()
        self.counts["seconds"] = round(time.monotonic() - started)
        return self.counts

    def _stamp(self):
        now = self.env.cr.now()
        return (self.env.uid, self.env.uid, now, now)

    def _bulk_customers(self):
        env, plan = self.env, self.plan
        countries = dict(env["res.country"].search([]).mapped(lambda c: (c.code, c.id)))
        langs = set(env["res.lang"].search([]).mapped("code"))
        stamp = self._stamp()
        columns = [
            ("name", "varchar[]"), ("complete_name", "varchar[]"), ("is_company", "bool[]"),
            ("type", "varchar[]"), ("active", "bool[]"), ("lang", "varchar[]"),
            ("country_id", "int[]"), ("email", "varchar[]"), ("customer_rank", "int[]"),
            ("supplier_rank", "int[]"), ("user_id", "int[]"), ("ref", "varchar[]"),
            ("autopost_bills", "varchar[]"), ("create_uid", "int[]"), ("write_uid", "int[]"),
            ("create_date", "timestamp[]"), ("write_date", "timestamp[]"),
        ]  # fmt: skip
        self.partner_ids, self.contact_ids = [], []
        for start in range(0, len(plan.customers), CHUNK):
            chunk = plan.customers[start : start + CHUNK]
            rows = [
                (c.name, c.name, c.is_company, "contact", True,
                 c.lang if c.lang in langs else None, countries[c.country], c.email, 1, 0,
                 self.reps[c.salesperson].id, f"C{c.index + 1:06d}", "ask", *stamp)
                for c in chunk
            ]  # fmt: skip
            ids = _insert(env, "res_partner", columns, rows, returning=True)
            env.cr.execute(
                "UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", [ids]
            )
            contact_rows = [
                (c.contact, f"{c.name}, {c.contact}", False, "contact", True,
                 c.lang if c.lang in langs else None, countries[c.country], c.email, 0, 0,
                 None, None, "ask", *stamp)
                for c in chunk if c.is_company
            ]  # fmt: skip
            contact_ids = iter(_insert(env, "res_partner", columns, contact_rows, returning=True))
            parents, children = [], []
            for customer, partner_id in zip(chunk, ids, strict=True):
                self.partner_ids.append(partner_id)
                if customer.is_company:
                    child = next(contact_ids)
                    parents.append(partner_id)
                    children.append(child)
                    self.contact_ids.append(child)
                else:
                    self.contact_ids.append(partner_id)
            env.cr.execute(
                """UPDATE res_partner p SET parent_id = v.parent, commercial_partner_id = v.parent
                     FROM unnest(%s::int[], %s::int[]) AS v(child, parent) WHERE p.id = v.child""",
                [children, parents],
            )
        self.counts["customers"] = len(self.partner_ids)

    def _bulk_orders(self):
        env, plan, company = self.env, self.plan, self.company
        uom = self.products[0].uom_id.id
        names = self.products.mapped("display_name")
        team_of = [self.teams[0 if i < 2 else 1].id for i in range(len(self.reps))]
        stamp = self._stamp()
        order_columns = [
            ("name", "varchar[]"), ("partner_id", "int[]"), ("partner_invoice_id", "int[]"),
            ("partner_shipping_id", "int[]"), ("date_order", "timestamp[]"),
            ("commitment_date", "timestamp[]"), ("state", "varchar[]"),
            ("company_id", "int[]"), ("currency_id", "int[]"), ("user_id", "int[]"),
            ("team_id", "int[]"), ("warehouse_id", "int[]"), ("picking_policy", "varchar[]"),
            ("invoice_status", "varchar[]"), ("currency_rate", "numeric[]"),
            ("amount_untaxed", "numeric[]"), ("amount_tax", "numeric[]"),
            ("amount_total", "numeric[]"), ("margin", "numeric[]"),
            ("margin_percent", "numeric[]"), ("create_uid", "int[]"), ("write_uid", "int[]"),
            ("create_date", "timestamp[]"), ("write_date", "timestamp[]"),
        ]  # fmt: skip
        line_columns = [
            ("order_id", "int[]"), ("sequence", "int[]"), ("name", "text[]"),
            ("product_id", "int[]"), ("product_uom_id", "int[]"),
            ("product_uom_qty", "numeric[]"), ("price_unit", "numeric[]"),
            ("technical_price_unit", "numeric[]"), ("discount", "numeric[]"),
            ("price_subtotal", "numeric[]"), ("price_tax", "numeric[]"),
            ("price_total", "numeric[]"), ("price_reduce_taxexcl", "numeric[]"),
            ("price_reduce_taxinc", "numeric[]"), ("purchase_price", "numeric[]"),
            ("margin", "numeric[]"), ("margin_percent", "numeric[]"),
            ("customer_lead", "numeric[]"), ("qty_delivered", "numeric[]"),
            ("qty_delivered_method", "varchar[]"), ("qty_invoiced", "numeric[]"),
            ("qty_to_invoice", "numeric[]"), ("untaxed_amount_invoiced", "numeric[]"),
            ("untaxed_amount_to_invoice", "numeric[]"), ("invoice_status", "varchar[]"),
            ("state", "varchar[]"), ("company_id", "int[]"), ("currency_id", "int[]"),
            ("order_partner_id", "int[]"), ("salesman_id", "int[]"), ("warehouse_id", "int[]"),
            ("is_downpayment", "bool[]"), ("is_expense", "bool[]"), ("create_uid", "int[]"),
            ("write_uid", "int[]"), ("create_date", "timestamp[]"),
            ("write_date", "timestamp[]"),
        ]  # fmt: skip
        entries = [(c, o) for c in plan.customers for o in c.orders]
        number, lines_written = 0, 0
        for start in range(0, len(entries), CHUNK):
            chunk = entries[start : start + CHUNK]
            order_rows = []
            for customer, order in chunk:
                number += 1
                untaxed = sum(q * plan.products[p][3] for p, q in order.lines)
                margin = sum(
                    q * (plan.products[p][3] - plan.products[p][2]) for p, q in order.lines
                )
                rep = customer.salesperson
                contact = self.contact_ids[customer.index]
                order_rows.append(
                    (f"SL{number:07d}", contact, contact, contact,
                     _at(plan.day(order.day)), _at(plan.day(order.day + 5), 17), "sale",
                     company.id, company.currency_id.id, self.reps[rep].id, team_of[rep],
                     self.warehouses[customer.index % 3].id, "direct", "to invoice", 1.0,
                     round(untaxed, 2), 0.0, round(untaxed, 2), round(margin, 2),
                     round(margin / untaxed, 4) if untaxed else 0.0, *stamp)
                )  # fmt: skip
            order_ids = _insert(env, "sale_order", order_columns, order_rows, returning=True)
            line_rows = []
            for (customer, order), order_id in zip(chunk, order_ids, strict=True):
                contact = self.contact_ids[customer.index]
                for sequence, (product, quantity) in enumerate(order.lines):
                    _category, _name, cost, price = plan.products[product]
                    subtotal = round(quantity * price, 2)
                    margin = round(quantity * (price - cost), 2)
                    line_rows.append(
                        (order_id, 10 + sequence, names[product], self.products[product].id,
                         uom, quantity, price, price, 0.0, subtotal, 0.0, subtotal, price, price,
                         cost, margin, round(margin / subtotal, 4) if subtotal else 0.0, 3.0,
                         0.0, "stock_move", 0.0, 0.0, 0.0, subtotal, "to invoice", "sale",
                         company.id, company.currency_id.id, contact,
                         self.reps[customer.salesperson].id,
                         self.warehouses[customer.index % 3].id, False, False, *stamp)
                    )  # fmt: skip
            _insert(env, "sale_order_line", line_columns, line_rows)
            lines_written += len(line_rows)
        self.counts["sale_orders"] = number
        self.counts["order_lines"] = lines_written

    def _bulk_opportunities(self):
        env, plan, company = self.env, self.plan, self.company
        stages = env["crm.stage"].search([("is_won", "=", False)], order="sequence")
        won_stage = env["crm.stage"].search([("is_won", "=", True)], limit=1)
        reason = env["crm.lost.reason"].search([], limit=1)
        team_of = [self.teams[0 if i < 2 else 1].id for i in range(len(self.reps))]
        columns = [
            ("name", "varchar[]"), ("type", "varchar[]"), ("active", "bool[]"),
            ("partner_id", "int[]"), ("user_id", "int[]"), ("team_id", "int[]"),
            ("company_id", "int[]"), ("stage_id", "int[]"), ("expected_revenue", "numeric[]"),
            ("probability", "float8[]"), ("won_status", "varchar[]"),
            ("lost_reason_id", "int[]"), ("date_open", "timestamp[]"),
            ("date_closed", "timestamp[]"), ("priority", "varchar[]"), ("create_uid", "int[]"),
            ("write_uid", "int[]"), ("create_date", "timestamp[]"), ("write_date", "timestamp[]"),
        ]  # fmt: skip
        rows = []
        for customer_index, day, outcome, close_day, revenue, _order in plan.opportunities:
            customer = plan.customers[customer_index]
            rep = customer.salesperson
            created = _at(plan.day(day), 9)
            stage = won_stage if outcome == "won" else stages[(customer_index + day) % len(stages)]
            product_name = plan.products[(customer_index + day) % len(plan.products)][1]
            rows.append(
                (f"{customer.name}: {product_name}",
                 "opportunity", outcome != "lost", self.contact_ids[customer_index],
                 self.reps[rep].id, team_of[rep], company.id, stage.id, round(revenue, 2),
                 {"won": 100.0, "lost": 0.0}.get(outcome, 30.0),
                 {"won": "won", "lost": "lost"}.get(outcome, "pending"),
                 reason.id if outcome == "lost" else None, created,
                 _at(plan.day(close_day), 16) if close_day is not None else None, "1",
                 self.env.uid, self.env.uid, created, created)
            )  # fmt: skip
        for start in range(0, len(rows), CHUNK):
            _insert(env, "crm_lead", columns, rows[start : start + CHUNK])
        self.counts["opportunities"] = len(rows)
