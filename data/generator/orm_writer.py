"""Write a plan through the ORM: every document is made the way the application makes it.

Documents are created, confirmed, validated, posted and reconciled in batches (one call for
many records). Odoo stamps some dates with "now" (confirmation, validation, creation, closing);
those are moved back to the planned dates afterwards with SQL, on the columns the ORM wrote, so
that every document reads as if it had happened on its planned day.
"""

from datetime import datetime, time, timedelta

from odoo import Command
from odoo.tools import SQL

from .plan import CRM_STAGES, LAST_DAY, TICKET_CATEGORIES

QUIET = {
    "tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True,
    "mail_create_nosubscribe": True, "mail_auto_subscribe_no_notify": True,
    "mail_activity_quick_update": True, "no_mail_to_attendees": True, "dont_notify": True,
    "skip_sms": True, "skip_sale_auto_invoice_send": True,
}  # fmt: skip
SALESPEOPLE = (
    ("crm_rep_1", "Samira Haddad", 0), ("crm_rep_2", "Dariush Karimi", 0),
    ("crm_rep_3", "Julia Weber", 1), ("crm_rep_4", "Thomas Becker", 1),
)  # login, name, team index  # fmt: skip
TEAMS = ("Middle East", "Europe & Americas")
WAREHOUSES = (("DXB", "Dubai Hub"), ("HAM", "Hamburg Depot"))


def at(day, hour=10):
    """A datetime on `day` at `hour` o'clock (UTC, as Odoo stores datetimes)."""
    return datetime.combine(day, time(hour, 0))


def set_column(env, table, column, values, cast="timestamp"):
    """``UPDATE table SET column = value`` for many rows at once (values: {id: value}).

    Flushes the ORM first (so its pending writes do not overwrite the new values later) and
    invalidates the cache afterwards.
    """
    if not values:
        return
    env.flush_all()
    ids, new = zip(*sorted(values.items()), strict=True)
    env.cr.execute(
        SQL(
            "UPDATE %s t SET %s = v.value FROM unnest(%s::int[], %s::%s[]) AS v(id, value)"
            " WHERE t.id = v.id",
            SQL.identifier(table),
            SQL.identifier(column),
            list(ids),
            list(new),
            SQL(cast),
        )
    )
    env.invalidate_all()


