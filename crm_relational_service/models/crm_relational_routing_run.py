import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

OUTCOMES = ("routed", "no_skills", "not_working", "full", "skipped")


class CrmRelationalRoutingRun(models.Model):
    """A bulk routing of tickets, run in the background: the tickets it was given, how far it
    got, and what became of them (routed, or why they stayed in the team queue).

    A helpdesk manager starts it on selected tickets or on a team's unassigned ones; the
    scheduled job routes them by batches in id order, committing each batch with the run's
    counts, so a run stopped half-way keeps what it did and the next job resumes it. One run at
    a time per company; its starter is notified when it has finished.
    """

    _name = "crm.relational.routing.run"
    _inherit = ["crm.relational.job"]
    _description = "Bulk Ticket Routing"
    _order = "id desc"
    # One worker per run; tickets routed and committed together.
    _job_lock = "ticket_routing"
    _job_batch_parameter = "crm_relational_service.routing_batch_size"
    _job_batch_default = 50

    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        readonly=True,
        ondelete="cascade",
        default=lambda self: self.env.company,
    )
    team_id = fields.Many2one(
        "helpdesk.ticket.team",
        readonly=True,
        ondelete="set null",
        help="The team whose unassigned tickets were routed; empty for tickets chosen in the list.",
    )
    user_id = fields.Many2one(
        string="Started By",
        required=True,
        ondelete="cascade",
        help="Told when the run has finished.",
    )
    state = fields.Selection(
        selection_add=[("queued", "Waiting"), ("running",)],
        ondelete={"queued": "cascade"},
        string="Status",
        default="queued",
        help="Waiting for the scheduled job, running (batches committed as they are done) or "
        "done. One run at a time per company.",
    )
    ticket_ids = fields.Many2many(
        "helpdesk.ticket",
        "crm_relational_routing_run_ticket_rel",
        "run_id",
        "ticket_id",
        string="Tickets",
        readonly=True,
        help="The tickets the run was given: open and unassigned, of routing teams, when it "
        "started.",
    )
    started_at = fields.Datetime(string="Started")
    finished_at = fields.Datetime(string="Finished")
    total_count = fields.Integer(string="Tickets to Route", readonly=True)
    done_count = fields.Integer(string="Tickets Done")
    progress = fields.Float(help="Tickets done, in percent.")
    last_ticket_id = fields.Integer(
        string="Last Ticket Done",
        readonly=True,
        help="Tickets are routed in id order; a run stopped half-way resumes after this one.",
    )
    routed_count = fields.Integer(string="Routed", readonly=True)
    no_skills_count = fields.Integer(
        string="No Agent With the Skills",
        readonly=True,
        help="Left in the team queue: no agent of the team has the required skills at the "
        "required level.",
    )
    not_working_count = fields.Integer(
        string="No Qualified Agent Working",
        readonly=True,
        help="Left in the team queue: the qualified agents were not working at that moment "
        "(outside their hours or on time off).",
    )
    full_count = fields.Integer(
        string="Qualified Agents Full",
        readonly=True,
        help="Left in the team queue: every qualified agent working then had reached their "
        "capacity of open tickets.",
    )
    skipped_count = fields.Integer(
        string="Skipped",
        readonly=True,
        help="Not routed because they were already assigned, closed, or their team does not "
        "route by skills any more when the run reached them.",
    )
    summary = fields.Text(compute="_compute_summary", help="What became of the tickets.")

    _one_open_run = models.UniqueIndex(
        "(company_id) WHERE state != 'done'",
        "Tickets are already being routed in this company; wait for that run to finish.",
    )

    @api.depends(*(f"{outcome}_count" for outcome in OUTCOMES), "done_count", "total_count")
    def _compute_summary(self):
        for run in self:
            run.summary = run._summary()

    @api.depends("total_count", "started_at")
    def _compute_display_name(self):
        for run in self:
            run.display_name = self.env._("Routing of %(count)s tickets", count=run.total_count)

    # ------------------------------------------------------------------ start

    @api.model
    def _start(self, tickets, team=False):
        """Queue a run routing ``tickets`` (the unassigned open ones of routing teams) and start
        the scheduled job now; refused to non-managers and while a run of the company is not
        finished."""
        if not self.env.user.has_group("helpdesk_mgmt.group_helpdesk_manager"):
            raise AccessError(self.env._("Only helpdesk managers route tickets in bulk."))
        company = self.env.company
        tickets = self.env["helpdesk.ticket"].search(
            [("id", "in", tickets.ids), ("user_id", "=", False), ("closed", "=", False),
             ("team_id.relational_routing", "=", True), ("company_id", "=", company.id)],
            order="id",
        )  # fmt: skip
        if not tickets:
            raise UserError(
                self.env._(
                    "There is nothing to route: only open, unassigned tickets of %(company)s in "
                    "teams with skills-based routing are routed.",
                    company=company.name,
                )
            )
        running = self._open_run(company)
        if running:
            raise UserError(
                self.env._(
                    "Tickets are already being routed (started by %(user)s: %(done)s of "
                    "%(total)s done); wait for that run to finish.",
                    user=running.user_id.name,
                    done=running.done_count,
                    total=running.total_count,
                )
            )
        run = self.create(
            {
                "company_id": company.id,
                "team_id": team and team.id,
                "ticket_ids": [fields.Command.set(tickets.ids)],
                "total_count": len(tickets),
            }
        )
        # sudo: starting a scheduled action needs write access on it, not given to managers
        self.env.ref("crm_relational_service.ir_cron_route_tickets").sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._(
                    "%(count)s tickets are being routed in the background; you will be told "
                    "when it has finished.",
                    count=len(tickets),
                ),
                "next": {
                    "type": "ir.actions.act_window",
                    "res_model": self._name,
                    "res_id": run.id,
                    "views": [(False, "form")],
                    "target": "current",
                },
            },
        }

    def _open_run(self, company):
        """The company's unfinished run, if any; a lock keeps two starts from both seeing
        none (the unique index is the last guard)."""
        self._try_lock(-company.id, wait=True)
        return self.search([("company_id", "=", company.id), ("state", "!=", "done")], limit=1)

    # ------------------------------------------------------------------ job

    @api.model
    def _cron_route(self):
        """Scheduled job: carry every unfinished run to its end, committing after each batch;
        stop when the scheduler says no time is left (it calls the job again for the rest)."""
        for run in self.search([("state", "!=", "done")], order="id"):
            if run._process() is None:
                return

    def _process(self):
        """Route the run's tickets after the last one done, by batches in id order, with the
        counts written after each batch; then tell the starter. False if another worker has
        the run; None if stopped half-way (out of time, or another worker took it over)."""
        self.ensure_one()
        if not self._lock():
            _logger.info("Routing run %s: another worker has it", self.id)
            return False
        if self.state == "queued":
            self.write({"state": "running", "started_at": fields.Datetime.now()})
        Ticket = self.env["helpdesk.ticket"].with_company(self.company_id)
        batch_size = self._batch_size()
        while True:
            self.env.cr.execute(
                SQL(
                    """SELECT ticket_id FROM crm_relational_routing_run_ticket_rel
                        WHERE run_id = %s AND ticket_id > %s ORDER BY ticket_id LIMIT %s""",
                    self.id,
                    self.last_ticket_id,
                    batch_size,
                )
            )
            ids = [row[0] for row in self.env.cr.fetchall()]
            if not ids:
                break
            outcomes = self.env["crm.relational.routing"]._route(Ticket.browse(ids).exists())
            outcomes["skipped"] += len(ids) - sum(outcomes.values())  # deleted since
            values = {
                f"{outcome}_count": self[f"{outcome}_count"] + outcomes[outcome]
                for outcome in OUTCOMES
            }
            values.update(done_count=self.done_count + len(ids), last_ticket_id=ids[-1])
            self.write(values)
            if not self._commit_progress(len(ids)):
                return None
        self.write({"state": "done", "finished_at": fields.Datetime.now()})
        self._notify_done()
        return True

    def _notify_done(self):
        """Tell the user who started the run that it has finished, with its counts (the same
        bus notification as crm_relational's background recompute)."""
        self.ensure_one()
        everything = self.routed_count == self.total_count
        self._notify(
            self.user_id,
            self.env._("Ticket routing finished"),
            self._summary(),
            kind="success" if everything else "warning",
            sticky=not everything,
        )

    def _unfinished_message(self):
        return self.env._(
            "Tickets are still being routed by this run; wait for it to finish before deleting it."
        )

    def _lock_id(self):
        # One worker per run (several companies' runs may go on at once).
        self.ensure_one()
        return self.id

    def _summary(self):
        """The run's outcome in a sentence or two a team leader can act on."""
        self.ensure_one()
        left = self.no_skills_count + self.not_working_count + self.full_count
        text = self.env._(
            "%(routed)s of %(total)s tickets routed, %(left)s left unassigned.",
            routed=self.routed_count,
            total=self.total_count,
            left=left + self.skipped_count,
        )
        reasons = [
            reason
            for count, reason in (
                (self.no_skills_count,
                 self.env._("%(count)s: no agent with the skills", count=self.no_skills_count)),
                (self.not_working_count,
                 self.env._("%(count)s: no qualified agent working now",
                            count=self.not_working_count)),
                (self.full_count,
                 self.env._("%(count)s: the qualified agents are full", count=self.full_count)),
                (self.skipped_count,
                 self.env._("%(count)s: already assigned or closed", count=self.skipped_count)),
            )
            if count
        ]  # fmt: skip
        if reasons:
            text = f"{text} {'; '.join(reasons)}."
        return text
