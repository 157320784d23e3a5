from collections import defaultdict
from datetime import date, datetime, time, timedelta

import numpy as np
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.crm_relational.models.crm_relational_job import advisory_lock

from ..analytics import forecast, win

# The horizon (days) and window of the model's own out-of-time check.
CHECK_HORIZON = 91
# A held-out Brier score below this is a defect (an outcome given away), not a result.
DEFECT_BRIER = 0.01


class CrmRelationalForecastModel(models.Model):
    """A win probability model learned from one company's opportunities as they were known.

    Every opportunity contributes each week of its open life, described as it was at the week's
    start (stage, days open, amount, salesperson, team, the customer's orders and opportunities
    before) with what happened in it: won, lost, moved on or nothing. The weekly chances of each
    are learned, and an open opportunity is walked forward week by week to its chance of being
    won by each coming week (see ``analytics/win.py``; the models read rows and write results).
    The check: learned from what was known half a year before, then the pipelines open in the
    following months scored as they were, against their outcome within a quarter, next to the
    base rate and the won share of the stage (Odoo's predictive-scoring statistic) known then."""

    _name = "crm.relational.forecast.model"
    _description = "Win Probability Model"
    _order = "date desc, id desc"
    _rec_name = "date"

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    date = fields.Datetime(string="Fitted On", required=True, readonly=True)
    closed_before = fields.Datetime(
        string="Known On",
        readonly=True,
        help="Only what was known at this moment was learned from.",
    )
    lead_count = fields.Integer(
        string="Closed Opportunities",
        readonly=True,
        help="Opportunities closed by then, whose whole open life was learned from.",
    )
    example_count = fields.Integer(
        string="Examples",
        readonly=True,
        help="Weeks of the opportunities' open lives learned from, each with what happened in "
        "it (won, lost, moved on or nothing).",
    )
    holdout_count = fields.Integer(
        string="Held-out Examples",
        readonly=True,
        help="Opportunities of the pipelines open in recent months, scored by a model learned "
        "from what was known before them, with their outcome within a quarter known since (0: "
        "the history is too short to check).",
    )
    won_rate = fields.Float(
        string="Won Share (%)",
        readonly=True,
        digits=(16, 1),
        help="Share of the closed opportunities learned from that were won.",
    )
    brier = fields.Float(
        string="Brier Score",
        readonly=True,
        digits=(16, 4),
        help="Mean squared error of the chance of winning within a quarter on the held-out "
        "opportunities (0 would be perfect and is a defect; 0.25 is a coin toss).",
    )
    brier_baseline = fields.Float(
        string="Brier Score of the Stage Odds",
        readonly=True,
        digits=(16, 4),
        help="The same measure for the won share of the stage alone, Odoo's predictive-scoring "
        "statistic, learned at the same moment.",
    )
    brier_base_rate = fields.Float(
        string="Brier Score of the Base Rate",
        readonly=True,
        digits=(16, 4),
        help="The same measure for one constant probability, the share won then.",
    )
    scored_count = fields.Integer(
        string="Open Opportunities Scored", readonly=True, help="Open opportunities scored."
    )
    parameters = fields.Json(readonly=True)
    calibration = fields.Json(readonly=True)
    calibration_html = fields.Html(
        string="Reliability",
        compute="_compute_calibration_html",
        sanitize=False,
        help="Held-out opportunities grouped by predicted chance: the mean prediction against "
        "the share actually won. The closer the two, the more reliable.",
    )
    horizon_html = fields.Html(
        string="Closing Time",
        compute="_compute_calibration_html",
        sanitize=False,
        help="Per stage: the weeks opportunities spent open in it, and the share of those weeks "
        "that ended won, lost or moved on.",
    )

    @api.depends("calibration", "parameters")
    def _compute_calibration_html(self):
        stages = (
            self.env["crm.stage"]
            .browse(
                {
                    int(s)
                    for m in self
                    for s in (m.parameters or {}).get("by_stage", {})
                    if s.isdigit()
                }
            )
            .exists()
        )
        names = {str(stage.id): stage.name for stage in stages}
        names[win.UNKNOWN] = self.env._("Unknown (imported)")
        for model in self:
            rows = Markup("").join(
                Markup(
                    "<tr><td>{:.0%} - {:.0%}</td><td class='text-end'>{}</td>"
                    "<td class='text-end'>{:.1%}</td><td class='text-end'>{:.1%}</td></tr>"
                ).format(low, high, count, predicted, observed)
                for low, high, count, predicted, observed in (model.calibration or [])
            )
            model.calibration_html = Markup(
                "<table class='table table-sm o_crm_relational_reliability'><thead><tr>"
                "<th>{}</th><th class='text-end'>{}</th><th class='text-end'>{}</th>"
                "<th class='text-end'>{}</th></tr></thead><tbody>{}</tbody></table>"
            ).format(
                self.env._("Predicted"),
                self.env._("Examples"),
                self.env._("Mean Predicted"),
                self.env._("Observed Won"),
                rows,
            )
            by_stage = (model.parameters or {}).get("by_stage", {})
            rows = Markup("").join(
                Markup(
                    "<tr><td>{}</td><td class='text-end'>{}</td><td class='text-end'>{:.1%}</td>"
                    "<td class='text-end'>{:.1%}</td><td class='text-end'>{:.1%}</td></tr>"
                ).format(names.get(stage, stage), f["weeks"], f["won"], f["lost"], f["moved"])
                for stage, f in by_stage.items()
            )
            model.horizon_html = Markup(
                "<table class='table table-sm'><thead><tr><th>{}</th><th class='text-end'>{}</th>"
                "<th class='text-end'>{}</th><th class='text-end'>{}</th>"
                "<th class='text-end'>{}</th></tr></thead><tbody>{}</tbody></table>"
            ).format(
                self.env._("Stage"),
                self.env._("Weeks Open"),
                self.env._("Won That Week"),
                self.env._("Lost That Week"),
                self.env._("Moved On That Week"),
                rows,
            )

    # ------------------------------------------------------------------ reading

    def _won_stages(self):
        return set(self.env["crm.stage"].search([("is_won", "=", True)]).ids)

    def _creation_subtypes(self):
        subtype = self.env.ref("crm.mt_lead_create", raise_if_not_found=False)
        if not subtype:
            return []
        return (
            self.env["mail.message.subtype"]
            .search(["|", ("id", "=", subtype.id), ("parent_id", "=", subtype.id)])
            .ids
        )

    def _lead_rows(self, company, where, with_forgotten=False):
        """Opportunities of ``company`` matching ``where``, with whether their life was recorded
        (a creation message, as Odoo posts; imports have none). Those of customers erased at
        their request (Forgotten) are left out, as learning and scoring must not use them,
        unless ``with_forgotten`` (the forecast's pipeline: revenue still expected, nothing
        learned from it)."""
        if not with_forgotten:
            where = SQL("%s AND NOT COALESCE(cp.relational_forgotten, FALSE)", where)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
            SELECT l.id, l.stage_id, l.team_id, l.user_id, COALESCE(l.expected_revenue, 0),
                   l.create_date, l.date_closed, l.date_deadline, l.won_status,
                   COALESCE(l.probability, 0), l.forecast_effective_category,
                   COALESCE(l.forecast_effective_amount, 0), p.commercial_partner_id,
                   EXISTS (SELECT 1 FROM mail_message m
                            WHERE m.model = 'crm.lead' AND m.res_id = l.id
                              AND m.subtype_id = ANY(%(created)s))
              FROM crm_lead l
              LEFT JOIN res_partner p ON p.id = l.partner_id
              LEFT JOIN res_partner cp ON cp.id = p.commercial_partner_id
             WHERE l.type = 'opportunity' AND l.company_id = %(company)s AND %(where)s
             ORDER BY l.date_closed, l.id
                """,
                company=company.id,
                where=where,
                created=self._creation_subtypes(),
            )
        )
        return [_Lead(*row) for row in self.env.cr.fetchall()]

    def _known_leads(self, company, moment):
        """Every opportunity created by ``moment`` (closed or not since)."""
        return self._lead_rows(company, SQL("l.create_date <= %s", moment))

    def _open_leads(self, company, moment, with_forgotten=False):
        """Opportunities open at ``moment``: created before, closed after (or not yet)."""
        return self._lead_rows(
            company,
            SQL(
                """l.create_date <= %(at)s AND (l.date_closed > %(at)s
                   OR (l.date_closed IS NULL AND l.won_status = 'pending' AND l.active))""",
                at=moment,
            ),
            with_forgotten=with_forgotten,
        )

    def _tracking(self, leads):
        """For each lead, its tracked changes in order, (moment, old, new), of the stage and of
        the expected revenue: ``(stages, amounts)``."""
        Fields = self.env["ir.model.fields"]
        stage = Fields._get("crm.lead", "stage_id").id
        amount = Fields._get("crm.lead", "expected_revenue").id
        stages, amounts = defaultdict(list), defaultdict(list)
        if leads:
            self.env.cr.execute(
                SQL(
                    """
                SELECT m.res_id, m.date, v.field_id, v.old_value_integer, v.new_value_integer,
                       v.old_value_float, v.new_value_float
                  FROM mail_tracking_value v
                  JOIN mail_message m ON m.id = v.mail_message_id
                 WHERE v.field_id IN %s AND m.model = 'crm.lead' AND m.res_id = ANY(%s)
                 ORDER BY m.res_id, m.date, m.id
                    """,
                    (stage, amount),
                    [lead.id for lead in leads],
                )
            )
            for lead_id, moment, field, old, new, old_amount, new_amount in self.env.cr.fetchall():
                if field == stage:
                    stages[lead_id].append((moment, old or None, new or None))
                else:
                    amounts[lead_id].append((moment, old_amount or 0.0, new_amount or 0.0))
        return stages, amounts

    def _customer_history(self, company, leads, until):
        """The confirmed orders and closed opportunities, before ``until``, of the customers of
        ``leads``."""
        customers = sorted({lead.customer_id for lead in leads if lead.customer_id})
        history = win.History()
        if not customers:
            return history
        self.env.cr.execute(
            SQL(
                """
            SELECT c.commercial_partner_id, o.date_order,
                   o.amount_untaxed / COALESCE(NULLIF(o.currency_rate, 0), 1)
              FROM sale_order o
              JOIN res_partner c ON c.id = o.partner_id
             WHERE o.company_id = %s AND o.state = 'sale' AND o.date_order < %s
               AND c.commercial_partner_id = ANY(%s)
             ORDER BY o.date_order
                """,
                company.id,
                until,
                customers,
            )
        )
        for customer, moment, amount in self.env.cr.fetchall():
            history.orders.setdefault(customer, []).append((moment, float(amount or 0.0)))
        self.env.cr.execute(
            SQL(
                """
            SELECT c.commercial_partner_id, l.date_closed, l.won_status = 'won'
              FROM crm_lead l
              JOIN res_partner c ON c.id = l.partner_id
             WHERE l.company_id = %s AND l.type = 'opportunity'
               AND l.won_status IN ('won', 'lost') AND l.date_closed < %s
               AND c.commercial_partner_id = ANY(%s)
             ORDER BY l.date_closed
                """,
                company.id,
                until,
                customers,
            )
        )
        for customer, moment, won in self.env.cr.fetchall():
            history.outcomes.setdefault(customer, []).append((moment, won))
        return history

    def _deals(self, leads):
        """The engine's view of ``leads``."""
        changes, amounts = self._tracking(leads)
        return [
            win.Deal(
                id=lead.id,
                created=lead.create_date,
                closed=lead.date_closed if lead.won_status in ("won", "lost") else None,
                won=lead.won_status == "won" if lead.won_status in ("won", "lost") else None,
                stage=lead.stage_id,
                amount=lead.expected_revenue,
                user=lead.user_id,
                team=lead.team_id,
                customer=lead.customer_id,
                changes=changes.get(lead.id, []),
                amounts=amounts.get(lead.id, []),
                recorded=lead.recorded,
            )
            for lead in leads
        ]

    # ------------------------------------------------------------------ learning and scoring

    @api.model
    def _fit(self, company, moment=None):
        """Fit, check and store the model of ``company`` on what was known at ``moment``."""
        # sudo: the model is written by the nightly job or a manager for the whole company
        return self.sudo().create(self._learn(company, moment)).sudo(False)

    @api.model
    def _learn(self, company, moment=None, check=True):
        """The values of a model of ``company`` learned from what was known at ``moment``."""
        moment = moment or fields.Datetime.now()
        leads = self._known_leads(company, moment)
        closed = [
            lead
            for lead in leads
            if lead.won_status in ("won", "lost") and (lead.date_closed or moment) < moment
        ]
        won = sum(lead.won_status == "won" for lead in closed)
        deals = self._deals(leads)
        history = self._customer_history(company, leads, moment)
        won_stages = self._won_stages()
        params = win.fit(deals, moment, won_stages, history) if won and won < len(closed) else None
        if not params:
            raise UserError(
                self.env._(
                    "%(company)s needs more won and lost opportunities before win "
                    "probabilities can be learned.",
                    company=company.name,
                )
            )
        values = {
            "company_id": company.id,
            "date": fields.Datetime.now(),
            "closed_before": moment,
            "lead_count": len(closed),
            "example_count": params["examples"],
            "won_rate": 100.0 * won / len(closed),
            "parameters": params,
            "holdout_count": 0,
        }
        check = check and win.holdout(deals, moment, won_stages, history, horizon=CHECK_HORIZON)
        if check:
            outcomes = check["outcomes"]
            brier = forecast.brier(check["predicted"], outcomes)
            if brier < DEFECT_BRIER:
                # Sales are never that certain: something in the history gives the outcome
                # away. Better no model (Odoo's probabilities) than a confident wrong one.
                raise UserError(
                    self.env._(
                        "The win probabilities learned for %(company)s predict the held-out "
                        "opportunities almost perfectly (Brier score %(brier)s): the history "
                        "records won and lost opportunities in ways that give the outcome "
                        "away. No model is kept; Odoo's probabilities are used meanwhile.",
                        company=company.name,
                        brier=f"{brier:.4f}",
                    )
                )
            values.update(
                holdout_count=len(outcomes),
                brier=brier,
                brier_baseline=forecast.brier(check["stage_odds"], outcomes),
                brier_base_rate=forecast.brier(check["base_rate"], outcomes),
                calibration=forecast.reliability(check["predicted"], outcomes),
            )
        params["drift"] = check["drift"] if check else win.DRIFT_RANGE[1]
        return values

    def _score(self, leads, moment, params=None):
        """The chances of ``leads`` (open at ``moment``) being won by the end of each of the
        coming weeks: an array (leads x weeks)."""
        params = params or self.parameters
        company = self.company_id or self.env.company
        history = self._customer_history(company, leads, moment)
        won_stages = self._won_stages()
        states = [win.state_at(deal, moment, won_stages, history) for deal in self._deals(leads)]
        return win.project(params, states)

    def _score_open(self, moment=None):
        """Write the chance of being won and the likely closing date (half of the chance by then)
        of the company's open opportunities, in one statement; those of forgotten customers
        are emptied."""
        self.ensure_one()
        moment = moment or fields.Datetime.now()
        leads = [
            lead
            for lead in self._open_leads(self.company_id, moment)
            if lead.won_status == "pending"
        ]
        F = self._score(leads, moment)
        days = win.median_close_days(F)
        today = moment.date()
        self.env.cr.execute(
            SQL(
                """
            UPDATE crm_lead l
               SET relational_win_probability = v.probability,
                   relational_close_date = v.close_date
              FROM unnest(%s::int[], %s::float[], %s::date[]) AS v(id, probability, close_date)
             WHERE l.id = v.id
                """,
                [lead.id for lead in leads],
                [round(100.0 * float(p), 2) for p in win.eventually(F)],
                [today + timedelta(days=round(d)) for d in days],
            )
        )
        # Customers erased at their request keep no learned score on their opportunities.
        self.env.cr.execute(
            SQL(
                """
            UPDATE crm_lead l
               SET relational_win_probability = NULL, relational_close_date = NULL
              FROM res_partner p
              JOIN res_partner cp ON cp.id = p.commercial_partner_id
             WHERE l.partner_id = p.id AND cp.relational_forgotten AND l.company_id = %s
               AND (l.relational_win_probability IS NOT NULL
                    OR l.relational_close_date IS NOT NULL)
                """,
                self.company_id.id,
            )
        )
        self.env["crm.lead"].invalidate_model(
            ["relational_win_probability", "relational_close_date"]
        )
        # sudo: a figure of the job, not a user's edit
        self.sudo().scored_count = len(leads)
        return len(leads)

    @api.model
    def _cron_fit(self):
        """Refit every company's model on its history and rescore the open opportunities."""
        for company in self.env["res.company"].search([("active", "=", True)]):
            # A manager's refit of the company waits for the job's, and the other way round.
            advisory_lock(self.env.cr, "forecast_fit", company.id, wait=True)
            try:
                with self.env.cr.savepoint():
                    self._fit(company)._score_open()
            except UserError:
                continue  # not enough history yet: nothing to learn from

    @api.model
    def action_fit_now(self):
        """Refit the current company's model now and open it (sales force managers); refused
        while the company's model is being fitted."""
        if not self.env.user.has_group("crm_relational_sfa.group_manager"):
            raise AccessError(self.env._("Only sales managers refit the win probability model."))
        company = self.env.company
        if not advisory_lock(self.env.cr, "forecast_fit", company.id):
            raise UserError(
                self.env._(
                    "The win probability model of %(company)s is already being fitted; open it "
                    "again in a moment.",
                    company=company.name,
                )
            )
        model = self._fit(company)
        model._score_open()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": model.id,
            "views": [(False, "form")],
        }

    @api.model
    def action_backtest(self):
        """Backtest the current company's forecast in the background (sales managers)."""
        return self.env["crm.relational.forecast.backtest"].action_start()

    # ------------------------------------------------------------------ for the forecast models

    @api.model
    def _pipeline(self, company, moment):
        """What a forecast needs, in one call: the company's model (learned now when it has
        none; empty without enough history), the opportunities open at ``moment`` (those of
        forgotten customers included: revenue still expected, nothing learned from them), and
        their chances of being won by each coming week (None without a model)."""
        model = self._current(company)
        if not model:
            try:
                with self.env.cr.savepoint():
                    model = self._fit(company, moment)
            except UserError:
                model = self.browse()
        leads = self._open_leads(company, moment, with_forgotten=True)
        return model, leads, model._score(leads, moment) if model else None

    @api.model
    def _replay(self, company, moment):
        """What a backtest needs at ``moment``, in one call: the values learned from what was
        known then (a UserError without enough history), the opportunities open then, their
        chances of being won by each coming week, and Odoo's own scoring of them as of then."""
        values = self._learn(company, moment)
        model = self.new({"company_id": company.id, "parameters": values["parameters"]})
        leads = self._open_leads(company, moment)
        return values, leads, model._score(leads, moment), self._odoo_probabilities(leads, moment)

    @api.model
    def _current(self, company):
        """The company's latest model, unless it was learned by an earlier release (another
        shape of parameters: the forecast then learns anew)."""
        model = self.search([("company_id", "=", company.id)], limit=1)
        return model if "events" in (model.parameters or {}) else self.browse()

    # ------------------------------------------------------------------ Odoo's own scoring

    @api.model
    def _odoo_probabilities(self, leads, moment):
        """Odoo's predictive lead scoring of ``leads`` (open at ``moment``) as Odoo computed it
        then: its own frequency rebuild and naive Bayes, run on the database put back to that
        moment inside a savepoint that is rolled back (what closed after is open again, what
        was created after is left out, each open lead in its stage of then). Values 0-1.
        Run by the backtest job, as the superuser: Odoo's rebuild empties its frequency table,
        which Odoo's own job alone may do."""
        if not leads:
            return np.zeros(0)
        won_stages = self._won_stages()
        first = self.env["crm.stage"].search([("is_won", "=", False)], limit=1).id
        stages = []
        for deal in self._deals(leads):
            state = win.state_at(deal, moment, won_stages, win.History())
            stage = state["stage"]
            stages.append(int(stage) if stage != win.UNKNOWN else first)
        Lead = self.env["crm.lead"]
        self.env.flush_all()
        with self.env.cr.savepoint(flush=False) as savepoint:
            restarted = self._rewind(moment, [lead.id for lead in leads], stages)
            Lead._rebuild_pls_frequency_table()
            probabilities = Lead.browse(
                [lead.id for lead in leads]
            )._pls_get_naive_bayes_probabilities(batch_mode=True)
            # nothing of the rewound database is kept: what the ORM still holds is written
            # before the rollback, and forgotten after it
            self.env.flush_all()
            savepoint.rollback()
        self.env.invalidate_all(flush=False)
        if restarted:  # the start date cached during the savepoint is gone with it
            self.env.registry.clear_cache()
        if isinstance(probabilities, tuple):
            probabilities = probabilities[0]
        return np.array([probabilities.get(lead.id, 0.0) / 100.0 for lead in leads])

    def _rewind(self, moment, lead_ids, stages):
        """Put the opportunities back as they were at ``moment`` (see ``_odoo_probabilities``);
        True when Odoo's scoring start date had to be moved before it."""
        self.env.cr.execute(
            SQL(
                """
            UPDATE crm_lead SET won_status = 'pending', active = FALSE
             WHERE create_date > %(at)s OR date_closed > %(at)s
                """,
                at=moment,
            )
        )
        self.env.cr.execute(
            SQL(
                """
            UPDATE crm_lead l SET won_status = 'pending', active = TRUE, stage_id = v.stage
              FROM unnest(%s::int[], %s::int[]) AS v(id, stage)
             WHERE l.id = v.id
                """,
                lead_ids,
                stages,
            )
        )
        self.env.invalidate_all()
        start = self.env["crm.lead"]._pls_get_safe_start_date()
        if start and str(start) <= str(moment.date()):
            return False
        # Odoo's scoring counts from its start date; one after the moment (the scoring switched
        # on after the history was imported) would count nothing. Rolled back with the savepoint.
        self.env["ir.config_parameter"].set_param("crm.pls_start_date", "2000-01-01")
        return True


class _Lead:
    """One opportunity's facts, as read by ``_lead_rows``."""

    # In the order of the columns of ``_lead_rows``.
    __slots__ = (  # noqa: RUF023
        "id", "stage_id", "team_id", "user_id", "expected_revenue", "create_date",
        "date_closed", "date_deadline", "won_status", "probability", "category",
        "forecast_amount", "customer_id", "recorded",
    )  # fmt: skip

    def __init__(self, *values):
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)


def day_start(day):
    """Midnight at the start of ``day``, as a naive UTC datetime like Odoo's."""
    return datetime.combine(day, time.min) if isinstance(day, date) else day
