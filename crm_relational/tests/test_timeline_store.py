import random
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import new_test_user
from odoo.tools import SQL

from .. import uninstall_hook
from .common import RelationalCase


class TimelineStoreCase(RelationalCase):
    """The timeline table against the view it follows."""

    def differences(self):
        """``(rows only in the table, rows only in the view)``, compared column by column."""
        Timeline = self.env["crm.relational.timeline"]
        self.env.flush_all()
        self.env.cr.execute(SQL("SET LOCAL jit = off"))
        table = SQL.identifier(Timeline._table)
        view = SQL.identifier(Timeline._timeline_source_view())
        found = []
        for first, second in ((table, view), (view, table)):
            self.env.cr.execute(
                SQL("SELECT * FROM %s EXCEPT ALL SELECT * FROM %s ORDER BY 1", first, second)
            )
            found.append(self.env.cr.fetchall())
        return tuple(found)

    def assertStoreEqualsView(self, step=""):
        only_table, only_view = self.differences()
        self.assertEqual(only_table, [], f"{step}: rows the view no longer has")
        self.assertEqual(only_view, [], f"{step}: rows of the view missing from the table")

    def stored(self, model, record_id, kind=None):
        """The stored rows of a document, as ``{column: value}``."""
        Timeline = self.env["crm.relational.timeline"]
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT * FROM %s WHERE res_model = %s AND res_id = %s AND source < 6"
                " AND (%s::text IS NULL OR kind = %s) ORDER BY id",
                SQL.identifier(Timeline._table),
                model,
                record_id,
                kind,
                kind,
            )
        )
        return self.env.cr.dictfetchall()


