"""Write a plan through the ORM: every document is made the way a user would make it.

Odoo stamps some dates with "now" (confirmation, validation, closing); those are moved back to
the planned dates afterwards with SQL on exactly the columns the ORM wrote.
"""

from datetime import datetime, time, timedelta

from odoo import Command
from odoo.tools import SQL

QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True,
         "mail_create_nosubscribe": True, "dont_notify": True}  # fmt: skip


def _at(day, hour=10):
    return datetime.combine(day, time(hour, 0))


def _set_dates(env, table, column, values):
    """``UPDATE table SET column = date`` for many ids at once (values: {id: datetime})."""
    if not values:
        return
    env.flush_all()  # the ORM's own pending writes of these columns go first
    ids, dates = zip(*values.items(), strict=True)
    env.cr.execute(
        SQL(
            "UPDATE %s t SET %s = v.value FROM unnest(%s::int[], %s::timestamp[]) AS v(id, value)"
            " WHERE t.id = v.id",
            SQL.identifier(table),
            SQL.identifier(column),
            list(ids),
            list(dates),
        )
    )


class OrmWriter:
    """Writes a `Plan` into the database of `env`, in the company of `env`."""

    def __init__(self, env, plan):
        self.env = env(context={**env.context, **QUIET})
        self.plan = plan
        self.company = env.company
        self.counts = {}

    def write(self):
        self._people()
        self._products()
        self._warehouses()
        self._customers()
        self._orders()
        self._opportunities()
        self._interactions()
        self._tickets()
        self._receipts()
        self.env.flush_all()
        self.env.invalidate_all()
        return self.counts

    # ------------------------------------------------------------------ master data
    def _people(self):
        """Four salespeople in two sales teams."""
        Users = self.env["res.users"].with_context(no_reset_password=True)
        groups = self.env.ref("sales_team.group_sale_salesman_all_leads")
        self.reps = Users.browse()
        for number in range(1, 5):
            login = f"crm_rep_{number}"
            user = Users.search([("login", "=", login)]) or Users.create(
                {
                    "name": ["Samira Haddad", "Dariush Karimi", "Julia Weber", "Omar Farouk"][
                        number - 1
                    ],
                    "login": login,
                    "password": login,
                    "email": f"{login}@example.com",
                    "group_ids": [Command.link(groups.id)],
                    "company_id": self.company.id,
                    "company_ids": [Command.link(self.company.id)],
                }
            )
            self.reps |= user
        Team = self.env["crm.team"]
        self.teams = Team.create(
            [
                {"name": "Gulf & Middle East", "member_ids": [Command.set(self.reps[:2].ids)],
                 "company_id": self.company.id},
                {"name": "Europe & Americas", "member_ids": [Command.set(self.reps[2:].ids)],
                 "company_id": self.company.id},
            ]
        )  # fmt: skip

    def _products(self):
        categories = {}
        values = []
        for index, (category, name, cost, price) in enumerate(self.plan.products):
            if category not in categories:
                categories[category] = self.env["product.category"].create({"name": category})
            values.append(
                {
                    "name": name,
                    "type": "consu",
                    "is_storable": True,
                    "categ_id": categories[category].id,
                    "standard_price": cost,
                    "list_price": price,
                    "default_code": f"CRM-{index + 1:05d}",
                    "barcode": f"2{self.plan.seed % 1000:03d}{index + 1:08d}",
                    "sale_delay": 3,
                }
            )
        templates = self.env["product.template"].create(values)
        self.products = templates.product_variant_id
        self.counts["products"] = len(templates)

    def _warehouses(self):
        Warehouse = self.env["stock.warehouse"]
        main = Warehouse.search([("company_id", "=", self.company.id)], limit=1, order="id")
        others = Warehouse.browse()
        for code, name in (("DXB", "Dubai Hub"), ("HAM", "Hamburg Depot")):
            others |= Warehouse.search(
                [("code", "=", code), ("company_id", "=", self.company.id)]
            ) or Warehouse.create({"name": name, "code": code, "company_id": self.company.id})
        self.warehouses = main | others
        # Stock on hand; the main warehouse also holds what will be delivered over two years.
        delivered = {}
        for customer in self.plan.customers:
            for order in customer.orders:
                for product, quantity in order.lines:
                    delivered[product] = delivered.get(product, 0) + quantity
        Quant = self.env["stock.quant"]
        for warehouse, product, quantity in self.plan.stock:
            extra = delivered.get(product, 0) if warehouse == 0 else 0
            Quant._update_available_quantity(
                self.products[product], self.warehouses[warehouse].lot_stock_id, quantity + extra
            )
        self.counts["warehouses"] = len(self.warehouses)

    def _customers(self):
        countries = {
            country.code: country
            for country in self.env["res.country"].search(
                [("code", "in", list({c.country for c in self.plan.customers}))]
            )
        }
        langs = set(self.env["res.lang"].search([]).mapped("code"))
        values = [
            {
                "name": customer.name,
                "is_company": customer.is_company,
                "country_id": countries[customer.country].id,
                "lang": customer.lang if customer.lang in langs else False,
                "email": customer.email,
                "customer_rank": 1,
                "user_id": self.reps[customer.salesperson].id,
                "ref": f"C{customer.index + 1:06d}",
            }
            for customer in self.plan.customers
        ]
        self.partners = self.env["res.partner"].create(values)
        contacts = [
            {"name": customer.contact, "parent_id": partner.id, "email": customer.email,
             "type": "contact"}
            for customer, partner in zip(self.plan.customers, self.partners, strict=True)
            if customer.is_company
        ]  # fmt: skip
        created = iter(self.env["res.partner"].create(contacts))
        # Who we deal with: the contact person of a company, or the individual customer.
        self.contacts = [
            next(created) if customer.is_company else partner
            for customer, partner in zip(self.plan.customers, self.partners, strict=True)
        ]
        self.counts["customers"] = len(self.partners)

    # ------------------------------------------------------------------ sales
    def _orders(self):
        plan = self.plan
        entries = [(c, n, o) for c in plan.customers for n, o in enumerate(c.orders)]
        if not entries:
            self.orders = {}
            return
        team_of = {rep: self.teams[0 if i < 2 else 1] for i, rep in enumerate(self.reps)}
        values = []
        for customer, _number, order in entries:
            rep = self.reps[customer.salesperson]
            values.append(
                {
                    "partner_id": self.contacts[customer.index].id,
                    "user_id": rep.id,
                    "team_id": team_of[rep].id,
                    "warehouse_id": self.warehouses[customer.index % 3].id,
                    "commitment_date": _at(plan.day(order.day + 5), 17),
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.products[product].id,
                                "product_uom_qty": quantity,
                                "price_unit": plan.products[product][3],
                            }
                        )
                        for product, quantity in order.lines
                    ],
                }
            )
        orders = self.env["sale.order"].create(values)
        orders.action_confirm()
        self.orders = {
            (customer.index, number): sale
            for (customer, number, _order), sale in zip(entries, orders, strict=True)
        }
        _set_dates(
            self.env, "sale_order", "date_order",
            {sale.id: _at(plan.day(o.day)) for (_c, _n, o), sale in zip(entries, orders,
                                                                        strict=True)},
        )  # fmt: skip
        self._deliver(entries, orders)
        self._invoice(entries, orders)
        self.counts["sale_orders"] = len(orders)
        self.counts["order_lines"] = len(orders.order_line)

    def _deliver(self, entries, orders):
        plan = self.plan
        for move in orders.picking_ids.move_ids:
            move.quantity = move.product_uom_qty
        orders.picking_ids.with_context(skip_backorder=True, skip_sms=True).button_validate()
        done, promised = {}, {}
        for (_customer, _number, order), sale in zip(entries, orders, strict=True):
            for picking in sale.picking_ids:
                done[picking.id] = _at(plan.day(order.day + 5 + order.late_days), 15)
                promised[picking.id] = _at(plan.day(order.day + 5), 17)
        self.env.flush_all()
        _set_dates(self.env, "stock_picking", "date_done", done)
        _set_dates(self.env, "stock_picking", "date_deadline", promised)
        _set_dates(self.env, "stock_picking", "scheduled_date", promised)
        self.env.cr.execute(
            "UPDATE stock_move m SET date = p.date_done, date_deadline = p.date_deadline"
            " FROM stock_picking p WHERE m.picking_id = p.id AND p.id = ANY(%s)",
            [list(done)],
        )
        self.env.cr.execute(
            "UPDATE stock_move_line l SET date = p.date_done"
            " FROM stock_picking p WHERE l.picking_id = p.id AND p.id = ANY(%s)",
            [list(done)],
        )
        self.counts["deliveries"] = len(done)

    def _invoice(self, entries, orders):
        plan = self.plan
        invoices = orders._create_invoices(grouped=True)
        by_order = {
            invoice.invoice_line_ids.sale_line_ids.order_id: invoice for invoice in invoices
        }
        for (_customer, _number, order), sale in zip(entries, orders, strict=True):
            day = plan.day(order.day + 5 + order.late_days)
            # Payment terms of 30 days.
            by_order[sale].write({"invoice_date": day, "invoice_date_due": day + timedelta(30)})
        invoices.action_post()
        # Customers pay by bank transfer; the bank is reconciled once a week, so payments are
        # registered on Mondays (one register wizard per Monday for all its invoices).
        by_monday, refunds = {}, self.env["account.move"]
        for (_customer, _number, order), sale in zip(entries, orders, strict=True):
            invoice = by_order[sale]
            paid_day = order.day + 5 + order.late_days + (order.pay_after or 0)
            if order.pay_after is not None and paid_day < 730:
                paid = plan.day(paid_day)
                monday = max(paid - timedelta(days=paid.weekday()), invoice.invoice_date)
                by_monday.setdefault(monday, self.env["account.move"])
                by_monday[monday] |= invoice
            if order.refund_share:
                refunds |= self._refund(invoice, order.refund_share, min(paid_day + 10, 729))
        register = self.env["account.payment.register"]
        for monday, paid in sorted(by_monday.items()):
            register.with_context(active_model="account.move", active_ids=paid.ids).create(
                {"payment_date": monday, "group_payment": False}
            )._create_payments()
        self.counts["invoices"] = len(invoices)
        self.counts["refunds"] = len(refunds)

    def _refund(self, invoice, share, day):
        refund = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": invoice.partner_id.id,
                "invoice_date": self.plan.day(day),
                "reversed_entry_id": invoice.id,
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
        refund.action_post()
        return refund

    # ------------------------------------------------------------------ relationship
    def _opportunities(self):
        plan = self.plan
        Lead = self.env["crm.lead"].with_context(tracking_disable=False, mail_notrack=False)
        stages = self.env["crm.stage"].search([("is_won", "=", False)], order="sequence")
        won_stage = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        reason = self.env["crm.lost.reason"].search([], limit=1)
        created, closed = {}, {}
        for customer_index, day, outcome, close_day, revenue, order_number in plan.opportunities:
            customer = plan.customers[customer_index]
            rep = self.reps[customer.salesperson]
            product_name = plan.products[(customer_index + day) % len(plan.products)][1]
            lead = Lead.create(
                {
                    "name": f"{customer.name}: {product_name}",
                    "type": "opportunity",
                    "partner_id": self.contacts[customer_index].id,
                    "user_id": rep.id,
                    "expected_revenue": round(revenue, 2),
                    "stage_id": stages[0].id,
                }
            )
            # Walk through the stages so the pipeline keeps its stage history.
            steps = stages[1 : 1 + (customer_index + day) % len(stages)]
            for stage in steps:
                lead.stage_id = stage
            if outcome == "won":
                lead.stage_id = won_stage
                if order_number is not None:
                    self.orders[(customer_index, order_number)].opportunity_id = lead
            elif outcome == "lost":
                lead.action_set_lost(lost_reason_id=reason.id)
            created[lead.id] = _at(plan.day(day), 9)
            if close_day is not None:
                closed[lead.id] = _at(plan.day(close_day), 16)
        self.env.flush_all()
        _set_dates(self.env, "crm_lead", "create_date", created)
        _set_dates(self.env, "crm_lead", "date_open", created)
        _set_dates(self.env, "crm_lead", "date_closed", closed)
        # Spread each lead's tracking messages between its creation and its closing.
        self.env.cr.execute(
            """
            WITH ranked AS (
                SELECT m.id, l.create_date AS start,
                       COALESCE(l.date_closed, l.create_date + interval '20 days') AS stop,
                       row_number() OVER (PARTITION BY m.res_id ORDER BY m.id) AS nth,
                       count(*) OVER (PARTITION BY m.res_id) AS total
                  FROM mail_message m JOIN crm_lead l ON l.id = m.res_id
                 WHERE m.model = 'crm.lead' AND l.id = ANY(%s)
            )
            UPDATE mail_message m
               SET date = r.start + (r.stop - r.start) * (r.nth::float / r.total)
              FROM ranked r WHERE r.id = m.id
            """,
            [list(created)],
        )
        self.counts["opportunities"] = len(created)

    def _interactions(self):
        plan = self.plan
        dates = {}
        call_type = self.env.ref("mail.mail_activity_data_call")
        Event = self.env["calendar.event"]
        meetings = 0
        for customer_index, day, kind, subject in plan.interactions:
            customer = plan.customers[customer_index]
            partner = self.partners[customer_index]
            rep = self.reps[customer.salesperson]
            when = _at(plan.day(day), 11)
            if kind == "email_in":
                message = partner.message_post(
                    body=subject, subject=subject, message_type="email",
                    author_id=self.contacts[customer_index].id, subtype_xmlid="mail.mt_comment",
                )  # fmt: skip
                dates[message.id] = when
            elif kind == "email_out":
                message = partner.with_user(rep).message_post(
                    body=subject, subject=subject, message_type="comment",
                    subtype_xmlid="mail.mt_comment",
                )  # fmt: skip
                dates[message.id] = when
            elif kind == "call":
                activity = partner.activity_schedule(
                    activity_type_id=call_type.id, user_id=rep.id, summary=subject,
                    date_deadline=when.date(),
                )  # fmt: skip
                before = set(partner.message_ids.ids)
                activity.with_user(rep).action_feedback(feedback=subject)
                for message_id in set(partner.message_ids.ids) - before:
                    dates[message_id] = when
            else:
                Event.create(
                    {"name": f"{subject}: {customer.name}", "start": when,
                     "stop": when + timedelta(hours=1), "user_id": rep.id,
                     "partner_ids": [Command.set([self.contacts[customer_index].id,
                                                  rep.partner_id.id])]}
                )  # fmt: skip
                meetings += 1
        for customer_index, deadline, _kind, summary in plan.activities:
            self.partners[customer_index].activity_schedule(
                activity_type_id=call_type.id,
                user_id=self.reps[plan.customers[customer_index].salesperson].id,
                summary=summary,
                date_deadline=plan.day(deadline),
            )
        self.env.flush_all()
        _set_dates(self.env, "mail_message", "date", dates)
        self.counts["messages"] = len(dates)
        self.counts["meetings"] = meetings
        self.counts["activities"] = len(plan.activities)

    def _tickets(self):
        if "helpdesk.ticket" not in self.env:
            return
        plan = self.plan
        team = self.env["helpdesk.ticket.team"].search([], limit=1) or self.env[
            "helpdesk.ticket.team"
        ].create({"name": "Customer Care"})
        channels = {
            "email": self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_email"),
            "phone": self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone"),
            "web": self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_web"),
        }
        closed_stage = self.env["helpdesk.ticket.stage"].search([("closed", "=", True)], limit=1)
        created, closed = {}, {}
        for customer_index, day, close_day, subject, channel, priority in plan.tickets:
            ticket = self.env["helpdesk.ticket"].create(
                {
                    "name": subject,
                    "description": subject,
                    "partner_id": self.contacts[customer_index].id,
                    "team_id": team.id,
                    "channel_id": channels[channel].id,
                    "priority": priority,
                }
            )
            created[ticket.id] = _at(plan.day(day), 8)
            if close_day is not None:
                ticket.stage_id = closed_stage
                closed[ticket.id] = _at(plan.day(close_day), 14)
        self.env.flush_all()
        _set_dates(self.env, "helpdesk_ticket", "create_date", created)
        _set_dates(self.env, "helpdesk_ticket", "closed_date", closed)
        _set_dates(self.env, "helpdesk_ticket", "last_stage_update", {**created, **closed})
        self.counts["tickets"] = len(created)

    def _receipts(self):
        plan = self.plan
        supplier = self.env["res.partner"].create({"name": "Gulf Supply Co", "is_company": True})
        pickings = self.env["stock.picking"]
        for warehouse, product, quantity, days_ahead in plan.receipts:
            wh = self.warehouses[warehouse]
            picking_type = wh.in_type_id
            pickings |= self.env["stock.picking"].create(
                {
                    "picking_type_id": picking_type.id,
                    "partner_id": supplier.id,
                    "location_id": self.env.ref("stock.stock_location_suppliers").id,
                    "location_dest_id": wh.lot_stock_id.id,
                    "scheduled_date": _at(plan.today + timedelta(days=days_ahead), 9),
                    "move_ids": [
                        Command.create(
                            {
                                "product_id": self.products[product].id,
                                "product_uom_qty": quantity,
                                "location_id": self.env.ref("stock.stock_location_suppliers").id,
                                "location_dest_id": wh.lot_stock_id.id,
                                "date": _at(plan.today + timedelta(days=days_ahead), 9),
                            }
                        )
                    ],
                }
            )
        pickings.action_confirm()
        self.counts["receipts"] = len(pickings)
