from collections import defaultdict

from odoo import api, fields, models

from .crm_relational_forecast import LEVELS


class CrmRelationalForecastLine(models.Model):
    """One period of one salesperson, team or the whole company in a sales forecast."""

    _name = "crm.relational.forecast.line"
    _description = "Sales Forecast Line"
    _order = "forecast_id desc, date_from, level desc, p50 desc, id"

    forecast_id = fields.Many2one(
        "crm.relational.forecast", required=True, index=True, ondelete="cascade"
    )
    forecast_date = fields.Datetime(related="forecast_id.date", store=True, string="Taken On")
    forecast_kind = fields.Selection(related="forecast_id.kind", store=True, string="Kind")
    company_id = fields.Many2one(related="forecast_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    level = fields.Selection(LEVELS, required=True)
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
        aggregator="avg",
        digits=(16, 1),
        help="Closed against the target.",
    )
    forecast_attainment = fields.Float(
        string="Forecast Attainment (%)",
        compute="_compute_attainment",
        aggregator="avg",
        digits=(16, 1),
        help="The P50 forecast against the target.",
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

    @api.depends("closed", "p50", "target")
    def _compute_attainment(self):
        for line in self:
            line.attainment = 100.0 * line.closed / line.target if line.target else 0.0
            line.forecast_attainment = 100.0 * line.p50 / line.target if line.target else 0.0

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
