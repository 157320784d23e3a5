import math
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from statistics import median

import numpy as np
from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..analytics import forecast

# Share of the closed opportunities, the most recently closed, kept aside to measure calibration.
HOLDOUT_SHARE = 0.2
# Fewer closed opportunities than this: calibration is measured on the training examples.
HOLDOUT_MIN = 40
# Days an opportunity without a deadline nor history is expected to stay open.
DEFAULT_REMAINING_DAYS = 30
TIERS = ("A", "B", "C")
# First key of the advisory lock that keeps two fits of a company's model apart.
FIT_LOCK = 2_918_434


class CrmRelationalForecastModel(models.Model):
    """A win probability model fitted on one company's closed opportunities.

    Each closed opportunity gives one example per stage it went through (from the stage
    tracking, or every stage up to the one it reached when there is no history), labelled won
    or lost: the model answers "an opportunity in this stage, of this team, salesperson, amount,
    age and customer, how likely is it to be won?". Features: stage, team, salesperson, amount,
    days taken to reach the stage, the customer's value tier and health (crm_relational), and
    Odoo's predictive-scoring statistic for the stage (won / (won + lost) of the opportunities
    that went through it, smoothed as Odoo does). The most recently closed fifth is held out:
    its older half recalibrates the probabilities (Platt), its newer half measures calibration,
    before the final fit on everything.
    """

    _name = "crm.relational.forecast.model"
    _description = "Win Probability Model"
    _order = "date desc, id desc"
    _rec_name = "date"

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    date = fields.Datetime(string="Fitted On", required=True, readonly=True)
    closed_before = fields.Datetime(
        readonly=True, help="Only opportunities closed before this moment were learned from."
    )
    lead_count = fields.Integer(
        string="Closed Opportunities", readonly=True, help="Closed opportunities learned from."
    )
    example_count = fields.Integer(
        string="Examples", readonly=True, help="One per closed opportunity and stage it reached."
    )
    holdout_count = fields.Integer(
        string="Held-out Examples",
        readonly=True,
        help="Examples of the most recently closed tenth of the opportunities, on which "
        "calibration is measured; the tenth before recalibrates the model (0: too few to hold "
        "out, measured on the training examples).",
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
        help="Mean squared error of the predicted win probability on the held-out examples "
        "(0 is perfect, 0.25 is a coin toss).",
    )
    brier_baseline = fields.Float(
        string="Brier Score of Odoo's Stage Odds",
        readonly=True,
        digits=(16, 4),
        help="The same measure for Odoo's predictive-scoring odds of the stage alone.",
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
        help="Held-out examples grouped by predicted win probability: the mean predicted "
        "probability against the share actually won. The closer the two, the more reliable.",
    )
    slippage_html = fields.Html(
        string="Stage Slippage",
        compute="_compute_calibration_html",
        sanitize=False,
        help="Per stage, over the won opportunities that went through it: the median days they "
        "closed after their expected closing date, and the median days from the stage to closing.",
    )

    @api.depends("calibration", "parameters")
    def _compute_calibration_html(self):
        stages = (
            self.env["crm.stage"]
            .browse({int(s) for m in self for s in (m.parameters or {}).get("slip_days", {})})
            .exists()
        )
        names = {str(stage.id): stage.name for stage in stages}
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
            params = model.parameters or {}
            slips = Markup("").join(
                Markup(
                    "<tr><td>{}</td><td class='text-end'>{:+.0f}</td>"
                    "<td class='text-end'>{:.0f}</td></tr>"
                ).format(escape(names.get(stage, stage)), slip, params["remaining_days"][stage])
                for stage, slip in params.get("slip_days", {}).items()
            )
            model.slippage_html = Markup(
                "<table class='table table-sm'><thead><tr><th>{}</th>"
                "<th class='text-end'>{}</th><th class='text-end'>{}</th></tr></thead>"
                "<tbody>{}</tbody></table>"
            ).format(
                self.env._("Stage"),
                self.env._("Closes Later Than Expected (days)"),
                self.env._("Days to Close From the Stage"),
                slips,
            )

    # ------------------------------------------------------------------ history

    def _stage_ranks(self):
        stages = self.env["crm.stage"].search([("is_won", "=", False)], order="sequence, id")
        return {stage_id: rank for rank, stage_id in enumerate(stages.ids)}

    def _lead_rows(self, company, where, with_forgotten=False):
        """Opportunities of ``company`` matching ``where`` with their customer's tier/health.
        Those of customers erased at their request (Forgotten) are left out, as learning and
        scoring must not use them, unless ``with_forgotten`` (the forecast's pipeline: revenue
        still expected, nothing learned from it)."""
        if not with_forgotten:
            where = SQL("%s AND NOT COALESCE(cp.relational_forgotten, FALSE)", where)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
            SELECT l.id, l.stage_id, l.team_id, l.user_id, COALESCE(l.expected_revenue, 0),
                   l.create_date, l.date_closed, l.date_deadline, l.won_status,
                   COALESCE(l.date_last_stage_update, l.create_date), prof.value_tier,
                   prof.health_score, COALESCE(l.probability, 0), l.forecast_effective_category,
                   COALESCE(l.forecast_effective_amount, 0), p.commercial_partner_id,
                   l.relational_win_probability, l.relational_close_date
              FROM crm_lead l
              LEFT JOIN res_partner p ON p.id = l.partner_id
              LEFT JOIN res_partner cp ON cp.id = p.commercial_partner_id
              LEFT JOIN crm_relational_profile prof
                ON prof.partner_id = p.commercial_partner_id AND prof.company_id = %(company)s
             WHERE l.type = 'opportunity' AND l.company_id = %(company)s AND %(where)s
             ORDER BY l.date_closed, l.id
                """,
                company=company.id,
                where=where,
            )
        )
        return [_Lead(*row) for row in self.env.cr.fetchall()]

    def _closed_leads(self, company, before):
        return self._lead_rows(
            company,
            SQL("l.won_status IN ('won', 'lost') AND l.date_closed < %s", before),
        )

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

    def _stage_history(self, leads):
        """For each lead, its stage changes in order: (moment, old stage, new stage)."""
        field = self.env["ir.model.fields"]._get("crm.lead", "stage_id")
        history = defaultdict(list)
        if leads:
            self.env.cr.execute(
                SQL(
                    """
                SELECT m.res_id, m.date, v.old_value_integer, v.new_value_integer
                  FROM mail_tracking_value v
                  JOIN mail_message m ON m.id = v.mail_message_id
                 WHERE v.field_id = %s AND m.model = 'crm.lead' AND m.res_id = ANY(%s)
                 ORDER BY m.res_id, m.date, m.id
                    """,
                    field.id,
                    [lead.id for lead in leads],
                )
            )
            for lead_id, moment, old, new in self.env.cr.fetchall():
                history[lead_id].append((moment, old, new))
        return history

    def _visits(self, leads, ranks, history):
        """For each lead, the open stages it went through with the moment it entered each.

        From the stage tracking when there is one; otherwise a closed opportunity is taken to
        have gone through every stage up to the one it reached (all of them when won), entered
        at even intervals, and an open one to be in its stage since its last stage change."""
        last_rank = max(ranks.values(), default=0)
        by_rank = {rank: stage for stage, rank in ranks.items()}
        visits = {}
        for lead in leads:
            changes = history.get(lead.id)
            if changes:
                path = [(lead.create_date, changes[0][1])] + [(m, new) for m, _o, new in changes]
                seen, visit = set(), []
                for moment, stage in path:
                    if stage in ranks and stage not in seen:
                        seen.add(stage)
                        visit.append((stage, moment))
            elif lead.won_status == "pending" and not lead.date_closed:
                visit = [(lead.stage_id, lead.date_last_stage_update)]
            else:
                reached = last_rank if lead.won_status == "won" else ranks.get(lead.stage_id, 0)
                span = (lead.date_closed or lead.create_date) - lead.create_date
                visit = [
                    (by_rank[rank], lead.create_date + span * rank / (reached + 1))
                    for rank in range(reached + 1)
                    if rank in by_rank
                ]
            visits[lead.id] = visit or [(lead.stage_id, lead.create_date)]
        return visits

    # ------------------------------------------------------------------ features

    @staticmethod
    def _stage_odds(examples):
        """Odoo's predictive-scoring statistic per stage: (won + 0.1) / (won + lost + 0.2)."""
        counts = defaultdict(lambda: [0, 0])
        for stage, won in examples:
            counts[stage][0 if won else 1] += 1
        return {
            str(stage): (won + 0.1) / (won + lost + 0.2) for stage, (won, lost) in counts.items()
        }

    @staticmethod
    def _vocabulary(examples):
        teams = sorted({e["team"] for e in examples if e["team"]})
        users = sorted({e["user"] for e in examples if e["user"]})
        stages = sorted({e["stage"] for e in examples})
        return {"stages": stages, "teams": teams, "users": users}

    @staticmethod
    def _matrix(examples, vocabulary, odds):
        """One row per example: stage, team, salesperson and tier one-hot; log amount, log days
        to reach the stage, health and the logit of Odoo's stage odds."""
        columns = {}
        for name in ("stages", "teams", "users"):
            for value in vocabulary[name]:
                columns[name, value] = len(columns)
        for tier in TIERS:
            columns["tier", tier] = len(columns)
        numeric = len(columns)
        X = np.zeros((len(examples), numeric + 4))
        for row, example in enumerate(examples):
            for key in (
                ("stages", example["stage"]),
                ("teams", example["team"]),
                ("users", example["user"]),
                ("tier", example["tier"]),
            ):
                if key in columns:
                    X[row, columns[key]] = 1.0
            stage_odds = min(max(odds.get(str(example["stage"]), 0.5), 1e-3), 1 - 1e-3)
            X[row, numeric:] = (
                math.log1p(max(example["amount"], 0.0)),
                math.log1p(max(example["age"], 0.0)),
                (example["health"] if example["health"] is not None else 50) / 100.0,
                math.log(stage_odds / (1 - stage_odds)),
            )
        return X

    @staticmethod
    def _example(lead, stage, moment):
        return {
            "stage": stage,
            "team": lead.team_id,
            "user": lead.user_id,
            "tier": lead.value_tier,
            "health": lead.health_score,
            "amount": lead.expected_revenue,
            "age": max((moment - lead.create_date).total_seconds() / 86400.0, 0.0),
        }

    def _examples(self, leads, visits):
        examples, outcomes, closed_at = [], [], []
        for lead in leads:
            for stage, moment in visits[lead.id]:
                examples.append(self._example(lead, stage, moment))
                outcomes.append(1.0 if lead.won_status == "won" else 0.0)
                closed_at.append(lead.date_closed)
        return examples, np.array(outcomes), closed_at

    def _fit_examples(self, examples, outcomes):
        """Vocabulary, stage odds, scaling and weights fitted on these examples."""
        odds = self._stage_odds((e["stage"], y) for e, y in zip(examples, outcomes, strict=True))
        vocabulary = self._vocabulary(examples)
        X, mean, scale = forecast.standardize(self._matrix(examples, vocabulary, odds))
        weights = forecast.fit_logistic(X, outcomes)
        return {
            "vocabulary": vocabulary,
            "odds": odds,
            "mean": mean.tolist(),
            "scale": scale.tolist(),
            "weights": weights.tolist(),
        }

    def _predict(self, params, examples):
        if not examples:
            return np.zeros(0)
        X = self._matrix(examples, params["vocabulary"], params["odds"])
        X, _mean, _scale = forecast.standardize(
            X, np.array(params["mean"]), np.array(params["scale"])
        )
        return forecast.apply_platt(
            forecast.predict(X, np.array(params["weights"])), params.get("platt", (1.0, 0.0))
        )

    @staticmethod
    def _slippage(leads, visits):
        """Per stage, over won opportunities that went through it: the median days they closed
        after their expected closing date, and the median days from the stage to closing."""
        slips, remaining = defaultdict(list), defaultdict(list)
        for lead in leads:
            if lead.won_status != "won" or not lead.date_closed:
                continue
            for stage, moment in visits[lead.id]:
                remaining[str(stage)].append((lead.date_closed - moment).total_seconds() / 86400)
                if lead.date_deadline:
                    slips[str(stage)].append((lead.date_closed.date() - lead.date_deadline).days)
        all_slips = [s for values in slips.values() for s in values]
        all_remaining = [r for values in remaining.values() for r in values]
        default_slip = median(all_slips) if all_slips else 0.0
        default_remaining = median(all_remaining) if all_remaining else DEFAULT_REMAINING_DAYS
        stages = sorted(set(slips) | set(remaining), key=int)
        return {
            "slip_days": {s: median(slips[s]) if slips[s] else default_slip for s in stages},
            "remaining_days": {
                s: median(remaining[s]) if remaining[s] else default_remaining for s in stages
            },
            "default_slip": default_slip,
            "default_remaining": default_remaining,
        }

    # ------------------------------------------------------------------ fitting and scoring

    @api.model
    def _fit(self, company, moment=None):
        """Fit, measure and store the model of ``company`` on what closed before ``moment``."""
        # sudo: the model is written by the nightly job or a manager for the whole company
        return self.sudo().create(self._learn(company, moment)).sudo(False)

    @api.model
    def _learn(self, company, moment=None):
        """The values of a model of ``company`` fitted on what closed before ``moment``."""
        moment = moment or fields.Datetime.now()
        ranks = self._stage_ranks()
        leads = self._closed_leads(company, moment)
        if not any(lead.won_status == "won" for lead in leads) or all(
            lead.won_status == "won" for lead in leads
        ):
            raise UserError(
                self.env._(
                    "%(company)s needs both won and lost opportunities before win "
                    "probabilities can be learned.",
                    company=company.name,
                )
            )
        visits = self._visits(leads, ranks, self._stage_history(leads))
        examples, outcomes, _closed = self._examples(leads, visits)
        # The oldest closed learn, the next tenth recalibrates, the newest tenth measures.
        held = int(len(leads) * HOLDOUT_SHARE) if len(leads) >= HOLDOUT_MIN else 0
        train = leads[: len(leads) - held]
        recent, test = (
            leads[len(leads) - held : len(leads) - held // 2],
            leads[len(leads) - held // 2 :],
        )
        platt = (1.0, 0.0)
        if held and len({lead.won_status for lead in train}) == 2:
            train_x, train_y, _c = self._examples(train, visits)
            recent_x, recent_y, _c = self._examples(recent, visits)
            test_x, test_y, _c = self._examples(test, visits)
            measured = self._fit_examples(train_x, train_y)
            platt = forecast.fit_platt(self._predict(measured, recent_x), recent_y)
            measured["platt"] = platt
        else:
            held, test_x, test_y = 0, examples, outcomes
            measured = None
        params = self._fit_examples(examples, outcomes)
        params["platt"] = platt
        measured = measured or params
        predicted = self._predict(measured, test_x)
        baseline = np.array([measured["odds"].get(str(e["stage"]), 0.5) for e in test_x])
        params.update(self._slippage(leads, visits))
        return {
            "company_id": company.id,
            "date": fields.Datetime.now(),
            "closed_before": moment,
            "lead_count": len(leads),
            "example_count": len(examples),
            "holdout_count": len(test_x) if held else 0,
            "won_rate": 100.0 * sum(lead.won_status == "won" for lead in leads) / len(leads),
            "brier": forecast.brier(predicted, test_y),
            "brier_baseline": forecast.brier(baseline, test_y),
            "parameters": params,
            "calibration": forecast.reliability(predicted, test_y),
        }

    def _score(self, leads, moment, ranks=None, history=None):
        """Win probability (0-1) and corrected closing date of open ``leads`` at ``moment``."""
        self.ensure_one()
        ranks = ranks or self._stage_ranks()
        history = self._stage_history(leads) if history is None else history
        visits = self._visits(leads, ranks, history)
        params = self.parameters
        examples, closes = [], []
        for lead in leads:
            stage, entered = visits[lead.id][0]
            for visited, at in visits[lead.id]:
                if at <= moment:
                    stage, entered = visited, at
            examples.append(self._example(lead, stage, entered))
            key = str(stage)
            if lead.date_deadline:
                slip = params["slip_days"].get(key, params["default_slip"])
                close = lead.date_deadline + timedelta(days=round(slip))
            else:
                remaining = params["remaining_days"].get(key, params["default_remaining"])
                close = entered.date() + timedelta(days=round(remaining))
            closes.append(max(close, moment.date()))
        return self._predict(params, examples), closes

    def _score_open(self):
        """Write the win probability and corrected closing date of the company's open
        opportunities, in one statement; those of forgotten customers are emptied."""
        self.ensure_one()
        now = fields.Datetime.now()
        leads = [
            lead for lead in self._open_leads(self.company_id, now) if lead.won_status == "pending"
        ]
        probabilities, closes = self._score(leads, now)
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
                [round(100.0 * float(p), 2) for p in probabilities],
                closes,
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
        """Refit every company's model on its closed opportunities and rescore the open ones."""
        for company in self.env["res.company"].search([("active", "=", True)]):
            # A manager's refit of the company waits for the job's, and the other way round.
            self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(%s, %s)", FIT_LOCK, company.id))
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
        if not self.env["crm.relational.forecast"]._try_lock(FIT_LOCK, company):
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

    @api.model
    def _current(self, company):
        return self.search([("company_id", "=", company.id)], limit=1)


class _Lead:
    """One opportunity's facts, as read by ``_lead_rows``."""

    # In the order of the columns of ``_lead_rows``.
    __slots__ = (  # noqa: RUF023
        "id", "stage_id", "team_id", "user_id", "expected_revenue", "create_date",
        "date_closed", "date_deadline", "won_status", "date_last_stage_update", "value_tier",
        "health_score", "probability", "category", "forecast_amount", "customer_id",
        "stored_probability", "stored_close",
    )  # fmt: skip

    def __init__(self, *values):
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)


def day_start(day):
    """Midnight at the start of ``day``, as a naive UTC datetime like Odoo's."""
    return datetime.combine(day, time.min) if isinstance(day, date) else day
