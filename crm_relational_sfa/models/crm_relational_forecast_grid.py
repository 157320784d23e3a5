from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .crm_relational_forecast import period_bounds
from .crm_relational_forecast_model import day_start

# An open opportunity at least this likely (Odoo's probability, %) counts in the commit and
# the best case whatever its forecast category, as a salesperson would call it.
COMMIT_PROBABILITY = 90.0
USER_GROUP = "crm_relational_sfa.group_user"
MANAGER_GROUP = "crm_relational_sfa.group_manager"
ALL_LEADS_GROUP = "sales_team.group_sale_salesman_all_leads"
# The figures of the grid computed from documents, each one clickable to them.
DOCUMENT_FIGURES = (
    "closed_won",
    "closed_orders",
    "commit",
    "best_case",
    "pipeline",
    "odoo_weighted",
)
CALLS = ("commit", "best_case")


class CrmRelationalForecastGrid(models.AbstractModel):
    """The forecast grid of a sales manager's meeting: per sales team and salesperson, for one
    month or quarter, the target, what closed, the commit and best case (the salespeople's
    calls, else computed from their opportunities), the pipeline, our P50 forecast with its
    P10-P90 band, Odoo's weighted pipeline, the gap to the target and the attainment.

    Read in one call (``grid``), computed set-based from the documents the user may read, so
    nobody sees more through it than through the opportunities and orders themselves; every
    figure opens the documents behind it (``action_open_documents``) with the very domain it
    was summed over."""

    _name = "crm.relational.forecast.grid"
    _description = "Forecast Grid"

    # ------------------------------------------------------------------ actions

    @api.readonly
    @api.model
    def grid(self, date_from=None, period_type="quarter"):
        """The whole grid of the month or quarter holding ``date_from`` (today by default) of
        the current company, as the user may see it: salespeople see their own row, sales
        team leaders their teams, managers and users reading all documents every team and
        the company. Amounts in the company currency."""
        self._check_grid_access()
        company = self.env.company
        start, end = self._period(date_from, period_type)
        sums = self._document_sums(company, start, end)
        targets, team_targets = self._grid_targets(company, start, end)
        latest = self.env["crm.relational.forecast.submission"]._latest(company, start, end)
        bands, forecast = self._bands(company, start, end)
        members = self._members(company)
        scope = self._scope()

        keys = set(sums) | set(targets) | set(members)
        keys |= {key for key in latest if key[1]}
        teams = defaultdict(list)
        for team_id, user_id in keys:
            teams[team_id].append(user_id)
        band_rows = self._band_rows(keys)
        team_records = self.env["crm.team"].browse([t for t in teams if t]).exists()
        team_names = {team.id: team.name for team in team_records}
        user_names = {
            user.id: user.name
            for user in self.env["res.users"].browse({u for _t, u in keys if u}).exists()
        }
        team_rows = []
        for team_id in sorted(teams, key=lambda t: (not t, team_names.get(t, ""))):
            reps = []
            for user_id in teams[team_id]:
                figures = self._row_figures(
                    sums.get((team_id, user_id), {}),
                    targets.get((team_id, user_id), 0.0),
                    latest.get((team_id, user_id), {}),
                    # the forecast is per salesperson, whatever the team: shown once, on the
                    # row of their main team (or their only row)
                    bands["salesperson"].get(user_id)
                    if band_rows.get(user_id) == team_id
                    else None,
                )
                name = user_names.get(user_id) or self.env._("Unassigned")
                reps.append({"user_id": user_id, "figures": figures, "name": name})
            team = self._team_figures(
                [rep["figures"] for rep in reps],
                team_targets.get(team_id),
                latest.get((team_id, False), {}),
                bands["team"].get(team_id),
            )
            reps = [rep for rep in reps if scope.row(team_id, rep["user_id"])]
            if not reps and not scope.team(team_id):
                continue
            for rep in reps:
                rep["can_submit"] = bool(team_id) and scope.submit(team_id, rep["user_id"])
                rep["can_adjust"] = bool(team_id) and bool(rep["user_id"]) and scope.team(team_id)
            reps.sort(key=lambda rep: (-rep["figures"]["closed"], rep["name"]))
            full = scope.team(team_id)
            team_rows.append({
                "team_id": team_id,
                "name": team_names.get(team_id) or self.env._("No Sales Team"),
                "figures": team if full else None,
                "can_adjust": bool(team_id) and full,
                "rows": reps,
            })  # fmt: skip
        company_figures = None
        if scope.all:
            company_figures = self._sum_figures([team["figures"] for team in team_rows])
            company_figures.update(self._band_figures(bands["company"].get(None)))
            company_figures.update(self._ratios(company_figures))
        return {
            "company": {"id": company.id, "name": company.name},
            "currency_id": company.currency_id.id,
            "period": {"date_from": start, "date_to": end, "type": period_type},
            "periods": self._navigation(start, period_type),
            "commit_probability": COMMIT_PROBABILITY,
            "forecast": {"id": forecast.id, "date": forecast.date} if forecast else None,
            "total": company_figures,
            "teams": team_rows,
        }

    @api.readonly
    @api.model
    def action_open_documents(self, figure, date_from, date_to, team_id=None, user_id=None):
        """The opportunities or orders behind one figure of the grid: the very domain it was
        summed over, for the team and salesperson of the cell (``team_id``/``user_id``: an
        id, 0 for none, omitted for all)."""
        self._check_grid_access()
        if figure not in DOCUMENT_FIGURES:
            raise UserError(self.env._("The forecast grid has no figure %(figure)s.",
                                       figure=figure))  # fmt: skip
        start, end = self._dates(date_from, date_to)
        model, domain, _amount = self._figure_domains(self.env.company, start, end)[figure]
        for field_name, value in (("team_id", team_id), ("user_id", user_id)):
            if value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise UserError(self.env._("A sales team or salesperson is an id, or 0 for none."))
            domain = [*domain, (field_name, "=", value or False)]
        names = {
            "closed_won": self.env._("Won Opportunities"),
            "closed_orders": self.env._("Confirmed Orders Without Opportunity"),
            "commit": self.env._("Commit Opportunities"),
            "best_case": self.env._("Best Case Opportunities"),
            "pipeline": self.env._("Open Opportunities"),
            "odoo_weighted": self.env._("Open Opportunities"),
        }
        return {
            "type": "ir.actions.act_window",
            "name": names[figure],
            "res_model": model,
            "domain": domain,
            "views": [[False, "list"], [False, "form"]],
            "context": {"create": False},
        }

    # ------------------------------------------------------------------ figures

    def _figure_domains(self, company, start, end):
        """{figure: (model, domain, SQL amount of one document in the company currency)}:
        what each figure of the grid sums; the drill-down opens the same domain."""
        after, before = day_start(start), day_start(end + timedelta(days=1))
        opportunity = [("type", "=", "opportunity"), ("company_id", "=", company.id)]
        open_ = [
            *opportunity, ("won_status", "=", "pending"), ("active", "=", True),
            ("date_deadline", ">=", start), ("date_deadline", "<=", end),
        ]  # fmt: skip
        counted = [("forecast_effective_category", "!=", "omitted")]
        likely = [("probability", ">=", COMMIT_PROBABILITY)]
        amount = SQL("forecast_effective_amount")
        return {
            "closed_won": (
                "crm.lead",
                [
                    *opportunity,
                    ("won_status", "=", "won"),
                    ("date_closed", ">=", after),
                    ("date_closed", "<", before),
                ],
                SQL("expected_revenue"),
            ),
            "closed_orders": (
                "sale.order",
                [
                    ("company_id", "=", company.id),
                    ("state", "=", "sale"),
                    ("opportunity_id", "=", False),
                    ("date_order", ">=", after),
                    ("date_order", "<", before),
                ],
                SQL("amount_untaxed / COALESCE(NULLIF(currency_rate, 0), 1)"),
            ),
            "commit": (
                "crm.lead",
                [*open_, *counted, "|", ("forecast_effective_category", "=", "commit"), *likely],
                amount,
            ),
            "best_case": (
                "crm.lead",
                [
                    *open_,
                    *counted,
                    "|",
                    ("forecast_effective_category", "in", ["commit", "best_case"]),
                    *likely,
                ],
                amount,
            ),
            "pipeline": ("crm.lead", [*open_, *counted], amount),
            "odoo_weighted": ("crm.lead", open_, SQL("prorated_revenue")),
        }

    def _document_sums(self, company, start, end):
        """{(team id, user id): {figure: sum}} over the documents the user may read; one
        query per figure, whatever the number of teams and salespeople."""
        self.env.flush_all()
        sums = defaultdict(lambda: dict.fromkeys(DOCUMENT_FIGURES, 0.0))
        for figure, (model, domain, amount) in self._figure_domains(company, start, end).items():
            Model = self.env[model]
            query = Model._search(domain)
            self.env.cr.execute(
                SQL(
                    """
                SELECT COALESCE(team_id, 0), COALESCE(user_id, 0), SUM(%s)
                  FROM %s WHERE id IN %s GROUP BY 1, 2
                    """,
                    amount,
                    SQL.identifier(Model._table),
                    query.subselect(),
                )
            )
            for team_id, user_id, total in self.env.cr.fetchall():
                sums[team_id or False, user_id or False][figure] = total or 0.0
        return sums

    def _grid_targets(self, company, start, end):
        """Targets the user may read, prorated by the days in common with the period:
        ({(team id, user id): amount}, {team id: amount of the team's own targets}). A
        salesperson's target without a team goes to their row in their main team."""
        targets = self.env["crm.relational.sales.target"].search(
            [("company_id", "=", company.id), ("date_from", "<=", end), ("date_to", ">=", start)]
        )
        by_row, by_team = defaultdict(float), defaultdict(float)
        for target in targets:
            common = (min(end, target.date_to) - max(start, target.date_from)).days + 1
            share = target.amount * common / ((target.date_to - target.date_from).days + 1)
            if target.user_id:
                team = target.team_id or target.user_id.sale_team_id
                by_row[team.id or False, target.user_id.id] += share
            else:
                by_team[target.team_id.id] += share
        return by_row, by_team

    def _bands(self, company, start, end):
        """P10/P50/P90 of the latest forecast of the company for exactly this period, per
        salesperson, team and the company, from the lines the user may read."""
        bands = {"salesperson": {}, "team": {}, "company": {}}
        forecast = self.env["crm.relational.forecast"].search(
            [("company_id", "=", company.id)], limit=1
        )
        if not forecast:
            return bands, forecast
        lines = self.env["crm.relational.forecast.line"].search_fetch(
            [("forecast_id", "=", forecast.id), ("date_from", "=", start), ("date_to", "=", end)],
            ["level", "user_id", "team_id", "p10", "p50", "p90"],
        )
        for line in lines:
            owner = {"salesperson": line.user_id.id, "team": line.team_id.id}.get(line.level)
            bands[line.level][owner or None] = (line.p10, line.p50, line.p90)
        return bands, forecast

    def _band_rows(self, keys):
        """{user id: the team of the row showing the salesperson's P10/P50/P90}: their main
        team (Odoo's ``sale_team_id``) if they have a row there, else their first row."""
        rows = defaultdict(list)
        for team_id, user_id in sorted(keys, key=lambda key: (key[0] or 0, key[1] or 0)):
            if user_id:
                rows[user_id].append(team_id)
        main = {user.id: user.sale_team_id.id for user in self.env["res.users"].browse(list(rows))}
        return {
            user_id: main[user_id] if main[user_id] in teams else teams[0]
            for user_id, teams in rows.items()
        }

    def _members(self, company):
        """The (team, salesperson) rows of every active member of the company's teams, so a
        salesperson without figures yet can still submit a call."""
        members = self.env["crm.team.member"].search_fetch(
            [("crm_team_id.company_id", "in", [company.id, False]), ("active", "=", True)],
            ["crm_team_id", "user_id"],
        )
        return {(member.crm_team_id.id, member.user_id.id) for member in members}

    def _row_figures(self, sums, target, calls, band):
        """One salesperson's figures: the computed ones, their latest call and adjustment, and
        what counts (the adjustment, else the call, else the computed)."""
        figures = {figure: sums.get(figure, 0.0) for figure in DOCUMENT_FIGURES}
        figures["closed"] = figures["closed_won"] + figures["closed_orders"]
        figures["target"] = target
        figures.update(self._calls(figures, calls))
        figures.update(self._band_figures(band))
        figures.update(self._ratios(figures))
        return figures

    def _team_figures(self, reps, target, calls, band):
        """A team's figures: its salespeople's sums, its own target if any (else theirs), and
        its commit and best case adjusted as a whole if the team was adjusted."""
        figures = self._sum_figures(reps)
        if target is not None:
            figures["target"] = target
        for figure in CALLS:
            figures[f"rollup_{figure}"] = figures[figure]
        figures["submitted"] = None
        figures["adjusted"] = self._call_values(calls.get("adjustment"))
        if figures["adjusted"]:
            figures.update({figure: figures["adjusted"][figure] for figure in CALLS})
        figures.update(self._band_figures(band))
        figures.update(self._ratios(figures))
        return figures

    def _calls(self, figures, calls):
        submitted = self._call_values(calls.get("submission"))
        adjusted = self._call_values(calls.get("adjustment"))
        values = {f"computed_{figure}": figures[figure] for figure in CALLS}
        values.update(submitted=submitted, adjusted=adjusted)
        counting = adjusted or submitted
        if counting:
            values.update({figure: counting[figure] for figure in CALLS})
        return values

    @staticmethod
    def _call_values(call):
        if not call:
            return None
        return {
            "id": call.id,
            "commit": call.commit,
            "best_case": call.best_case,
            "comment": call.comment or "",
            "reason": call.reason or "",
            "by": call.submitted_by_id.name,
            "on": call.submitted_on,
        }

    @staticmethod
    def _sum_figures(rows):
        summed = ("target", "closed", *DOCUMENT_FIGURES, *(f"computed_{f}" for f in CALLS))
        return {figure: sum(row[figure] for row in rows if row) for figure in summed}

    @staticmethod
    def _band_figures(band):
        p10, p50, p90 = band or (None, None, None)
        return {"p10": p10, "p50": p50, "p90": p90}

    @staticmethod
    def _ratios(figures):
        """Gap to the target (what is still to find beyond the closed and the commit) and the
        attainment (closed over target, and closed plus commit over target), in %."""
        target = figures["target"]
        reached = figures["closed"] + figures["commit"]
        return {
            "gap": target - reached if target else None,
            "attainment": 100.0 * figures["closed"] / target if target else None,
            "commit_attainment": 100.0 * reached / target if target else None,
        }

    # ------------------------------------------------------------------ private helpers

    def _check_grid_access(self):
        if not self.env.user.has_group(USER_GROUP):
            raise AccessError(self.env._("The forecast grid is for the sales team."))

    def _scope(self):
        """Which rows the user sees and which calls they may make."""
        user = self.env.user
        see_all = user.has_group(MANAGER_GROUP) or user.has_group(ALL_LEADS_GROUP)
        manager = user.has_group(MANAGER_GROUP)
        led = set(self.env["crm.team"].search([("user_id", "=", user.id)]).ids)

        class Scope:
            all = see_all

            @staticmethod
            def team(team_id):
                return see_all or team_id in led

            @staticmethod
            def row(team_id, user_id):
                return see_all or team_id in led or user_id == user.id

            @staticmethod
            def submit(team_id, user_id):
                return user_id == user.id or manager or team_id in led

        return Scope

    def _period(self, day, period_type):
        if period_type not in ("month", "quarter"):
            raise UserError(self.env._("A forecast period is a month or a quarter."))
        day = self._dates(day)[0] if day else fields.Date.context_today(self)
        return period_bounds(day, period_type)

    def _dates(self, *values):
        try:
            return [fields.Date.to_date(value) for value in values]
        except (TypeError, ValueError) as error:
            raise UserError(self.env._("A forecast period needs dates like 2026-10-01.")) from error

    def _navigation(self, start, period_type):
        """The quarter holding the period and its months, the quarters before and after."""
        quarter_start, quarter_end = period_bounds(start, "quarter")
        months = [quarter_start + relativedelta(months=n) for n in range(3)]
        return {
            "quarter": [quarter_start, quarter_end],
            "months": [[month, month + relativedelta(months=1, days=-1)] for month in months],
            "previous": quarter_start - relativedelta(months=3),
            "next": quarter_start + relativedelta(months=3),
            "today": fields.Date.context_today(self),
        }
