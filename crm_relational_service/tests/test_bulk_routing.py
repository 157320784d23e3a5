import json
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import ServiceCase

SATURDAY = "2026-11-28 10:00:00"  # nobody works: new tickets stay in the queue
WORKING = "2026-11-25 10:00:00"  # a Wednesday within the team's hours


@tagged("post_install", "-at_install")
class TestBulkRouting(ServiceCase):
    """Routing many waiting tickets at once, in the background: skills and capacity as for a
    new ticket, progress by batches, one run at a time, managers only, and the starter told."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ar_001")
        cls.team.relational_routing = True
        Skill = cls.env["crm.relational.skill"]
        Skill.search([]).action_archive()  # this test's skill catalogue only
        cls.arabic = Skill.create(
            {"name": "Arabic", "skill_type": "language", "lang": "ar_001", "min_level": 2}
        )
        cls.phone = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone")
        cls.web = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_web")
        cls.web_skill = Skill.create(
            {"name": "Web chat", "skill_type": "channel", "channel_id": cls.web.id}
        )  # nobody has it
        Agent = cls.env["crm.relational.agent"]
        Agent.create(
            {"user_id": cls.agent_a.id, "capacity": 2,
             "skill_ids": [(0, 0, {"skill_id": cls.arabic.id, "level": 4})]}
        )  # fmt: skip
        Agent.create(
            {"user_id": cls.agent_b.id, "capacity": 1,
             "skill_ids": [(0, 0, {"skill_id": cls.arabic.id, "level": 1})]}
        )  # fmt: skip
        cls.arab_customer = cls.env["res.partner"].create(
            {"name": "Dar Al Noor", "is_company": True, "lang": "ar_001"}
        )
        cls.customer.lang = "en_US"
        cls.Run = cls.env["crm.relational.routing.run"]
        with freeze_time(SATURDAY):
            arabic = [cls._ticket(partner_id=cls.arab_customer.id, name=f"مصباح {n}")
                      for n in range(3)]  # fmt: skip
            cls.phone_ticket = cls._ticket(channel_id=cls.phone.id, name="Call back")
            cls.web_ticket = cls._ticket(channel_id=cls.web.id, name="Chat lost")
            cls.late_ticket = cls._ticket(name="Taken by hand later")
        cls.arabic_tickets = cls.env["helpdesk.ticket"].concat(*arabic)
        cls.tickets = cls.arabic_tickets | cls.phone_ticket | cls.web_ticket | cls.late_ticket
        cls.env["ir.config_parameter"].set_param("crm_relational_service.routing_batch_size", 2)

    def _cron(self):
        """The scheduled job, as the scheduler runs it (with its progress record), its commits
        recorded instead of made (the test's transaction)."""
        cron = self.env.ref("crm_relational_service.ir_cron_route_tickets")
        cron, _progress = cron._add_progress()
        with patch.object(type(self.env["ir.cron"]), "_commit_progress",
                          return_value=float("inf")) as commit:  # fmt: skip
            self.Run.with_context(**cron.env.context)._cron_route()
        return commit

    def _start(self, user=None):
        return self.tickets.with_user(user or self.leader).action_relational_route_background()

    @freeze_time(WORKING)
    def test_routes_the_tickets_by_batches_with_skills_and_capacity(self):
        self.assertFalse(self.tickets.user_id, "nobody worked on Saturday")
        action = self._start()
        self.assertEqual(action["tag"], "display_notification")
        run = self.Run.search([], limit=1)
        self.assertEqual(action["params"]["next"]["res_id"], run.id)
        self.assertEqual((run.state, run.total_count, run.done_count), ("queued", 6, 0))
        self.assertEqual(run.user_id, self.leader)
        self.late_ticket.user_id = self.leader  # assigned by hand before the job reaches it
        progress = []

        def commit(run, processed):
            progress.append((processed, run.done_count, run.progress))
            return True

        with patch.object(type(self.Run), "_commit_progress", autospec=True,
                          side_effect=commit):  # fmt: skip
            self.assertTrue(run._process())
        # Committed after each batch of 2, with the counts so far.
        self.assertEqual([p[:2] for p in progress], [(2, 2), (2, 4), (2, 6)])
        self.assertAlmostEqual(progress[0][2], 100 * 2 / 6)
        self.assertEqual(run.state, "done")
        self.assertEqual(run.progress, 100.0)
        # Arabic needs level 2: only agent A, whose capacity is 2, takes Arabic tickets.
        self.assertEqual(self.arabic_tickets.mapped("user_id"), self.agent_a)
        self.assertEqual(len(self.arabic_tickets.filtered("user_id")), 2)
        # The phone call needs no skill: agent B, the least loaded.
        self.assertEqual(self.phone_ticket.user_id, self.agent_b)
        self.assertFalse(self.web_ticket.user_id)
        self.assertIn("queue", self.web_ticket.relational_routing_note)
        self.assertEqual(
            (run.routed_count, run.full_count, run.no_skills_count, run.not_working_count,
             run.skipped_count),
            (3, 1, 1, 0, 1),
        )  # fmt: skip
        self.assertEqual(
            run.summary,
            "3 of 6 tickets routed, 3 left unassigned. 1: no agent with the skills; "
            "1: the qualified agents are full; 1: already assigned or closed.",
        )

    @freeze_time(WORKING)
    def test_starter_is_notified_with_the_counts(self):
        self._start()
        run = self.Run.search([], limit=1)
        commit = self._cron()
        self.assertEqual(run.state, "done")
        # One commit per batch of 2, with the tickets left to do.
        self.assertEqual([call.kwargs["remaining"] for call in commit.call_args_list], [4, 2, 0])
        self.env.cr.precommit.run()  # the bus notifications are sent at commit
        messages = (
            self.env["bus.bus"].sudo().search([("message", "ilike", "Ticket routing finished")])
        )
        self.assertEqual(len(messages), 1)
        self.assertIn(str(self.leader.partner_id.id), messages.channel)
        payload = json.loads(messages.message)["payload"]
        self.assertEqual(payload["type"], "warning")  # not all routed
        self.assertEqual(payload["message"], run.summary)
        self.assertTrue(payload["message"].startswith("3 of 6 tickets routed"))

    @freeze_time(WORKING)
    def test_an_interrupted_run_resumes_where_it_stopped(self):
        self._start()
        run = self.Run.search([], limit=1)
        with patch.object(type(self.Run), "_commit_progress", autospec=True,
                          return_value=False):  # fmt: skip
            self.assertIsNone(run._process())  # stopped after the first batch
        self.assertEqual((run.state, run.done_count), ("running", 2))
        self.assertEqual(run.last_ticket_id, self.arabic_tickets[1].id)
        self.assertTrue(run._process())
        self.assertEqual((run.state, run.done_count, run.routed_count), ("done", 6, 3))

    @freeze_time(WORKING)
    def test_second_start_and_agents_are_refused(self):
        with self.assertRaises(AccessError):
            self._start(self.agent_a)
        with self.assertRaises(AccessError):
            self.team.with_user(self.agent_a).action_relational_route_unassigned()
        self._start()
        with self.assertRaisesRegex(UserError, "already being routed"):
            self._start()
        with self.assertRaisesRegex(UserError, "already being routed"):
            self.team.with_user(self.leader).action_relational_route_unassigned()
        self.assertEqual(self.Run.search_count([]), 1)
        # The run is the job's to write and, while unfinished, to keep.
        waiting = self.Run.search([], limit=1).with_user(self.leader)
        with self.assertRaises(AccessError):
            waiting.done_count = waiting.total_count
        with self.assertRaisesRegex(UserError, "still being routed"):
            waiting.unlink()
        self._cron()
        # Finished: the team's tickets still waiting may be routed again.
        self.team.with_user(self.leader).action_relational_route_unassigned()
        run = self.Run.search([], limit=1)
        self.assertEqual(run.team_id, self.team)
        self.assertEqual(run.ticket_ids, self.tickets.filtered(lambda t: not t.user_id))
        self.assertEqual(len(run.ticket_ids), 3)

    def test_nothing_to_route(self):
        self.tickets.user_id = self.agent_a
        with self.assertRaisesRegex(UserError, "nothing to route"):
            self._start()
