import json
from datetime import timedelta

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tests import new_test_user
from odoo.tools import SQL

from .common import RelationalCase


class TestRelationship(RelationalCase):
    """Dimensions, type, health, churn risk, neglect and privacy of named customers.

    The company's population is made of these customers only (the demo orders and
    opportunities are set aside), so every figure below is computed by hand.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.rep = new_test_user(
            cls.env, login="relationship_rep", groups="sales_team.group_sale_salesman_all_leads"
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Bond Widget", "type": "consu", "list_price": 100.0}
        )
        Partner = cls.env["res.partner"]
        cls.customer_sa.user_id = cls.rep
        cls.late_payer = Partner.create(
            {"name": "Late Payer Ltd", "is_company": True, "user_id": cls.rep.id}
        )
        cls.private = Partner.create(
            {"name": "Private Ltd", "is_company": True, "relational_no_profiling": True}
        )
        cls.blacklisted = Partner.create(
            {"name": "Unsubscribed Ltd", "is_company": True, "email": "no@unsubscribed.example"}
        )
        cls.env["mail.blacklist"]._add("no@unsubscribed.example")

        # customer_sa: an order promised three days ago, delivered today (late), invoiced and
        # paid; a won and a lost opportunity; an e-mail in, an e-mail out, a call, a meeting.
        order = cls.sell(cls.contact_sa, 3, commitment=fields.Datetime.now() - timedelta(days=3))
        order.picking_ids.move_ids.quantity = 3
        order.picking_ids.button_validate()
        invoice = order._create_invoices()
        invoice.action_post()
        cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({})._create_payments()
        won = cls.opportunity(cls.customer_sa, "Won deal")
        won.action_set_won()
        cls.opportunity(cls.contact_sa, "Lost deal").action_set_lost()
        cls.customer_sa.message_post(
            body="Do you have it in blue?", message_type="email", author_id=cls.contact_sa.id,
            subtype_xmlid="mail.mt_comment",
        )  # fmt: skip
        order.with_user(cls.rep).message_post(
            body="Yes, shipping today.", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        activity = won.activity_schedule("mail.mail_activity_data_call", user_id=cls.rep.id)
        activity.with_user(cls.rep).action_feedback(feedback="Agreed on the price")
        cls.env["calendar.event"].create(
            {
                "name": "Quarterly review",
                "start": fields.Datetime.now(),
                "stop": fields.Datetime.now() + timedelta(hours=1),
                "user_id": cls.rep.id,
                "partner_ids": [Command.set((cls.contact_sa | cls.rep.partner_id).ids)],
            }
        )
        # Late Payer: an order 60 days ago, invoiced then, due 30 days ago, unpaid; never
        # contacted.
        late_order = cls.sell(cls.late_payer, 2, day=cls.today - timedelta(days=60))
        cls.late_invoice = late_order._create_invoices()
        cls.late_invoice.write(
            {
                "invoice_date": cls.today - timedelta(days=60),
                "invoice_date_due": cls.today - timedelta(days=30),
                "invoice_payment_term_id": False,
            }
        )
        cls.late_invoice.invoice_date_due = cls.today - timedelta(days=30)
        cls.late_invoice.action_post()
        # customer_ir: a prospect, with an open opportunity only.
        cls.opportunity(cls.customer_ir, "First contact")
        # Private and Unsubscribed bought too, but are not profiled.
        cls.sell(cls.private, 1)
        cls.sell(cls.blacklisted, 1)

        ours = cls.env["sale.order"].search([("partner_id", "child_of", cls.customers().ids)])
        cls.env.flush_all()
        cls.env.cr.execute(
            "UPDATE sale_order SET state = 'cancel' WHERE state = 'sale' AND id != ALL(%s)",
            [ours.ids],
        )
        cls.env.cr.execute(
            "UPDATE crm_lead SET type = 'lead' WHERE partner_id IS NULL"
            " OR partner_id NOT IN (SELECT id FROM res_partner WHERE commercial_partner_id"
            " = ANY(%s))",
            [cls.customers().ids],
        )
        cls.env.invalidate_all()
        cls.Profile = cls.env["crm.relational.profile"]
        cls.Profile._recompute(cls.company)

    @classmethod
    def customers(cls):
        return cls.customer_sa | cls.customer_ir | cls.late_payer | cls.private | cls.blacklisted

    @classmethod
    def sell(cls, partner, quantity, day=None, commitment=None):
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "user_id": cls.rep.id,
                "commitment_date": commitment,
                "order_line": [
                    Command.create({"product_id": cls.product.id, "product_uom_qty": quantity,
                                    "price_unit": 100, "tax_ids": [Command.clear()]})
                ],
            }
        )  # fmt: skip
        order.action_confirm()
        if day:
            order.date_order = fields.Datetime.to_datetime(day) + timedelta(hours=10)
        return order

    @classmethod
    def opportunity(cls, partner, name):
        return cls.env["crm.lead"].create(
            {"name": name, "type": "opportunity", "partner_id": partner.id, "user_id": cls.rep.id}
        )

    def profile(self, partner):
        return self.Profile.search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.company.id)]
        )

    def test_dimensions_of_a_busy_customer(self):
        profile = self.profile(self.customer_sa)
        # Ten interactions: order, delivery, invoice, payment, two opportunities, two e-mails,
        # a call and a meeting.
        self.assertEqual(profile.interaction_count, 10)
        # Positive: invoice paid, deal won. Negative: late delivery, deal lost.
        self.assertEqual((profile.positive_signal_count, profile.negative_signal_count), (2, 2))
        self.assertEqual(profile.valence, 50)  # 100 * (2 + 1) / (4 + 2)
        # Population of interaction counts: 1 (prospect), 2 (late payer), 10: mid-rank 5/6.
        self.assertEqual(profile.intensity, 83)
        # Conversations: one from the customer, three from us: 25 % → 100 - 25 * 2.
        self.assertEqual(profile.reciprocity, 50)
        self.assertEqual(profile.tenure_days, 0)
        self.assertEqual(profile.relationship_type_id, self.env.ref(
            "crm_relational.relationship_type_love_hate"))  # fmt: skip
        self.assertEqual(profile.last_contact_date, self.today)
        self.assertFalse(profile.neglected)

    def test_health_of_a_busy_customer(self):
        profile = self.profile(self.customer_sa)
        # Two buyers, too few for a lifetime-value model: activity from the recency score (4).
        self.assertFalse(profile.probability_alive)
        self.assertEqual(profile.rfm_recency_score, 4)
        self.assertEqual(
            (profile.health_activity, profile.health_trend, profile.health_sentiment,
             profile.health_engagement, profile.health_payment),
            (75, 100, 50, 83, 100),
        )  # fmt: skip
        # (75 * 35 + 100 * 20 + 50 * 20 + 83.33 * 15 + 100 * 10) / 100 = 78.75
        self.assertEqual(profile.health_score, 79)
        self.assertFalse(profile.churn_risk)
        self.assertEqual(profile.stage, "new")

    def test_late_payer_is_an_adversary_at_risk_and_neglected(self):
        profile = self.profile(self.late_payer)
        self.assertEqual(profile.interaction_count, 2)  # order and invoice
        self.assertEqual((profile.positive_signal_count, profile.negative_signal_count), (0, 1))
        self.assertEqual(profile.valence, 33)
        self.assertEqual(profile.intensity, 50)
        self.assertEqual(profile.relationship_type_id, self.env.ref(
            "crm_relational.relationship_type_adversary"))  # fmt: skip
        self.assertEqual(profile.health_payment, 0)
        # (25 * 35 + 100 * 20 + 33.3 * 20 + 50 * 15 + 0) / 100 = 42.9
        self.assertEqual(profile.health_score, 43)
        self.assertFalse(profile.churn_risk)
        # Tier A (60 % of the margin before it), never contacted: neglected.
        self.assertEqual(profile.value_tier, "A")
        self.assertFalse(profile.last_contact_date)
        self.assertTrue(profile.neglected)
        self.company.relational_churn_threshold = 50
        self.Profile._recompute(self.company)
        self.assertTrue(profile.churn_risk)
        self.assertTrue(self.late_payer.relational_churn_risk)

    def test_prospect(self):
        profile = self.profile(self.customer_ir)
        self.assertEqual(profile.stage, "prospect")
        self.assertEqual(profile.order_count, 0)
        self.assertFalse(profile.value_tier)
        self.assertFalse(profile.health_score)
        self.assertEqual((profile.intensity, profile.reciprocity), (17, 0))
        self.assertEqual(profile.relationship_type_id, self.env.ref(
            "crm_relational.relationship_type_distant"))  # fmt: skip

    def test_no_profiling_and_blacklist(self):
        self.assertFalse(self.profile(self.private))
        self.assertFalse(self.profile(self.blacklisted))
        # The company may choose to profile blacklisted contacts; never those who said no.
        self.company.relational_profile_blacklisted = True
        self.Profile._recompute(self.company)
        self.assertTrue(self.profile(self.blacklisted))
        self.assertFalse(self.profile(self.private))
        # Saying no removes the profile at once, whoever records it.
        self.late_payer.with_user(self.rep).relational_no_profiling = True
        self.assertFalse(self.profile(self.late_payer))
        self.Profile._recompute(self.company)
        self.assertFalse(self.profile(self.late_payer))
        segment = self.env["crm.relational.segment"].create(
            {"name": "Everyone", "domain": "[('customer_rank', '>=', 0)]"}
        )
        members = self.env["res.partner"].search(segment._partner_domain())
        self.assertNotIn(self.late_payer, members)
        self.assertNotIn(self.private, members)
        self.assertIn(self.customer_sa, members)

    def test_override_the_type_with_a_reason(self):
        profile = self.profile(self.late_payer)
        friend = self.env.ref("crm_relational.relationship_type_friend")
        action = self.late_payer.with_user(self.rep).action_relational_set_type()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.rep)
            .with_context(**action["context"])
            .create({"relationship_type_id": friend.id, "reason": "Pays late but loves us"})
        )
        wizard.action_apply()
        self.assertEqual(profile.relationship_type_id, friend)
        message = self.late_payer.message_ids[0]
        self.assertIn("Pays late but loves us", message.body)
        self.assertIn("Adversary", message.body)
        # The override survives a recompute; the computed type stays visible.
        self.Profile._recompute(self.company)
        self.assertEqual(profile.relationship_type_id, friend)
        self.assertEqual(profile.relationship_type_override_reason, "Pays late but loves us")
        self.assertEqual(
            profile.relationship_type_suggested_id,
            self.env.ref("crm_relational.relationship_type_adversary"),
        )
        # Cleared: back to the computed type.
        self.env["crm.relational.type.override"].with_user(self.rep).create(
            {"profile_id": profile.id, "reason": "Not any more"}
        ).action_apply()
        self.Profile._recompute(self.company)
        self.assertEqual(profile.relationship_type_id, profile.relationship_type_suggested_id)
        self.assertFalse(profile.relationship_type_override_id)

    def test_export_of_the_profile(self):
        action = self.contact_sa.with_user(self.rep).action_export_relational_profile()
        # Streamed to its requester, stored nowhere (see test_privacy).
        self.assertEqual(action["url"], f"/crm_relational/profile_export/{self.customer_sa.id}")
        _name, content = self.customer_sa.with_user(self.rep)._relational_export_file()
        data = json.loads(content)
        self.assertEqual(data["customer"]["id"], self.customer_sa.id)
        (profile,) = data["profiles"]
        self.assertEqual(profile["valence"], 50)
        self.assertEqual(profile["stage"], "new")
        # Three customers are too few to fit a lifetime-value model: the value is unknown,
        # exported empty with its reason, not as 0.
        self.assertEqual(self.profile(self.customer_sa).clv_unknown_reason, "no_model")
        self.assertEqual(profile["clv_unknown_reason"], "no_model")
        self.assertIsNone(profile["clv"])
        self.assertIsNone(profile["probability_alive"])
        # The rows of the timeline the rep may read (its rules), all of them.
        timeline = self.env["crm.relational.timeline"].with_user(self.rep)
        visible = timeline.search([("partner_id", "=", self.customer_sa.id)])
        self.assertGreaterEqual(len(visible), 5)
        self.assertEqual(sorted(row["id"] for row in data["timeline"]), sorted(visible.ids))
        self.assertEqual(data["stage_history"][0]["stage_to"], "new")

    def test_incremental_recompute_redoes_only_customers_with_news(self):
        full = self.env["crm.relational.run"].search([], limit=1)
        self.assertEqual((full.mode, full.state, full.customer_count), ("full", "done", 3))
        # Everything so far happened two hours ago, the last run one hour ago.
        tables = ["res_partner", "sale_order", "account_move", "account_payment", "crm_lead",
                  "stock_picking", "calendar_event"]  # fmt: skip
        for table in tables:
            self.env.cr.execute(
                SQL("UPDATE %s SET write_date = now() - interval '2 hours'", SQL.identifier(table))
            )
        self.env.cr.execute("UPDATE mail_message SET create_date = now() - interval '2 hours'")
        full.started_at = fields.Datetime.now() - timedelta(hours=1)
        self.env.invalidate_all()
        # The late payer pays.
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=self.late_invoice.ids
        ).create({})._create_payments()
        busy = self.profile(self.customer_sa)
        busy_written = busy.computed_at
        self.Profile._recompute(self.company, incremental=True)
        run = self.env["crm.relational.run"].search([], limit=1)
        self.assertEqual((run.mode, run.state, run.customer_count), ("incremental", "done", 1))
        profile = self.profile(self.late_payer)
        self.assertEqual(profile.health_payment, 100)
        self.assertEqual((profile.positive_signal_count, profile.negative_signal_count), (1, 0))
        self.assertEqual(busy.computed_at, busy_written)
        # Scored against the full run's population: still tier A, same recency grid.
        self.assertEqual(profile.value_tier, "A")

    def test_facts_of_the_customers_with_news_are_those_of_a_full_run(self):
        # An incremental run reads the timeline of its customers only: what it knows of them
        # is what a full run knows (but the margin share of larger customers, which ranks the
        # customers read together).
        def facts():
            self.env.cr.execute("SELECT * FROM crm_relational_facts ORDER BY partner_id")
            names = [column.name for column in self.env.cr.description]
            return {
                row[0]: {n: v for n, v in zip(names, row, strict=True) if n != "share_before"}
                for row in self.env.cr.fetchall()
            }

        some = (self.customer_sa | self.late_payer).ids
        self.env["crm.relational.run"]._build_facts(self.company, self.today, some)
        incremental = facts()
        self.env["crm.relational.run"]._build_facts(self.company, self.today)
        full = facts()
        self.assertEqual(sorted(incremental), sorted(some))
        self.assertGreater(len(full), len(some))
        self.assertEqual(incremental, {partner: full[partner] for partner in some})
        self.assertEqual(incremental[self.late_payer.id]["overdue_invoices"], 1)
        self.assertGreater(incremental[self.customer_sa.id]["interactions"], 0)

    def test_an_interrupted_run_is_resumed(self):
        Run = self.env["crm.relational.run"]
        full = Run.search([], limit=1)
        first, *_others = sorted((self.customer_sa | self.customer_ir | self.late_payer).ids)
        interrupted = Run.create(
            {"company_id": self.company.id, "mode": "full", "date": self.today,
             "parameters": full.parameters, "last_partner_id": first, "done_count": 1}
        )  # fmt: skip
        interrupted.customer_count = 3
        self.assertAlmostEqual(interrupted.progress, 100.0 / 3)
        self.env.cr.execute(
            "UPDATE crm_relational_profile SET health_score = -1 WHERE company_id = %s",
            [self.company.id],
        )
        self.Profile.invalidate_model()
        self.Profile._recompute(self.company)
        self.assertEqual(Run.search([], limit=1), interrupted)
        self.assertEqual((interrupted.state, interrupted.customer_count), ("done", 3))
        self.assertEqual(interrupted.progress, 100.0)
        scores = {p.partner_id.id: p.health_score for p in self.Profile.search([])}
        # The customer written before the interruption is not redone; the others are.
        self.assertEqual(scores[first], -1)
        self.assertTrue(all(score != -1 for partner, score in scores.items() if partner != first))

    def test_two_runs_never_overlap(self):
        # This test's transaction ran a recompute, so it holds the company's lock: a second
        # process (another connection) finds the company busy and does nothing.
        with self.env.registry.cursor() as other:
            other_env = api.Environment(other, SUPERUSER_ID, {})
            Run = other_env["crm.relational.run"]
            other.execute("SELECT count(*) FROM crm_relational_run")
            runs = other.fetchone()[0]
            self.assertFalse(Run._recompute_company(self.company.with_env(other_env),
                                                        self.today))  # fmt: skip
            other.execute("SELECT count(*) FROM crm_relational_run")
            self.assertEqual(other.fetchone()[0], runs)
            other.rollback()
        Run = self.env["crm.relational.run"]
        self.assertTrue(Run._recompute_company(self.company, self.today))

    def test_dormant_customers_get_a_call_planned(self):
        rule = self.env.ref("crm_relational.automation_reengage_dormant")
        profile = self.profile(self.late_payer)
        self.env.cr.execute(
            "UPDATE crm_relational_profile SET stage = 'dormant', stage_date = %s WHERE id = %s",
            [self.today - timedelta(days=4), profile.id],
        )
        self.Profile.invalidate_model()
        due = rule._search_time_based_automation_records(until=fields.Datetime.now())
        self.assertEqual(due, profile)
        for record in due:
            rule._process(record)
        activity = profile.activity_ids
        self.assertEqual(activity.user_id, self.rep)
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_call"))

    def test_segments_are_mailing_filters_and_partner_filters(self):
        segment = self.env["crm.relational.segment"].create(
            {"name": "Adversaries", "domain": "[('relational_relationship_type_id.name', '=', "
             "'Adversary')]"}
        )  # fmt: skip
        self.assertEqual(
            self.env["res.partner"].search([("relational_segment_ids", "in", segment.ids)]),
            self.late_payer,
        )
        self.assertIn(segment, self.late_payer.relational_segment_ids)
        self.assertNotIn(segment, self.customer_sa.relational_segment_ids)
        mailing_filter = segment.mailing_filter_id
        self.assertEqual(mailing_filter.mailing_model_id.model, "res.partner")
        self.assertIn("relational_no_profiling", mailing_filter.mailing_domain)
        action = segment.action_send_mailing()
        mailing = (
            self.env["mailing.mailing"]
            .with_context(**action["context"])
            .create({"subject": segment.name, "body_html": "<p>Hello</p>"})
        )
        self.assertEqual(
            self.env["res.partner"].search(mailing._get_recipients_domain()), self.late_payer
        )
        segment.domain = "[('name', '=', 'Nobody')]"
        self.assertIn("Nobody", mailing_filter.mailing_domain)
        segment.unlink()
        self.assertFalse(mailing_filter.exists())

    def test_amounts_in_company_currency_and_per_company(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create(
            {"currency_id": eur.id, "company_id": self.company.id, "name": self.today,
             "rate": 2.0 * self.company.currency_id.rate}
        )  # fmt: skip
        pricelist = self.env["product.pricelist"].create({"name": "Euro", "currency_id": eur.id})
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer_ir.id,
                "pricelist_id": pricelist.id,
                "order_line": [
                    Command.create({"product_id": self.product.id, "product_uom_qty": 1,
                                    "price_unit": 100, "tax_ids": [Command.clear()]})
                ],
            }
        )  # fmt: skip
        order.action_confirm()
        self.assertEqual(order.currency_id, eur)
        elsewhere = (
            self.env["sale.order"]
            .with_company(self.other_company)
            .create(
                {
                    "partner_id": self.customer_ir.id,
                    "company_id": self.other_company.id,
                    "order_line": [
                        Command.create({"product_id": self.product.id, "product_uom_qty": 3,
                                        "price_unit": 100, "tax_ids": [Command.clear()]})
                    ],
                }
            )
        )  # fmt: skip
        elsewhere.action_confirm()
        self.Profile._recompute(self.company | self.other_company)
        # 100 EUR at 2 EUR per unit of the company currency.
        here = self.profile(self.customer_ir)
        self.assertAlmostEqual(here.revenue, 50.0)
        self.assertEqual((here.stage, here.order_count), ("new", 1))
        there = self.Profile.search(
            [("partner_id", "=", self.customer_ir.id), ("company_id", "=", self.other_company.id)]
        )
        self.assertAlmostEqual(there.revenue, 300.0)
        # Each company sees its own profile only.
        self.assertEqual(
            self.Profile.with_user(self.other_company_manager).search(
                [("partner_id", "=", self.customer_ir.id)]
            ),
            there,
        )
