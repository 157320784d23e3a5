from collections import defaultdict
from datetime import date, timedelta

import numpy as np
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..analytics import forecast
from .crm_relational_forecast_model import day_start

LEVELS = [("salesperson", "Salesperson"), ("team", "Sales Team"), ("company", "Company")]
# Monte Carlo draws behind the P10/P50/P90 of each line.
DRAWS = 2000
# First key of the advisory lock that keeps two weekly snapshots of a company apart.
SNAPSHOT_LOCK = 2_918_432


def period_bounds(day, kind):
    """First and last day of the month or quarter holding ``day``."""
    months = 3 if kind == "quarter" else 1
    start = date(day.year, (day.month - 1) // months * months + 1, 1)
    return start, start + relativedelta(months=months, days=-1)


class CrmRelationalForecast(models.Model):
    """The sales forecast of one company at one moment, per period and per salesperson, team
    and company: what closed, the committed and best-case amounts, the pipeline weighted by the
    learned win probabilities, the repeat business expected from customers not in the pipeline
    (crm_relational's lifetime value model), a P10/P50/P90 interval and the targets.

    Taken by hand or every week by a scheduled action; once a period is over, its lines show
    what really closed and the forecast's error."""

    _name = "crm.relational.forecast"
    _description = "Sales Forecast"
    _order = "date desc, id desc"
    _rec_name = "date"

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    date = fields.Datetime(string="Taken On", required=True, readonly=True)
    kind = fields.Selection(
        [("manual", "On Request"), ("weekly", "Weekly Snapshot")],
        required=True,
        readonly=True,
        help="On Request: taken when someone opened the forecast. Weekly Snapshot: kept every "
        "week by the scheduled action; next week's forecast shows how far it moved from it.",
    )
    period_type = fields.Selection(
        [("month", "Month"), ("quarter", "Quarter")],
        required=True,
        readonly=True,
        help="The company's forecast period when the forecast was taken (Sales settings).",
    )
    model_id = fields.Many2one(
        "crm.relational.forecast.model",
        string="Win Probability Model",
        readonly=True,
        help="Empty when the company had too little history: Odoo's probabilities were used.",
    )
    line_ids = fields.One2many("crm.relational.forecast.line", "forecast_id", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")

    def unlink(self):
        """The forecasts compared with a deleted snapshot are compared again (with another
        snapshot of that week, or with none)."""
        Line = self.env["crm.relational.forecast.line"]
        followers = Line.search([("previous_forecast_id", "in", self.ids)])
        result = super().unlink()
        followers = followers.exists()
        if followers:
            fields_ = [f for f in Line._fields.values() if f.compute == "_compute_movement"]
            for field in fields_:
                self.env.add_to_compute(field, followers)
            followers._recompute_recordset([field.name for field in fields_])
        return result

    # ------------------------------------------------------------------ inputs

    def _closed(self, company, start, end):
        """Revenue closed between ``start`` and ``end`` (dates) per (salesperson, team): won
        opportunities plus confirmed orders that came from no opportunity."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
            SELECT user_id, team_id, SUM(amount) FROM (
                SELECT l.user_id, l.team_id, l.expected_revenue AS amount
                  FROM crm_lead l
                 WHERE l.company_id = %(company)s AND l.type = 'opportunity'
                   AND l.won_status = 'won'
                   AND l.date_closed >= %(start)s AND l.date_closed < %(end)s
                UNION ALL
                SELECT o.user_id, o.team_id,
                       o.amount_untaxed / COALESCE(NULLIF(o.currency_rate, 0), 1)
                  FROM sale_order o
                 WHERE o.company_id = %(company)s AND o.state = 'sale'
                   AND o.opportunity_id IS NULL
                   AND o.date_order >= %(start)s AND o.date_order < %(end)s
            ) closed GROUP BY user_id, team_id
                """,
                company=company.id,
                start=day_start(start),
                end=day_start(end + timedelta(days=1)),
            )
        )
        return {(user, team): amount for user, team, amount in self.env.cr.fetchall()}

    def _repeat_customers(self, company, moment):
        """Customers with a lifetime-value estimate and no open opportunity: (salesperson,
        the salesperson's sales team, expected orders over the horizon, expected order value)."""
        self.env.cr.execute(
            SQL(
                """
            SELECT p.user_id, team.crm_team_id, prof.expected_orders, prof.expected_order_value
              FROM crm_relational_profile prof
              JOIN res_partner p ON p.id = prof.partner_id
              LEFT JOIN LATERAL (
                   SELECT m.crm_team_id FROM crm_team_member m
                     JOIN crm_team t ON t.id = m.crm_team_id
                    WHERE m.user_id = p.user_id AND m.active AND t.active
                      AND (t.company_id IS NULL OR t.company_id = %(company)s)
                    ORDER BY m.id LIMIT 1) team ON TRUE
             WHERE prof.company_id = %(company)s AND prof.expected_orders > 0
               AND prof.expected_order_value > 0
               AND NOT EXISTS (
                   SELECT 1 FROM crm_lead l JOIN res_partner c ON c.id = l.partner_id
                    WHERE c.commercial_partner_id = prof.partner_id
                      AND l.company_id = %(company)s AND l.type = 'opportunity'
                      AND l.create_date <= %(at)s
                      AND (l.date_closed > %(at)s OR (l.date_closed IS NULL
                           AND l.won_status = 'pending' AND l.active)))
                """,
                company=company.id,
                at=moment,
            )
        )
        return self.env.cr.fetchall()

    # ------------------------------------------------------------------ building

    @api.model
    def _take(self, company, kind="manual", moment=None):
        """Forecast the current and the next period of ``company`` as of ``moment`` (now by
        default: then the probabilities and closing dates the nightly job stored are used, and
        only opportunities it has not seen yet are scored)."""
        live = moment is None
        moment = moment or fields.Datetime.now()
        Model = self.env["crm.relational.forecast.model"]
        model = Model._current(company)
        if not model:
            try:
                with self.env.cr.savepoint():
                    model = Model._fit(company, moment)
            except UserError:
                model = Model
        # Forgotten customers' deals still count as revenue; nothing is learned from them.
        pipeline = Model._open_leads(company, moment, with_forgotten=True)
        leads = [lead for lead in pipeline if lead.category != "omitted"]
        if model and live:
            probabilities, closes = self._stored_scores(model, leads, moment)
        elif model:
            probabilities, closes = model._score(leads, moment)
        else:  # no history to learn from: Odoo's own probability and closing date
            probabilities = np.array([lead.probability / 100.0 for lead in leads])
            closes = [max(lead.date_deadline or moment.date(), moment.date()) for lead in leads]
        period_type = company.sfa_forecast_period
        first = period_bounds(moment.date(), period_type)
        periods = [first, period_bounds(first[1] + timedelta(days=1), period_type)]
        repeat = self._repeat_customers(company, moment)
        horizon_days = max(company.relational_clv_horizon_months, 1) * 365.25 / 12
        lines = []
        for start, end in periods:
            closed = self._closed(company, start, min(end, moment.date()))
            window = (end - max(start, moment.date())).days + 1
            in_period = [
                (lead, p)
                for lead, p, close in zip(leads, probabilities, closes, strict=True)
                if start <= close <= end
            ]
            odoo = [
                lead
                for lead in pipeline
                if lead.date_deadline and start <= lead.date_deadline <= end
            ]
            scaled = [(u, t, n * window / horizon_days, v) for u, t, n, v in repeat]
            levels = [
                self._level_sums(company, level, start, end, closed, in_period, odoo, scaled)
                for level, _label in LEVELS
            ]
            quantiles = forecast.simulate_levels(
                [p for _lead, p in in_period],
                [lead.forecast_amount for lead, _p in in_period],
                [
                    (
                        [level["index"][self._owner(level["level"], lead.user_id, lead.team_id)]
                         for lead, _p in in_period],
                        len(level["keys"]), level["rate"], level["value"],
                    )
                    for level in levels
                ],
                draws=DRAWS,
                seed=start.toordinal(),
            )  # fmt: skip
            for level, level_quantiles in zip(levels, quantiles, strict=True):
                lines += self._level_lines(level, start, end, level_quantiles)
        return self.create(
            {
                "company_id": company.id,
                "date": moment,
                "kind": kind,
                "period_type": period_type,
                "model_id": model.id,
                "line_ids": [(0, 0, values) for values in lines],
            }
        )

    @staticmethod
    def _stored_scores(model, leads, moment):
        """The stored win probabilities and closing dates; leads without any are scored now."""
        fresh = [lead for lead in leads if lead.stored_close is None]
        scored = {}
        if fresh:
            fresh_p, fresh_close = model._score(fresh, moment)
            scored = {
                lead.id: (float(p), close)
                for lead, p, close in zip(fresh, fresh_p, fresh_close, strict=True)
            }
        today = moment.date()
        pairs = [
            scored.get(lead.id) or (lead.stored_probability / 100.0, lead.stored_close)
            for lead in leads
        ]
        return np.array([p for p, _c in pairs]), [max(close, today) for _p, close in pairs]

    @staticmethod
    def _owner(level, user, team):
        return {"salesperson": (user or False,), "team": (team or False,)}.get(level, ())

    def _level_sums(self, company, level, start, end, closed, in_period, odoo, repeat):
        """The figures of one level (salesperson, team or company) for the period, per owner."""
        owner = self._owner
        sums = defaultdict(lambda: defaultdict(float))
        for (user, team), amount in closed.items():
            sums[owner(level, user, team)]["closed"] += amount
        for lead, p in in_period:
            figures = sums[owner(level, lead.user_id, lead.team_id)]
            figures["weighted"] += p * lead.forecast_amount
            if lead.category == "commit":
                figures["commit"] += lead.forecast_amount
            if lead.category in ("commit", "best_case"):
                figures["best_case"] += lead.forecast_amount
        for lead in odoo:
            sums[owner(level, lead.user_id, lead.team_id)]["odoo"] += (
                lead.probability / 100.0 * lead.expected_revenue
            )
        for user, team, orders, value in repeat:
            figures = sums[owner(level, user, team)]
            figures["repeat"] += orders * value
            figures["repeat_orders"] += orders
        targets = self._targets(company, level, start, end)
        # An owner with a target gets a line even without figures.
        keys = list(dict.fromkeys([*sums, *targets]))
        rate = [sums[key]["repeat_orders"] for key in keys]
        return {
            "level": level,
            "keys": keys,
            "sums": sums,
            "targets": targets,
            "index": {key: n for n, key in enumerate(keys)},
            "rate": rate,
            "value": [
                sums[key]["repeat"] / r if r else 0.0 for key, r in zip(keys, rate, strict=True)
            ],
        }

    def _level_lines(self, level, start, end, quantiles):
        """Line values of one level for the period, with its simulated quantiles."""
        keys, sums, targets, index = level["keys"], level["sums"], level["targets"], level["index"]
        level = level["level"]
        lines = []
        for key in keys:
            figures, (p10, p50, p90) = sums[key], quantiles[index[key]]
            lines.append(
                {
                    "level": level,
                    "user_id": key[0] if level == "salesperson" else False,
                    "team_id": key[0] if level == "team" else False,
                    "date_from": start,
                    "date_to": end,
                    "closed": figures["closed"],
                    "commit": figures["commit"],
                    "best_case": figures["best_case"],
                    "weighted": figures["weighted"],
                    "odoo_weighted": figures["closed"] + figures["odoo"],
                    "repeat": figures["repeat"],
                    "p10": figures["closed"] + p10,
                    "p50": figures["closed"] + p50,
                    "p90": figures["closed"] + p90,
                    "target": targets.get(key, 0.0),
                }
            )
        return lines

    def _targets(self, company, level, start, end):
        """Targets of the level's owners over the period, prorated by the days in common."""
        targets = self.env["crm.relational.sales.target"].search(
            [
                ("company_id", "=", company.id),
                ("date_from", "<=", end),
                ("date_to", ">=", start),
            ]
        )
        by_owner = defaultdict(float)
        for target in targets:
            common = (min(end, target.date_to) - max(start, target.date_from)).days + 1
            share = target.amount * common / ((target.date_to - target.date_from).days + 1)
            if level == "salesperson" and target.user_id:
                by_owner[(target.user_id.id,)] += share
            elif level == "team" and target.team_id and not target.user_id:
                by_owner[(target.team_id.id,)] += share
            elif level == "company":
                by_owner["team" if target.team_id and not target.user_id else "user"] += share
        if level == "company":
            return {(): by_owner.get("team") or by_owner.get("user", 0.0)}
        return by_owner

    # ------------------------------------------------------------------ jobs and actions

    @api.model
    def _cron_weekly_snapshot(self):
        """Keep this week's forecast of every company, for managers to see how it moves: one
        per company and week, even when two runs overlap (the second waits for the first's
        lock, then finds the week's snapshot taken)."""
        week_start = fields.Date.context_today(self) - timedelta(
            days=fields.Date.context_today(self).weekday()
        )
        for company in self.env["res.company"].search([("active", "=", True)]):
            self.env.cr.execute(
                SQL("SELECT pg_advisory_xact_lock(%s, %s)", SNAPSHOT_LOCK, company.id)
            )
            taken = self.search_count(
                [("company_id", "=", company.id), ("kind", "=", "weekly"),
                 ("date", ">=", fields.Datetime.to_datetime(week_start))]
            )  # fmt: skip
            if not taken:
                self.with_company(company)._take(company, kind="weekly")

    @api.model
    def action_take_now(self):
        """Forecast the current company now and show its lines (sales force managers: it
        reads every opportunity of the company). Refused while another forecast of the company
        is being taken."""
        if not self.env.user.has_group("crm_relational_sfa.group_manager"):
            raise AccessError(self.env._("Only sales managers take a forecast of the company."))
        self.check_access("create")
        company = self.env.company
        if not self._try_lock(SNAPSHOT_LOCK, company):
            raise UserError(
                self.env._(
                    "A forecast of %(company)s is already running; open it again in a moment.",
                    company=company.name,
                )
            )
        # sudo: the forecast covers every salesperson of the company; the record rules on its
        # lines decide what each one sees
        snapshot = self.sudo()._take(company).sudo(False)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relational_sfa.action_crm_relational_forecast_line"
        )
        action["domain"] = [("forecast_id", "=", snapshot.id)]
        return action

    @api.model
    def action_open_by_team(self):
        """The latest forecast of the current company, by team and period (pivot and graph),
        with its movement since last week; empty (with what to do) when none was taken."""
        latest = self.search([("company_id", "=", self.env.company.id)], limit=1)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relational_sfa.action_crm_relational_forecast_team"
        )
        action["domain"] = [("forecast_id", "=", latest.id)]
        return action

    @api.model
    def _try_lock(self, key, company):
        """Take the transaction-level advisory lock ``(key, company)`` if it is free: False
        while another transaction (a user's run or the scheduled job) holds it."""
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", key, company.id))
        return self.env.cr.fetchone()[0]

    # ------------------------------------------------------------------ backtest

    @api.model
    def _backtest(self, company, periods=6, period_type="month", today=None):
        """Replay the last ``periods`` closed periods (see ``_backtest_period``); the periods
        with too little history to learn from are left out."""
        today = today or fields.Date.context_today(self)
        rows = [
            self._backtest_period(company, start, end, today)
            for start, end in self._backtest_bounds(periods, period_type, today)
        ]
        return [row for row in rows if row]

    @api.model
    def _backtest_bounds(self, periods, period_type, today):
        """First and last day of the last ``periods`` periods over before ``today``, oldest
        first."""
        end = period_bounds(today, period_type)[0] - timedelta(days=1)
        bounds = []
        for _period in range(periods):
            start = period_bounds(end, period_type)[0]
            bounds.insert(0, (start, end))
            end = start - timedelta(days=1)
        return bounds

    @api.model
    def _backtest_period(self, company, start, end, today):
        """Replay one closed period: at its start, learn from what had closed, score the
        opportunities then open, and compare the revenue they were forecast to bring within
        the period with what they did, for this forecast (learned probability, corrected
        closing date) and Odoo's plain one (the stage's won odds as of then, times the expected
        revenue of the opportunities whose expected closing falls in the period). The win
        probabilities of those closed by ``today`` are scored too (Brier score, both ways).
        None when nothing was won or nothing lost yet at the start: no forecast to replay."""
        Model = self.env["crm.relational.forecast.model"]
        moment = day_start(start)
        try:
            params = Model._learn(company, moment)["parameters"]
        except UserError:
            return None
        leads = Model._open_leads(company, moment)
        model = Model.new({"company_id": company.id, "parameters": params})
        probabilities, closes = model._score(leads, moment)
        finish = day_start(end + timedelta(days=1))
        actual = sum(
            lead.expected_revenue
            for lead in leads
            if lead.won_status == "won" and moment <= lead.date_closed < finish
        )
        ours = sum(
            p * lead.expected_revenue
            for lead, p, close in zip(leads, probabilities, closes, strict=True)
            if start <= close <= end
        )
        stages = Model._visits(leads, Model._stage_ranks(), Model._stage_history(leads))
        odds = [params["odds"].get(str(_stage_at(stages[lead.id], moment)), 0.0) for lead in leads]
        plain = sum(
            p * lead.expected_revenue
            for lead, p in zip(leads, odds, strict=True)
            if lead.date_deadline and start <= lead.date_deadline <= end
        )
        known = day_start(today)
        scored = [
            (float(p), stage_p, lead.won_status == "won")
            for lead, p, stage_p in zip(leads, probabilities, odds, strict=True)
            if lead.won_status in ("won", "lost") and lead.date_closed and lead.date_closed < known
        ]
        return {
            "start": start,
            "end": end,
            "open": len(leads),
            "actual": actual,
            "forecast": ours,
            "odoo": plain,
            "scored": len(scored),
            "brier": forecast.brier([p for p, _o, _w in scored], [w for _p, _o, w in scored]),
            "brier_odoo": forecast.brier([o for _p, o, _w in scored], [w for _p, _o, w in scored]),
        }


def _stage_at(visits, moment):
    stage = visits[0][0]
    for visited, entered in visits:
        if entered <= moment:
            stage = visited
    return stage
