from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .crm_relational_forecast import LEVELS

# The figures whose movement since last week's snapshot is shown.
MOVING = ("p50", "commit", "best_case", "weighted")
MOVEMENTS = [
    ("up", "Up"),
    ("down", "Down"),
    ("flat", "Unchanged"),
    ("new", "New Since Last Week"),
    ("none", "No Snapshot a Week Old"),
]
# Aggregated as the ratio of the sums of two figures (pivot, graph, grouped list), not as the
# mean of the lines' ratios: a team's attainment is its closed over its target.
RATIOS = {
    "attainment": ("closed", "target"),
    "forecast_attainment": ("p50", "target"),
    **{f"{figure}_change_pct": (f"{figure}_change", f"previous_{figure}") for figure in MOVING},
}


class CrmRelationalForecastLine(models.Model):
    """One period of one salesperson, team or the whole company in a sales forecast."""

    _name = "crm.relational.forecast.line"
    _description = "Sales Forecast Line"
    _order = "forecast_id desc, date_from, level desc, p50 desc, id"

    forecast_id = fields.Many2one(
        "crm.relational.forecast", required=True, index=True, ondelete="cascade"
    )
    forecast_date = fields.Datetime(related="forecast_id.date", store=True, string="Taken On")
    forecast_kind = fields.Selection(
        related="forecast_id.kind",
        store=True,
        string="Kind",
        help="On Request: taken when someone opened the forecast. Weekly Snapshot: kept every "
        "week by the scheduled action, to see how the forecast moves.",
    )
    company_id = fields.Many2one(related="forecast_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    level = fields.Selection(
        LEVELS,
        required=True,
        help="Whose figures the line sums: one salesperson's opportunities, one sales team's, "
        "or the whole company's.",
    )
    user_id = fields.Many2one("res.users", string="Salesperson", index=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", index=True)
    date_from = fields.Date(string="Period Start", required=True)
    date_to = fields.Date(string="Period End", required=True)
    closed = fields.Monetary(
        help="Won opportunities, and confirmed orders that came from no opportunity, of the "
        "period so far.",
    )
    commit = fields.Monetary(
        help="Open opportunities in the Commit category likely to close within."
    )
    best_case = fields.Monetary(
        help="Open opportunities in the Commit or Best Case category likely to close within.",
    )
    weighted = fields.Monetary(
        string="Weighted Pipeline",
        help="Open opportunities likely to close within, each times its learned win probability.",
    )
    odoo_weighted = fields.Monetary(
        string="Odoo Forecast",
        help="Odoo's plain forecast for comparison: closed, plus each open opportunity expected "
        "to close within times its probability.",
    )
    repeat = fields.Monetary(
        string="Repeat Business",
        help="Orders expected within from customers with no open opportunity (lifetime value "
        "model of Relationships).",
    )
    p10 = fields.Monetary(help="Nine chances in ten to close at least this.")
    p50 = fields.Monetary(string="Forecast (P50)", help="As likely to close more as less.")
    p90 = fields.Monetary(help="One chance in ten to close more than this.")
    target = fields.Monetary(help="The targets of the period, prorated by the days in common.")
    attainment = fields.Float(
        string="Attainment (%)",
        compute="_compute_attainment",
        store=True,
        aggregator="avg",
        digits=(16, 1),
        help="Closed against the target (of a group: its closed over its target).",
    )
    forecast_attainment = fields.Float(
        string="Forecast Attainment (%)",
        compute="_compute_attainment",
        store=True,
        aggregator="avg",
        digits=(16, 1),
        help="The P50 forecast against the target (of a group: its P50 over its target).",
    )
    actual = fields.Monetary(
        compute="_compute_actual",
        help="What really closed in the period, once it is over.",
    )
    error = fields.Monetary(
        string="Forecast Error",
        compute="_compute_actual",
        help="P50 forecast minus what really closed, once the period is over.",
    )
    odoo_error = fields.Monetary(
        string="Odoo Forecast Error",
        compute="_compute_actual",
        help="Odoo's plain forecast minus what really closed, once the period is over.",
    )

    # Movement since last week's snapshot: stored, as lists are sorted, filtered and grouped
    # by it; computed once when the forecast is taken (its figures never change after).
    previous_forecast_id = fields.Many2one(
        "crm.relational.forecast",
        string="Compared With",
        compute="_compute_movement",
        store=True,
        ondelete="set null",
        help="The weekly snapshot of the calendar week before this forecast was taken, the "
        "movement is measured against. Empty when there is none: no movement is shown.",
    )
    movement = fields.Selection(
        MOVEMENTS,
        string="Since Last Week",
        compute="_compute_movement",
        store=True,
        help="Where the P50 forecast went since last week's snapshot. New: the salesperson or "
        "team had no line for this period last week. No Snapshot a Week Old: the weekly "
        "snapshot of last week is missing (it is taken every week by a scheduled action), so "
        "nothing can be compared.",
    )
    previous_p50 = fields.Monetary(
        string="P50 Last Week",
        compute="_compute_movement",
        store=True,
        help="The P50 forecast of the same period and owner in last week's snapshot.",
    )
    previous_commit = fields.Monetary(
        string="Commit Last Week",
        compute="_compute_movement",
        store=True,
        help="The committed amount of the same period and owner in last week's snapshot.",
    )
    previous_best_case = fields.Monetary(
        string="Best Case Last Week",
        compute="_compute_movement",
        store=True,
        help="The best-case amount of the same period and owner in last week's snapshot.",
    )
    previous_weighted = fields.Monetary(
        string="Weighted Last Week",
        compute="_compute_movement",
        store=True,
        help="The weighted pipeline of the same period and owner in last week's snapshot.",
    )
    p50_change = fields.Monetary(
        string="P50 Change Since Last Week",
        compute="_compute_movement",
        store=True,
        help="P50 forecast now minus last week's.",
    )
    commit_change = fields.Monetary(
        string="Commit Change Since Last Week",
        compute="_compute_movement",
        store=True,
        help="Committed amount now minus last week's.",
    )
    best_case_change = fields.Monetary(
        string="Best Case Change Since Last Week",
        compute="_compute_movement",
        store=True,
        help="Best-case amount now minus last week's.",
    )
    weighted_change = fields.Monetary(
        string="Weighted Change Since Last Week",
        compute="_compute_movement",
        store=True,
        help="Weighted pipeline now minus last week's.",
    )
    p50_change_pct = fields.Float(
        string="P50 Change (%)",
        compute="_compute_movement",
        store=True,
        aggregator="avg",
        digits=(16, 1),
        help="The P50 change against last week's P50 (empty when last week's was zero).",
    )
    commit_change_pct = fields.Float(
        string="Commit Change (%)",
        compute="_compute_movement",
        store=True,
        aggregator="avg",
        digits=(16, 1),
        help="The commit change against last week's commit (empty when it was zero).",
    )
    best_case_change_pct = fields.Float(
        string="Best Case Change (%)",
        compute="_compute_movement",
        store=True,
        aggregator="avg",
        digits=(16, 1),
        help="The best-case change against last week's best case (empty when it was zero).",
    )
    weighted_change_pct = fields.Float(
        string="Weighted Change (%)",
        compute="_compute_movement",
        store=True,
        aggregator="avg",
        digits=(16, 1),
        help="The weighted pipeline change against last week's (empty when it was zero).",
    )

    @api.depends("closed", "p50", "target")
    def _compute_attainment(self):
        for line in self:
            line.attainment = 100.0 * line.closed / line.target if line.target else 0.0
            line.forecast_attainment = 100.0 * line.p50 / line.target if line.target else 0.0

    @api.depends(
        "forecast_id.date", "forecast_id.company_id", "level", "user_id", "team_id",
        "date_from", "date_to", *MOVING,
    )  # fmt: skip
    def _compute_movement(self):
        """Compare each line with the line of the same period, level and owner in the weekly
        snapshot of the calendar week before its forecast was taken (UTC weeks, Monday first,
        as the weekly job counts them): two queries for any number of lines, one finding the
        snapshot of each forecast, one reading their lines."""
        previous = self._previous_snapshots(self.forecast_id.filtered("id"))
        figures = self._snapshot_figures(set(previous.values()))
        empty = dict.fromkeys(
            [f"previous_{f}" for f in MOVING]
            + [f"{f}_change" for f in MOVING]
            + [f"{f}_change_pct" for f in MOVING],
            False,
        )
        for line in self:
            snapshot = previous.get(line.forecast_id.id)
            if not snapshot:
                line.update({**empty, "previous_forecast_id": False, "movement": "none"})
                continue
            before = figures.get((snapshot, *line._movement_key()))
            values = {"previous_forecast_id": snapshot}
            for figure in MOVING:
                last_week = before[figure] if before else 0.0
                change = line[figure] - last_week
                values[f"previous_{figure}"] = last_week
                values[f"{figure}_change"] = change
                values[f"{figure}_change_pct"] = 100.0 * change / last_week if last_week else False
            if not before:
                values["movement"] = "new"
            elif line.currency_id.is_zero(values["p50_change"]):
                values["movement"] = "flat"
            else:
                values["movement"] = "up" if values["p50_change"] > 0 else "down"
            line.update(values)

    @api.depends("date_to", "level", "user_id", "team_id")
    def _compute_actual(self):
        today = fields.Date.context_today(self)
        done = self.filtered(lambda line: line.date_to < today)
        (self - done).update({"actual": 0.0, "error": 0.0, "odoo_error": 0.0})
        # One query per company and period, whatever the number of lines.
        periods = defaultdict(self.browse)
        for line in done:
            periods[line.company_id, line.date_from, line.date_to] |= line
        Forecast = self.env["crm.relational.forecast"]
        for (company, start, end), lines in periods.items():
            closed = Forecast._closed(company, start, end)
            for line in lines:
                actual = sum(
                    amount
                    for (user, team), amount in closed.items()
                    if Forecast._owner(line.level, user, team)
                    == Forecast._owner(line.level, line.user_id.id, line.team_id.id)
                )
                line.actual = actual
                line.error = line.p50 - actual
                line.odoo_error = line.odoo_weighted - actual

    # ------------------------------------------------------------------ aggregation

    def _read_group_select(self, aggregate_spec, query):
        """Ratios (attainment, change in %) of a group are the ratio of its sums."""
        fname, _sep, func = aggregate_spec.partition(":")
        if fname not in RATIOS or func not in ("avg", "sum"):
            return super()._read_group_select(aggregate_spec, query)
        numerator, denominator = RATIOS[fname]
        return SQL(
            "100.0 * SUM(%s) / NULLIF(SUM(%s), 0)",
            self._field_to_sql(self._table, numerator, query),
            self._field_to_sql(self._table, denominator, query),
        )

    # ------------------------------------------------------------------ movement helpers

    def _movement_key(self):
        """What identifies the line of the same owner and period in another snapshot."""
        return (
            self.level, self.user_id.id or 0, self.team_id.id or 0, self.date_from, self.date_to
        )  # fmt: skip

    def _previous_snapshots(self, forecasts):
        """{forecast id: id of the latest weekly snapshot of its company taken in the calendar
        week before it}, forecasts without one left out; one query."""
        if not forecasts:
            return {}
        self.env["crm.relational.forecast"].flush_model(["company_id", "date", "kind"])
        week_starts = [
            fields.Datetime.to_datetime(
                forecast.date.date() - timedelta(days=forecast.date.weekday())
            )
            for forecast in forecasts
        ]
        self.env.cr.execute(
            SQL(
                """
            SELECT cur.id, prev.id
              FROM unnest(%s::int[], %s::int[], %s::timestamp[]) AS cur(id, company_id, week)
              JOIN LATERAL (
                   SELECT f.id FROM crm_relational_forecast f
                    WHERE f.company_id = cur.company_id AND f.kind = 'weekly'
                      AND f.date >= cur.week - INTERVAL '7 days' AND f.date < cur.week
                    ORDER BY f.date DESC, f.id DESC LIMIT 1) prev ON TRUE
                """,
                forecasts.ids,
                [forecast.company_id.id for forecast in forecasts],
                week_starts,
            )
        )
        return dict(self.env.cr.fetchall())

    def _snapshot_figures(self, forecast_ids):
        """{(forecast id, *movement key): {figure: value}} of the lines of ``forecast_ids``;
        one query."""
        if not forecast_ids:
            return {}
        self.flush_model(["forecast_id", "level", "user_id", "team_id", "date_from", "date_to",
                          *MOVING])  # fmt: skip
        self.env.cr.execute(
            SQL(
                """
            SELECT forecast_id, level, COALESCE(user_id, 0), COALESCE(team_id, 0), date_from,
                   date_to, p50, commit, best_case, weighted
              FROM crm_relational_forecast_line
             WHERE forecast_id = ANY(%s)
                """,
                sorted(forecast_ids),
            )
        )
        return {
            tuple(row[:6]): dict(zip(MOVING, row[6:], strict=True))
            for row in self.env.cr.fetchall()
        }
