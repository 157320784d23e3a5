from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..models.crm_relational_forecast import period_bounds


@tagged("post_install", "-at_install")
class GridCase(TransactionCase):
    """A company of its own with two teams: Levant (led by Layla, salespeople Adel and Badr)
    and Gulf (Chadi); a sales manager. The period is the current quarter."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "Grid Trading"})
        cls.env = cls.env["base"].with_company(cls.company).env
        users = {"company_id": cls.company.id, "company_ids": [(6, 0, cls.company.ids)]}
        salesman = "sales_team.group_sale_salesman"
        cls.adel = new_test_user(cls.env, login="grid_adel", groups=salesman, **users)
        cls.badr = new_test_user(cls.env, login="grid_badr", groups=salesman, **users)
        cls.chadi = new_test_user(cls.env, login="grid_chadi", groups=salesman, **users)
        cls.layla = new_test_user(cls.env, login="grid_layla", groups=salesman, **users)
        cls.manager = new_test_user(
            cls.env, login="grid_manager", groups="sales_team.group_sale_manager", **users
        )
        cls.levant = cls.env["crm.team"].create(
            {"name": "Levant", "company_id": cls.company.id, "user_id": cls.layla.id,
             "member_ids": [(6, 0, (cls.adel | cls.badr).ids)]}
        )  # fmt: skip
        cls.gulf = cls.env["crm.team"].create(
            {"name": "Gulf", "company_id": cls.company.id, "member_ids": [(6, 0, cls.chadi.ids)]}
        )
        cls.customer = cls.env["res.partner"].create({"name": "Cedar Trading", "is_company": True})
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.start, cls.end = period_bounds(cls.today, "quarter")
        cls.Grid = cls.env["crm.relational.forecast.grid"]
        cls.Call = cls.env["crm.relational.forecast.submission"]
        cls.service = cls.env["product.product"].create({"name": "Consulting", "type": "service"})

    @classmethod
    def _lead(cls, user, team, amount, probability, category="pipeline", **values):
        return cls.env["crm.lead"].create(
            {"name": f"{user.name} {amount}", "type": "opportunity", "expected_revenue": amount,
             "probability": probability, "company_id": cls.company.id, "user_id": user.id,
             "team_id": team.id, "partner_id": cls.customer.id, "date_deadline": cls.today,
             "forecast_category": category, **values}
        )  # fmt: skip

    @classmethod
    def _order(cls, user, team, amount, opportunity=None):
        order = cls.env["sale.order"].create(
            {"partner_id": cls.customer.id, "user_id": user.id, "team_id": team.id,
             "company_id": cls.company.id, "opportunity_id": opportunity and opportunity.id,
             "order_line": [Command.create({"product_id": cls.service.id, "price_unit": amount,
                                            "tax_ids": [Command.clear()]})]}
        )  # fmt: skip
        order.action_confirm()
        return order

    def _grid(self, user, **kwargs):
        return self.Grid.with_user(user).grid(date_from=fields.Date.to_string(self.start), **kwargs)

    @staticmethod
    def _rows(grid):
        """{(team id, user id): figures} of the salespeople rows, {team id: figures}."""
        rows = {
            (t["team_id"], r["user_id"]): r["figures"] for t in grid["teams"] for r in t["rows"]
        }
        return rows, {team["team_id"]: team["figures"] for team in grid["teams"]}

    def _call(self, user, owner, team, commit, best_case, kind="submission", **values):
        return self.Call.with_user(user).create(
            {"user_id": owner and owner.id, "team_id": team.id, "kind": kind, "commit": commit,
             "best_case": best_case, "date_from": self.start, "date_to": self.end, **values}
        )  # fmt: skip


class TestForecastGrid(GridCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Adel: commit 1,000 (his call), best case 500, pipeline 300 at 10 %, omitted 700;
        # a won deal of 400 with its order (counted once, as the won opportunity).
        cls._lead(cls.adel, cls.levant, 1000, 60, "commit")
        cls._lead(cls.adel, cls.levant, 500, 40, "best_case")
        cls._lead(cls.adel, cls.levant, 300, 10)
        cls._lead(cls.adel, cls.levant, 700, 50, "omitted")
        won = cls._lead(cls.adel, cls.levant, 400, 50)
        won.action_set_won()
        cls._order(cls.adel, cls.levant, 400, opportunity=won)
        # Badr: a deal at 95 % (commit by the threshold whatever its category), an order of
        # 250 from no opportunity; a deal of next year is outside the period.
        cls._lead(cls.badr, cls.levant, 2000, 95)
        cls._order(cls.badr, cls.levant, 250)
        cls._lead(
            cls.badr, cls.levant, 9000, 95, date_deadline=cls.end.replace(year=cls.end.year + 1)
        )
        # Chadi, in the Gulf: pipeline 800 at 20 %.
        cls._lead(cls.chadi, cls.gulf, 800, 20)
        cls.env["crm.relational.sales.target"].create(
            [{"user_id": cls.adel.id, "team_id": cls.levant.id, "amount": 4000,
              "date_from": cls.start, "date_to": cls.end, "company_id": cls.company.id},
             {"team_id": cls.gulf.id, "amount": 2000, "date_from": cls.start,
              "date_to": cls.end, "company_id": cls.company.id}]
        )  # fmt: skip

    def test_manager_reads_every_figure(self):
        grid = self._grid(self.manager)
        rows, teams = self._rows(grid)
        adel = rows[self.levant.id, self.adel.id]
        self.assertEqual(adel["closed"], 400.0)  # the won deal, not its order again
        self.assertEqual(adel["commit"], 1000.0)
        self.assertEqual(adel["best_case"], 1500.0)
        self.assertEqual(adel["pipeline"], 1800.0)  # the omitted deal left out
        self.assertAlmostEqual(adel["odoo_weighted"], 1000 * 0.6 + 500 * 0.4 + 300 * 0.1 + 350)
        self.assertEqual(adel["target"], 4000.0)
        self.assertEqual(adel["gap"], 4000.0 - 400 - 1000)
        self.assertAlmostEqual(adel["attainment"], 10.0)
        badr = rows[self.levant.id, self.badr.id]
        self.assertEqual((badr["closed"], badr["closed_orders"]), (250.0, 250.0))
        self.assertEqual((badr["commit"], badr["best_case"], badr["pipeline"]), (2000.0,) * 3)
        self.assertIsNone(badr["attainment"])  # no target
        self.assertEqual(teams[self.levant.id]["closed"], 650.0)
        self.assertEqual(teams[self.levant.id]["commit"], 3000.0)
        self.assertEqual(teams[self.levant.id]["target"], 4000.0)  # the salespeople's
        self.assertEqual(teams[self.gulf.id]["target"], 2000.0)  # the team's own
        self.assertEqual(teams[self.gulf.id]["pipeline"], 800.0)
        self.assertEqual(grid["total"]["pipeline"], 1800.0 + 2000 + 800)
        self.assertEqual(grid["total"]["target"], 6000.0)

    def test_every_figure_opens_the_documents_it_sums(self):
        grid = self._grid(self.manager)
        cells = [(team["team_id"], row["user_id"], row["figures"])
                 for team in grid["teams"] for row in team["rows"]]  # fmt: skip
        cells += [(team["team_id"], None, team["figures"]) for team in grid["teams"]]
        cells.append((None, None, grid["total"]))
        amounts = {"crm.lead": "expected_revenue", "sale.order": "amount_untaxed"}
        checked = 0
        for team_id, user_id, figures in cells:
            for figure in ("closed_won", "closed_orders", "commit", "best_case", "pipeline",
                           "odoo_weighted"):  # fmt: skip
                action = self.Grid.with_user(self.manager).action_open_documents(
                    figure,
                    fields.Date.to_string(self.start),
                    fields.Date.to_string(self.end),
                    team_id=team_id,
                    user_id=user_id,
                )
                records = (
                    self.env[action["res_model"]].with_user(self.manager).search(action["domain"])
                )
                field = {"commit": "forecast_effective_amount",
                         "best_case": "forecast_effective_amount",
                         "pipeline": "forecast_effective_amount",
                         "odoo_weighted": "prorated_revenue"}.get(figure)  # fmt: skip
                total = sum(records.mapped(field or amounts[action["res_model"]]))
                # the documents' figure, before any call replaces it
                expected = figures.get(f"computed_{figure}", figures[figure])
                self.assertAlmostEqual(total, expected, msg=f"{figure} {team_id} {user_id}")
                checked += bool(records)
        self.assertGreater(checked, 10)
        closed = self.Grid.with_user(self.manager).action_open_documents(
            "closed_won",
            fields.Date.to_string(self.start),
            fields.Date.to_string(self.end),
            team_id=self.levant.id,
            user_id=self.adel.id,
        )
        self.assertEqual(self.env["crm.lead"].search(closed["domain"]).mapped("expected_revenue"),
                         [400.0])  # fmt: skip

    def test_salesperson_sees_own_row_leader_the_team(self):
        rows, teams = self._rows(self._grid(self.adel))
        self.assertEqual(set(rows), {(self.levant.id, self.adel.id)})
        self.assertEqual(rows[self.levant.id, self.adel.id]["commit"], 1000.0)
        self.assertIsNone(teams[self.levant.id])  # the team's sum holds colleagues' deals
        self.assertIsNone(self._grid(self.adel)["total"])
        # Layla leads Levant: its salespeople's rows and the team's, not the Gulf.
        rows, teams = self._rows(self._grid(self.layla))
        self.assertEqual(
            set(rows) - {(self.levant.id, self.layla.id)},
            {(self.levant.id, self.adel.id), (self.levant.id, self.badr.id)},
        )
        self.assertNotIn(self.gulf.id, teams)
        # Figures from what she may read: own documents only, her salespeople's deals are not.
        self.assertEqual(rows[self.levant.id, self.adel.id]["pipeline"], 0.0)

    def test_grid_is_one_readonly_call_with_clear_errors(self):
        self.assertTrue(getattr(type(self.Grid).grid, "_readonly", False))
        self.assertTrue(getattr(type(self.Grid).action_open_documents, "_readonly", False))
        with self.assertRaises(UserError):
            self.Grid.with_user(self.manager).grid(date_from="not a date")
        with self.assertRaises(UserError):
            self.Grid.with_user(self.manager).grid(period_type="week")
        with self.assertRaises(UserError):
            self.Grid.with_user(self.manager).action_open_documents(
                "p50", "2026-01-01", "2026-03-31"
            )
        portal = new_test_user(self.env, login="grid_portal", groups="base.group_portal")
        with self.assertRaises(AccessError):
            self.Grid.with_user(portal).grid()
        month = self.Grid.with_user(self.manager).grid(
            date_from=fields.Date.to_string(self.today), period_type="month"
        )
        self.assertEqual(month["period"]["date_from"], self.today.replace(day=1))
        self.assertEqual(month["periods"]["quarter"], [self.start, self.end])

    def test_query_count_does_not_grow_with_salespeople(self):
        def queries():
            self._grid(self.manager)  # the caches of the rules, groups and registry
            self.env.flush_all()
            self.env.invalidate_all()
            queries = []
            execute = type(self.env.cr).execute

            def counted(cr, query, params=None, log_exceptions=True):
                queries.append(query)
                return execute(cr, query, params, log_exceptions)

            with patch.object(type(self.env.cr), "execute", counted):
                grid = self._grid(self.manager)
            return len(queries), grid

        few, _grid = queries()
        for number in range(5):
            rep = new_test_user(
                self.env, login=f"grid_more_{number}", groups="sales_team.group_sale_salesman",
                company_id=self.company.id, company_ids=self.company.ids,
            )  # fmt: skip
            self.gulf.member_ids = [Command.link(rep.id)]
            self._lead(rep, self.gulf, 100 * (number + 1), 50)
        many, grid = queries()
        gulf = next(team for team in grid["teams"] if team["team_id"] == self.gulf.id)
        self.assertEqual(len(gulf["rows"]), 1 + 5)
        self.assertEqual(gulf["figures"]["pipeline"], 800.0 + 1500)
        # Five more salespeople, their deals and memberships: no query more for them (at most
        # the four that reload the record rules' cache after users were created).
        self.assertLessEqual(many, few + 4, "a query per salesperson")
        self.assertLessEqual(few, 25)


class TestForecastCalls(GridCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._lead(cls.adel, cls.levant, 1000, 60, "commit")
        cls._lead(cls.badr, cls.levant, 2000, 95)
        cls._lead(cls.chadi, cls.gulf, 500, 50, "commit")

    def test_team_total_is_the_sum_of_latest_calls_adjusted_first(self):
        self._call(self.adel, self.adel, self.levant, 900, 1600, comment="Two deals signed")
        _rows, teams = self._rows(self._grid(self.manager))
        self.assertEqual(teams[self.levant.id]["commit"], 900.0 + 2000)  # Badr: computed
        # A new call replaces the last one; both are kept.
        self._call(self.adel, self.adel, self.levant, 950, 1700)
        self.assertEqual(
            self.Call.search_count([("user_id", "=", self.adel.id)]), 2, "history is kept"
        )
        rows, teams = self._rows(self._grid(self.manager))
        self.assertEqual(rows[self.levant.id, self.adel.id]["commit"], 950.0)
        self.assertEqual(rows[self.levant.id, self.adel.id]["submitted"]["commit"], 950.0)
        self.assertEqual(rows[self.levant.id, self.adel.id]["computed_commit"], 1000.0)
        self.assertEqual(teams[self.levant.id]["commit"], 2950.0)
        # The manager adjusts Badr's: the team's total follows.
        self._call(self.manager, self.badr, self.levant, 1500, 1800, "adjustment",
                   reason="The 95 % deal slips to next quarter")  # fmt: skip
        rows, teams = self._rows(self._grid(self.manager))
        self.assertEqual(rows[self.levant.id, self.badr.id]["commit"], 1500.0)
        self.assertEqual(teams[self.levant.id]["commit"], 950.0 + 1500)
        self.assertEqual(teams[self.levant.id]["best_case"], 1700.0 + 1800)
        # An adjustment stands over a later submission of the salesperson.
        self._call(self.badr, self.badr, self.levant, 2100, 2100)
        rows, _teams = self._rows(self._grid(self.manager))
        self.assertEqual(rows[self.levant.id, self.badr.id]["commit"], 1500.0)
        self.assertEqual(rows[self.levant.id, self.badr.id]["submitted"]["commit"], 2100.0)
        # The team leader adjusts the team as a whole: it overrides the sum.
        self._call(self.layla, False, self.levant, 3000, 3500, "adjustment",
                   reason="Known slippage across the team")  # fmt: skip
        grid = self._grid(self.manager)
        _rows, teams = self._rows(grid)
        self.assertEqual(teams[self.levant.id]["commit"], 3000.0)
        self.assertEqual(teams[self.levant.id]["rollup_commit"], 2450.0)
        # The company: the sum of its teams, adjusted as they are.
        self.assertEqual(grid["total"]["commit"], 3000.0 + 500)
        self.assertEqual(grid["total"]["best_case"], 3500.0 + 500)

    def test_salesperson_submits_own_call_only(self):
        call = self._call(self.adel, self.adel, self.levant, 900, 1600)
        self.assertEqual(call.submitted_by_id, self.adel)
        with self.assertRaises(AccessError):
            self._call(self.adel, self.badr, self.levant, 1, 2)
        with self.assertRaises(AccessError):
            self._call(self.adel, self.adel, self.levant, 1, 2, "adjustment", reason="More")
        with self.assertRaises(AccessError):
            self._call(self.adel, False, self.levant, 1, 2, "adjustment", reason="More")
        with self.assertRaises(AccessError):  # not his team
            self._call(self.adel, self.adel, self.gulf, 1, 2)
        with self.assertRaises(AccessError):  # calls are history
            call.with_user(self.adel).write({"commit": 2000})
        with self.assertRaises(AccessError):
            call.with_user(self.adel).unlink()
        # who and when are the system's
        forged = self._call(self.badr, self.badr, self.levant, 10, 20,
                            submitted_by_id=self.manager.id, submitted_on="2020-01-01")  # fmt: skip
        self.assertEqual(forged.submitted_by_id, self.badr)
        self.assertGreater(forged.submitted_on, fields.Datetime.to_datetime("2025-01-01"))

    def test_leader_adjusts_own_team_manager_all(self):
        adjusted = self._call(self.layla, self.adel, self.levant, 800, 900, "adjustment",
                              reason="Lost the big one")  # fmt: skip
        self.assertEqual(adjusted.submitted_by_id, self.layla)
        self._call(self.layla, self.badr, self.levant, 100, 200)  # for a salesperson of hers
        with self.assertRaises(AccessError):
            self._call(self.layla, self.chadi, self.gulf, 1, 2, "adjustment", reason="Not mine")
        self._call(self.manager, self.chadi, self.gulf, 400, 450, "adjustment", reason="Late")
        self._call(self.manager, False, self.gulf, 400, 450, "adjustment", reason="Late")

    def test_adjustment_needs_reason_and_sane_amounts(self):
        with self.assertRaises(ValidationError):
            self._call(self.manager, self.adel, self.levant, 800, 900, "adjustment", reason=" ")
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self._call(self.adel, self.adel, self.levant, 900, 100)  # best case below commit
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self._call(self.manager, False, self.levant, 900, 1000)  # a team call is adjusted

    def test_each_reads_the_calls_of_their_scope(self):
        own = self._call(self.adel, self.adel, self.levant, 900, 1600)
        colleague = self._call(self.badr, self.badr, self.levant, 100, 200)
        gulf = self._call(self.chadi, self.chadi, self.gulf, 300, 400)
        team = self._call(self.layla, False, self.levant, 1000, 1800, "adjustment", reason="Q")
        calls = own | colleague | gulf | team
        seen = lambda user: self.Call.with_user(user).search([("id", "in", calls.ids)])  # noqa: E731
        self.assertEqual(seen(self.adel), own)
        self.assertEqual(seen(self.layla), own | colleague | team)
        self.assertEqual(seen(self.manager), calls)
