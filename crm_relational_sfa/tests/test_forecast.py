import json
import random
from datetime import date, datetime, timedelta
from unittest.mock import patch

from dateutil.relativedelta import relativedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user

from .common import MOMENT, Q2, Q3, ForecastCase


class TestForecastArithmetic(ForecastCase):
    """The forecast of a small pipeline, every figure checked by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        won = cls._lead("Won in April", 1000)
        cls._lead("Won in March", 4000).action_set_won()
        won.action_set_won()
        cls._dates(won, datetime(2026, 2, 1), datetime(2026, 4, 20, 10))
        cls._dates(
            cls.env["crm.lead"].search([("name", "=", "Won in March")]),
            datetime(2026, 1, 1),
            datetime(2026, 3, 30),
        )
        service = cls.env["product.product"].create(
            {"name": "Consulting day", "type": "service", "list_price": 300}
        )
        order = cls.env["sale.order"].create(
            {"partner_id": cls.customer.id, "user_id": cls.rep_a.id, "team_id": cls.team.id,
             "company_id": cls.company.id,
             "order_line": [(0, 0, {"product_id": service.id, "price_unit": 300})]}
        )  # fmt: skip
        order.action_confirm()
        order.date_order = datetime(2026, 5, 2, 9)
        cls.open_leads = (
            cls._lead("Commit in June", 2000, probability=40, date_deadline=date(2026, 6, 15),
                      forecast_category="commit")
            | cls._lead("Best case in July", 500, probability=10, user_id=cls.rep_b.id,
                        team_id=False, date_deadline=date(2026, 7, 10),
                        forecast_category="best_case")
            | cls._lead("Left out", 800, probability=70, date_deadline=date(2026, 5, 30),
                        forecast_category="omitted")
            | cls._lead("Adjusted", 1000, probability=50, date_deadline=date(2026, 6, 1))
        )  # fmt: skip
        cls.open_leads[3].write(
            {"forecast_manager_category": "best_case", "forecast_manager_amount": 600}
        )
        cls._dates(cls.open_leads, datetime(2026, 3, 1))
        cls.env["crm.relational.sales.target"].create(
            [
                {"user_id": cls.rep_a.id, "amount": 2600, "company_id": cls.company.id,
                 "date_from": Q2[0], "date_to": Q2[1]},
                {"team_id": cls.team.id, "amount": 6000, "company_id": cls.company.id,
                 "date_from": date(2026, 4, 1), "date_to": date(2026, 9, 30)},
            ]
        )  # fmt: skip

    def _line(self, forecast, level, period, owner=None):
        field = {"salesperson": "user_id", "team": "team_id"}.get(level)
        return forecast.line_ids.filtered(
            lambda line: (
                line.level == level
                and (line.date_from, line.date_to) == period
                and (not field or line[field] == owner)
            )
        )

    def test_forecast_by_hand_without_history(self):
        # Nothing lost yet: no model can be learned, Odoo's probability and date are used.
        with self.assertRaises(UserError):
            self.Model._fit(self.company, MOMENT)
        forecast = self.Forecast._take(self.company, moment=MOMENT)
        self.assertFalse(forecast.model_id)
        q2 = self._line(forecast, "company", Q2)
        self.assertRecordValues(
            q2,
            [{"closed": 1300.0, "commit": 2000.0, "best_case": 2600.0,
              # 40 % of 2000 + 50 % of the manager's 600; the omitted one is left out
              "weighted": 1100.0, "repeat": 0.0,
              # Odoo's plain forecast: closed + 40 % of 2000 + 70 % of 800 + 50 % of 1000
              "odoo_weighted": 3160.0,
              # outcomes 0, 600, 2000, 2600 with chances .3, .3, .2, .2 over the closed 1300
              "p10": 1300.0, "p50": 1900.0, "p90": 3900.0,
              # the team's six-month target, 91 of its 183 days
              "target": 6000 * 91 / 183}],
        )  # fmt: skip
        rep_a = self._line(forecast, "salesperson", Q2, self.rep_a)
        self.assertRecordValues(rep_a, [{"closed": 1300.0, "target": 2600.0, "attainment": 50.0}])
        self.assertAlmostEqual(rep_a.forecast_attainment, 100 * rep_a.p50 / 2600, delta=0.05)
        q3_b = self._line(forecast, "salesperson", Q3, self.rep_b)
        self.assertRecordValues(
            q3_b, [{"closed": 0.0, "best_case": 500.0, "weighted": 50.0, "p10": 0.0, "p50": 0.0}]
        )
        self.assertAlmostEqual(self._line(forecast, "team", Q3, self.team).target, 6000 * 92 / 183)
        # The period is over: what closed is known and the error follows.
        self.assertEqual(q2.actual, 1300.0)
        self.assertEqual(q2.error, 600.0)
        self.assertEqual(q2.odoo_error, 3160.0 - 1300.0)

    def test_repeat_business_from_customers_outside_the_pipeline(self):
        loyal = self.env["res.partner"].create(
            {"name": "Loyal Buyer", "is_company": True, "user_id": self.rep_b.id}
        )
        self.env["crm.relational.profile"].create(
            {"partner_id": loyal.id, "company_id": self.company.id,
             "expected_orders": 12.0, "expected_order_value": 100.0}
        )  # fmt: skip
        # Cedar Trading has open opportunities: its own profile must not count twice.
        self.env["crm.relational.profile"].create(
            {"partner_id": self.customer.id, "company_id": self.company.id,
             "expected_orders": 50.0, "expected_order_value": 1000.0}
        )  # fmt: skip
        self.company.relational_clv_horizon_months = 12
        forecast = self.Forecast._take(self.company, moment=MOMENT)
        # 12 orders a year of 100; 52 days left in the second quarter, all 92 of the third.
        self.assertAlmostEqual(
            self._line(forecast, "salesperson", Q2, self.rep_b).repeat, 1200 * 52 / 365.25, 6
        )
        self.assertAlmostEqual(self._line(forecast, "company", Q3).repeat, 1200 * 92 / 365.25, 6)

    def test_salesperson_sees_own_lines_and_snapshots_are_weekly(self):
        # Taking a forecast reads every deal of the company: for managers only.
        with self.assertRaises(AccessError):
            self.Forecast.with_user(self.rep_a).with_company(self.company).action_take_now()
        manager = new_test_user(
            self.env, login="forecast_take_manager", groups="sales_team.group_sale_manager",
            company_id=self.company.id, company_ids=[(6, 0, self.company.ids)],
        )  # fmt: skip
        self.Forecast.with_user(manager).with_company(self.company).action_take_now()
        forecast = self.Forecast.search([("company_id", "=", self.company.id)], limit=1)
        self.assertEqual(forecast.kind, "manual")
        seen = (
            self.env["crm.relational.forecast.line"]
            .with_user(self.rep_a)
            .search([("forecast_id", "=", forecast.id)])
        )
        # Own documents only: his own line; team and company lines sum colleagues' deals.
        self.assertTrue(seen)
        self.assertEqual(set(seen.mapped("level")), {"salesperson"})
        self.assertEqual(seen.user_id, self.rep_a)
        self.Forecast._cron_weekly_snapshot()
        self.assertEqual(
            self.Forecast.search([("company_id", "=", self.company.id)], limit=1).kind, "weekly"
        )
        # Run again (or twice at once: the second waits for the lock): one snapshot a week.
        self.Forecast._cron_weekly_snapshot()
        self.assertEqual(
            self.Forecast.search_count(
                [("company_id", "=", self.company.id), ("kind", "=", "weekly")]
            ),
            1,
        )


class TestRecordedAsOdooRecords(ForecastCase):
    """The same history recorded three ways, as Odoo records it: won by ``action_set_won``
    (a tracked move into the won stage), lost by ``action_set_lost`` (archived, no stage
    change), or imported in its final state without any tracking. Who won depends on the stage;
    how it was recorded must not teach anything."""

    MOMENT = datetime(2026, 10, 1)

    @classmethod
    def _history(cls, company, imported):
        """160 closed and 40 open opportunities of ``company``; those whose number is in
        ``imported`` are created in their final state without tracking (closed or open)."""
        rng = random.Random(5)
        won_stage = cls.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        Lead = cls.env["crm.lead"].with_company(company)
        natives, dates, outcomes = {}, [], {}
        for n in range(200):
            rank = rng.randrange(3)
            created = datetime(2025, 9, 1) + timedelta(days=rng.randrange(330))
            closed = created + timedelta(days=rng.randrange(10, 70)) if n < 160 else None
            won = closed is not None and rng.random() < 0.15 + 0.3 * rank
            values = {"name": f"Recorded {n}", "type": "opportunity", "expected_revenue": 1000,
                      "company_id": company.id, "user_id": False, "team_id": False,
                      "partner_id": cls.customer.id, "stage_id": cls.stages[rank].id}  # fmt: skip
            if n in imported:
                final = {} if not closed else {"stage_id": won_stage.id, "probability": 100} if (
                    won) else {"active": False, "probability": 0}  # fmt: skip
                lead = Lead.with_context(tracking_disable=True).create({**values, **final})
            else:
                lead = Lead.create(values)
                if closed:
                    natives[lead] = won
            outcomes[lead] = won
            dates.append((lead, created, closed))
        cls.env.cr.precommit.run()  # created in one transaction, closed in later ones
        for lead, won in natives.items():
            lead.action_set_won() if won else lead.action_set_lost()
        cls.env.cr.precommit.run()
        cls.env.flush_all()
        for lead, created, closed in dates:
            cls._dates(lead, created, closed)
        return [lead for lead, _c, closed in dates if not closed]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.env["res.company"].create({"name": "Forecast Imports"})
        cls.mixed = cls.env["res.company"].create({"name": "Forecast Mixed"})
        cls.open = {
            "odoo": cls._history(cls.company, imported=set()),
            "imported": cls._history(cls.other, imported=set(range(200))),
            "mixed": cls._history(cls.mixed, imported=set(range(0, 200, 2))),
        }

    def test_recording_style_teaches_nothing(self):
        chances = {}
        for (style, leads), company in zip(
            self.open.items(), (self.company, self.other, self.mixed), strict=True
        ):
            values = self.Model._learn(company, self.MOMENT)
            model = self.Model.new({"company_id": company.id, "parameters": values["parameters"]})
            rows = self.Model._open_leads(company, self.MOMENT)
            self.assertEqual(len(rows), len(leads), style)
            F = model._score(rows, self.MOMENT)
            self.assertTrue(((F > 0) & (F < 1)).all(), style)
            chances[style] = F[:, -1]
            # The same stages are known to each way of recording: the stage of an imported
            # deal is unknown whatever its outcome, and no recording separates won from lost.
            self.assertNotEqual(values.get("brier"), 0.0)
        self.assertLess(abs(chances["odoo"].mean() - chances["imported"].mean()), 0.1)
        self.assertLess(abs(chances["odoo"].mean() - chances["mixed"].mean()), 0.1)
        # Recorded the Odoo way, the stage is learned: later stages win more.
        by_stage = {}
        for lead, chance in zip(self.open["odoo"], chances["odoo"], strict=True):
            by_stage.setdefault(lead.stage_id, []).append(chance)
        means = [sum(by_stage[stage]) / len(by_stage[stage]) for stage in self.stages]
        self.assertLess(means[0], means[2])


class TestWinProbability(ForecastCase):
    """Win probabilities learned from a generated history: calibrated, spread over the coming
    periods, replayed by the backtest."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rng = random.Random(11)
        won, lost, cls.history = [], [], []
        for n in range(400):
            rank = rng.randrange(3)
            amount = rng.choice((500, 1000, 5000))
            created = datetime(2025, 11, 1) + timedelta(days=rng.randrange(330))
            closed = created + timedelta(days=rng.randrange(10, 60))
            deadline = (created + timedelta(days=20)).date()
            outcome = rng.random() < 0.15 + 0.3 * rank
            lead = cls._lead(f"History {n}", amount, stage_id=cls.stages[rank].id,
                             date_deadline=deadline)  # fmt: skip
            (won if outcome else lost).append(lead)
            cls.history.append((lead, created, min(closed, datetime(2026, 11, 20))))
        # Created in one transaction and closed in later ones, as Odoo tracks them (a record
        # changed in the transaction that created it keeps no tracking of the change).
        cls.env.cr.precommit.run()
        cls.won = cls.env["crm.lead"].concat(*won)
        cls.won.action_set_won()
        cls.env["crm.lead"].concat(*lost).action_set_lost()
        cls.env.cr.precommit.run()
        for lead, created, closed in cls.history:
            cls._dates(lead, created, closed)

    def test_calibration_is_measured_on_the_latest_closed(self):
        with self.assertRaises(AccessError):
            self.Model.with_user(self.rep_a).with_company(self.company).action_fit_now()
        model = self.Model._fit(self.company)
        self.assertEqual(model.lead_count, 400)
        self.assertTrue(model.holdout_count)
        self.assertLess(model.brier, 0.25)
        self.assertLess(model.brier, model.brier_baseline + 0.02)
        self.assertAlmostEqual(model.won_rate, 100 * len(self.won) / 400, places=6)
        for _low, _high, count, predicted, observed in model.calibration:
            if count >= 40:
                self.assertAlmostEqual(predicted, observed, delta=0.15)
        self.assertIn("o_crm_relational_reliability", model.calibration_html)
        # Later stages win more (15 %, 45 %, 75 % of the deals): their weeks end won more often.
        by_stage = model.parameters["by_stage"]
        shares = [by_stage[str(stage.id)]["won"] for stage in self.stages]
        self.assertLess(shares[0], shares[1])
        self.assertLess(shares[1], shares[2])
        self.assertIn(self.stages[2].name, model.horizon_html)
        self.assertTrue(0 < model.brier < model.brier_base_rate)

        early, late = (
            self._lead("Early stage", 1000, stage_id=self.stages[0].id,
                       date_deadline=date(2026, 12, 1))
            | self._lead("Late stage", 1000, stage_id=self.stages[2].id)
        )  # fmt: skip
        model._score_open()
        self.assertGreater(late.relational_win_probability, early.relational_win_probability)
        for lead in early | late:
            self.assertTrue(0 < lead.relational_win_probability < 100)
            self.assertTrue(date.today() < lead.relational_close_date)
        self.assertAlmostEqual(
            early.relational_weighted_revenue, 10 * early.relational_win_probability
        )
        # The forecast spreads each chance over the periods: never more than the chance itself.
        snapshot = self.Forecast._take(self.company)
        weighted = sum(
            snapshot.line_ids.filtered(lambda line: line.level == "company").mapped("weighted")
        )
        self.assertGreater(weighted, 0)
        self.assertLessEqual(
            weighted,
            sum(lead.relational_win_probability / 100 * 1000 for lead in early | late) + 0.01,
        )
        self.assertEqual(len(set(snapshot.line_ids.mapped("date_from"))), 3)

    def test_backtest_compares_both_forecasts_with_what_closed(self):
        Backtest = self.env["crm.relational.forecast.backtest"]
        rows = Backtest._backtest(self.company, cutoffs=3, today=date(2026, 9, 15))
        self.assertEqual([row["start"] for row in rows], [date(2026, m, 1) for m in (4, 5, 6)])
        for row in rows:
            start = datetime.combine(row["start"], datetime.min.time())
            finish = datetime.combine(row["end"] + timedelta(days=1), datetime.min.time())
            self.assertEqual(row["end"], row["start"] + relativedelta(months=3, days=-1))
            opened = [
                lead for lead, created, closed in self.history
                if created <= start < closed
            ]  # fmt: skip
            self.assertEqual(row["open"], len(opened))
            self.assertEqual(len(row["periods"]), 3)
            self.assertAlmostEqual(
                row["actual"],
                sum(lead.expected_revenue for lead in opened
                    if lead in self.won and start <= lead.date_closed < finish),
            )  # fmt: skip
            self.assertAlmostEqual(row["actual"], sum(p["actual"] for p in row["periods"]))
            self.assertLessEqual(row["p10"], row["forecast"])
            self.assertLessEqual(row["forecast"], row["p90"])
            self.assertGreaterEqual(row["odoo"], 0)
            # Never certain, and scored against Odoo's own scoring and the base rate.
            self.assertTrue(0 < row["lowest"] <= row["highest"] < 1)
            for key in ("brier", "brier_odoo", "brier_base"):
                self.assertTrue(0 < row[key] < 1, key)
        # Odoo's own scoring was computed as of each cutoff, and nothing of it was kept.
        self.assertFalse(
            self.env["crm.lead"].search([("name", "like", "History"), ("active", "=", True),
                                         ("won_status", "=", "pending")])
        )  # fmt: skip

    def _notices(self):
        self.env.cr.precommit.run()  # the bus writes its notifications just before commit
        notices = self.env["bus.bus"].search([("message", "like", "simple_notification")])
        return [(notice.channel, json.loads(notice.message)["payload"]) for notice in notices]

    def test_backtest_in_the_background_records_progress_and_notifies(self):
        manager = new_test_user(
            self.env, login="fc_manager", groups="sales_team.group_sale_manager",
            company_id=self.company.id, company_ids=[(6, 0, self.company.ids)],
        )  # fmt: skip
        Backtest = self.env["crm.relational.forecast.backtest"]
        with self.assertRaises(AccessError):
            Backtest.with_user(self.rep_a).action_start()
        cron = self.env.ref("crm_relational_sfa.ir_cron_forecast_backtest")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        # From the win probability models' list, as a manager.
        action = self.Model.with_user(manager).action_backtest()
        run = Backtest.browse(action["res_id"])
        self.assertRecordValues(
            run,
            [{"state": "queued", "user_id": manager.id, "company_id": self.company.id,
              "period_type": "quarter", "period_count": 4, "done_count": 0, "progress": 0.0}],
        )  # fmt: skip
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1
        )
        # Clicked again while it waits: refused, one run at a time.
        with self.assertRaises(UserError):
            Backtest.with_user(manager).action_start()
        self.assertEqual(Backtest.search_count([("company_id", "=", self.company.id)]), 1)
        with self.assertRaisesRegex(UserError, "still running"):
            run.with_user(manager).unlink()

        run.write({"as_of": date(2026, 9, 15), "period_type": "month", "period_count": 3})
        self.env["bus.bus"].search([]).unlink()
        # The job runs out of time after the first cutoff: the run waits, a third done.
        progress = []

        def out_of_time(run, processed):
            progress.append((run.done_count, round(run.progress, 1), processed))
            return False

        with patch.object(type(Backtest), "_commit_progress", out_of_time):
            Backtest._cron_run()
        self.assertEqual(progress, [(1, 33.3, 1)])
        self.assertRecordValues(run, [{"state": "running", "done_count": 1}])
        self.assertFalse(self._notices(), "nobody is told before the end")
        with self.assertRaises(UserError):
            Backtest.with_user(manager).action_start()
        # Called again, the job carries on where it stood.
        Backtest._cron_run()
        expected = Backtest._backtest(
            self.company, cutoffs=3, period_type="month", today=date(2026, 9, 15)
        )
        self.assertEqual(len(expected), 3)
        self.assertEqual([row["start"] for row in run.rows], ["2026-04-01", "2026-05-01",
                                                            "2026-06-01"])  # fmt: skip
        mae = sum(abs(row["forecast"] - row["actual"]) for row in expected) / 3
        mae_odoo = sum(abs(row["odoo"] - row["actual"]) for row in expected) / 3
        scored = sum(row["scored"] for row in expected)
        brier = sum(row["brier"] * row["scored"] for row in expected) / scored
        self.assertTrue(scored)
        self.assertRecordValues(
            run, [{"state": "done", "done_count": 3, "progress": 100.0, "replayed_count": 3}]
        )
        self.assertAlmostEqual(run.mae, mae, places=2)
        self.assertAlmostEqual(run.mae_odoo, mae_odoo, places=2)
        self.assertAlmostEqual(run.brier, brier, places=4)
        self.assertLess(run.brier, 0.25)
        self.assertIn("o_crm_relational_backtest", run.rows_html)
        [(channel, payload)] = self._notices()
        self.assertIn(f'"res.partner",{manager.partner_id.id}]', channel)
        self.assertEqual(payload["type"], "success")
        self.assertIn("Backtest of 3 cutoffs finished", payload["message"])
        self.assertAlmostEqual(run.coverage, sum(row["hits"] for row in expected) / 0.09, places=4)
        self.assertIn(f"{brier:.3f}", payload["message"])
        self.assertEqual(payload["message"], run.message)
        # Finished: it may be run again.
        self.assertTrue(Backtest.with_user(manager).action_start()["res_id"])

    def test_backtest_failure_is_told(self):
        run = self.env["crm.relational.forecast.backtest"].create(
            {"company_id": self.company.id, "user_id": self.rep_a.id, "period_count": 2}
        )
        self.env["bus.bus"].search([]).unlink()
        with patch.object(
            type(self.env["crm.relational.forecast.backtest"]),
            "_backtest_cutoff",
            side_effect=ValueError("no data"),
        ):
            run._cron_run()
        self.assertRecordValues(run, [{"state": "failed", "done_count": 0}])
        self.assertIn("no data", run.message)
        [(_channel, payload)] = self._notices()
        self.assertEqual(payload["type"], "danger")
