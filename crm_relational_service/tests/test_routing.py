import uuid
from datetime import datetime

from freezegun import freeze_time
from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, new_test_user
from odoo.tools import mute_logger

from .common import ServiceCase

# A Wednesday within the team's working hours.
WORKING = "2026-11-25 10:00:00"


class TestRouting(ServiceCase):
    """Skills, levels, capacity, working hours and round-robin."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ar_001")
        cls.team.relational_routing = True
        Skill = cls.env["crm.relational.skill"]
        Skill.search([]).action_archive()  # the skill catalogue of this test only, not the demo's
        cls.arabic = Skill.create(
            {"name": "Arabic", "skill_type": "language", "lang": "ar_001", "min_level": 2}
        )
        cls.phone = Skill.create(
            {"name": "Phone", "skill_type": "channel",
             "channel_id": cls.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone").id}
        )  # fmt: skip
        Agent = cls.env["crm.relational.agent"]
        cls.fluent = Agent.create(
            {"user_id": cls.agent_a.id, "capacity": 2,
             "skill_ids": [(0, 0, {"skill_id": cls.arabic.id, "level": 4}),
                           (0, 0, {"skill_id": cls.phone.id, "level": 3})]}
        )  # fmt: skip
        cls.beginner = Agent.create(
            {"user_id": cls.agent_b.id, "capacity": 5,
             "skill_ids": [(0, 0, {"skill_id": cls.arabic.id, "level": 1}),
                           (0, 0, {"skill_id": cls.phone.id, "level": 5})]}
        )  # fmt: skip
        cls.arab_customer = cls.env["res.partner"].create(
            {"name": "Dar Al Noor", "is_company": True, "lang": "ar_001"}
        )
        cls.team.resource_calendar_id.tz = "UTC"
        for user in (cls.agent_a, cls.agent_b):
            cls.env["resource.resource"].create(
                {"name": user.name, "user_id": user.id, "calendar_id": cls.calendar.id,
                 "tz": "UTC"}
            )  # fmt: skip

    @freeze_time(WORKING)
    def test_required_skills_levels_and_capacity(self):
        first = self._ticket(partner_id=self.arab_customer.id, name="مصباح معطل")
        self.assertEqual(first.relational_required_skill_ids, self.arabic)
        # The beginner's level 1 is below Arabic's minimum of 2.
        self.assertEqual(first.user_id, self.agent_a)
        self.assertIn(self.agent_a.name, first.relational_routing_note)
        second = self._ticket(partner_id=self.arab_customer.id)
        self.assertEqual(second.user_id, self.agent_a)
        third = self._ticket(partner_id=self.arab_customer.id)
        self.assertFalse(third.user_id)
        self.assertIn("queue", third.relational_routing_note)
        self.assertEqual(self.fluent.open_ticket_count, 2)
        # Closing one frees room for the next.
        first.stage_id = self.stage_done
        fourth = self._ticket(partner_id=self.arab_customer.id)
        self.assertEqual(fourth.user_id, self.agent_a)

    @freeze_time(WORKING)
    def test_least_loaded_then_round_robin(self):
        phone = self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone")
        tickets = [self._ticket(channel_id=phone.id, name=f"Call {n}") for n in range(4)]
        # Equal loads: the agent who waited longest first, then turn by turn.
        self.assertEqual(
            [ticket.user_id for ticket in tickets],
            [self.agent_a, self.agent_b, self.agent_a, self.agent_b],
        )
        tickets[0].stage_id = self.stage_done
        tickets[2].stage_id = self.stage_done
        self.assertEqual(self._ticket(channel_id=phone.id).user_id, self.agent_a)

    def test_only_agents_working_now(self):
        phone = self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone")
        with freeze_time("2026-11-28 10:00:00"):  # a Saturday: nobody works
            ticket = self._ticket(channel_id=phone.id)
        self.assertFalse(ticket.user_id)
        self.env["resource.calendar.leaves"].create(
            {"name": "Time off", "resource_id": self.agent_a.resource_ids.id,
             "calendar_id": self.calendar.id, "date_from": datetime(2026, 11, 25, 8, 0),
             "date_to": datetime(2026, 11, 25, 17, 0)}
        )  # fmt: skip
        with freeze_time(WORKING):
            ticket = self._ticket(channel_id=phone.id)
        self.assertEqual(ticket.user_id, self.agent_b)

    @freeze_time(WORKING)
    def test_routing_queries_do_not_grow_with_agents(self):
        """Routing a ticket reads the agents, their hours and their loads set-based: a team of
        twelve agents costs the queries of a team of two, whoever gets the ticket."""
        phone = self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone")
        users = self.env["res.users"]
        for n in range(10):
            users |= new_test_user(
                self.env, login=f"svc_agent_big_{n}", groups="helpdesk_mgmt.group_helpdesk_user_own"
            )
            self.env["resource.resource"].create(
                {"name": f"Big {n}", "user_id": users[-1].id, "calendar_id": self.calendar.id,
                 "tz": "UTC"}
            )  # fmt: skip
        self.env["crm.relational.agent"].create(
            [{"user_id": user.id, "capacity": 3,
              "skill_ids": [(0, 0, {"skill_id": self.phone.id, "level": 2})]} for user in users]
        )  # fmt: skip
        big = self.team.copy({"name": "Gulf Support Big"})
        big.user_ids = self.team.user_ids | users

        def queries(team):
            team.relational_routing = False
            ticket = self._ticket(channel_id=phone.id, team_id=team.id, user_id=False)
            team.relational_routing = True
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.env["crm.relational.routing"]._route(ticket)
            self.env.flush_all()
            self.assertTrue(ticket.user_id, ticket.relational_routing_note)
            return self.env.cr.sql_log_count - before, ticket

        queries(self.team)  # what is read once per transaction (the mail templates...)
        small, _ticket = queries(self.team)
        count, ticket = queries(big)
        self.assertEqual(count, small)
        self.assertIn("the fewest of the 12 agents", ticket.relational_routing_note)

    def test_teams_without_routing_keep_helpdesk_behaviour(self):
        self.team.relational_routing = False
        with freeze_time(WORKING):
            ticket = self._ticket(partner_id=self.arab_customer.id)
        self.assertFalse(ticket.relational_routing_note)
        self.assertNotIn(ticket.user_id, self.agent_a | self.agent_b)


class TestRoutingConcurrency(TransactionCase):
    """Two transactions routing at once never give an agent more than their capacity."""

    def test_two_cursors_never_overbook(self):
        registry = self.env.registry
        tag = uuid.uuid4().hex[:8]
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            users = env["res.users"].create(
                [{"name": f"Routing {n} {tag}", "login": f"routing_{n}_{tag}",
                  "group_ids": [(6, 0, env.ref("helpdesk_mgmt.group_helpdesk_user_own").ids)]}
                 for n in range(2)]
            )  # fmt: skip
            team = env["helpdesk.ticket.team"].create(
                {"name": f"Routing {tag}", "relational_routing": True,
                 "resource_calendar_id": False, "user_ids": [(6, 0, users.ids)]}
            )  # fmt: skip
            env["crm.relational.agent"].create(
                [{"user_id": user.id, "capacity": 1} for user in users]
            )
            ids = {"team": team.id, "users": users.ids}
        try:
            self._race(registry, ids)
        finally:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["helpdesk.ticket"].search([("team_id", "=", ids["team"])]).unlink()
                env["crm.relational.agent"].search([("user_id", "in", ids["users"])]).unlink()
                env["helpdesk.ticket.team"].browse(ids["team"]).unlink()
                env["res.users"].browse(ids["users"]).action_archive()

    def _new_ticket(self, env, team_id, name):
        return env["helpdesk.ticket"].create(
            {"name": name, "description": "<p>Help</p>", "team_id": team_id}
        )

    @mute_logger("odoo.sql_db")
    def _race(self, registry, ids):
        first, second = registry.cursor(), registry.cursor()
        try:
            # The second transaction takes its snapshot before the first one routes.
            second.execute("SELECT 1")
            env1 = api.Environment(first, SUPERUSER_ID, {})
            routed = self._new_ticket(env1, ids["team"], "First").user_id.id
            first.commit()
            self.assertEqual(routed, ids["users"][0])
            env2 = api.Environment(second, SUPERUSER_ID, {})
            with self.assertRaises(SerializationFailure):
                self._new_ticket(env2, ids["team"], "Second")
            second.rollback()
            # What Odoo does with a request that failed to serialize: run it again.
            env2 = api.Environment(second, SUPERUSER_ID, {})
            again = self._new_ticket(env2, ids["team"], "Second")
            self.assertEqual(again.user_id.id, ids["users"][1])
            second.commit()
        finally:
            first.close()
            second.close()
