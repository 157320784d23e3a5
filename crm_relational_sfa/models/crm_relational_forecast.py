from collections import defaultdict
from datetime import date, timedelta

import numpy as np
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.crm_relational.models.crm_relational_job import advisory_lock

from ..analytics import forecast, season, win
from .crm_relational_forecast_model import day_start

LEVELS = [("salesperson", "Salesperson"), ("team", "Sales Team"), ("company", "Company")]
# Monte Carlo draws behind the P10/P50/P90 of each line.
DRAWS = 2000
# Periods a forecast shows: the current one and the next two.
PERIODS = 3


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

    def _seasonal_factors(self, company, moment):
        """Month-of-year factors of the company's confirmed orders before ``moment``."""
        self.env.cr.execute(
            SQL(
                """
            SELECT date_trunc('month', date_order)::date, COUNT(*), MIN(date_order)::date
              FROM sale_order
             WHERE company_id = %s AND state = 'sale' AND date_order < %s
             GROUP BY 1
                """,
                company.id,
                moment,
            )
        )
        rows = self.env.cr.fetchall()
        counts = {month: count for month, count, _first in rows}
        first = min((first for _m, _c, first in rows), default=None)
        return season.monthly_factors(counts, first, moment.date())

    def _spend_shape(self, company):
        """Gamma-Gamma's shape *p* of the company's latest profile run: the spread of one order's
        value around the customer's mean (None without a lifetime-value model)."""
        run = self.env["crm.relational.run"].search(
            [("company_id", "=", company.id), ("parameters", "!=", False)], limit=1
        )
        spend = ((run.parameters or {}).get("lifetime") or {}).get("gamma_gamma") or {}
        return spend.get("p")

    # ------------------------------------------------------------------ building

    @api.model
    def _periods(self, company, day, count=PERIODS):
        """The company's forecast periods from the one holding ``day``: (first, last) dates."""
        period_type = company.sfa_forecast_period
        periods = [period_bounds(day, period_type)]
        while len(periods) < count:
            periods.append(period_bounds(periods[-1][1] + timedelta(days=1), period_type))
        return periods

    @api.model
    def _chances(self, leads, moment, periods, F=None):
        """Per lead, the chance of being won in each period (leads x periods) and its likely
        closing date: from its chances of being won by each coming week ``F``, or without them
        from Odoo's probability with the expected closing date (overdue or none: the first
        period)."""
        today = moment.date()
        if F is not None:
            bounds = [((max(a, today) - today).days, (b - today).days) for a, b in periods]
            days = win.median_close_days(F)
            closes = [today + timedelta(days=round(d)) for d in days]
            return win.period_probabilities(F, bounds), closes
        P = np.zeros((len(leads), len(periods)))
        closes = []
        for row, lead in enumerate(leads):
            close = max(lead.date_deadline or today, today)
            closes.append(close)
            for column, (start, end) in enumerate(periods):
                if start <= close <= end:
                    P[row, column] = lead.probability / 100.0
        return P, closes

    @api.model
    def _take(self, company, kind="manual", moment=None):
        """Forecast the current and the next periods of ``company`` as of ``moment`` (now by
        default): every open opportunity is scored as it is then, its chance spread over the
        periods by the learned closing time."""
        moment = moment or fields.Datetime.now()
        model, pipeline, F = self.env["crm.relational.forecast.model"]._pipeline(company, moment)
        kept = [number for number, lead in enumerate(pipeline) if lead.category != "omitted"]
        leads = [pipeline[number] for number in kept]
        today = moment.date()
        periods = self._periods(company, today)
        chances, closes = self._chances(leads, moment, periods, None if F is None else F[kept])
        repeat = self._repeat_customers(company, moment)
        factors = self._seasonal_factors(company, moment)
        horizon_days = max(company.relational_clv_horizon_months, 1) * 365.25 / 12
        sums = []
        for column, (start, end) in enumerate(periods):
            closed = self._closed(company, start, min(end, today))
            share = season.window_share(factors, max(start, today), end) / horizon_days
            in_period = [
                (lead, float(p), close)
                for lead, p, close in zip(leads, chances[:, column], closes, strict=True)
            ]
            odoo = [
                lead for lead in pipeline if start <= max(lead.date_deadline or today, today) <= end
            ]
            scaled = [(u, t, n * share, v) for u, t, n, v in repeat]
            sums.append(
                [
                    self._level_sums(company, level, start, end, closed, in_period, odoo, scaled)
                    for level, _label in LEVELS
                ]
            )
        lines = []
        if leads or repeat or any(level["keys"] for period in sums for level in period):
            drift = (model.parameters or {}).get("drift", win.DRIFT_RANGE[1]) if model else 0.0
            lines = self._simulated_lines(
                periods, sums, leads, chances, self._spend_shape(company), drift
            )
        return self.create(
            {
                "company_id": company.id,
                "date": moment,
                "kind": kind,
                "period_type": company.sfa_forecast_period,
                "model_id": model.id,
                "line_ids": [(0, 0, values) for values in lines],
            }
        )

    def _simulated_lines(self, periods, sums, leads, chances, spend_shape, drift):
        """The lines of every period and level, with P10/P50/P90 drawn for all at once (the
        learned model's own error spread in ``drift``)."""
        levels, indexes = [], []
        for number, (level, _label) in enumerate(LEVELS):
            # every owner of the level, of any period or opportunity, in one index
            owners = [self._owner(level, lead.user_id, lead.team_id) for lead in leads]
            keys = dict.fromkeys([*(k for period in sums for k in period[number]["keys"]), *owners])
            index = {key: n for n, key in enumerate(keys)}
            indexes.append(index)
            rate = np.zeros((len(periods), len(keys)))
            value = np.zeros((len(periods), len(keys)))
            for column, period in enumerate(sums):
                for key, n in index.items():
                    figures = period[number]["sums"].get(key) or {}
                    rate[column, n] = figures.get("repeat_orders", 0.0)
                    if rate[column, n]:
                        value[column, n] = figures["repeat"] / rate[column, n]
            levels.append(([index[owner] for owner in owners], len(keys), rate, value))
        by_period, _total = forecast.simulate_periods(
            chances,
            [lead.forecast_amount for lead in leads],
            levels,
            spend_shape=spend_shape,
            drift=drift,
            draws=DRAWS,
            seed=periods[0][0].toordinal(),
        )
        lines = []
        for column, (start, end) in enumerate(periods):
            for number, index in enumerate(indexes):
                figures = sums[column][number]
                lines += self._level_lines(
                    figures, start, end, {key: by_period[number][column][index[key]]
                                          for key in figures["keys"]}
                )  # fmt: skip
        return lines

    @staticmethod
    def _owner(level, user, team):
        return {"salesperson": (user or False,), "team": (team or False,)}.get(level, ())

    def _level_sums(self, company, level, start, end, closed, in_period, odoo, repeat):
        """The figures of one level (salesperson, team or company) for the period, per owner:
        ``in_period`` holds each open opportunity with its chance of being won in the period and
        its likely closing date (the commit and best case count those likely to close then)."""
        owner = self._owner
        sums = defaultdict(lambda: defaultdict(float))
        for (user, team), amount in closed.items():
            sums[owner(level, user, team)]["closed"] += amount
        for lead, p, close in in_period:
            figures = sums[owner(level, lead.user_id, lead.team_id)]
            figures["weighted"] += p * lead.forecast_amount
            if start <= close <= end:
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
        # An owner with a target gets a line even without figures; an owner with only
        # opportunities unlikely in the period gets none.
        keys = [
            key for key in dict.fromkeys([*sums, *targets])
            if key in targets or any(abs(v) > 1e-9 for v in sums[key].values())
        ]  # fmt: skip
        return {"level": level, "keys": keys, "sums": sums, "targets": targets}

    def _level_lines(self, figures, start, end, quantiles):
        """Line values of one level for the period, with its simulated quantiles."""
        level, sums, targets = figures["level"], figures["sums"], figures["targets"]
        lines = []
        for key in figures["keys"]:
            owner, (p10, p50, p90) = sums[key], quantiles[key]
            lines.append(
                {
                    "level": level,
                    "user_id": key[0] if level == "salesperson" else False,
                    "team_id": key[0] if level == "team" else False,
                    "date_from": start,
                    "date_to": end,
                    "closed": owner["closed"],
                    "commit": owner["commit"],
                    "best_case": owner["best_case"],
                    "weighted": owner["weighted"],
                    "odoo_weighted": owner["closed"] + owner["odoo"],
                    "repeat": owner["repeat"],
                    "p10": owner["closed"] + p10,
                    "p50": owner["closed"] + p50,
                    "p90": owner["closed"] + p90,
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
            advisory_lock(self.env.cr, "forecast_snapshot", company.id, wait=True)
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
        if not advisory_lock(self.env.cr, "forecast_snapshot", company.id):
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
