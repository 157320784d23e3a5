from odoo import api, fields, models
from odoo.tools import SQL

from ..system_fields import check_system_fields


class HelpdeskTicketSla(models.Model):
    """A ticket's service level: first-reply targets, and escalation once missed."""

    _inherit = "helpdesk.ticket.sla"

    relational_escalated = fields.Boolean(
        string="Escalated",
        readonly=True,
        copy=False,
        help="The missed target has been escalated to the team leader (done once).",
    )

    @api.model_create_multi
    def create(self, vals_list):
        # A ticket's service levels come from its team's definitions, set by the system.
        for vals in vals_list:
            check_system_fields(self, vals)
        return super().create(vals_list)

    def write(self, vals):
        # Met, missed, deadline and time consumed: kept by the system, not typed in.
        check_system_fields(self, vals)
        return super().write(vals)

    def _first_reply(self):
        return self.filtered(lambda sla: sla.sla_id.relational_target == "first_response")

    @api.depends("sla_id")
    def _compute_sla_data(self):
        result = super()._compute_sla_data()
        for record in self._first_reply():
            if record.ticket_id.relational_first_response_date:
                record.state = "accomplished"
            elif record.state == "accomplished":
                record.state = "in_progress"
        return result

    def _stage_recompute(self):
        if self.sla_id.relational_target != "first_response" or self.state in (
            "accomplished", "expired"
        ):  # fmt: skip
            return super()._stage_recompute()
        # A stage change neither meets nor misses a first reply; it may pause or resume it.
        now = fields.Datetime.now()
        calendar = self.ticket_id.team_id.resource_calendar_id
        if self.state == "in_progress":
            self.consumed_time += calendar.get_work_hours_count(
                self.last_state_date, now, compute_leaves=True
            )
        paused = self.ticket_id.stage_id in self.sla_id.ignore_stage_ids
        self.state = "on_hold" if paused else "in_progress"
        self.last_state_date = now
        return None

    def _relational_replied(self, moment):
        """The first reply reached the customer at ``moment``: met or missed."""
        for record in self._first_reply().filtered(lambda r: r.state in ("in_progress", "on_hold")):
            missed = record.deadline and record.deadline < moment
            record.state = "expired" if missed else "accomplished"

    @api.model
    def _cron_relational_escalate(self):
        """Escalate every missed service level once, as its definition says. Rows another run
        is escalating are skipped, so two overlapping runs never escalate one twice."""
        missed = self.search(
            [
                ("state", "=", "in_progress"),
                ("deadline", "<", fields.Datetime.now()),
                ("relational_escalated", "=", False),
                ("sla_id.relational_escalation", "!=", "none"),
            ]
        )
        if not missed:
            return
        self.env.cr.execute(
            SQL(
                "SELECT id FROM helpdesk_ticket_sla WHERE id = ANY(%s)"
                " AND NOT COALESCE(relational_escalated, FALSE) FOR UPDATE SKIP LOCKED",
                missed.ids,
            )
        )
        missed = self.browse(row[0] for row in self.env.cr.fetchall())
        for record in missed:
            record._relational_escalate()
        missed.relational_escalated = True

    def _relational_escalate(self):
        self.ensure_one()
        ticket, leader = self.ticket_id, self.ticket_id.team_id.user_id
        body = self.env._(
            "Service level %(sla)s missed: its deadline was %(deadline)s.",
            sla=self.sla_id.name,
            deadline=fields.Datetime.to_string(self.deadline),
        )
        if self.sla_id.relational_escalation == "reassign" and leader:
            ticket.write({"user_id": leader.id})
            body += " " + self.env._(
                "Reassigned to the team leader %(leader)s.", leader=leader.name
            )
        elif leader:
            ticket.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Service level missed: %(sla)s", sla=self.sla_id.name),
                user_id=leader.id,
            )
        ticket.message_post(body=body, subtype_xmlid="mail.mt_note")