class TestTimelineStore(TimelineStoreCase):
    """Random creates, writes, archives, company changes and deletions on every source, by
    the ORM and in SQL: after each, the table holds exactly the view's rows."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rep = new_test_user(
            cls.env,
            login="store_rep",
            groups="sales_team.group_sale_salesman_all_leads,account.group_account_invoice",
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Store Widget", "type": "consu", "list_price": 40.0}
        )
        cls.customers = cls.env["res.partner"].create(
            [{"name": f"Store customer {n}", "is_company": True} for n in range(4)]
        )
        cls.contacts = cls.env["res.partner"].create(
            [
                {"name": f"Store contact {n}", "parent_id": customer.id}
                for n, customer in enumerate(cls.customers)
            ]
        )

    def order(self, partner, confirm=True):
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "user_id": self.rep.id,
                "commitment_date": fields.Datetime.now() - timedelta(days=1),
                "order_line": [
                    Command.create({"product_id": self.product.id, "product_uom_qty": 2})
                ],
            }
        )
        if confirm:
            order.action_confirm()
        return order

    def test_random_changes_on_every_source(self):
        self.rng = random.Random(15)
        self.people = self.customers | self.contacts
        self.assertStoreEqualsView("start")
        confirmed = self._step_orders()
        invoices = self._step_deliveries_and_invoices(confirmed)
        leads = self._step_opportunities()
        self._step_messages_and_calls(confirmed, invoices, leads)
        self._step_meetings()
        self._step_customers()

        # Rows of every main kind went through the table.
        kinds = set(self.env["crm.relational.timeline"].search([]).mapped("kind"))
        self.assertLessEqual(
            {"sale_order", "invoice", "refund", "payment", "delivery", "opportunity", "email",
             "call", "meeting"},
            kinds,
        )  # fmt: skip

    def pick(self, records):
        return records[self.rng.randrange(len(records))]

    def _step_orders(self):
        rng, people, pick = self.rng, self.people, self.pick
        # Orders: confirmed, draft, cancelled, deleted, another customer, another company.
        orders = self.env["sale.order"]
        for _ in range(6):
            orders |= self.order(pick(people), confirm=rng.random() < 0.8)
        self.assertStoreEqualsView("orders")
        draft = orders.filtered(lambda o: o.state == "draft")
        draft[:1].unlink()
        orders = orders.exists()
        confirmed = orders.filtered(lambda o: o.state == "sale")
        confirmed[-1:]._action_cancel()
        self.assertStoreEqualsView("orders cancelled and deleted")
        confirmed = confirmed.filtered(lambda o: o.state == "sale")
        confirmed[0].partner_id = pick(people - confirmed[0].partner_id)
        confirmed[0].user_id = self.salesman
        self.assertStoreEqualsView("order moved to another customer")
        # An import in SQL: the order changes company, its amount and date.
        self.env.cr.execute(
            SQL(
                "UPDATE sale_order SET company_id = %s, amount_untaxed = amount_untaxed * 2,"
                " date_order = date_order - interval '40 days' WHERE id = %s",
                self.other_company.id,
                confirmed[1].id,
            )
        )
        self.env.invalidate_all()
        self.assertStoreEqualsView("order changed in SQL")
        self.assertEqual(self.stored("sale.order", confirmed[1].id)[0]["company_id"],
                         self.other_company.id)  # fmt: skip
        # And back (the other company has no journal to invoice it).
        self.env.cr.execute(
            SQL(
                "UPDATE sale_order SET company_id = %s WHERE id = %s",
                self.company.id,
                confirmed[1].id,
            )
        )
        self.env.invalidate_all()
        self.assertStoreEqualsView("order back to its company")
        return confirmed

    def _step_deliveries_and_invoices(self, confirmed):
        # Deliveries: done, late against the order's promise, then the promise moves.
        for order in confirmed[:3]:
            picking = order.picking_ids
            picking.move_ids.quantity = 2
            picking.button_validate()
        self.assertStoreEqualsView("deliveries")
        picking = confirmed[0].picking_ids
        self.assertEqual(self.stored("stock.picking", picking.id)[0]["outcome"], "late")
        confirmed[0].commitment_date = fields.Datetime.now() + timedelta(days=5)
        self.assertStoreEqualsView("promise moved")
        # Without a deadline of its own, the delivery is judged by its order's promise: the
        # order's change reaches the delivery's row.
        self.env.cr.execute(
            SQL("UPDATE stock_picking SET date_deadline = NULL WHERE id = %s", picking.id)
        )
        self.env.cr.execute(
            SQL(
                "UPDATE sale_order SET commitment_date = now() + interval '9 days' WHERE id = %s",
                confirmed[0].id,
            )
        )
        self.assertStoreEqualsView("promise moved in SQL")
        self.assertEqual(self.stored("stock.picking", picking.id)[0]["outcome"], "on_time")

        # Invoices, a payment, a credit note, one reset to draft.
        invoices = confirmed[:3]._create_invoices()
        invoices.action_post()
        self.assertStoreEqualsView("invoices")
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoices[0].ids
        ).create({})._create_payments()
        self.assertStoreEqualsView("payment")
        self.assertEqual(self.stored("account.move", invoices[0].id)[0]["outcome"], "paid")
        refund = invoices[1]._reverse_moves()
        refund.action_post()
        invoices[2].button_draft()
        self.assertStoreEqualsView("credit note and draft")
        invoices[2].action_post()
        self.env.cr.execute(
            SQL(
                "UPDATE account_move SET invoice_date_due = CURRENT_DATE - 3 WHERE id = %s",
                invoices[2].id,
            )
        )
        self.assertStoreEqualsView("invoice due date in SQL")
        self.assertEqual(self.stored("account.move", invoices[2].id)[0]["outcome"], "overdue")
        return invoices

    def _step_opportunities(self):
        rng, people, pick = self.rng, self.people, self.pick
        # Opportunities: won, lost, archived, another customer, another company, deleted.
        leads = self.env["crm.lead"].create(
            [
                {"name": f"Store deal {n}", "type": "opportunity", "partner_id": pick(people).id,
                 "user_id": self.rep.id, "expected_revenue": rng.randrange(100, 5000)}
                for n in range(5)
            ]
        )  # fmt: skip
        leads[0].action_set_won()
        leads[1].action_set_lost()
        leads[2].action_archive()
        leads[3].partner_id = pick(people - leads[3].partner_id)
        leads[3].write({"company_id": self.other_company.id, "user_id": False, "team_id": False})
        self.assertStoreEqualsView("opportunities")
        leads[4].unlink()
        self.assertStoreEqualsView("opportunity deleted")
        return leads

    def _step_messages_and_calls(self, confirmed, invoices, leads):
        people, pick = self.people, self.pick
        # Messages: from the customer, from us on documents, a note, deleted, and in SQL.
        messages = self.env["mail.message"]
        for record in (pick(self.customers), leads[0], confirmed[0], invoices[0]):
            messages |= record.message_post(
                body="From the customer", message_type="email",
                author_id=pick(self.contacts).id, subtype_xmlid="mail.mt_comment",
            )  # fmt: skip
            messages |= record.with_user(self.rep).message_post(
                body="From us", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
            record.with_user(self.rep).message_post(
                body="Internal", message_type="comment", subtype_xmlid="mail.mt_note"
            )
        self.assertStoreEqualsView("messages")
        messages[0].unlink()
        # The order's customer changes: the messages on it follow.
        confirmed[2].partner_id = pick(people - confirmed[2].partner_id)
        self.env.cr.execute(
            SQL(
                """INSERT INTO mail_message (model, res_id, message_type, body, author_id, date,
                                             subject)
                   VALUES ('res.partner', %s, 'email', '<p>Imported</p>', %s, now(), 'Import')""",
                self.customers[0].id,
                self.contacts[0].id,
            )
        )
        self.assertStoreEqualsView("messages changed")
        # An e-mail made a notification leaves the timeline, and comes back made an e-mail
        # again; a notification changed stays out of it.
        for message_type in ("notification", "email"):
            self.env.cr.execute(
                SQL(
                    "UPDATE mail_message SET message_type = %s WHERE id = %s",
                    message_type,
                    messages[2].id,
                )
            )
            self.assertStoreEqualsView(f"an e-mail made {message_type}")
        created = confirmed[1].message_ids.filtered(lambda m: m.message_type == "notification")
        created[:1].body = "<p>Changed notification</p>"
        self.assertStoreEqualsView("a notification changed")

        # A call logged by an activity done.
        activity = leads[0].activity_schedule("mail.mail_activity_data_call", user_id=self.rep.id)
        activity.with_user(self.rep).action_feedback(feedback="Called")
        self.assertStoreEqualsView("call")

    def _step_meetings(self):
        people, pick = self.people, self.pick
        # Meetings: attendees added and removed, private, archived, deleted, a private
        # calendar, the default privacy of the database.
        Event = self.env["calendar.event"]
        now = fields.Datetime.now()
        meetings = Event.create(
            [
                {"name": f"Store meeting {n}", "user_id": self.rep.id, "start": now,
                 "stop": now + timedelta(hours=1),
                 "partner_ids": [Command.set((pick(people) | self.rep.partner_id).ids)]}
                for n in range(4)
            ]
        )  # fmt: skip
        self.assertStoreEqualsView("meetings")
        meetings[0].partner_ids = [Command.link(self.contacts[3].id)]
        meetings[1].partner_ids = [Command.set(self.rep.partner_id.ids)]
        meetings[2].privacy = "private"
        meetings[3].action_archive()
        self.assertStoreEqualsView("meetings changed")
        meetings[3].unlink()
        self.rep.with_user(self.rep).calendar_default_privacy = "private"
        self.assertStoreEqualsView("private calendar")
        self.rep.with_user(self.rep).calendar_default_privacy = "public"
        self.env["ir.config_parameter"].set_param("calendar.default_privacy", "private")
        self.assertStoreEqualsView("database default privacy")

    def _step_customers(self):
        # Customers: a contact moves to another company, a contact becomes one of our users,
        # a customer is forgotten.
        self.contacts[1].parent_id = self.customers[2]
        self.assertStoreEqualsView("contact moved")
        new_test_user(self.env, login="store_contact_user", groups="base.group_user",
                      partner_id=self.contacts[0].id)  # fmt: skip
        self.assertStoreEqualsView("contact made a user")
        self.customers[3].relational_forgotten = True
        self.assertStoreEqualsView("customer forgotten")

    def test_reconcile_repairs_the_table(self):
        """Rows lost, changed or added behind the triggers' back come back to the view's."""
        order = self.order(self.customers[0])
        self.customers[0].message_post(
            body="Hello", message_type="email", author_id=self.contacts[0].id,
            subtype_xmlid="mail.mt_comment",
        )  # fmt: skip
        Timeline = self.env["crm.relational.timeline"]
        table = SQL.identifier(Timeline._table)
        self.env.flush_all()
        self.env.cr.execute(SQL("DELETE FROM %s WHERE kind = 'email'", table))
        self.env.cr.execute(
            SQL("UPDATE %s SET amount = -1 WHERE res_model = 'sale.order' AND res_id = %s",
                table, order.id)
        )  # fmt: skip
        self.env.cr.execute(
            SQL(
                "INSERT INTO %s (id, partner_id, kind, source, source_key) VALUES (-16, %s,"
                " 'email', 6, -1)",
                table,
                self.customers[1].id,
            )
        )
        only_table, only_view = self.differences()
        self.assertTrue(only_table and only_view)
        written = Timeline._timeline_reconcile()
        self.assertGreaterEqual(written, 2)  # the e-mails back, the order's amount
        self.assertStoreEqualsView("reconciled")
        self.assertEqual(Timeline._timeline_reconcile(), 0, "nothing left to write")

    def test_hourly_job_catches_invoices_falling_overdue(self):
        """An invoice falls overdue with no write anywhere: the hourly job sees it."""
        invoice = self.order(self.customers[0])._create_invoices()
        invoice.invoice_date_due = fields.Date.today() - timedelta(days=2)
        invoice.action_post()
        row = self.stored("account.move", invoice.id)[0]
        self.assertEqual(row["outcome"], "overdue")
        # The row as it was stored yesterday, when the invoice was not due yet.
        Timeline = self.env["crm.relational.timeline"]
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET outcome = 'open' WHERE id = %s",
                SQL.identifier(Timeline._table),
                row["id"],
            )
        )
        # The job's own code, in this transaction (the scheduler would run it in its own).
        self.env.ref("crm_relational.ir_cron_timeline_time_bound").ir_actions_server_id.run()
        self.assertEqual(self.stored("account.move", invoice.id)[0]["outcome"], "overdue")
        self.assertStoreEqualsView("after the hourly job")

    def test_daily_job_reconciles(self):
        self.order(self.customers[1])
        Timeline = self.env["crm.relational.timeline"]
        self.env.flush_all()
        self.env.cr.execute(
            SQL("DELETE FROM %s WHERE kind = 'sale_order'", SQL.identifier(Timeline._table))
        )
        # The job's own code, in this transaction (the scheduler would run it in its own).
        self.env.ref("crm_relational.ir_cron_timeline_reconcile").ir_actions_server_id.run()
        self.assertStoreEqualsView("after the daily job")
        self.assertTrue(Timeline.search([("kind", "=", "sale_order")]))

    def test_view_rebuilt_when_missing(self):
        """The view dropped with an uninstalled addon's columns comes back at the next
        registry load, and the table with it."""
        Timeline = self.env["crm.relational.timeline"]
        self.order(self.customers[2])
        self.env.flush_all()
        self.env.cr.execute(SQL("DROP VIEW %s", SQL.identifier(Timeline._timeline_source_view())))
        Timeline._register_hook()
        self.assertStoreEqualsView("view rebuilt")

    def test_uninstall_leaves_no_trigger(self):
        Timeline = self.env["crm.relational.timeline"]
        query = SQL(
            "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s",
            f"{Timeline._table}_sync_%",
        )
        self.env.cr.execute(query)
        self.assertGreaterEqual(self.env.cr.fetchone()[0], 10)
        uninstall_hook(self.env)
        self.env.cr.execute(query)
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.env.cr.execute(SQL("SELECT to_regclass(%s)", Timeline._timeline_source_view()))
        self.assertIsNone(self.env.cr.fetchone()[0])
        # Documents can still be written without the timeline.
        self.order(self.customers[3])
        self.env.flush_all()