class OrmWriter:
    """Writes a `Plan` into the main company of `env` (no commit)."""

    def __init__(self, env, plan):
        self.env = env(context={**env.context, **QUIET})
        self.plan = plan
        self.company = self.env.company
        self.counts = {}
        self.env.cr.execute("SELECT COALESCE(max(id), 0) FROM mail_message")
        self.first_message = self.env.cr.fetchone()[0] + 1

    def write(self):
        """Write every part of the plan; return the number of records of each kind."""
        self.master_data()
        self._customers()
        self._sale_orders()
        self._deliveries()
        self._invoices()
        self._refunds()
        self._payments()
        self._opportunities()
        self._interactions()
        self._activities()
        self._tickets()
        self._date_the_rest()
        return self.counts

    def master_data(self):
        """Salespeople and teams, products, warehouses with their stock, incoming receipts."""
        self._salespeople()
        self._products()
        self._warehouses()
        self._receipts()

    def _date_the_rest(self):
        """Date what the ORM wrote on the side (notes, journal items, reconciliations...)."""
        self.env.flush_all()
        plan, execute = self.plan, self.env.cr.execute
        first_day = at(plan.day(0) - timedelta(days=60), 8)
        customers = {partner.id: at(plan.day(c.start) - timedelta(days=20), 9)
                     for c, partner in zip(plan.customers, self.partners, strict=True)}  # fmt: skip
        set_column(self.env, "res_partner", "create_date", customers)
        execute(
            """UPDATE res_partner c SET create_date = p.create_date
                 FROM res_partner p WHERE c.parent_id = p.id AND p.id = ANY(%s)""",
            [list(customers)],
        )
        for table in ("product_template", "product_product", "product_category"):
            execute(
                SQL(
                    "UPDATE %s SET create_date = %s WHERE create_date >= %s",
                    SQL.identifier(table),
                    first_day,
                    self.env.cr.now(),
                )
            )
        execute("UPDATE product_value SET date = %s, create_date = %s WHERE create_date >= %s",
                [first_day, first_day, self.env.cr.now()])  # fmt: skip
        execute("UPDATE stock_quant SET in_date = %s WHERE product_id = ANY(%s)",
                [first_day, self.products.ids])  # fmt: skip
        moves = self.env["account.move"].search([
            ("partner_id.commercial_partner_id", "in", self.partners.ids)]).ids  # fmt: skip
        execute(
            """UPDATE account_move_line l SET create_date = m.create_date
                 FROM account_move m WHERE m.id = l.move_id AND m.id = ANY(%s)""",
            [moves],
        )
        execute(
            """UPDATE account_move SET invoice_date_due = date
                WHERE id = ANY(%s) AND move_type = 'entry'""",
            [moves],
        )
        execute(
            """UPDATE account_partial_reconcile r SET create_date = r.max_date + time '12:00'
                 FROM account_move_line l WHERE l.id = r.debit_move_id AND l.move_id = ANY(%s)""",
            [moves],
        )
        execute(
            """UPDATE account_full_reconcile f SET create_date = r.create_date
                 FROM account_partial_reconcile r WHERE r.full_reconcile_id = f.id
                  AND r.debit_move_id IN (SELECT id FROM account_move_line
                                           WHERE move_id = ANY(%s))""",
            [moves],
        )
        execute(
            """UPDATE sale_order SET validity_date = date_order::date + 30 WHERE id = ANY(%s)""",
            [self.orders.ids],
        )
        execute(
            """UPDATE stock_move m SET reservation_date = p.create_date::date
                 FROM stock_picking p WHERE p.id = m.picking_id AND p.sale_id = ANY(%s)""",
            [self.orders.ids],
        )
        # The notes the documents posted about themselves, on the documents' dates.
        for model, table, column in (
            ("sale.order", "sale_order", "create_date"),
            ("stock.picking", "stock_picking", "COALESCE(d.date_done, d.create_date)"),
            ("account.move", "account_move", "d.create_date"),
            ("account.payment", "account_payment", "d.create_date"),
        ):
            execute(
                SQL(
                    """UPDATE mail_message m SET date = %s, create_date = %s
                         FROM %s d WHERE m.model = %s AND m.res_id = d.id AND m.id >= %s""",
                    SQL(column if "." in column else f"d.{column}"),
                    SQL(column if "." in column else f"d.{column}"),
                    SQL.identifier(table),
                    model,
                    self.first_message,
                )
            )
        execute(
            """UPDATE calendar_attendee a SET create_date = e.create_date
                 FROM calendar_event e WHERE e.id = a.event_id AND e.id = ANY(%s)""",
            [self.events.ids],
        )
        execute(
            """UPDATE mail_activity SET create_date = LEAST(date_deadline, %s) - 7 + time '09:00'
                WHERE create_date >= %s""",
            [plan.today, self.env.cr.now()],
        )
        self.env.invalidate_all()

    # ------------------------------------------------------------------ master data
    def _salespeople(self):
        """Four salespeople (sales group, all leads) in two sales teams."""
        Users = self.env["res.users"].with_context(no_reset_password=True)
        group = self.env.ref("sales_team.group_sale_salesman_all_leads")
        self.reps = Users.browse()
        for login, name, _team in SALESPEOPLE:
            self.reps |= Users.search([("login", "=", login)]) or Users.create(
                {
                    "name": name,
                    "login": login,
                    "email": f"{login}@example.com",
                    "group_ids": [Command.link(group.id)],
                    "company_id": self.company.id,
                    "company_ids": [Command.link(self.company.id)],
                }
            )
        self.teams = self.env["crm.team"].create(
            [
                {
                    "name": name,
                    "company_id": self.company.id,
                    "member_ids": [
                        Command.set(
                            [
                                rep.id
                                for rep, spec in zip(self.reps, SALESPEOPLE, strict=True)
                                if spec[2] == index
                            ]
                        )
                    ],
                }
                for index, name in enumerate(TEAMS)
            ]
        )
        self.team_of = [self.teams[spec[2]] for spec in SALESPEOPLE]
        self.counts["salespeople"] = len(self.reps)

    def _products(self):
        categories = {}
        for product in self.plan.products:
            if product.category not in categories:
                categories[product.category] = self.env["product.category"].create(
                    {"name": product.category}
                )
        templates = self.env["product.template"].create(
            [
                {
                    "name": product.name,
                    "type": "consu",
                    "is_storable": True,
                    "categ_id": categories[product.category].id,
                    "standard_price": product.cost,
                    "list_price": product.price,
                    "default_code": product.code,
                    "barcode": product.barcode,
                    "sale_delay": 5,
                }
                for product in self.plan.products
            ]
        )
        self.products = templates.product_variant_id
        self.counts["products"] = len(templates)
        self.counts["product_categories"] = len(categories)

    def _warehouses(self):
        """The main warehouse and two more, stocked with what the plan puts on hand."""
        Warehouse = self.env["stock.warehouse"]
        main = Warehouse.search([("company_id", "=", self.company.id)], limit=1, order="id")
        self.warehouses = main
        for code, name in WAREHOUSES:
            self.warehouses |= Warehouse.search(
                [("code", "=", code), ("company_id", "=", self.company.id)]
            ) or Warehouse.create({"name": name, "code": code, "company_id": self.company.id})
        Quant = self.env["stock.quant"]
        for warehouse, product, quantity in self.plan.stock:
            Quant._update_available_quantity(
                self.products[product], self.warehouses[warehouse].lot_stock_id, quantity
            )
        self.counts["warehouses"] = len(self.warehouses)

    def _receipts(self):
        """Confirmed receipts from a supplier, expected in the coming weeks (not done)."""
        plan = self.plan
        supplier = self.env["res.partner"].create(
            {"name": "Gulf Industrial Supply Co", "is_company": True, "supplier_rank": 1}
        )
        vendors = self.env.ref("stock.stock_location_suppliers")
        values = []
        for warehouse, product, quantity, days_ahead in plan.receipts:
            wh = self.warehouses[warehouse]
            when = at(plan.today + timedelta(days=days_ahead), 9)
            values.append(
                {
                    "picking_type_id": wh.in_type_id.id,
                    "partner_id": supplier.id,
                    "location_id": vendors.id,
                    "location_dest_id": wh.lot_stock_id.id,
                    "scheduled_date": when,
                    "move_ids": [
                        Command.create(
                            {
                                "product_id": self.products[product].id,
                                "product_uom_qty": quantity,
                                "location_id": vendors.id,
                                "location_dest_id": wh.lot_stock_id.id,
                                "date": when,
                            }
                        )
                    ],
                }
            )
        receipts = self.env["stock.picking"].create(values)
        receipts.action_confirm()
        self.counts["receipts"] = len(receipts)

    # ------------------------------------------------------------------ customers
    def _customers(self):
        """Companies (with a contact person each) and individuals, with 30-day payment terms."""
        plan = self.plan
        countries = {
            country.code: country
            for country in self.env["res.country"].search(
                [("code", "in", sorted({c.country for c in plan.customers}))]
            )
        }
        langs = set(self.env["res.lang"].search([]).mapped("code"))
        term = self.env.ref("account.account_payment_term_30days")
        self.partners = self.env["res.partner"].create(
            [
                {
                    "name": customer.name,
                    "is_company": customer.is_company,
                    "country_id": countries[customer.country].id,
                    "city": customer.city,
                    "lang": customer.lang if customer.lang in langs else False,
                    "email": customer.email,
                    "customer_rank": 1,
                    "user_id": self.reps[customer.salesperson].id,
                    "ref": f"C{customer.index + 1:06d}",
                    "property_payment_term_id": term.id,
                }
                for customer in plan.customers
            ]
        )
        companies = [(c, p) for c, p in zip(plan.customers, self.partners, strict=True)
                     if c.is_company]  # fmt: skip
        contacts = iter(
            self.env["res.partner"].create(
                [
                    {
                        "name": customer.contact,
                        "parent_id": partner.id,
                        "type": "contact",
                        "email": customer.email,
                        "function": "Purchasing Manager",
                    }
                    for customer, partner in companies
                ]
            )
        )
        # Who we deal with: the contact person of a company, or the individual customer.
        self.contacts = [
            next(contacts) if customer.is_company else partner
            for customer, partner in zip(plan.customers, self.partners, strict=True)
        ]
        self.counts["customers"] = len(self.partners)
        self.counts["contacts"] = len(companies)

    # ------------------------------------------------------------------ sales
    def _sale_orders(self):
        """Every planned order, confirmed, dated on its planned day."""
        plan = self.plan
        self.entries = plan.orders()
        values = []
        for order in self.entries:
            customer = plan.customers[order.customer]
            values.append(
                {
                    "partner_id": self.contacts[order.customer].id,
                    "user_id": self.reps[customer.salesperson].id,
                    "warehouse_id": self.warehouses[customer.warehouse].id,
                    "date_order": at(plan.day(order.day)),
                    "commitment_date": at(plan.day(order.promised), 17),
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.products[product].id,
                                "product_uom_qty": quantity,
                                "price_unit": plan.products[product].price,
                            }
                        )
                        for product, quantity in order.lines
                    ],
                }
            )
        self.orders = self.env["sale.order"].create(values)
        self.orders.action_confirm()
        created = {sale.id: at(plan.day(o.day), 9) for o, sale in self.pairs()}
        set_column(self.env, "sale_order", "date_order", {
            sale.id: at(plan.day(o.day)) for o, sale in self.pairs()})  # fmt: skip
        set_column(self.env, "sale_order", "create_date", created)
        self.env.cr.execute(
            "UPDATE sale_order_line l SET create_date = o.create_date"
            " FROM sale_order o WHERE o.id = l.order_id AND o.id = ANY(%s)",
            [self.orders.ids],
        )
        self.counts["sale_orders"] = len(self.orders)
        self.counts["order_lines"] = len(self.orders.order_line)

    def pairs(self):
        """(planned order, sale.order) for every order."""
        return zip(self.entries, self.orders, strict=True)

    def _deliveries(self):
        """Validate the deliveries that happened; recent orders stay to deliver."""
        plan = self.plan
        delivered = [(o, sale) for o, sale in self.pairs() if o.delivered is not None]
        pickings = self.env["stock.picking"].concat(*(sale.picking_ids for _o, sale in delivered))
        pickings.action_assign()
        for move in pickings.move_ids:
            if move.quantity != move.product_uom_qty:
                move.quantity = move.product_uom_qty
        pickings.move_ids.picked = True
        pickings.with_context(skip_backorder=True, cancel_backorder=True).button_validate()
        done, promised, created = {}, {}, {}
        for order, sale in self.pairs():
            for picking in sale.picking_ids:
                promised[picking.id] = at(plan.day(order.promised), 17)
                created[picking.id] = at(plan.day(order.day), 9)
                if order.delivered is not None:
                    done[picking.id] = at(plan.day(order.delivered), 15)
        set_column(self.env, "stock_picking", "date_done", done)
        set_column(self.env, "stock_picking", "date_deadline", promised)
        set_column(self.env, "stock_picking", "scheduled_date", promised)
        set_column(self.env, "stock_picking", "create_date", created)
        cr = self.env.cr
        cr.execute(
            """UPDATE stock_move m
                  SET date = COALESCE(p.date_done, p.scheduled_date),
                      date_deadline = p.date_deadline, create_date = p.create_date
                 FROM stock_picking p WHERE m.picking_id = p.id AND p.id = ANY(%s)""",
            [list(promised)],
        )
        cr.execute(
            """UPDATE stock_move_line l SET date = COALESCE(p.date_done, p.scheduled_date),
                      create_date = p.create_date
                 FROM stock_picking p WHERE l.picking_id = p.id AND p.id = ANY(%s)""",
            [list(promised)],
        )
        cr.execute(
            """UPDATE sale_order o SET effective_date = d.done
                 FROM (SELECT sale_id, min(date_done) AS done FROM stock_picking
                        WHERE state = 'done' AND sale_id = ANY(%s) GROUP BY sale_id) d
                WHERE o.id = d.sale_id""",
            [self.orders.ids],
        )
        self.env.invalidate_all()
        self.counts["deliveries"] = len(pickings)
        self.counts["late_deliveries"] = sum(1 for o, _sale in delivered if o.late)

    def _invoices(self):
        """One invoice per delivered order, dated on the delivery day, posted."""
        plan = self.plan
        delivered = [(o, sale) for o, sale in self.pairs() if o.delivered is not None]
        sales = self.env["sale.order"].concat(*(sale for _o, sale in delivered))
        invoices = sales._create_invoices(grouped=True)
        by_order = {invoice.invoice_line_ids.sale_line_ids.order_id.id: invoice
                    for invoice in invoices}  # fmt: skip
        self.invoice_of, by_day = {}, {}
        for order, sale in delivered:
            invoice = by_order[sale.id]
            by_day.setdefault(order.delivered, []).append(invoice.id)
            self.invoice_of[order.customer, order.number] = invoice
        for day, ids in sorted(by_day.items()):
            invoices.browse(ids).invoice_date = plan.day(day)
        invoices.action_post()
        set_column(self.env, "account_move", "create_date", {
            invoice.id: at(invoice.invoice_date, 16) for invoice in invoices})  # fmt: skip
        self.counts["invoices"] = len(invoices)

    def _refunds(self):
        """Credit notes for part or all of some invoices, set against those invoices."""
        plan = self.plan
        refunded = [(o, self.invoice_of[o.customer, o.number]) for o in self.entries
                    if o.refund is not None]  # fmt: skip
        values = []
        for order, invoice in refunded:
            day, share = order.refund
            values.append(
                {
                    "move_type": "out_refund",
                    "partner_id": invoice.partner_id.id,
                    "invoice_date": plan.day(day),
                    "reversed_entry_id": invoice.id,
                    "ref": f"Credit note on {invoice.name}: damaged goods",
                    "invoice_payment_term_id": invoice.invoice_payment_term_id.id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": line.product_id.id,
                                "quantity": line.quantity * share,
                                "price_unit": line.price_unit,
                                "tax_ids": [Command.set(line.tax_ids.ids)],
                            }
                        )
                        for line in invoice.invoice_line_ids
                    ],
                }
            )
        refunds = self.env["account.move"].create(values)
        refunds.action_post()
        self.env["account.move.line"]._reconcile_plan(
            [
                (refund + invoice).line_ids.filtered(
                    lambda line: line.account_type == "asset_receivable" and not line.reconciled
                )
                for refund, (_order, invoice) in zip(refunds, refunded, strict=True)
            ]
        )
        set_column(self.env, "account_move", "create_date", {
            refund.id: at(refund.invoice_date, 16) for refund in refunds})  # fmt: skip
        self.counts["refunds"] = len(refunds)

    def _payments(self):
        """Bank payments of the paid invoices, on their planned day, reconciled."""
        plan = self.plan
        journal = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.company.id)], limit=1
        )
        method = journal._get_available_payment_method_lines("inbound")[:1]
        paid = [(o, self.invoice_of[o.customer, o.number]) for o in self.entries
                if o.paid is not None]  # fmt: skip
        payments = (
            self.env["account.payment"]
            .with_context(skip_invoice_sync=True)
            .create(
                [
                    {
                        "date": plan.day(order.paid),
                        "amount": invoice.amount_residual,
                        "payment_type": "inbound",
                        "partner_type": "customer",
                        "partner_id": invoice.commercial_partner_id.id,
                        "journal_id": journal.id,
                        "company_id": self.company.id,
                        "currency_id": invoice.currency_id.id,
                        "payment_method_line_id": method.id,
                        "memo": invoice.name,
                    }
                    for order, invoice in paid
                ]
            )
        )
        payments.action_post()
        receivable = "asset_receivable"
        self.env["account.move.line"]._reconcile_plan(
            [
                (payment.move_id + invoice).line_ids.filtered(
                    lambda line: line.account_type == receivable and not line.reconciled
                )
                for payment, (_order, invoice) in zip(payments, paid, strict=True)
            ]
        )
        for payment, (_order, invoice) in zip(payments, paid, strict=True):
            invoice.matched_payment_ids = [Command.link(payment.id)]
        set_column(self.env, "account_payment", "create_date", {
            p.id: at(p.date, 12) for p in payments})  # fmt: skip
        set_column(self.env, "account_move", "create_date", {
            p.move_id.id: at(p.date, 12) for p in payments})  # fmt: skip
        self.counts["payments"] = len(payments)

    # ------------------------------------------------------------------ relationship
    def _opportunities(self):
        """Opportunities recorded as Odoo records them, dated on their planned days.

        Tracked deals are created in New, moved stage by stage (a ``stage_id`` tracking message
        each), then won with ``action_set_won`` or lost with ``action_set_lost`` (archived with
        a lost reason, no stage change). Imported deals are created in their state of today
        without any tracking, as an import without "track history" leaves them.
        """
        plan = self.plan
        Lead = self.env["crm.lead"].with_context(
            tracking_disable=False, mail_notrack=False, mail_create_nolog=False
        )  # the creation message and the tracking a salesperson's changes leave
        stages = self.env["crm.stage"].search([("is_won", "=", False)], order="sequence, id")
        stages = stages[:CRM_STAGES]
        won_stage = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        reasons = self.env["crm.lost.reason"].search([], order="id")

        def values(opportunity):
            customer = plan.customers[opportunity.customer]
            return {
                "name": opportunity.name,
                "type": "opportunity",
                "partner_id": self.contacts[opportunity.customer].id,
                "user_id": self.reps[customer.salesperson].id,
                "team_id": self.team_of[customer.salesperson].id,
                "expected_revenue": opportunity.revenue,
                "stage_id": stages[0].id,
                "date_deadline": plan.day(
                    opportunity.closed if opportunity.closed is not None else LAST_DAY + 30
                ),
            }

        dates = {}  # mail.message id: its planned date

        def track(when, change=None):
            """Make the `change` (then post the tracking) of the leads in `when`, and date their
            new messages when[lead]. Returns what `change` returns."""
            self.env.cr.execute("SELECT COALESCE(max(id), 0) FROM mail_message")
            watermark = self.env.cr.fetchone()[0]
            result = change() if change else None
            self._post_tracking()
            self.env.cr.execute(
                "SELECT id, res_id FROM mail_message WHERE id > %s AND model = 'crm.lead'"
                " AND res_id = ANY(%s)",
                [watermark, list(when)],
            )
            dates.update((message, when[lead]) for message, lead in self.env.cr.fetchall())
            return result

        tracked = [n for n, o in enumerate(plan.opportunities) if not o.imported]
        created = Lead.create([values(plan.opportunities[n]) for n in tracked])
        self._post_tracking()
        leads = dict(zip(tracked, created.ids, strict=True))  # plan index: crm.lead id
        self.env.cr.execute(
            "SELECT id, res_id FROM mail_message WHERE model = 'crm.lead' AND res_id = ANY(%s)",
            [created.ids],
        )
        opened = {lead: at(plan.day(plan.opportunities[n].created), 9) for n, lead in leads.items()}
        dates.update((message, opened[lead]) for message, lead in self.env.cr.fetchall())
        imported = [n for n, o in enumerate(plan.opportunities) if o.imported]
        rows = [{**values(plan.opportunities[n]), **self._imported_state(plan.opportunities[n],
                 stages, won_stage, reasons)} for n in imported]  # fmt: skip
        quiet = self.env["crm.lead"].with_context(tracking_disable=True)
        leads.update(zip(imported, quiet.create(rows).ids, strict=True))

        for step in range(1, len(stages)):
            moved = {leads[n]: at(plan.day(day), 11) for n in tracked
                     for day, stage in plan.opportunities[n].moves() if stage == step}  # fmt: skip
            stage = stages[step]
            track(moved, lambda moved=moved, stage=stage: Lead.browse(list(moved)).write(
                {"stage_id": stage.id}))  # fmt: skip
        closing = {leads[n]: at(plan.day(plan.opportunities[n].closed), 16) for n in tracked
                   if plan.opportunities[n].closed is not None}  # fmt: skip
        won = [leads[n] for n in tracked if plan.opportunities[n].outcome == "won"]
        track({lead: closing[lead] for lead in won}, Lead.browse(won).action_set_won)
        lost = [n for n in tracked if plan.opportunities[n].outcome == "lost"]
        for number, reason in enumerate(reasons[:3]):
            chosen = [leads[n] for n in lost if plan.opportunities[n].lost_reason == number]
            track(
                {lead: closing[lead] for lead in chosen},
                lambda chosen=chosen, reason=reason: Lead.browse(chosen).action_set_lost(
                    lost_reason_id=reason.id
                ),
            )
        by_number = {(o.customer, o.number): sale for o, sale in self.pairs()}
        pairs = [(o, Lead.browse(leads[n])) for n, o in enumerate(plan.opportunities)]
        for opportunity, lead in pairs:
            if opportunity.order is not None:
                by_number[opportunity.customer, opportunity.order].opportunity_id = lead
        self.leads = Lead.concat(*(lead for _o, lead in pairs))
        self._date_opportunities(pairs, dates)
        self.counts["opportunities"] = len(pairs)

    def _imported_state(self, opportunity, stages, won_stage, reasons):
        """The values an import gives a deal in its state of today (stage, won or lost)."""
        plan = self.plan
        if opportunity.outcome == "won":
            row = {"stage_id": won_stage.id, "probability": 100}
        else:
            row = {"stage_id": stages[opportunity.stages].id}
        if opportunity.outcome == "lost":
            row.update(active=False, probability=0, automated_probability=0,
                       lost_reason_id=reasons[opportunity.lost_reason].id)  # fmt: skip
        if opportunity.closed is not None:
            row["date_closed"] = at(plan.day(opportunity.closed), 16)
        return row

    def _post_tracking(self):
        """Post the tracking messages of the changes so far (Odoo posts them at commit)."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    def _date_opportunities(self, pairs, dates):
        """Move the leads' dates and their tracking messages to the planned days.

        `dates`: {mail.message id: datetime} of the tracking messages, on the day of the change
        they record. The last stage update is the last stage change (creation if none; for an
        imported deal its creation, or its closing if it was imported won).
        """
        plan = self.plan
        created = {lead.id: at(plan.day(o.created), 9) for o, lead in pairs}
        closed = {lead.id: at(plan.day(o.closed), 16) for o, lead in pairs
                  if o.closed is not None}  # fmt: skip
        last_stage = {}
        for opportunity, lead in pairs:
            moves = opportunity.moves()
            last = at(plan.day(moves[-1][0]), 11) if moves and not opportunity.imported else None
            if opportunity.outcome == "won":
                last = closed[lead.id]
            last_stage[lead.id] = last or created[lead.id]
        set_column(self.env, "crm_lead", "create_date", created)
        set_column(self.env, "crm_lead", "write_date", {**created, **closed})
        set_column(self.env, "crm_lead", "date_open", created)
        set_column(self.env, "crm_lead", "date_closed", closed)
        set_column(self.env, "crm_lead", "date_last_stage_update", last_stage)
        set_column(self.env, "mail_message", "date", dates)
        set_column(self.env, "mail_message", "create_date", dates)
        set_column(self.env, "mail_message", "write_date", dates)
        # The salesperson made the changes: the author and sender of the messages.
        self.env.cr.execute(
            """UPDATE mail_message m SET author_id = u.partner_id, email_from = p.email_formatted,
                                         reply_to = p.email_formatted
                 FROM crm_lead l JOIN res_users u ON u.id = l.user_id
                 JOIN LATERAL (SELECT format('"%%s" <%%s>', p.name, p.email) AS email_formatted
                                 FROM res_partner p WHERE p.id = u.partner_id) p ON true
                WHERE m.model = 'crm.lead' AND m.res_id = l.id AND l.id = ANY(%s)
                  AND m.message_type = 'notification'""",
            [list(created)],
        )
        self.env.cr.execute(
            """UPDATE mail_tracking_value v SET create_date = m.date, write_date = m.date
                 FROM mail_message m WHERE m.id = v.mail_message_id
                  AND m.model = 'crm.lead' AND m.res_id = ANY(%s)""",
            [list(created)],
        )
        self.env.cr.execute(
            """UPDATE crm_lead l
                  SET day_open = 0,
                      day_close = CASE WHEN l.date_closed IS NULL THEN NULL
                                       ELSE abs(l.date_closed::date - l.create_date::date) END
                WHERE l.id = ANY(%s)""",
            [list(created)],
        )
        self.env.invalidate_all()

    def _interactions(self):
        """E-mails in and out, logged calls and meetings, on the customers and their leads."""
        plan = self.plan
        comment = self.env.ref("mail.mt_comment")
        note = self.env.ref("mail.mt_activities")
        call_type = self.env.ref("mail.mail_activity_data_call")
        messages, meetings = [], []
        for item in plan.interactions:
            customer = plan.customers[item.customer]
            rep = self.reps[customer.salesperson]
            contact = self.contacts[item.customer]
            if item.opportunity is not None:
                model, res_id = "crm.lead", self.leads[item.opportunity].id
            else:
                model, res_id = "res.partner", self.partners[item.customer].id
            when = at(plan.day(item.day), 11)
            if item.kind == "meeting":
                meetings.append(
                    {
                        "name": f"{item.subject}: {customer.name}",
                        "start": when,
                        "stop": when + timedelta(hours=1),
                        "user_id": rep.id,
                        "partner_ids": [Command.set([contact.id, rep.partner_id.id])],
                        "res_model_id": self.env["ir.model"]._get_id(model),
                        "res_id": res_id,
                    }
                )
                continue
            values = {"model": model, "res_id": res_id, "date": when,
                      "record_company_id": self.company.id}  # fmt: skip
            if item.kind == "call":
                values.update(
                    message_type="notification", subtype_id=note.id, author_id=rep.partner_id.id,
                    mail_activity_type_id=call_type.id,
                    body=f"<p>Call with {contact.name}: {item.subject}</p>",
                )  # fmt: skip
            elif item.kind == "email_in":
                values.update(
                    message_type="email", subtype_id=comment.id, author_id=contact.id,
                    email_from=f'"{contact.name}" <{contact.email}>', subject=item.subject,
                    body=f"<p>Hello,</p><p>{item.subject}: could you get back to me?</p>",
                )  # fmt: skip
            else:
                values.update(
                    message_type="email", subtype_id=comment.id, author_id=rep.partner_id.id,
                    email_from=f'"{rep.name}" <{rep.email}>', subject=item.subject,
                    partner_ids=[Command.set([contact.id])],
                    body=f"<p>Dear {contact.name},</p><p>{item.subject}.</p>",
                )  # fmt: skip
            messages.append(values)
        created = self.env["mail.message"].create(messages)
        set_column(self.env, "mail_message", "create_date", {
            message.id: message.date for message in created})  # fmt: skip
        events = self.events = self.env["calendar.event"].create(meetings)
        set_column(self.env, "calendar_event", "create_date", {
            event.id: event.start - timedelta(days=7) for event in events})  # fmt: skip
        self.counts["emails"] = sum(1 for m in messages if m["message_type"] == "email")
        self.counts["calls"] = sum(1 for m in messages if m["message_type"] == "notification")
        self.counts["meetings"] = len(events)

    def _activities(self):
        """Planned activities, some overdue, on the customers and their open opportunities."""
        plan = self.plan
        types = {
            "call": self.env.ref("mail.mail_activity_data_call"),
            "email": self.env.ref("mail.mail_activity_data_email"),
            "meeting": self.env.ref("mail.mail_activity_data_meeting"),
        }
        Model = self.env["ir.model"]
        values = []
        for activity in plan.activities:
            if activity.opportunity is not None:
                model, res_id = "crm.lead", self.leads[activity.opportunity].id
            else:
                model, res_id = "res.partner", self.partners[activity.customer].id
            values.append(
                {
                    "res_model_id": Model._get_id(model),
                    "res_id": res_id,
                    "activity_type_id": types[activity.kind].id,
                    "summary": activity.summary,
                    "date_deadline": plan.day(activity.deadline),
                    "user_id": self.reps[plan.customers[activity.customer].salesperson].id,
                }
            )
        activities = self.env["mail.activity"].create(values)
        self.counts["activities"] = len(activities)

    def _helpdesk_master_data(self):
        """The team, categories, channels and stages of the tickets (helpdesk_mgmt)."""
        env = self.env
        return {
            "team": env["helpdesk.ticket.team"].create(
                {"name": "Customer Care", "company_id": self.company.id}
            ),
            "categories": {
                name: env["helpdesk.ticket.category"].create({"name": name})
                for name in TICKET_CATEGORIES
            },
            "channels": {
                key: env.ref(f"helpdesk_mgmt.helpdesk_ticket_channel_{key}")
                for key in ("email", "phone", "web")
            },
            "stages": {
                key: env.ref(f"helpdesk_mgmt.helpdesk_ticket_stage_{key}")
                for key in ("new", "in_progress", "awaiting", "done", "cancelled")
            },
        }

    def _tickets(self):
        """Service tickets (helpdesk_mgmt), open and closed, when the model is installed."""
        if "helpdesk.ticket" not in self.env:
            return
        plan = self.plan
        env = self.env
        helpdesk = self._helpdesk_master_data()
        team, categories = helpdesk["team"], helpdesk["categories"]
        channels, stages = helpdesk["channels"], helpdesk["stages"]
        values = []
        for ticket in plan.tickets:
            opened = at(plan.day(ticket.day), 8)
            closed = at(plan.day(ticket.closed), 14) if ticket.closed is not None else False
            values.append(
                {
                    "name": ticket.subject,
                    "description": f"<p>{ticket.subject}</p>",
                    "partner_id": self.contacts[ticket.customer].id,
                    "partner_name": self.contacts[ticket.customer].name,
                    "partner_email": self.contacts[ticket.customer].email,
                    "team_id": team.id,
                    "channel_id": channels[ticket.channel].id,
                    "category_id": categories[ticket.category].id,
                    "priority": ticket.priority,
                    "stage_id": stages[ticket.stage].id,
                    "closed_date": closed,
                    "last_stage_update": closed or opened,
                }
            )
        tickets = env["helpdesk.ticket"].create(values)
        set_column(env, "helpdesk_ticket", "create_date", {
            t.id: at(plan.day(p.day), 8) for p, t in zip(plan.tickets, tickets, strict=True)
        })  # fmt: skip
        self.counts["tickets"] = len(tickets)
