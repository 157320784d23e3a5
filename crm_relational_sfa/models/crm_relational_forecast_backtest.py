import logging
from datetime import timedelta

import numpy as np
from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount

from ..analytics import forecast, win
from .crm_relational_forecast import DRAWS, period_bounds
from .crm_relational_forecast_model import day_start

_logger = logging.getLogger(__name__)

ACTIVE = ("queued", "running")


class CrmRelationalForecastBacktest(models.Model):
    """One backtest of a company's sales forecast, run in the background.

    A manager asks for it; the scheduled job replays the cutoffs one by one (see
    ``_backtest_cutoff``: learned from what was known then, compared with
    Odoo's own predictive scoring as of then and the base rate), committing after each with its
    progress, so
    the browser stays free, a run stopped half-way is resumed where it stood, and the manager is
    notified with the result when it has finished. One run per company at a time."""

    _name = "crm.relational.forecast.backtest"
    _inherit = ["crm.relational.job"]
    _description = "Forecast Backtest"
    _order = "id desc"
    _rec_name = "requested_at"
    _job_lock = "forecast_backtest"
    _job_total_field = "period_count"

    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True, ondelete="cascade"
    )
    user_id = fields.Many2one(help="Notified when the backtest has finished.")
    requested_at = fields.Datetime(
        string="Requested On", required=True, readonly=True, default=fields.Datetime.now
    )
    state = fields.Selection(
        selection_add=[("queued", "Waiting"), ("running",), ("done",), ("failed", "Failed")],
        ondelete={"queued": "cascade", "failed": "cascade"},
        default="queued",
        help="Waiting: the scheduled job starts it within a minute. Running: periods are being "
        "replayed. Failed: an error stopped it (see the message).",
    )
    as_of = fields.Date(
        required=True,
        readonly=True,
        default=fields.Date.context_today,
        help="The cutoffs replayed are the last ones whose following periods were over before "
        "this day; outcomes are those known on this day.",
    )
    period_type = fields.Selection(
        [("month", "Month"), ("quarter", "Quarter")],
        required=True,
        readonly=True,
        default="month",
        help="The periods forecast after each cutoff: three months, or one quarter.",
    )
    period_count = fields.Integer(
        string="Cutoffs",
        required=True,
        readonly=True,
        default=6,
        help="How many past moments are replayed, a period apart.",
    )
    done_count = fields.Integer(string="Cutoffs Done", help="Cutoffs replayed so far.")
    progress = fields.Float(string="Progress (%)", help="Share of the cutoffs replayed so far.")
    rows = fields.Json(
        string="Replayed Cutoffs",
        readonly=True,
        help="Per cutoff replayed: the opportunities then open, what they brought per period, "
        "both forecasts, the interval and the Brier scores.",
    )
    replayed_count = fields.Integer(
        string="Cutoffs With History",
        readonly=True,
        help="Cutoffs with enough won and lost history before them: the others cannot be "
        "replayed and are left out of the measures.",
    )
    mae = fields.Monetary(
        string="Mean Error",
        readonly=True,
        help="Mean absolute difference, per cutoff, between the forecast's P50 of the periods "
        "after it and what the opportunities open at the cutoff brought in them.",
    )
    mae_odoo = fields.Monetary(
        string="Mean Error of Odoo's Forecast",
        readonly=True,
        help="The same for Odoo's weighted pipeline (its probability as of the cutoff times "
        "the expected revenue; overdue and undated opportunities in the first period).",
    )
    coverage = fields.Float(
        string="Inside P10-P90 (%)",
        readonly=True,
        digits=(16, 1),
        help="Share of the periods replayed whose revenue fell between the forecast's P10 and "
        "P90 (about 80% when the interval is honest).",
    )
    brier = fields.Float(
        string="Brier Score",
        readonly=True,
        digits=(16, 4),
        help="Mean squared error of the chance, at each cutoff, that an opportunity then open "
        "was won by the backtest's day (0 would be perfect and is a defect; 0.25 is a coin "
        "toss).",
    )
    brier_odoo = fields.Float(
        string="Brier Score of Odoo's Scoring",
        readonly=True,
        digits=(16, 4),
        help="The same measure for Odoo's predictive lead scoring as Odoo computed it at the "
        "cutoff.",
    )
    brier_base = fields.Float(
        string="Brier Score of the Base Rate",
        readonly=True,
        digits=(16, 4),
        help="The same measure for one constant chance, the share won as known at the cutoff.",
    )
    message = fields.Text(readonly=True, help="The summary sent to the requester, or the error.")
    currency_id = fields.Many2one(related="company_id.currency_id")
    rows_html = fields.Html(
        string="Period by Period",
        compute="_compute_rows_html",
        sanitize=False,
        help="Per period replayed: the opportunities open at its start, what closed, both "
        "forecasts and both Brier scores.",
    )

    _one_active_per_company = models.UniqueIndex(
        "(company_id) WHERE state IN ('queued', 'running')",
        "A backtest of this company is already running.",
    )

    def _unfinished_message(self):
        return self.env._(
            "This backtest is still running; wait for it to finish before deleting it."
        )

    @api.depends("rows", "currency_id")
    def _compute_rows_html(self):
        for run in self:
            amount = run._format_amount
            body = Markup("").join(
                Markup(
                    "<tr><td>{}</td><td class='text-end'>{}</td><td class='text-end'>{}</td>"
                    "<td class='text-end'>{}</td><td class='text-end'>{} - {}</td>"
                    "<td class='text-end'>{}</td><td class='text-end'>{:.3f}</td>"
                    "<td class='text-end'>{:.3f}</td><td class='text-end'>{:.3f}</td></tr>"
                ).format(
                    row["start"], row["open"], amount(row["actual"]), amount(row["forecast"]),
                    amount(row["p10"]), amount(row["p90"]), amount(row["odoo"]), row["brier"],
                    row["brier_odoo"], row["brier_base"],
                )
                for row in run.rows or []
            )  # fmt: skip
            run.rows_html = Markup(
                "<table class='table table-sm o_crm_relational_backtest'><thead><tr>"
                "<th>{}</th><th class='text-end'>{}</th><th class='text-end'>{}</th>"
                "<th class='text-end'>{}</th><th class='text-end'>{}</th>"
                "<th class='text-end'>{}</th><th class='text-end'>{}</th>"
                "<th class='text-end'>{}</th><th class='text-end'>{}</th></tr></thead>"
                "<tbody>{}</tbody></table>"
            ).format(
                self.env._("Cutoff"),
                self.env._("Open Opportunities"),
                self.env._("Brought"),
                self.env._("Forecast (P50)"),
                self.env._("P10 - P90"),
                self.env._("Odoo's Weighted Pipeline"),
                self.env._("Brier Score"),
                self.env._("Brier Score of Odoo's Scoring"),
                self.env._("Brier Score of the Base Rate"),
                body,
            )

    # ------------------------------------------------------------------ actions

    @api.model
    def action_start(self):
        """Queue a backtest of the current company and start the job now; the browser stays
        free and the manager is notified when it has finished. Refused while one runs."""
        if not self.env.user.has_group("crm_relational_sfa.group_manager"):
            raise AccessError(self.env._("Only sales managers run the forecast backtest."))
        company = self.env.company
        # Two clicks at once: the second waits here for the first's transaction, then sees
        # its run.
        self._try_lock(company.id, wait=True)
        if self.search_count([("company_id", "=", company.id), ("state", "in", ACTIVE)]):
            raise UserError(
                self.env._(
                    "A backtest of %(company)s is already running; you will be notified when "
                    "it has finished.",
                    company=company.name,
                )
            )
        run = self.create(
            {
                "company_id": company.id,
                "user_id": self.env.uid,
                "period_type": company.sfa_forecast_period,
                "period_count": 6 if company.sfa_forecast_period == "month" else 4,
            }
        )
        # sudo: starting a scheduled action needs write access on it, not given to managers
        self.env.ref("crm_relational_sfa.ir_cron_forecast_backtest").sudo()._trigger()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": run.id,
            "views": [(False, "form")],
        }

    # ------------------------------------------------------------------ job

    @api.model
    def _cron_run(self):
        """Run the waiting backtests, and resume the interrupted ones, one period at a time."""
        for run in self.search([("state", "in", ACTIVE)], order="id"):
            if not run._lock():
                continue  # another worker runs it
            if not run._run():
                return  # out of time: the job is called again for the rest

    def _run(self):
        """Replay the periods left, committing after each in the scheduled job; False when
        the job ran out of time or lost the lock (another worker carries on)."""
        self.ensure_one()
        Replay = self.with_company(self.company_id)
        if self.state == "queued":
            self.write({"state": "running", "started_at": fields.Datetime.now()})
        cutoffs = Replay._backtest_cutoffs(self.period_count, self.period_type, self.as_of)
        while self.done_count < len(cutoffs):
            cutoff = cutoffs[self.done_count]
            try:
                with self.env.cr.savepoint():
                    row = Replay._backtest_cutoff(
                        self.company_id, cutoff, today=self.as_of, period_type=self.period_type
                    )
            except Exception as error:  # any error ends the run, and is told to its requester
                _logger.exception("Backtest %s failed", self.id)
                self._finish("failed", self.env._("The backtest failed: %(error)s", error=error))
                return True
            rows = list(self.rows or [])
            if row:
                rows.append({**row, "start": str(row["start"]), "end": str(row["end"])})
            self.write({"rows": rows, "done_count": self.done_count + 1})
            if not self._commit_progress(1):
                return False
        self._finish("done", self._summary())
        return True

    # ------------------------------------------------------------------ replay

    @api.model
    def _backtest(self, company, cutoffs=6, period_type="month", today=None):
        """Replay the last ``cutoffs`` moments whose following periods are over by ``today``
        (see ``_backtest_cutoff``); those with too little history to learn from are left out."""
        today = today or fields.Date.context_today(self)
        rows = [
            self._backtest_cutoff(company, cutoff, today=today, period_type=period_type)
            for cutoff in self._backtest_cutoffs(cutoffs, period_type, today)
        ]
        return [row for row in rows if row]

    @api.model
    def _backtest_cutoffs(self, count, period_type, today):
        """The first days of the last ``count`` periods whose forecast periods (three months, or
        one quarter) were over before ``today``, oldest first."""
        step = 3 if period_type == "quarter" else 1
        last = period_bounds(today, period_type)[0] - relativedelta(months=3)
        return [last - relativedelta(months=step * n) for n in range(count - 1, -1, -1)]

    @api.model
    def _backtest_cutoff(self, company, cutoff, horizon_days=None, today=None, period_type=None):
        """Replay the forecast as it would have been made at ``cutoff`` (a date, taken at its
        start) and compare it with what happened by ``today``.

        Learned only from what was known at the cutoff; the opportunities open then are scored
        as they were then, against Odoo's own predictive scoring computed as of then
        (``_odoo_probabilities``) and the constant base rate. Measured: the Brier score of the
        chance of being won by ``today`` on those opportunities (outcome known by ``today``), and
        per forecast period after the cutoff (three months, or one quarter; or as many months
        as cover ``horizon_days``) the revenue they brought against our P10/P50/P90 and
        weighted pipeline and Odoo's weighted pipeline (its probability times the expected
        revenue of those expected to close in the period, overdue or undated ones in the
        first). None when nothing could be learned at the cutoff."""
        today = today or fields.Date.context_today(self)
        period_type = period_type or company.sfa_forecast_period
        moment = day_start(cutoff)
        try:
            values, leads, F, odoo = self.env["crm.relational.forecast.model"]._replay(
                company, moment
            )
        except UserError:
            return None
        params = values["parameters"]
        count = 1 if period_type == "quarter" else 3
        if horizon_days:
            count = max(1, round(horizon_days / (91.0 if period_type == "quarter" else 30.4)))
        periods = [period_bounds(cutoff, period_type)]
        while len(periods) < count:
            periods.append(period_bounds(periods[-1][1] + timedelta(days=1), period_type))
        periods = [(a, b) for a, b in periods if b < today]
        if not periods:
            return None
        ours = win.within(F, (today - cutoff).days)
        base = values["won_rate"] / 100.0
        outcome = np.array(
            [lead.won_status == "won" and lead.date_closed < day_start(today) for lead in leads],
            dtype=float,
        )
        bounds = [((a - cutoff).days, (b - cutoff).days) for a, b in periods]
        chances = win.period_probabilities(F, bounds)
        amounts = [lead.expected_revenue for lead in leads]
        by_period, total = forecast.simulate_periods(
            chances,
            amounts,
            [([0] * len(leads), 1, None, None)],
            drift=params["drift"],
            draws=DRAWS,
            seed=cutoff.toordinal(),
        )
        rows = []
        for column, (start, end) in enumerate(periods):
            finish = day_start(end + timedelta(days=1))
            p10, p50, p90 = by_period[0][column][0]
            rows.append(
                {
                    "start": str(start),
                    "end": str(end),
                    "actual": sum(
                        lead.expected_revenue for lead in leads
                        if lead.won_status == "won"
                        and day_start(start) <= lead.date_closed < finish
                    ),
                    "p10": float(p10),
                    "p50": float(p50),
                    "p90": float(p90),
                    "weighted": float(chances[:, column] @ np.asarray(amounts, dtype=float)),
                    "odoo": sum(
                        p * lead.expected_revenue for lead, p in zip(leads, odoo, strict=True)
                        if start <= max(lead.date_deadline or cutoff, cutoff) <= end
                    ),
                }
            )  # fmt: skip
        p10, p50, p90 = total[0][0]
        return {
            "start": cutoff,
            "end": periods[-1][1],
            "open": len(leads),
            "scored": len(leads),
            "won": int(outcome.sum()),
            "brier": forecast.brier(ours, outcome),
            "brier_odoo": forecast.brier(odoo, outcome),
            "brier_base": forecast.brier(np.full(len(leads), base), outcome),
            "lowest": float(ours.min()) if len(leads) else 0.0,
            "highest": float(ours.max()) if len(leads) else 0.0,
            "actual": sum(row["actual"] for row in rows),
            "forecast": float(p50),
            "p10": float(p10),
            "p90": float(p90),
            "odoo": sum(row["odoo"] for row in rows),
            "hits": sum(row["p10"] - 1e-6 <= row["actual"] <= row["p90"] + 1e-6 for row in rows),
            "periods": rows,
        }

    # ------------------------------------------------------------------ helpers

    def _summary(self):
        """Compute the measures over the replayed periods; the sentence told to the user."""
        rows = self.rows or []
        scored = sum(row["scored"] for row in rows)
        periods = sum(len(row["periods"]) for row in rows)

        def weighted(key):
            return sum(r[key] * r["scored"] for r in rows) / scored if scored else 0.0

        values = {
            "replayed_count": len(rows),
            "mae": sum(abs(r["forecast"] - r["actual"]) for r in rows) / len(rows) if rows else 0,
            "mae_odoo": sum(abs(r["odoo"] - r["actual"]) for r in rows) / len(rows) if rows else 0,
            "coverage": 100.0 * sum(r["hits"] for r in rows) / periods if periods else 0.0,
            "brier": weighted("brier"),
            "brier_odoo": weighted("brier_odoo"),
            "brier_base": weighted("brier_base"),
        }
        self.write(values)
        if not rows:
            return self.env._(
                "Backtest finished: no cutoff could be replayed, as %(company)s had too few won "
                "and lost opportunities before them.",
                company=self.company_id.name,
            )
        return self.env._(
            "Backtest of %(count)s cutoffs finished. Mean error of the forecast: %(mae)s "
            "(Odoo's weighted pipeline: %(mae_odoo)s); %(coverage)s of the periods inside "
            "P10-P90. Brier score of the win probabilities: %(brier)s (Odoo's scoring: "
            "%(brier_odoo)s, base rate: %(brier_base)s).",
            count=len(rows),
            mae=self._format_amount(values["mae"]),
            mae_odoo=self._format_amount(values["mae_odoo"]),
            coverage=f"{values['coverage']:.0f}%",
            brier=f"{values['brier']:.3f}",
            brier_odoo=f"{values['brier_odoo']:.3f}",
            brier_base=f"{values['brier_base']:.3f}",
        )

    def _format_amount(self, value):
        return format_amount(self.env, value, self.currency_id)

    def _finish(self, state, message):
        """Close the run and tell its requester, on the bus, how it went."""
        self.write({"state": state, "message": message, "finished_at": fields.Datetime.now()})
        self._notify(
            self.user_id,
            self.env._("Sales Forecast Backtest"),
            message,
            kind="danger" if state == "failed" else ("success" if self.rows else "warning"),
            sticky=True,
        )
