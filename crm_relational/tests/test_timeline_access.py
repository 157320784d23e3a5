from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import RelationalCase

SCORE_FIELDS = [
    "relational_profile_ids",
    "relational_profile_id",
    "relational_value_tier",
    "relational_rfm_segment",
    "relational_stage",
    "relational_clv",
    "relational_clv_unknown_reason",
    "relational_currency_id",
    "relational_stage_history_ids",
    "relational_relationship_type_id",
    "relational_health_score",
    "relational_churn_risk",
    "relational_neglected",
    "relational_segment_ids",
    "relational_interaction_count",
    "relational_purchase_trend",
    "relational_purchase_direction",
    "relational_forgotten",
]
# Profile figures built from sale orders and invoices: for users who read all of them.
DOCUMENT_FIGURES = [
    "first_order_date",
    "last_order_date",
    "order_count",
    "recency_days",
    "revenue",
    "margin",
    "average_order_value",
    "expected_order_value",
    "tenure_days",
    "interaction_count",
    "positive_signal_count",
    "negative_signal_count",
]


@tagged("post_install", "-at_install")
class TestTimelineAccess(RelationalCase):
    """The timeline and the figures show a user only what the documents' own rules let them
    read: two own-documents salespeople, one reading all documents, a manager of another
    company, on orders, invoices, opportunities, e-mails, calls and meetings of each."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        def user(login, groups, company=cls.company):
            return new_test_user(
                cls.env, login=login, groups=groups, company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )  # fmt: skip

        cls.rep_1 = user("access_rep_1", "sales_team.group_sale_salesman")
        cls.rep_2 = user("access_rep_2", "sales_team.group_sale_salesman")
        cls.all_docs = user("access_all_docs", "sales_team.group_sale_salesman_all_leads")
        cls.other = user("access_other", "sales_team.group_sale_manager", cls.other_company)
        cls.plain = user("access_plain", "base.group_user")
        cls.portal = new_test_user(
            cls.env, login="access_portal", groups="base.group_portal",
            partner_id=cls.contact_sa.id,
        )  # fmt: skip
        cls.roles = [cls.rep_1, cls.rep_2, cls.all_docs, cls.other, cls.sales_manager]
        cls.customer = cls.customer_sa
        cls.product = cls.env["product.product"].create(
            {"name": "Access Widget", "type": "consu", "list_price": 100.0, "taxes_id": False}
        )
        cls.order_1 = cls.order(cls.rep_1, 300)
        cls.order_2 = cls.order(cls.rep_2, 500)
        cls.order_other = cls.order(cls.other, 7000, cls.other_company)
        cls.invoice_1 = cls.order_1._create_invoices()
        cls.invoice_2 = cls.order_2._create_invoices()
        (cls.invoice_1 | cls.invoice_2).action_post()
        Lead = cls.env["crm.lead"]
        cls.lead_1 = Lead.create(
            {"name": "Rep 1 deal", "type": "opportunity", "partner_id": cls.customer.id,
             "user_id": cls.rep_1.id, "expected_revenue": 1000}
        )  # fmt: skip
        cls.lead_2 = Lead.create(
            {"name": "Rep 2 deal", "type": "opportunity", "partner_id": cls.contact_sa.id,
             "user_id": cls.rep_2.id, "expected_revenue": 2000}
        )  # fmt: skip
        cls.lead_2.action_set_lost()  # archived: still in the timeline of whoever reads it

        # E-mails on customer-facing documents, from the customer and from us.
        cls.order_1.message_post(
            body="Order 1: do you ship on Friday?", message_type="email",
            author_id=cls.contact_sa.id, subtype_xmlid="mail.mt_comment",
        )  # fmt: skip
        cls.order_2.with_user(cls.rep_2).message_post(
            body="Order 2: shipped today.", message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )  # fmt: skip
        cls.customer.message_post(
            body="To the customer: our new catalogue.", message_type="email",
            author_id=cls.contact_sa.id, subtype_xmlid="mail.mt_comment",
        )  # fmt: skip
        # Never interactions: internal notes, messages of the customer on other models.
        cls.order_1.with_user(cls.rep_1).message_post(
            body="SECRET note: customer is touchy", message_type="comment",
            subtype_xmlid="mail.mt_note",
        )  # fmt: skip
        cls.order_1.with_user(cls.rep_1).message_post(
            body="SECRET employee only", message_type="comment",
            subtype_xmlid="mail.mt_comment", is_internal=True,
        )  # fmt: skip
        channel = cls.env["discuss.channel"].create({"name": "Access chat"})
        channel.message_post(
            body="SECRET chat by the customer", message_type="comment",
            author_id=cls.contact_sa.id, subtype_xmlid="mail.mt_comment",
        )  # fmt: skip
        cls.product.product_tmpl_id.message_post(
            body="SECRET message on a product", message_type="email",
            author_id=cls.contact_sa.id, subtype_xmlid="mail.mt_comment",
        )  # fmt: skip
        cls.foreign_records = [channel, cls.product.product_tmpl_id]
        if "purchase.order" in cls.env:
            purchase = cls.env["purchase.order"].create({"partner_id": cls.customer.id})
            purchase.message_post(
                body="SECRET purchase message", message_type="email",
                author_id=cls.contact_sa.id, subtype_xmlid="mail.mt_comment",
            )  # fmt: skip
            cls.foreign_records.append(purchase)
        # A call: its type and summary show, never its note nor its feedback.
        activity = cls.lead_1.activity_schedule(
            "mail.mail_activity_data_call", user_id=cls.rep_1.id, summary="Price call",
            note="SECRET note of the call",
        )  # fmt: skip
        activity.with_user(cls.rep_1).action_feedback(feedback="SECRET agreed on 5 %")
        # Meetings: one public, one private, one following a private calendar.
        cls.rep_2.with_user(cls.rep_2).calendar_default_privacy = "private"
        Event = cls.env["calendar.event"]

        def meeting(name, organizer, privacy=False):
            return Event.create(
                {"name": name, "user_id": organizer.id, "privacy": privacy,
                 "start": fields.Datetime.now(),
                 "stop": fields.Datetime.now() + timedelta(hours=1),
                 "partner_ids": [Command.set((cls.contact_sa | organizer.partner_id).ids)]}
            )  # fmt: skip

        cls.meeting = meeting("Quarterly review", cls.rep_1)
        cls.private_meeting = meeting("SECRET private lunch", cls.rep_1, "private")
        cls.default_private_meeting = meeting("SECRET rep 2 calendar", cls.rep_2)
        cls.env.flush_all()

    @classmethod
    def order(cls, user, amount, company=None):
        order = (
            cls.env["sale.order"]
            .with_company(company or cls.company)
            .create(
                {"partner_id": cls.contact_sa.id, "user_id": user.id,
                 "order_line": [Command.create(
                     {"product_id": cls.product.id, "product_uom_qty": 1, "price_unit": amount,
                      "tax_ids": [Command.clear()]})]}
            )
        )  # fmt: skip
        order.action_confirm()
        return order

    def timeline(self, user):
        return (
            self.env["crm.relational.timeline"]
            .with_user(user)
            .search([("partner_id", "=", self.customer.id)])
        )

    def readable(self, user, row):
        return self.env[row.res_model].with_user(user).browse(row.res_id).has_access("read")

    def test_rows_point_to_readable_documents_and_all_of_them(self):
        everything = self.env["crm.relational.timeline"].search(
            [("partner_id", "=", self.customer.id)]
        )
        for user in self.roles:
            with self.subTest(user=user.login):
                rows = self.timeline(user)
                for row in rows:
                    self.assertTrue(
                        self.readable(user, row), f"{user.login} sees {row.res_model} {row.res_id}"
                    )
                # Every row of a document the user may read, in the user's companies.
                expected = everything.filtered(
                    lambda row, user=user: (
                        self.readable(user, row)
                        and (not row.company_id or row.company_id in user.company_ids)
                    )
                )
                self.assertEqual(rows, expected.with_user(user))

    def test_whole_timeline_holds_the_rows_of_readable_documents(self):
        """The manager's view (no customer chosen) joins each model's readable documents,
        or anti-joins its refused ones when the user reads most of them: the same rows as
        the document's own access, either way."""
        # Real statistics, so PostgreSQL's estimates pick a side per model.
        self.env.flush_all()
        self.env.cr.execute(
            "ANALYZE sale_order, account_move, account_payment, stock_picking, crm_lead,"
            " res_partner, calendar_event"
        )
        Timeline = self.env["crm.relational.timeline"]
        everything = Timeline.search([])
        for user in self.roles:
            with self.subTest(user=user.login):
                rows = Timeline.with_user(user).search([])
                expected = everything.filtered(
                    lambda row, user=user: (
                        self.readable(user, row)
                        and (not row.company_id or row.company_id in user.company_ids)
                    )
                )
                self.assertEqual(rows, expected.with_user(user))
                groups = dict(Timeline.with_user(user)._read_group([], ["kind"], ["__count"]))
                self.assertEqual(sum(groups.values()), len(expected))
        # The own-documents salesman reads every invoice of his company (the company rule
        # only) but few orders: both ways are in his query.
        query = Timeline.with_user(self.rep_1)._search([])
        sql = self.env.cr.mogrify(query.select()).decode()
        self.assertIn("CASE WHEN", sql)  # his orders: those he may read, joined
        self.assertIn("NOT EXISTS", sql)  # invoices: those he may not, anti-joined

    def test_own_documents_salespeople_see_their_own_business(self):
        rows = self.timeline(self.rep_1)
        documents = {(row.res_model, row.res_id) for row in rows}
        self.assertIn(("sale.order", self.order_1.id), documents)
        self.assertIn(("account.move", self.invoice_1.id), documents)
        self.assertIn(("crm.lead", self.lead_1.id), documents)
        self.assertIn(("res.partner", self.customer.id), documents)
        self.assertIn(("calendar.event", self.meeting.id), documents)
        for document in (self.order_2, self.invoice_2, self.lead_2, self.order_other):
            self.assertNotIn((document._name, document.id), documents)
        # Rep 2 sees his lost opportunity and his orders, none of rep 1's.
        documents_2 = {(row.res_model, row.res_id) for row in self.timeline(self.rep_2)}
        self.assertIn(("crm.lead", self.lead_2.id), documents_2)
        self.assertIn(("sale.order", self.order_2.id), documents_2)
        self.assertNotIn(("sale.order", self.order_1.id), documents_2)
        # The other company's manager: only his company's order, not the shared customer's
        # business in the first company.
        documents_other = {(row.res_model, row.res_id) for row in self.timeline(self.other)}
        self.assertIn(("sale.order", self.order_other.id), documents_other)
        self.assertNotIn(("sale.order", self.order_1.id), documents_other)

    def test_foreign_rows_cannot_be_read_by_id(self):
        foreign = (
            self.env["crm.relational.timeline"]
            .search([("kind", "=", "sale_order"), ("res_id", "=", self.order_2.id)])
            .with_user(self.rep_1)
        )
        self.assertTrue(foreign)
        with self.assertRaises(AccessError):
            foreign.read(["name", "amount"])
        with self.assertRaises(AccessError):
            foreign.check_access("read")
        self.assertFalse(foreign.has_access("read"))
        # Read by id with the ORM's own prefetch: the same refusal.
        with self.assertRaises(AccessError):
            foreign.invalidate_recordset()
            _name = foreign.name
        own = self.env["crm.relational.timeline"].search(
            [("kind", "=", "sale_order"), ("res_id", "=", self.order_1.id)]
        )
        self.assertEqual(own.with_user(self.rep_1).read(["amount"])[0]["amount"], 300)

    def test_grouped_totals_are_those_of_readable_documents(self):
        for user in (self.rep_1, self.rep_2, self.all_docs):
            with self.subTest(user=user.login):
                groups = dict(
                    self.env["crm.relational.timeline"]
                    .with_user(user)
                    ._read_group([("partner_id", "=", self.customer.id)], ["kind"], ["amount:sum"])
                )
                orders = (
                    self.env["sale.order"]
                    .with_user(user)
                    .search([("partner_id", "child_of", self.customer.id), ("state", "=", "sale")])
                )
                self.assertEqual(groups.get("sale_order", 0), sum(orders.mapped("amount_untaxed")))
                invoices = (
                    self.env["account.move"]
                    .with_user(user)
                    .search(
                        [("partner_id", "child_of", self.customer.id),
                         ("move_type", "=", "out_invoice"), ("state", "=", "posted")]
                    )
                )  # fmt: skip
                self.assertEqual(
                    groups.get("invoice", 0), sum(invoices.mapped("amount_untaxed_signed"))
                )
        self.assertEqual(
            self.env["crm.relational.timeline"]
            .with_user(self.rep_1)
            ._read_group([("partner_id", "=", self.customer.id), ("kind", "=", "sale_order")],
                         [], ["amount:sum"])[0][0],
            300,
        )  # fmt: skip

    def test_interaction_count_counts_readable_rows(self):
        for user in (self.rep_1, self.rep_2, self.all_docs):
            with self.subTest(user=user.login):
                customer = self.customer.with_user(user)
                self.assertEqual(customer.relational_interaction_count, len(self.timeline(user)))
        self.assertLess(
            self.customer.with_user(self.rep_1).relational_interaction_count,
            self.customer.with_user(self.all_docs).relational_interaction_count,
        )

    def test_no_internal_notes_foreign_messages_nor_private_meetings(self):
        everything = self.env["crm.relational.timeline"].search(
            [("partner_id", "in", (self.customer | self.customer_ir).ids)]
        )
        self.assertFalse(everything.filtered(lambda row: "SECRET" in (row.name or "")))
        models = set(everything.mapped("res_model"))
        for record in self.foreign_records:
            self.assertNotIn(record._name, models)
        meetings = everything.filtered(lambda row: row.kind == "meeting")
        self.assertEqual(meetings.mapped("res_id"), self.meeting.ids)
        # The meeting's company: the organizer's, not none.
        self.assertEqual(meetings.company_id, self.rep_1.company_id)
        calls = everything.filtered(lambda row: row.kind == "call")
        self.assertEqual(len(calls), 1)
        self.assertIn("Price call", calls.name)
        emails = everything.filtered(lambda row: row.kind == "email")
        self.assertEqual(
            sorted((row.res_model, row.res_id) for row in emails),
            sorted([("sale.order", self.order_1.id), ("sale.order", self.order_2.id),
                    ("res.partner", self.customer.id)]),
        )  # fmt: skip

    def test_forgotten_customers_leave_the_timeline(self):
        self.assertTrue(self.timeline(self.all_docs))
        self.customer.relational_forgotten = True
        self.env.flush_all()
        self.assertFalse(self.timeline(self.all_docs))
        self.assertFalse(
            self.env["crm.relational.timeline"].search([("partner_id", "=", self.customer.id)])
        )

    def test_purchase_trend_sums_the_users_orders(self):
        for user in (self.rep_1, self.rep_2, self.all_docs, self.other):
            with self.subTest(user=user.login):
                customer = self.customer.with_user(user).with_company(user.company_id)
                orders = (
                    self.env["sale.order"]
                    .with_user(user)
                    .with_company(user.company_id)
                    .search(
                        [("partner_id", "child_of", self.customer.id), ("state", "=", "sale"),
                         ("company_id", "=", user.company_id.id)]
                    )
                )  # fmt: skip
                trend = customer.relational_purchase_trend
                self.assertEqual(sum(trend["amounts"]), sum(orders.mapped("amount_untaxed")))
        self.assertEqual(
            sum(self.customer.with_user(self.rep_1).relational_purchase_trend["amounts"]), 300
        )

    def test_scores_unreadable_without_the_relational_group(self):
        Partner = self.env["res.partner"]
        for user in (self.portal, self.plain):
            for name in SCORE_FIELDS:
                with self.subTest(user=user.login, field=name):
                    partner = self.contact_sa.with_user(user)
                    with self.assertRaises(AccessError):
                        partner.read([name])
                    with self.assertRaises(AccessError):
                        Partner.with_user(user).search_read(
                            [("id", "=", self.contact_sa.id)], [name]
                        )
                    with self.assertRaises(AccessError):
                        partner.web_read({name: {}})
        # No Profiling is the customer's choice: readable, written by internal users only.
        self.assertFalse(self.contact_sa.with_user(self.plain).relational_no_profiling)
        with self.assertRaises(AccessError):
            self.contact_sa.with_user(self.portal).write({"relational_no_profiling": True})
        # A relational user reads them.
        self.customer.with_user(self.rep_1).read(SCORE_FIELDS)

    def test_partner_views_load_without_the_relational_group(self):
        for user in (self.plain, self.rep_1):
            with self.subTest(user=user.login):
                Partner = self.env["res.partner"].with_user(user)
                views = Partner.get_views([(False, "form"), (False, "list"), (False, "kanban")])
                form = views["views"]["form"]["arch"]
                fields_ = views["models"]["res.partner"]["fields"]
                if user == self.plain:
                    self.assertNotIn("relational_value_tier", form)
                    self.assertNotIn("relational_value_tier", fields_)
                else:
                    self.assertIn("relational_value_tier", form)
                relational = [name for name in fields_ if name.startswith("relational_")]
                if user == self.plain:
                    self.assertEqual(relational, ["relational_no_profiling"])
                record = Partner.browse(self.customer.id)
                record.web_read({"display_name": {}, **{name: {} for name in relational}})

    def test_profile_figures_for_users_reading_all_documents(self):
        Profile = self.env["crm.relational.profile"]
        profile = Profile.create({"partner_id": self.customer.id, "company_id": self.company.id})
        for name in DOCUMENT_FIGURES:
            with self.subTest(field=name):
                with self.assertRaises(AccessError):
                    profile.with_user(self.rep_1).read([name])
                profile.with_user(self.all_docs).read([name])
                profile.with_user(self.sales_manager).read([name])
        # Scores stay readable by relational users.
        profile.with_user(self.rep_1).read(
            ["value_tier", "rfm_segment", "clv", "health_score", "stage", "relationship_type_id"]
        )
        # Every view of the profile loads, and the list reads, for an own-documents salesman.
        Profile = Profile.with_user(self.rep_1)
        views = Profile.get_views(
            [(False, kind) for kind in ("list", "form", "kanban", "pivot", "graph", "search")]
        )
        for kind in ("list", "form", "kanban", "pivot", "graph"):
            for name in DOCUMENT_FIGURES:
                self.assertNotIn(f'name="{name}"', views["views"][kind]["arch"])
        fields_ = views["models"]["crm.relational.profile"]["fields"]
        self.assertFalse(set(DOCUMENT_FIGURES) & set(fields_))
        found = Profile.web_search_read(
            [], {name: {} for name in fields_ if name not in ("stage_history_ids",)}
        )
        self.assertIn(profile.id, [record["id"] for record in found["records"]])
