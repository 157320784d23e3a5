import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount

_logger = logging.getLogger(__name__)

# First key of the advisory lock that keeps two backtests of a company apart.
BACKTEST_LOCK = 2_918_433
ACTIVE = ("queued", "running")


class CrmRelationalForecastBacktest(models.Model):
    """One backtest of a company's sales forecast, run in the background.

    A manager asks for it; the scheduled job replays the periods one by one (see
    ``crm.relational.forecast._backtest_period``), committing after each with its progress, so
    the browser stays free, a run stopped half-way is resumed where it stood, and the manager is
    notified with the result when it has finished. One run per company at a time."""

    _name = "crm.relational.forecast.backtest"
    _description = "Forecast Backtest"
    _order = "id desc"
    _rec_name = "requested_at"

    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True, ondelete="cascade"
    )
    user_id = fields.Many2one(
        "res.users",
        string="Requested By",
        readonly=True,
        ondelete="set null",
        help="Notified when the backtest has finished.",
    )
    requested_at = fields.Datetime(
        string="Requested On", required=True, readonly=True, default=fields.Datetime.now
    )
    state = fields.Selection(
        [("queued", "Waiting"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        required=True,
        default="queued",
        readonly=True,
        help="Waiting: the scheduled job starts it within a minute. Running: periods are being "
        "replayed. Failed: an error stopped it (see the message).",
    )
    as_of = fields.Date(
        required=True,
        readonly=True,
        default=fields.Date.context_today,
        help="The periods replayed are the last ones over before this day.",
    )
    period_type = fields.Selection(
        [("month", "Month"), ("quarter", "Quarter")],
        required=True,
        readonly=True,
        default="month",
        help="The length of each period replayed.",
    )
    period_count = fields.Integer(
        string="Periods",
        required=True,
        readonly=True,
        default=6,
        help="How many past periods are replayed.",
    )
    done_count = fields.Integer(
        string="Periods Done", readonly=True, help="Periods replayed so far."
    )
    progress = fields.Float(
        string="Progress (%)",
        compute="_compute_progress",
        help="Share of the periods replayed so far.",
    )
    started_at = fields.Datetime(readonly=True)
    finished_at = fields.Datetime(readonly=True)
    rows = fields.Json(
        string="Replayed Periods",
        readonly=True,
        help="Per period replayed: what closed, both forecasts, and the Brier scores.",
    )
    replayed_count = fields.Integer(
        string="Periods With History",
        readonly=True,
        help="Periods with both won and lost opportunities before them: the others cannot be "
        "replayed and are left out of the measures.",
    )
    mae = fields.Monetary(
        string="Mean Error",
        readonly=True,
        help="Mean absolute difference, per period, between this forecast and what closed.",
    )
    mae_odoo = fields.Monetary(
        string="Mean Error of Odoo's Forecast",
        readonly=True,
        help="The same for Odoo's plain forecast (stage odds times expected revenue).",
    )
    brier = fields.Float(
        string="Brier Score",
        readonly=True,
        digits=(16, 4),
        help="Mean squared error of the win probabilities of the opportunities open at the "
        "start of each period and closed since (0 is perfect, 0.25 is a coin toss).",
    )
    brier_odoo = fields.Float(
        string="Brier Score of Odoo's Stage Odds",
        readonly=True,
        digits=(16, 4),
        help="The same measure for the won odds of the stage the opportunity was in.",
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

    @api.ondelete(at_uninstall=False)
    def _unlink_except_unfinished(self):
        if any(run.state in ("queued", "running") for run in self):
            raise UserError(
                self.env._(
                    "This backtest is still running; wait for it to finish before deleting it."
                )
            )

    @api.depends("done_count", "period_count")
    def _compute_progress(self):
        for run in self:
            run.progress = 100.0 * run.done_count / run.period_count if run.period_count else 0.0

    @api.depends("rows", "currency_id")
    def _compute_rows_html(self):
        for run in self:
            amount = run._format_amount
            body = Markup("").join(
                Markup(
                    "<tr><td>{}</td><td class='text-end'>{}</td><td class='text-end'>{}</td>"
                    "<td class='text-end'>{}</td><td class='text-end'>{}</td>"
                    "<td class='text-end'>{:.3f}</td><td class='text-end'>{:.3f}</td></tr>"
                ).format(
                    row["start"], row["open"], amount(row["actual"]), amount(row["forecast"]),
                    amount(row["odoo"]), row["brier"], row["brier_odoo"],
                )
                for row in run.rows or []
            )  # fmt: skip
            run.rows_html = Markup(
                "<table class='table table-sm o_crm_relational_backtest'><thead><tr>"
                "<th>{}</th><th class='text-end'>{}</th><th class='text-end'>{}</th>"
                "<th class='text-end'>{}</th><th class='text-end'>{}</th>"
                "<th class='text-end'>{}</th><th class='text-end'>{}</th></tr></thead>"
                "<tbody>{}</tbody></table>"
            ).format(
                self.env._("Period"),
                self.env._("Open Opportunities"),
                self.env._("Closed"),
                self.env._("Forecast"),
                self.env._("Odoo's Forecast"),
                self.env._("Brier Score"),
                self.env._("Brier Score of Odoo's Stage Odds"),
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
        self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(%s, %s)", BACKTEST_LOCK, company.id))
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
        Forecast = self.env["crm.relational.forecast"].with_company(self.company_id)
        if self.state == "queued":
            self.write({"state": "running", "started_at": fields.Datetime.now()})
        bounds = Forecast._backtest_bounds(self.period_count, self.period_type, self.as_of)
        while self.done_count < len(bounds):
            start, end = bounds[self.done_count]
            try:
                with self.env.cr.savepoint():
                    row = Forecast._backtest_period(self.company_id, start, end, self.as_of)
            except Exception as error:  # any error ends the run, and is told to its requester
                _logger.exception("Backtest %s failed", self.id)
                self._finish("failed", self.env._("The backtest failed: %(error)s", error=error))
                return True
            rows = list(self.rows or [])
            if row:
                rows.append({**row, "start": str(row["start"]), "end": str(row["end"])})
            self.write({"rows": rows, "done_count": self.done_count + 1})
            if not self._commit_progress(len(bounds) - self.done_count):
                return False
        self._finish("done", self._summary())
        return True

    # ------------------------------------------------------------------ helpers

    def _lock(self):
        """Take the company's backtest lock for the current transaction, if it is free."""
        self.env.cr.execute(
            SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", BACKTEST_LOCK, self.company_id.id)
        )
        return self.env.cr.fetchone()[0]

    def _commit_progress(self, remaining):
        """In the scheduled job: commit the period done with its progress and take the lock
        again; False when out of time or the lock was lost. Elsewhere (tests): nothing."""
        if not self.env.context.get("ir_cron_progress_id"):
            return True
        time_left = self.env["ir.cron"]._commit_progress(1, remaining=remaining)
        return bool(time_left) and self._lock()

    def _summary(self):
        """Compute the measures over the replayed periods; the sentence told to the user."""
        rows = self.rows or []
        scored = sum(row["scored"] for row in rows)
        values = {
            "replayed_count": len(rows),
            "mae": sum(abs(r["forecast"] - r["actual"]) for r in rows) / len(rows) if rows else 0,
            "mae_odoo": sum(abs(r["odoo"] - r["actual"]) for r in rows) / len(rows) if rows else 0,
            "brier": sum(r["brier"] * r["scored"] for r in rows) / scored if scored else 0.0,
            "brier_odoo": (
                sum(r["brier_odoo"] * r["scored"] for r in rows) / scored if scored else 0.0
            ),
        }
        self.write(values)
        if not rows:
            return self.env._(
                "Backtest finished: no period could be replayed, as %(company)s had no won and "
                "lost opportunities before them yet.",
                company=self.company_id.name,
            )
        return self.env._(
            "Backtest of %(count)s periods finished. Mean error per period: %(mae)s "
            "(Odoo's forecast: %(mae_odoo)s). Brier score of the win probabilities: %(brier)s "
            "(Odoo's stage odds: %(brier_odoo)s).",
            count=len(rows),
            mae=self._format_amount(values["mae"]),
            mae_odoo=self._format_amount(values["mae_odoo"]),
            brier=f"{values['brier']:.3f}",
            brier_odoo=f"{values['brier_odoo']:.3f}",
        )

    def _format_amount(self, value):
        return format_amount(self.env, value, self.currency_id)

    def _finish(self, state, message):
        """Close the run and tell its requester, on the bus, how it went."""
        self.write({"state": state, "message": message, "finished_at": fields.Datetime.now()})
        if self.user_id:
            self.user_id._bus_send(
                "simple_notification",
                {
                    "type": "danger"
                    if state == "failed"
                    else ("success" if self.rows else "warning"),
                    "title": self.env._("Sales Forecast Backtest"),
                    "message": message,
                    "sticky": True,
                },
            )
