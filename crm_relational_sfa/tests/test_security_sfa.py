"""The sales force automation addon follows the documents' rules (issue #12, Trust I).

Real users with real groups, on two companies: an own-documents salesman, a colleague of his,
an all-documents salesman, a sales manager, a plain internal user, a portal customer and the
manager of another company. Every figure a user reads is compared with the same figure summed
over what ``search`` returns for that user.
"""

from datetime import datetime, timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.crm_relational.models.crm_relational_job import LOCK_KEYS

from ..models.crm_lead import FORECAST_DRIVEN_FIELDS, MANAGER_FIELDS

Q2 = {"date_from": datetime(2026, 4, 1).date(), "date_to": datetime(2026, 6, 30).date()}


@tagged("post_install", "-at_install")
class TestSecuritySfa(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.ref("base.main_company")
        cls.company_b = cls.env["res.company"].create({"name": "Trust Other Company"})

        def user(login, groups, company=None):
            company = company or cls.company_a
            return new_test_user(
                cls.env, login=login, groups=groups, company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )  # fmt: skip

        cls.rep = user("trust_rep", "sales_team.group_sale_salesman")
        cls.colleague = user("trust_colleague", "sales_team.group_sale_salesman")
        cls.all_rep = user("trust_all_rep", "sales_team.group_sale_salesman_all_leads")
        cls.manager = user("trust_manager", "sales_team.group_sale_manager")
        cls.plain = user("trust_plain", "base.group_user")
        cls.portal = user("trust_portal", "base.group_portal")
        cls.other = user("trust_other", "sales_team.group_sale_manager", cls.company_b)
        cls.team = cls.env["crm.team"].create(
            {"name": "Trust Team", "member_ids": [Command.set((cls.rep | cls.colleague).ids)],
             "company_id": cls.company_a.id}
        )  # fmt: skip
        cls.customer = cls.env["res.partner"].create({"name": "Trust Buyer", "is_company": True})
        cls.contact = cls.env["res.partner"].create(
            {"name": "Trust Contact", "parent_id": cls.customer.id}
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Trust Lamp", "type": "consu", "invoice_policy": "order", "list_price": 100}
        )
        Lead = cls.env["crm.lead"]
        cls.own_deal = Lead.create(
            {"name": "Office lamps", "type": "opportunity", "partner_id": cls.contact.id,
             "user_id": cls.rep.id, "team_id": cls.team.id, "expected_revenue": 1000}
        )  # fmt: skip
        cls.colleague_deal = Lead.create(
            {"name": "New office lamps", "type": "opportunity", "partner_id": cls.customer.id,
             "user_id": cls.colleague.id, "team_id": cls.team.id, "expected_revenue": 77777}
        )  # fmt: skip
        cls.other_company_deal = Lead.create(
            {"name": "Office lamps abroad", "type": "opportunity",
             "partner_id": cls.customer.id, "user_id": cls.other.id,
             "company_id": cls.company_b.id, "expected_revenue": 5000}
        )  # fmt: skip

    # ------------------------------------------------------------------ helpers

    def _invoice(self, salesperson, amount, due_days_ago=10):
        invoice = self.env["account.move"].create(
            {"move_type": "out_invoice", "partner_id": self.contact.id,
             "invoice_user_id": salesperson.id, "company_id": self.company_a.id,
             "invoice_date": fields.Date.today() - timedelta(days=40),
             "invoice_date_due": fields.Date.today() - timedelta(days=due_days_ago),
             "invoice_line_ids": [Command.create({"name": "Lamps", "quantity": 1,
                                                  "price_unit": amount,
                                                  "tax_ids": [Command.clear()]})]}
        )  # fmt: skip
        invoice.action_post()
        return invoice

    def _order(self, salesperson, quantity, company=None):
        company = company or self.company_a
        order = self.env["sale.order"].create(
            {"partner_id": self.contact.id, "user_id": salesperson.id, "company_id": company.id,
             "order_line": [Command.create({"product_id": self.product.id,
                                            "product_uom_qty": quantity, "price_unit": 100,
                                            "tax_ids": [Command.clear()]})]}
        )  # fmt: skip
        order.action_confirm()
        return order

    def _held_lock(self, key, company):
        """A second database connection holding the advisory lock ``(key, company)``, as a
        run in another worker does; the caller closes it."""
        cursor = db_connect(self.env.cr.dbname).cursor()
        cursor.execute(SQL("SELECT pg_advisory_xact_lock(%s, %s)", key, company.id))
        return cursor

    # ------------------------------------------------------------------ 1. manager-only fields

    def test_manager_fields_refused_to_salesmen_on_create_write_and_import(self):
        Lead = self.env["crm.lead"].with_user(self.rep)
        inflated = {"forecast_manager_category": "commit", "forecast_manager_amount": 9e9}
        count = self.env["crm.lead"].search_count([])
        for vals in ({"forecast_manager_category": "commit"}, {"forecast_manager_amount": 9e9}):
            with self.assertRaises(AccessError), self.env.cr.savepoint():
                Lead.create({"name": "Inflated", "type": "opportunity", **vals})
            with self.assertRaises(AccessError), self.env.cr.savepoint():
                self.own_deal.with_user(self.rep).write(vals)
        # Import (load) goes through create: an error message, no record.
        result = Lead.load(
            ["name", "type", "forecast_manager_category", "forecast_manager_amount"],
            [["Imported inflated", "opportunity", "commit", "9000000000"]],
        )
        self.assertFalse(any(result["ids"] or []))
        self.assertTrue(result["messages"])
        self.assertEqual(self.env["crm.lead"].search_count([]), count)
        self.assertFalse(self.own_deal.forecast_manager_category)
        self.assertFalse(self.own_deal.forecast_manager_amount)
        # An all-documents salesman is no manager either.
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            self.own_deal.with_user(self.all_rep).write(inflated)
        # Empty values on create and the value already held on write change nothing: allowed.
        Lead.create({"name": "Plain", "type": "opportunity", "forecast_manager_amount": 0})
        # The manager adjusts; the salesman may then save the record with the same values
        # and duplicate it (the adjustment is not copied).
        self.own_deal.with_user(self.manager).write(inflated)
        self.assertEqual(self.own_deal.forecast_effective_category, "commit")
        self.own_deal.with_user(self.rep).write(
            {"forecast_manager_category": "commit", "name": "Office lamps"}
        )
        copy = self.own_deal.with_user(self.rep).copy()
        self.assertFalse(copy.forecast_manager_category)
        self.assertEqual(copy.forecast_effective_category, "pipeline")

    # ------------------------------------------------------------------ 2. read-only figures

    def test_forecast_driven_fields_refused_to_salesmen_over_rpc(self):
        values = {
            "forecast_effective_category": "commit",
            "forecast_effective_amount": 9e9,
            "relational_win_probability": 99.0,
            "relational_close_date": fields.Date.today(),
        }
        self.assertEqual(set(values), set(FORECAST_DRIVEN_FIELDS))
        self.assertEqual(set(MANAGER_FIELDS), {"forecast_manager_category",
                                               "forecast_manager_amount"})  # fmt: skip
        for fname, value in values.items():
            with self.subTest(fname):
                with self.assertRaises(AccessError), self.env.cr.savepoint():
                    self.own_deal.with_user(self.rep).write({fname: value})
                with self.assertRaises(AccessError), self.env.cr.savepoint():
                    self.env["crm.lead"].with_user(self.rep).create(
                        {"name": "Forged", "type": "opportunity", fname: value}
                    )
        self.own_deal.invalidate_recordset()
        self.assertEqual(self.own_deal.forecast_effective_category, "pipeline")
        self.assertEqual(self.own_deal.forecast_effective_amount, 1000)
        self.assertFalse(self.own_deal.relational_win_probability)
        # A manager corrects them (e.g. a mistaken job), the salesman's own call stays his.
        self.own_deal.with_user(self.manager).write({"relational_win_probability": 40.0})
        self.own_deal.with_user(self.rep).write({"forecast_category": "best_case"})
        self.assertEqual(self.own_deal.forecast_effective_category, "best_case")

    # ------------------------------------------------------------------ 3. heavy actions

    def test_heavy_actions_are_for_managers_and_not_twice_at_once(self):
        Forecast = self.env["crm.relational.forecast"]
        Model = self.env["crm.relational.forecast.model"]
        Backtest = self.env["crm.relational.forecast.backtest"]
        forecasts = Forecast.search_count([])
        for user in (self.rep, self.all_rep, self.plain, self.portal):
            with self.subTest(user.login):
                with self.assertRaises(AccessError):
                    Forecast.with_user(user).action_take_now()
                with self.assertRaises(AccessError):
                    Model.with_user(user).action_fit_now()
                with self.assertRaises(AccessError):
                    Backtest.with_user(user).action_start()
        self.assertEqual(Forecast.search_count([]), forecasts)
        # Another worker takes the company's forecast (or fits its model) right now.
        for key, start in (
            (LOCK_KEYS["forecast_snapshot"], Forecast.with_user(self.manager).action_take_now),
            (LOCK_KEYS["forecast_fit"], Model.with_user(self.manager).action_fit_now),
        ):
            busy = self._held_lock(key, self.company_a)
            try:
                with self.assertRaisesRegex(UserError, "already"), self.env.cr.savepoint():
                    start()
            finally:
                busy.rollback()
                busy.close()
        self.assertEqual(Forecast.search_count([]), forecasts)
        # A backtest queued for the company: a second one is refused.
        Backtest.with_user(self.manager).action_start()
        with self.assertRaisesRegex(UserError, "already running"):
            Backtest.with_user(self.manager).action_start()
        # Free again: the manager takes the forecast.
        action = Forecast.with_user(self.manager).action_take_now()
        self.assertEqual(Forecast.search_count([]), forecasts + 1)
        self.assertEqual(action["res_model"], "crm.relational.forecast.line")

    # ------------------------------------------------------------------ 4. lines and targets

    def test_forecast_lines_and_targets_follow_lead_access(self):
        forecast = self.env["crm.relational.forecast"].create(
            {"company_id": self.company_a.id, "date": datetime(2026, 4, 2), "kind": "manual",
             "period_type": "quarter"}
        )  # fmt: skip
        Line = self.env["crm.relational.forecast.line"]
        base = {"forecast_id": forecast.id, **Q2}
        lines = {
            "own": Line.create({**base, "level": "salesperson", "user_id": self.rep.id}),
            "colleague": Line.create(
                {**base, "level": "salesperson", "user_id": self.colleague.id}
            ),
            "own team": Line.create({**base, "level": "team", "team_id": self.team.id}),
            "company": Line.create({**base, "level": "company"}),
        }
        Target = self.env["crm.relational.sales.target"]
        targets = {
            "own": Target.create({"user_id": self.rep.id, "amount": 10, **Q2}),
            "colleague": Target.create({"user_id": self.colleague.id, "amount": 20, **Q2}),
            "own team": Target.create({"team_id": self.team.id, "amount": 30, **Q2}),
        }
        theirs = Target.create(
            {"user_id": self.other.id, "amount": 40, "company_id": self.company_b.id, **Q2}
        )
        for name, records in (("forecast line", lines), ("sales target", targets)):
            everything = records["own"].browse([record.id for record in records.values()])
            Model = everything.browse()
            with self.subTest(f"own-documents salesman / {name}"):
                seen = Model.with_user(self.rep).search([("id", "in", everything.ids)])
                self.assertEqual(seen, records["own"])
                for key, record in records.items():
                    if key != "own":
                        with self.assertRaises(AccessError):
                            record.with_user(self.rep).read(["date_from"])
            for user in (self.all_rep, self.manager):
                with self.subTest(f"{user.login} / {name}"):
                    seen = Model.with_user(user).search([("id", "in", everything.ids)])
                    self.assertEqual(seen, everything)
            with self.subTest(f"other company / {name}"):
                self.assertFalse(Model.with_user(self.other).search([("id", "in", everything.ids)]))
        self.assertFalse(Target.with_user(self.all_rep).search([("id", "=", theirs.id)]))
        self.assertEqual(Target.with_user(self.other).search([("id", "=", theirs.id)]), theirs)
        # The attainment of a line is read with the line: the own-documents salesman reads his.
        lines["own"].write({"closed": 5, "target": 10})
        self.assertEqual(lines["own"].with_user(self.rep).attainment, 50.0)

    # ------------------------------------------------------------------ 5. credit, call sheet

    def test_credit_and_call_sheet_are_computed_from_readable_documents(self):
        self._invoice(self.rep, 300)
        self._invoice(self.colleague, 500)
        self._invoice(self.colleague, 200, due_days_ago=-20)  # not yet due
        self._order(self.rep, 2)
        self._order(self.colleague, 7)
        self._order(self.other, 9, company=self.company_b)
        quotation = self.env["sale.order"].create(
            {"partner_id": self.contact.id, "user_id": self.colleague.id}
        )
        expected = {
            # (outstanding, overdue, to invoice) summed by hand from what each one reads.
            self.rep: (300, 300, 200),
            self.all_rep: (1000, 800, 900),
            self.manager: (1000, 800, 900),
        }
        today = fields.Date.today()
        receivable = [
            ("partner_id", "child_of", self.customer.id), ("company_id", "=", self.company_a.id),
            ("parent_state", "=", "posted"), ("account_type", "=", "asset_receivable"),
            ("reconciled", "=", False),
        ]  # fmt: skip
        for user, (outstanding, overdue, to_invoice) in expected.items():
            with self.subTest(user.login):
                sheet = self.contact.with_user(user)
                self.assertAlmostEqual(sheet.relational_credit_outstanding, outstanding)
                self.assertAlmostEqual(sheet.relational_credit_overdue, overdue)
                self.assertAlmostEqual(sheet.relational_credit_to_invoice, to_invoice)
                self.assertAlmostEqual(sheet.relational_credit_exposure, outstanding + to_invoice)
                # The same figures recomputed from what search returns for that user.
                lines = self.env["account.move.line"].with_user(user).search(receivable)
                self.assertAlmostEqual(sum(lines.mapped("amount_residual")), outstanding)
                self.assertAlmostEqual(
                    sum(line.amount_residual for line in lines if line.date_maturity < today),
                    overdue,
                )
                order_lines = (
                    self.env["sale.order.line"]
                    .with_user(user)
                    .search(
                        [("order_partner_id", "child_of", self.customer.id),
                         ("company_id", "=", self.company_a.id), ("state", "=", "sale")]
                    )
                )  # fmt: skip
                self.assertAlmostEqual(sum(order_lines.mapped("amount_to_invoice")), to_invoice)
                # The lists: exactly what the user's own search returns.
                Lead, Order = self.env["crm.lead"].with_user(user), self.env["sale.order"]
                self.assertEqual(
                    sheet.relational_open_opportunity_ids,
                    Lead.search([("partner_id", "child_of", self.customer.id),
                                 ("type", "=", "opportunity"),
                                 ("won_status", "=", "pending")]),
                )  # fmt: skip
                orders = Order.with_user(user).search(
                    [("partner_id", "child_of", self.customer.id)]
                )
                self.assertEqual(
                    sheet.relational_quotation_ids,
                    orders.filtered(lambda order: order.state in ("draft", "sent")),
                )
                self.assertLessEqual(sheet.relational_recent_order_ids, orders)
                self.assertLessEqual(
                    set(sheet.relational_recent_picking_ids.ids),
                    set(
                        self.env["stock.picking"]
                        .with_user(user)
                        .search([("partner_id", "child_of", self.customer.id)])
                        .ids
                    ),
                )
        rep_sheet = self.contact.with_user(self.rep)
        self.assertEqual(rep_sheet.relational_open_opportunity_ids, self.own_deal)
        self.assertNotIn(quotation, rep_sheet.relational_quotation_ids)
        self.assertIn(quotation, self.contact.with_user(self.all_rep).relational_quotation_ids)
        # The other company's manager: only his company's order, nothing of company A.
        theirs = self.contact.with_user(self.other).with_company(self.company_b)
        self.assertAlmostEqual(theirs.relational_credit_outstanding, 0)
        self.assertAlmostEqual(theirs.relational_credit_to_invoice, 900)
        self.assertEqual(theirs.relational_open_opportunity_ids, self.other_company_deal)

    # ------------------------------------------------------------------ 6. duplicate effort

    def test_duplicate_effort_guard_warns_own_documents_rep_and_tells_no_more(self):
        deal = self.own_deal.with_user(self.rep)
        self.assertFalse(self.colleague_deal.with_user(self.rep).has_access("read"))
        self.assertEqual(deal.other_salesperson_ids, self.colleague)
        self.assertEqual(deal.similar_opportunity_count, 1)
        self.assertFalse(deal.similar_opportunity_ids)
        # Over RPC: the colleague's name and a count, not the deal's name nor amount.
        values = deal.read(["other_salesperson_ids", "similar_opportunity_ids",
                            "similar_opportunity_count"])[0]  # fmt: skip
        self.assertEqual(values["other_salesperson_ids"], self.colleague.ids)
        self.assertEqual(values["similar_opportunity_ids"], [])
        self.assertEqual(values["similar_opportunity_count"], 1)
        self.assertNotIn("77777", str(values))
        self.assertNotIn("New office lamps", str(values))
        # The other company's deal of the same customer is neither counted nor named.
        self.assertNotIn(self.other, deal.other_salesperson_ids)
        # Who may read the colleague's deal sees it listed.
        seen = self.own_deal.with_user(self.all_rep)
        self.assertEqual(seen.similar_opportunity_ids, self.colleague_deal)

    # ------------------------------------------------------------------ 7. forgotten customers

    def test_forgotten_customers_are_not_learned_from(self):
        Model = self.env["crm.relational.forecast.model"]
        forgotten = self.env["res.partner"].create({"name": "Trust Forgotten", "is_company": True})
        kept = self.env["res.partner"].create({"name": "Trust Kept", "is_company": True})
        won_stage = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        leads = self.env["crm.lead"]
        for partner in (forgotten, kept):
            for n in range(4):  # two won and two lost: the least a model learns from
                lead = self.env["crm.lead"].create(
                    {"name": f"History {partner.name} {n}", "type": "opportunity",
                     "partner_id": partner.id, "expected_revenue": 100}
                )  # fmt: skip
                if n % 2:
                    lead.stage_id = won_stage
                else:
                    lead.action_set_lost()
                leads |= lead
        open_forgotten = self.env["crm.lead"].create(
            {"name": "Open forgotten", "type": "opportunity", "partner_id": forgotten.id}
        )
        forgotten.relational_forgotten = True
        self.env.flush_all()
        later = fields.Datetime.now() + timedelta(days=1)
        learned = {row.id for row in Model._known_leads(self.company_a, later)}
        of = {partner: set(leads.filtered(lambda lead, p=partner: lead.partner_id == p).ids)
              for partner in (kept, forgotten)}  # fmt: skip
        self.assertTrue(learned & of[kept])
        self.assertFalse(learned & of[forgotten])
        scored = {row.id for row in Model._open_leads(self.company_a, later)}
        self.assertNotIn(open_forgotten.id, scored)
        self.assertIn(self.own_deal.id, scored)
        # The forecast still counts the forgotten customer's open deal as revenue.
        pipeline = Model._open_leads(self.company_a, later, with_forgotten=True)
        self.assertIn(open_forgotten.id, {row.id for row in pipeline})
        # A score learned before the customer was forgotten is emptied by the next scoring.
        self.env.cr.execute(
            "UPDATE crm_lead SET relational_win_probability = 55, relational_close_date = NOW()"
            " WHERE id = %s",
            [open_forgotten.id],
        )
        model = Model._fit(self.company_a, later)
        model._score_open()
        open_forgotten.invalidate_recordset()
        self.assertFalse(open_forgotten.relational_win_probability)
        self.assertFalse(open_forgotten.relational_close_date)
        self.assertTrue(self.own_deal.relational_win_probability)
        self.assertNotIn(
            open_forgotten.id,
            {row.id for row in Model._known_leads(self.company_a, later)},
        )

    # ------------------------------------------------------------------ 8. field groups

    def test_internal_figures_are_unreadable_without_the_sales_group(self):
        partner_fields = [
            name
            for name, field in self.env["res.partner"]._fields.items()
            if field._module == "crm_relational_sfa"
        ]
        lead_fields = [
            "relational_win_probability", "relational_close_date", "relational_weighted_revenue",
            "other_salesperson_ids", "similar_opportunity_ids", "similar_opportunity_count",
        ]  # fmt: skip
        self.assertIn("relational_credit_exposure", partner_fields)
        for fname in partner_fields:
            with self.subTest(fname):
                self.assertEqual(
                    self.env["res.partner"]._fields[fname].groups,
                    "crm_relational_sfa.group_user",
                )
                # The portal customer on its own partner, the plain user on any customer.
                for user, partner in ((self.portal, self.portal.partner_id),
                                      (self.plain, self.contact)):  # fmt: skip
                    self.assertTrue(partner.with_user(user).has_access("read"))
                    self.assertNotIn(fname, self.env["res.partner"].with_user(user).fields_get())
                    with self.assertRaises(AccessError):
                        partner.with_user(user).read([fname])
                self.contact.with_user(self.rep).read([fname])
        for fname in lead_fields:
            with self.subTest(fname):
                self.assertEqual(
                    self.env["crm.lead"]._fields[fname].groups, "crm_relational_sfa.group_user"
                )
                self.assertNotIn(fname, self.env["crm.lead"].with_user(self.plain).fields_get())
                self.own_deal.with_user(self.rep).read([fname])
