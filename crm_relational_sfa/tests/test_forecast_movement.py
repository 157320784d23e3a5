from datetime import date, timedelta

from .common import MOMENT, Q2, Q3, ForecastCase

# MOMENT is Sunday 10 May 2026: its week starts Monday 4 May, the week before on 27 April.
LAST_WEEK = MOMENT - timedelta(days=7)
MOVEMENT_FIELDS = [
    "previous_forecast_id", "movement",
    "previous_p50", "previous_commit", "previous_best_case", "previous_weighted",
    "p50_change", "commit_change", "best_case_change", "weighted_change",
    "p50_change_pct", "commit_change_pct", "best_case_change_pct", "weighted_change_pct",
]  # fmt: skip


class TestForecastMovement(ForecastCase):
    """How each forecast line moved since last week's snapshot, against snapshots made here."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Nothing lost yet: Odoo's probabilities are used, every figure follows by hand.
        leads = cls._lead(
            "Commit in June", 2000, probability=40, date_deadline=date(2026, 6, 15),
            forecast_category="commit",
        ) | cls._lead(
            "Best case in June", 1000, probability=50, date_deadline=date(2026, 6, 20),
            forecast_category="best_case",
        )  # fmt: skip
        cls._dates(leads, MOMENT - timedelta(days=30))
        cls.Line = cls.env["crm.relational.forecast.line"]

    def _snapshot(self, moment, lines, kind="weekly"):
        return self.Forecast.create(
            {"company_id": self.company.id, "date": moment, "kind": kind,
             "period_type": "quarter", "line_ids": [(0, 0, line) for line in lines]}
        )  # fmt: skip

    @staticmethod
    def _figures(level, period, p50, commit, best_case, weighted, **owner):
        return {
            "level": level, "date_from": period[0], "date_to": period[1], "p50": p50,
            "commit": commit, "best_case": best_case, "weighted": weighted, **owner,
        }  # fmt: skip

    def _line(self, forecast, level, period, **owner):
        return forecast.line_ids.filtered(
            lambda line: (
                line.level == level
                and (line.date_from, line.date_to) == period
                and all(line[field].id == value for field, value in owner.items())
            )
        )

    def test_movement_since_last_weeks_snapshot(self):
        last_week = self._snapshot(
            LAST_WEEK,
            [
                self._figures("company", Q2, 1500, 2500, 2500, 1000),
                self._figures("salesperson", Q2, 1000, 1000, 1000, 1000, user_id=self.rep_a.id),
            ],
        )
        # A weekly snapshot of this week already: not last week's, it is not compared with.
        self._snapshot(MOMENT - timedelta(days=2), [self._figures("company", Q2, 9, 9, 9, 9)])
        forecast = self.Forecast._take(self.company, moment=MOMENT)

        company = self._line(forecast, "company", Q2)
        # Outcomes 0, 1000, 2000, 3000 with chances .3, .3, .2, .2: the P50 is 1000.
        self.assertRecordValues(
            company,
            [{"p50": 1000.0, "commit": 2000.0, "best_case": 3000.0, "weighted": 1300.0,
              "previous_forecast_id": last_week.id, "movement": "down",
              "previous_p50": 1500.0, "p50_change": -500.0,
              "previous_commit": 2500.0, "commit_change": -500.0,
              "previous_best_case": 2500.0, "best_case_change": 500.0,
              "previous_weighted": 1000.0, "weighted_change": 300.0}],
        )  # fmt: skip
        self.assertAlmostEqual(company.p50_change_pct, -100 / 3, delta=0.05)  # one decimal
        self.assertAlmostEqual(company.commit_change_pct, -20.0)
        self.assertAlmostEqual(company.best_case_change_pct, 20.0)
        self.assertAlmostEqual(company.weighted_change_pct, 30.0)

        rep_a = self._line(forecast, "salesperson", Q2, user_id=self.rep_a.id)
        self.assertRecordValues(
            rep_a,
            [{"movement": "flat", "previous_p50": 1000.0, "p50_change": 0.0,
              "p50_change_pct": 0.0, "weighted_change": 300.0}],
        )  # fmt: skip
        # The team had no line last week: new, compared with nothing, no percentage.
        team = self._line(forecast, "team", Q2, team_id=self.team.id)
        self.assertRecordValues(
            team,
            [{"movement": "new", "previous_forecast_id": last_week.id, "previous_p50": 0.0,
              "p50_change": 1000.0, "p50_change_pct": 0.0, "commit_change": 2000.0}],
        )  # fmt: skip
        self.assertEqual(set(self._line(forecast, "company", Q3).mapped("movement")), {"new"})

        # Grouped (pivot, graph), percentages are ratios of the sums, not means of ratios:
        # company and salesperson lines moved by -500 + 0 from 1500 + 1000.
        [(p50_pct, weighted_pct)] = self.Line._read_group(
            [("forecast_id", "=", forecast.id), ("level", "!=", "team"),
             ("date_from", "=", Q2[0])],
            [],
            ["p50_change_pct:avg", "weighted_change_pct:avg"],
        )  # fmt: skip
        self.assertAlmostEqual(p50_pct, 100 * -500 / 2500)
        self.assertAlmostEqual(weighted_pct, 100 * 600 / 2000)
        # "Since Last Week" grouping, as the search view offers it.
        groups = dict(
            self.Line._read_group([("forecast_id", "=", forecast.id)], ["movement"], ["__count"])
        )
        self.assertEqual(groups["down"], 1)
        self.assertEqual(groups["flat"], 1)
        self.assertEqual(groups["new"], len(forecast.line_ids) - 2)

        # The snapshot compared with is deleted: the lines say there is none any more.
        last_week.unlink()
        self.assertEqual(set(forecast.line_ids.mapped("movement")), {"none"})
        self.assertFalse(company.previous_forecast_id)
        self.assertFalse(company.previous_p50)

    def test_no_snapshot_a_week_old_says_so(self):
        # Last week's snapshot is two weeks before this one: nothing to compare with.
        self._snapshot(LAST_WEEK, [self._figures("company", Q2, 1500, 2500, 2500, 1000)])
        forecast = self.Forecast._take(self.company, moment=MOMENT + timedelta(days=14))
        self.assertTrue(forecast.line_ids)
        self.assertEqual(set(forecast.line_ids.mapped("movement")), {"none"})
        self.assertFalse(forecast.line_ids.previous_forecast_id)
        self.assertFalse(
            self.Line.search_count([("forecast_id", "=", forecast.id), ("movement", "!=", "none")]),
            "the Since Last Week filter shows the empty state, not zeros",
        )

    def test_group_attainment_is_the_ratio_of_the_sums(self):
        forecast = self._snapshot(
            MOMENT,
            [
                {**self._figures("salesperson", Q2, 800, 0, 0, 0, user_id=self.rep_a.id),
                 "closed": 300, "target": 1000},
                {**self._figures("salesperson", Q2, 100, 0, 0, 0, user_id=self.rep_b.id),
                 "closed": 100, "target": 100},
            ],
            kind="manual",
        )  # fmt: skip
        self.assertEqual(sorted(forecast.line_ids.mapped("attainment")), [30.0, 100.0])
        [(attainment, forecast_attainment)] = self.Line._read_group(
            [("forecast_id", "=", forecast.id)], [],
            ["attainment:avg", "forecast_attainment:avg"],
        )  # fmt: skip
        # 400 closed of 1100 targeted, not the mean of 30 % and 100 %.
        self.assertAlmostEqual(attainment, 100 * 400 / 1100)
        self.assertAlmostEqual(forecast_attainment, 100 * 900 / 1100)

    def test_movement_of_many_lines_in_a_fixed_number_of_queries(self):
        self._snapshot(
            LAST_WEEK,
            [self._figures("team", Q2, n, n, n, n, team_id=self.team.id) for n in range(5)],
        )
        users = [self.rep_a.id, self.rep_b.id]
        fields_ = [self.Line._fields[name] for name in MOVEMENT_FIELDS]

        def recompute_count(size):
            forecast = self._snapshot(
                MOMENT,
                [self._figures("salesperson", Q2, n, n, n, n, user_id=users[n % 2])
                 for n in range(size)],
                kind="manual",
            )  # fmt: skip
            self.env.flush_all()
            lines = forecast.line_ids
            self.env.invalidate_all()
            for field in fields_:
                self.env.add_to_compute(field, lines)
            before = self.env.cr.sql_log_count
            lines._recompute_recordset(MOVEMENT_FIELDS)
            self.env.flush_all()
            self.assertEqual(set(lines.mapped("movement")), {"new"})
            return self.env.cr.sql_log_count - before

        few, many = recompute_count(5), recompute_count(300)
        self.assertEqual(few, many, "the movement must not cost a query per line")
        self.assertLessEqual(many, 6)

    def test_forecast_by_team_opens_the_latest_forecast(self):
        # Team lines sum every deal of the team: for those who read all documents.
        self.rep_a.group_ids += self.env.ref("sales_team.group_sale_salesman_all_leads")
        Forecast = self.Forecast.with_user(self.rep_a).with_company(self.company)
        # Nothing taken yet: the action shows its empty state, not another company's lines.
        action = Forecast.action_open_by_team()
        self.assertEqual(action["domain"], [("forecast_id", "=", False)])
        self.assertIn("o_view_nocontent_smiling_face", action["help"])
        self._snapshot(LAST_WEEK, [self._figures("company", Q2, 1, 1, 1, 1)])
        latest = self.Forecast._take(self.company, moment=MOMENT)
        action = Forecast.action_open_by_team()
        self.assertEqual(action["domain"], [("forecast_id", "=", latest.id)])
        self.assertIn("'search_default_filter_team': 1", action["context"])
        lines = self.Line.with_user(self.rep_a).search(action["domain"] + [("level", "=", "team")])
        self.assertEqual(lines.team_id, self.team)
        self.assertEqual(lines.mapped("movement"), ["new"])
