from datetime import datetime

from freezegun import freeze_time

from .common import ServiceCase

FRIDAY_3PM = datetime(2026, 11, 20, 15, 0)


class TestServiceLevel(ServiceCase):
    """Service levels counted in working hours, paused, met by a reply, escalated."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        SLA = cls.env["helpdesk.sla"]
        cls.resolution = SLA.create(
            {"name": "Resolve in a working day", "team_ids": [(6, 0, cls.team.ids)], "hours": 8,
             "stage_id": cls.stage_done.id, "ignore_stage_ids": [(6, 0, cls.stage_waiting.ids)],
             "relational_escalation": "reassign"}
        )  # fmt: skip
        cls.first_reply = SLA.create(
            {"name": "Reply within two hours", "team_ids": [(6, 0, cls.team.ids)], "hours": 2,
             "relational_target": "first_response",
             "ignore_stage_ids": [(6, 0, cls.stage_waiting.ids)]}
        )  # fmt: skip
        cls.tier_a = SLA.create(
            {"name": "Tier A: resolve in half a day", "team_ids": [(6, 0, cls.team.ids)],
             "hours": 4, "stage_id": cls.stage_done.id, "relational_value_tier": "A"}
        )  # fmt: skip
        cls.tier_c = SLA.create(
            {"name": "Tier C: two days", "team_ids": [(6, 0, cls.team.ids)], "hours": 16,
             "stage_id": cls.stage_done.id, "relational_value_tier": "C"}
        )  # fmt: skip

    def _deadline(self, ticket, sla):
        return ticket.ticket_sla_ids.filtered(lambda line: line.sla_id == sla).deadline

    def test_deadlines_skip_nights_weekends_and_holidays(self):
        ticket = self._ticket(FRIDAY_3PM)
        self.assertEqual(ticket.sla_ids, self.resolution | self.first_reply)
        # Two hours left on Friday: the reply is due at closing time.
        self.assertEqual(self._deadline(ticket, self.first_reply), datetime(2026, 11, 20, 17, 0))
        # 2 hours on Friday, the weekend and Monday's holiday skipped, 6 hours on Tuesday.
        self.assertEqual(self._deadline(ticket, self.resolution), datetime(2026, 11, 24, 14, 0))
        self.assertEqual(ticket.sla_deadline, datetime(2026, 11, 20, 17, 0))

    def test_a_higher_tier_shortens_and_a_lower_one_never_lengthens(self):
        profile = self.env["crm.relational.profile"].create(
            {"partner_id": self.customer.id, "company_id": self.env.company.id,
             "value_tier": "A"}
        )  # fmt: skip
        ticket = self._ticket(FRIDAY_3PM)
        self.assertEqual(ticket.sla_ids, self.resolution | self.first_reply | self.tier_a)
        self.assertEqual(self._deadline(ticket, self.tier_a), datetime(2026, 11, 24, 10, 0))
        profile.value_tier = "C"
        ticket.refresh_sla()
        self.assertEqual(ticket.sla_ids, self.resolution | self.first_reply | self.tier_c)
        # The base level still applies: tier C's two days do not push the earliest deadline.
        resolutions = ticket.ticket_sla_ids.filtered(lambda line: line.sla_id != self.first_reply)
        self.assertEqual(min(resolutions.mapped("deadline")), datetime(2026, 11, 24, 14, 0))

    def test_waiting_on_the_customer_pauses_the_clock(self):
        monday_9am = datetime(2026, 11, 16, 9, 0)
        ticket = self._ticket(monday_9am)
        self.assertEqual(self._deadline(ticket, self.resolution), datetime(2026, 11, 16, 17, 0))
        with freeze_time("2026-11-16 11:00:00"):
            ticket.stage_id = self.stage_waiting
        line = ticket.ticket_sla_ids.filtered(lambda line: line.sla_id == self.resolution)
        self.assertEqual((line.state, line.consumed_time), ("on_hold", 2.0))
        with freeze_time("2026-11-17 10:00:00"):
            ticket.stage_id = self.stage_progress
        # Six working hours were left when the customer answered on Tuesday at ten.
        self.assertEqual(line.state, "in_progress")
        self.assertEqual(line.deadline, datetime(2026, 11, 17, 16, 0))
        with freeze_time("2026-11-17 15:00:00"):
            ticket.stage_id = self.stage_done
        self.assertEqual(line.state, "accomplished")

    def test_first_reply_meets_or_misses_its_target(self):
        on_time = self._ticket(FRIDAY_3PM, user_id=self.agent_a.id)
        late = self._ticket(FRIDAY_3PM, user_id=self.agent_a.id)
        with freeze_time("2026-11-20 16:30:00"):
            on_time.with_user(self.agent_a).message_post(
                body="We are on it.", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
            # An internal note is not a reply to the customer.
            late.with_user(self.agent_a).message_post(
                body="Checking stock", message_type="comment", subtype_xmlid="mail.mt_note"
            )
        self.assertEqual(on_time.relational_first_response_date, datetime(2026, 11, 20, 16, 30))
        self.assertFalse(late.relational_first_response_date)
        with freeze_time("2026-11-24 09:00:00"):
            late.with_user(self.agent_a).message_post(
                body="Sorry for the wait.", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        states = {
            ticket: ticket.ticket_sla_ids.filtered(
                lambda line: line.sla_id == self.first_reply
            ).state
            for ticket in (on_time, late)
        }
        self.assertEqual(states, {on_time: "accomplished", late: "expired"})

    def test_missed_levels_are_escalated_once(self):
        ticket = self._ticket(datetime(2026, 10, 1, 9, 0), user_id=self.agent_a.id)
        self.env["helpdesk.ticket.sla"]._cron_relational_escalate()
        # The resolution level reassigns to the team leader; the first reply notifies them.
        self.assertEqual(ticket.user_id, self.leader)
        self.assertTrue(all(ticket.ticket_sla_ids.mapped("relational_escalated")))
        self.assertEqual(ticket.activity_ids.user_id, self.leader)
        messages = len(ticket.message_ids)
        self.env["helpdesk.ticket.sla"]._cron_relational_escalate()
        self.assertEqual(len(ticket.message_ids), messages)
        self.assertTrue(ticket.sla_expired)
