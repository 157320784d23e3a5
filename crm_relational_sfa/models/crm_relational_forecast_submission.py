from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL

from ..number_limits import MAX_AMOUNT, check_number_limits

KINDS = [("submission", "Submission"), ("adjustment", "Adjustment")]
MANAGER_GROUP = "crm_relational_sfa.group_manager"


class CrmRelationalForecastSubmission(models.Model):
    """A salesperson's call for a period (commit and best case, with a comment), or a
    manager's adjustment of a salesperson's or a sales team's call, with its reason.

    Never changed once made: a new call or adjustment is a new record, so the history of every
    call is kept and the latest one counts. The forecast grid rolls them up: a salesperson's
    latest adjustment, else their latest submission, else the computed figures; a team's
    adjustment, else the sum of its salespeople; the company, the sum of its teams."""

    _name = "crm.relational.forecast.submission"
    _description = "Forecast Submission"
    _order = "submitted_on desc, id desc"

    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True,
        default=lambda self: self.env.company,
    )  # fmt: skip
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        index=True,
        help="Whose call it is; empty for an adjustment of the whole sales team's call.",
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", required=True, index=True)
    date_from = fields.Date(string="Period Start", required=True)
    date_to = fields.Date(string="Period End", required=True)
    kind = fields.Selection(
        KINDS,
        required=True,
        default="submission",
        help="Submission: the salesperson's own call. Adjustment: a sales team leader's or "
        "manager's correction of a salesperson's or a team's call; it counts instead of the "
        "submissions until it is adjusted again.",
    )
    commit = fields.Monetary(
        required=True,
        help="Revenue of open opportunities the salesperson is sure to win in the period, on "
        "top of what is already closed.",
    )
    best_case = fields.Monetary(
        required=True,
        help="The commit plus the revenue that could also be won in the period if things go well.",
    )
    comment = fields.Text(help="What the call rests on: the deals, the risks.")
    reason = fields.Text(help="Why the call was adjusted; required for an adjustment.")
    submitted_by_id = fields.Many2one(
        "res.users", required=True, readonly=True,
        default=lambda self: self.env.user,
    )  # fmt: skip
    submitted_on = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)

    _check_amounts = models.Constraint(
        "CHECK(commit >= 0 AND best_case >= commit)",
        "A forecast call cannot be negative, and its best case is at least its commit.",
    )
    _check_dates = models.Constraint(
        "CHECK(date_from <= date_to)", "A forecast period must end after it starts."
    )
    _check_team_call = models.Constraint(
        "CHECK(user_id IS NOT NULL OR kind = 'adjustment')",
        "Only an adjustment can be made for a whole sales team.",
    )

    @api.depends("user_id", "team_id", "kind", "date_from", "date_to")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for call in self:
            owner = call.user_id.name or call.team_id.name or ""
            call.display_name = (
                f"{owner} {call.date_from or ''} → {call.date_to or ''} ({kinds.get(call.kind)})"
            )

    @api.constrains("kind", "reason")
    def _check_reason(self):
        for call in self:
            if call.kind == "adjustment" and not (call.reason or "").strip():
                raise ValidationError(
                    self.env._("An adjustment of a forecast call needs its reason.")
                )

    @api.constrains("user_id", "team_id", "company_id")
    def _check_team(self):
        for call in self:
            if call.team_id.company_id and call.team_id.company_id != call.company_id:
                raise ValidationError(
                    self.env._("The sales team %(team)s belongs to another company.",
                               team=call.team_id.name)
                )  # fmt: skip

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_number_limits(self, vals, {"commit": MAX_AMOUNT, "best_case": MAX_AMOUNT})
            # who and when are the system's, never the caller's
            vals.pop("submitted_by_id", None)
            vals.pop("submitted_on", None)
        calls = super().create(vals_list)
        calls._check_authority()
        return calls

    def write(self, vals):
        """Calls are history: a new call is a new record."""
        if not self.env.su:
            raise AccessError(
                self.env._("A forecast call is never changed: submit or adjust it again.")
            )
        return super().write(vals)

    # ------------------------------------------------------------------ business methods

    @api.model
    def _latest(self, company, date_from, date_to):
        """The calls that count for the period, among those the user may read: {(team id,
        user id or False): {"submission": call, "adjustment": call}} with the latest call of
        each kind; one query."""
        self.flush_model()
        query = self._search(
            [("company_id", "=", company.id), ("date_from", "=", date_from),
             ("date_to", "=", date_to)]
        )  # fmt: skip
        self.env.cr.execute(
            SQL(
                """
            SELECT DISTINCT ON (team_id, user_id, kind) id
              FROM crm_relational_forecast_submission
             WHERE id IN %s
             ORDER BY team_id, user_id, kind, submitted_on DESC, id DESC
                """,
                query.subselect(),
            )
        )
        latest = {}
        for call in self.browse([row[0] for row in self.env.cr.fetchall()]):
            latest.setdefault((call.team_id.id, call.user_id.id), {})[call.kind] = call
        return latest

    # ------------------------------------------------------------------ private helpers

    def _check_authority(self):
        """A salesperson submits their own call; a sales team's leader submits and adjusts
        the calls of the team's salespeople and the team's; managers, everyone's."""
        if self.env.su or self.env.user.has_group(MANAGER_GROUP):
            return
        user = self.env.user
        for call in self:
            leader = call.team_id.user_id == user
            own = call.user_id == user and call.kind == "submission"
            if own and (user in call.team_id.member_ids or leader):
                continue
            if leader and (not call.user_id or call.user_id in call.team_id.member_ids):
                continue
            if call.kind == "adjustment":
                message = self.env._(
                    "Only the leader of %(team)s or a sales manager adjusts its forecast calls.",
                    team=call.team_id.name,
                )
            elif call.user_id != user:
                message = self.env._(
                    "You submit your own forecast call only; %(user)s submits theirs.",
                    user=call.user_id.name,
                )
            else:
                message = self.env._(
                    "You are not a member of %(team)s: submit your call for your own team.",
                    team=call.team_id.name,
                )
            raise AccessError(message)
