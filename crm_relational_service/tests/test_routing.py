import threading
import uuid
from datetime import UTC, datetime, timedelta

from freezegun import freeze_time
from psycopg2.errors import DeadlockDetected, SerializationFailure

from odoo import SUPERUSER_ID, Command, api
from odoo.tests import TransactionCase, new_test_user
from odoo.tools import mute_logger

from odoo.addons.crm_relational_service.models.crm_relational_routing import FORGET_KEY, SkillRule

from .common import ServiceCase

# A Wednesday within the team's working hours.
WORKING = "2026-11-25 10:00:00"


class RoutingCase(ServiceCase):
    """A routing team: two agents working the team's hours in UTC, with Arabic and phone
    skills at different levels."""

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


class TestRouting(RoutingCase):
    """Skills, levels, capacity, working hours and round-robin."""

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

    @freeze_time(WORKING)
    def test_required_skills_by_category_product_language_and_channel(self):
        """A ticket requires its category's skills, then those of its customer's language,
        its channel and its product's category or any parent of it (not a category whose id
        merely starts with the same digits), of its company or shared."""
        Category = self.env["product.category"]
        lamps = Category.create({"name": "Lamps"})
        desk_lamps = Category.create({"name": "Desk lamps", "parent_id": lamps.id})
        lamp_skill = self.env["crm.relational.skill"].create(
            {"name": "Lamps", "skill_type": "product_category", "product_category_id": lamps.id}
        )
        other_company = self.env["res.company"].create({"name": "Routing Other Co"})
        self.env["crm.relational.skill"].create(
            {"name": "Other company's Arabic", "skill_type": "language", "lang": "ar_001",
             "company_id": other_company.id}
        )  # fmt: skip
        complaints = self.env["helpdesk.ticket.category"].create(
            {"name": "Complaints", "relational_skill_ids": [Command.set(self.phone.ids)]}
        )
        desk_lamp = self.env["product.product"].create(
            {"name": "Desk lamp", "categ_id": desk_lamps.id}
        )
        Ticket = self.env["helpdesk.ticket"]
        no_category, no_channel = (
            self.env["helpdesk.ticket.category"],
            self.env["helpdesk.ticket.channel"],
        )
        required = Ticket._relational_required_skills(
            complaints, desk_lamp, self.arab_customer, no_channel, self.env.company
        )
        self.assertEqual(required.ids, [self.phone.id, self.arabic.id, lamp_skill.id])
        # Another category: no skill; a category whose id starts with the digits of a
        # skill's category is not under it.
        other = Category.create({"name": "Other"})
        while other.id < 10:
            other = Category.create({"name": "Other"})
        chair = self.env["product.product"].create({"name": "Chair", "categ_id": other.id})
        self.assertFalse(
            Ticket._relational_required_skills(
                no_category, chair, self.customer, no_channel, self.env.company
            )
        )
        Routing = self.env["crm.relational.routing"]
        prefix = SkillRule(
            0, False, "product_category", False, False, int(str(other.id)[:1]), 1, ""
        )
        self.assertFalse(Routing._requires(prefix, self.env.company, False, no_channel, chair))
        itself = prefix._replace(product_category_id=other.id)
        self.assertTrue(Routing._requires(itself, self.env.company, False, no_channel, chair))
        ticket = self._ticket(partner_id=self.arab_customer.id, product_id=desk_lamp.id,
                              category_id=complaints.id)  # fmt: skip
        self.assertEqual(
            ticket.relational_required_skill_ids, self.phone | self.arabic | lamp_skill
        )
        self.assertIn("(Phone, Arabic, Lamps)", ticket.relational_routing_note)

    @freeze_time(WORKING)
    def test_kept_skills_follow_skill_changes(self):
        """Routing keeps the active skills between requests: a skill created, changed,
        archived or deleted is routed by at once, and what was kept is forgotten again when
        the transaction that changed it ends, committed or rolled back."""
        Routing = self.env["crm.relational.routing"]
        self.assertIn(self.arabic.id, [rule.id for rule in Routing._skill_rules()])
        # The beginner (Arabic 1) qualifies once Arabic asks level 1 only.
        self.fluent.capacity = 0
        self.assertFalse(self._ticket(partner_id=self.arab_customer.id).user_id)
        self.env.cr.postcommit.run()
        self.env.cr.postrollback.run()
        self.arabic.min_level = 1
        for callbacks in (self.env.cr.postcommit, self.env.cr.postrollback):
            self.assertTrue(callbacks.data.get(FORGET_KEY))
        self.assertEqual(self._ticket(partner_id=self.arab_customer.id).user_id, self.agent_b)
        # The note names the skill as it is called now.
        self.arabic.name = "Arabic speakers"
        ticket = self._ticket(partner_id=self.arab_customer.id)
        self.assertIn("(Arabic speakers)", ticket.relational_routing_note)
        # Archived: no longer required, anyone may take the ticket.
        self.arabic.action_archive()
        self.fluent.capacity = 10
        ticket = self._ticket(partner_id=self.arab_customer.id)
        self.assertFalse(ticket.relational_required_skill_ids)
        self.assertEqual(ticket.user_id, self.agent_a)
        # A new skill nobody has: the ticket stays in the queue; deleted, it is forgotten.
        again = self.env["crm.relational.skill"].create(
            {"name": "Arabic again", "skill_type": "language", "lang": "ar_001"}
        )
        ticket = self._ticket(partner_id=self.arab_customer.id)
        self.assertEqual(ticket.relational_required_skill_ids, again)
        self.assertFalse(ticket.user_id)
        again.unlink()
        self.assertNotIn(again.id, [rule.id for rule in Routing._skill_rules()])

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

    def test_working_hours_by_zone_and_time_off(self):
        """Who works now is read set-based but as Odoo's calendars say: each agent's own time
        zone; time off for the whole moment, or only part of it (still working then)."""
        Routing = self.env["crm.relational.routing"]
        agents = self.agent_a | self.agent_b
        moment = datetime(2026, 11, 25, 10, 0)  # Wednesday 10:00 UTC
        self.assertEqual(Routing._working(self.team, agents, moment), agents)
        # 10:00 UTC is 19:00 in Tokyo: outside agent B's hours there.
        self.agent_b.resource_ids.tz = "Asia/Tokyo"
        self.assertEqual(Routing._working(self.team, agents, moment), self.agent_a)
        self.agent_b.resource_ids.tz = "UTC"
        leave = self.env["resource.calendar.leaves"].create(
            {"name": "Dentist", "resource_id": self.agent_a.resource_ids.id,
             "calendar_id": self.calendar.id, "date_from": datetime(2026, 11, 25, 9, 0),
             "date_to": datetime(2026, 11, 25, 10, 0, 30)}
        )  # fmt: skip
        # Back half a minute into the moment's minute: working.
        self.assertEqual(Routing._working(self.team, agents, moment), agents)
        leave.date_to = datetime(2026, 11, 25, 11, 0)
        self.assertEqual(Routing._working(self.team, agents, moment), self.agent_b)
        # Users without hours of their own work the team's: a public holiday stops them.
        users = new_test_user(self.env, login="svc_no_resource", groups="base.group_user")
        self.assertEqual(Routing._working(self.team, users, moment), users)
        self.assertFalse(Routing._working(self.team, users, datetime(2026, 11, 23, 10, 0)))

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

    def _loads(self):
        """{agent: open_ticket_load} as the database keeps it, next to the fresh count."""
        self.env.flush_all()
        agents = self.fluent | self.beginner
        self.env.cr.execute(
            "SELECT id, open_ticket_load FROM crm_relational_agent WHERE id = ANY(%s)",
            [agents.ids],
        )
        kept = dict(self.env.cr.fetchall())
        fresh = self.env["crm.relational.routing"]._open_loads(agents.user_id.ids, self.env.company)
        self.assertEqual(
            {agent.id: fresh.get(agent.user_id.id, 0) for agent in agents}, kept,
            "the kept load is the count of the agent's open tickets",
        )  # fmt: skip
        return kept[self.fluent.id], kept[self.beginner.id]

    def test_agent_load_is_kept_as_tickets_change(self):
        """Routing reads each agent's open tickets from a load the database keeps in the
        same transaction as the tickets: assigning, closing, reopening, handing over,
        archiving, deleting, and a stage becoming closed all change it."""
        self.team.relational_routing = False
        self.assertEqual(self._loads(), (0, 0))
        tickets = self.env["helpdesk.ticket"].concat(
            *(self._ticket(user_id=self.agent_a.id, name=f"Load {n}") for n in range(3))
        )
        self.assertEqual(self._loads(), (3, 0))
        tickets[0].stage_id = self.stage_done
        self.assertEqual(self._loads(), (2, 0))
        tickets[0].stage_id = self.stage_progress  # reopened
        tickets[1].user_id = self.agent_b  # handed over
        self.assertEqual(self._loads(), (2, 1))
        tickets[2].action_archive()
        self.assertEqual(self._loads(), (1, 1))
        tickets[1].unlink()
        self.assertEqual(self._loads(), (1, 0))
        # A stage closing the tickets in it: every agent counted afresh.
        tickets[0].stage_id = self.stage_waiting
        self.stage_waiting.closed = True
        self.assertEqual(self._loads(), (0, 0))
        self.stage_waiting.closed = False
        self.assertEqual(self._loads(), (1, 0))
        # An agent created after their tickets starts from their count.
        self.beginner.unlink()
        self._ticket(user_id=self.agent_b.id, name="Before the agent")
        self.beginner = self.env["crm.relational.agent"].create({"user_id": self.agent_b.id})
        self.assertEqual(self._loads(), (1, 1))
        self.assertEqual(self.env["crm.relational.agent"]._relational_recount_loads(), 0)

    @freeze_time(WORKING)
    def test_routing_queries_do_not_grow_with_open_tickets(self):
        """Routing reads the agents' kept loads: a thousand more open tickets of the team's
        agents cost no query and no scan of them."""
        phone = self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone")
        self.fluent.capacity = self.beginner.capacity = 10_000

        def queries():
            self.team.relational_routing = False
            ticket = self._ticket(channel_id=phone.id, user_id=False)
            self.team.relational_routing = True
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.env["crm.relational.routing"]._route(ticket)
            self.env.flush_all()
            self.assertTrue(ticket.user_id, ticket.relational_routing_note)
            return self.env.cr.sql_log_count - before

        queries()  # what is read once per transaction
        few = queries()
        before = self._loads()[0]
        self.env.cr.execute(
            """INSERT INTO helpdesk_ticket (number, name, description, team_id, user_id, stage_id,
                                            company_id, active, priority, rating_status)
               SELECT 'L' || n, 'Load ' || n, '<p>x</p>', %s, %s, %s, %s, TRUE, '1',
                      'stage_change'
                 FROM generate_series(1, 1000) n""",
            [self.team.id, self.agent_a.id, self.stage_new.id, self.env.company.id],
        )
        self.assertEqual(self._loads()[0], before + 1000)
        self.assertEqual(queries(), few)

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

    def test_concurrent_transactions_never_overbook(self):
        """Six requests creating tickets at the same moment, each in its own transaction and
        thread, retried as Odoo retries a request that failed to serialize: the two agents of
        capacity two get two tickets each, never more, and two wait in the queue."""
        registry = self.env.registry
        tag = uuid.uuid4().hex[:8]
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            users = env["res.users"].create(
                [{"name": f"Rush {n} {tag}", "login": f"rush_{n}_{tag}",
                  "group_ids": [(6, 0, env.ref("helpdesk_mgmt.group_helpdesk_user_own").ids)]}
                 for n in range(2)]
            )  # fmt: skip
            team = env["helpdesk.ticket.team"].create(
                {"name": f"Rush {tag}", "relational_routing": True,
                 "resource_calendar_id": False, "user_ids": [(6, 0, users.ids)]}
            )  # fmt: skip
            env["crm.relational.agent"].create(
                [{"user_id": user.id, "capacity": 2} for user in users]
            )
            ids = {"team": team.id, "users": users.ids}
        try:
            self._rush(registry, ids, requests=6)
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                tickets = env["helpdesk.ticket"].search([("team_id", "=", ids["team"])])
                self.assertEqual(len(tickets), 6)
                per_agent = {uid: len(tickets.filtered(lambda t, u=uid: t.user_id.id == u))
                             for uid in ids["users"]}  # fmt: skip
                self.assertEqual(per_agent, dict.fromkeys(ids["users"], 2))
                self.assertEqual(len(tickets.filtered(lambda t: not t.user_id)), 2)
                agents = env["crm.relational.agent"].search([("user_id", "in", ids["users"])])
                cr.execute(
                    "SELECT open_ticket_load FROM crm_relational_agent WHERE id = ANY(%s)",
                    [agents.ids],
                )
                self.assertEqual(sorted(row[0] for row in cr.fetchall()), [2, 2])
        finally:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["helpdesk.ticket"].search([("team_id", "=", ids["team"])]).unlink()
                env["crm.relational.agent"].search([("user_id", "in", ids["users"])]).unlink()
                env["helpdesk.ticket.team"].browse(ids["team"]).unlink()
                env["res.users"].browse(ids["users"]).action_archive()

    @mute_logger("odoo.sql_db")
    def _rush(self, registry, ids, requests):
        start = threading.Barrier(requests)
        errors, retries = [], []

        def request(n):
            try:
                for attempt in range(10):
                    with registry.cursor() as request_cursor:
                        env = api.Environment(request_cursor, SUPERUSER_ID, {})
                        # The transaction's snapshot, taken before the others go.
                        request_cursor.execute("SELECT 1")
                        if not attempt:
                            start.wait(timeout=30)
                        try:
                            self._new_ticket(env, ids["team"], f"Rush {n}")
                            request_cursor.commit()  # the request's own transaction
                            return
                        except (SerializationFailure, DeadlockDetected):
                            request_cursor.rollback()
                            retries.append(n)
                errors.append(f"request {n} never went through")
            except Exception as error:  # reported by the test's thread
                errors.append(repr(error))

        threads = [threading.Thread(target=request, args=(n,)) for n in range(requests)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual(errors, [])
        # They did run at once: some had to be run again on fresh data.
        self.assertTrue(retries)


class TestRoutingAtCreation(RoutingCase):
    """New tickets are routed before they are inserted: inserted once, already assigned,
    quietly; who works now is answered from each calendar's hours kept between requests, as
    Odoo's working intervals say."""

    def _creation_queries(self, team, **values):
        """Queries to create a ticket of ``team`` (after a first one: what is read once per
        transaction), and the second ticket."""
        self._ticket(team_id=team.id, name="Warm up", **values)
        # Whoever is chosen, the agents' users and partners are read once per transaction
        # (Odoo's follower subscription reads them).
        (self.agent_a | self.agent_b).partner_id.mapped("email")
        self.env.flush_all()
        before = self.env.cr.sql_log_count
        ticket = self._ticket(team_id=team.id, **values)
        self.env.flush_all()
        return self.env.cr.sql_log_count - before, ticket

    @freeze_time(WORKING)
    def test_routed_ticket_is_inserted_once_and_quietly(self):
        phone = self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone")
        self.fluent.capacity = self.beginner.capacity = 100
        native_team = self.team.copy({"name": "Gulf Support Native", "relational_routing": False})
        native, _ticket = self._creation_queries(native_team, channel_id=phone.id)
        routed, ticket = self._creation_queries(self.team, channel_id=phone.id)
        self.assertIn(ticket.user_id, self.agent_a | self.agent_b)
        self.assertTrue(ticket.assigned_date)
        # The agents with their loads, resources and time off (one query), the lock of the
        # chosen agent (one), the agent following the ticket (Odoo's three: its followers,
        # the follower and its subtypes); the skills are kept between requests: no second
        # update of the ticket, no recompute, no tracking message.
        self.assertLessEqual(routed, native + 5, "routing costs a few queries, not a rewrite")
        self.env.cr.precommit.run()  # the tracking messages a commit would post
        messages = ticket.message_ids
        self.assertEqual(len(messages), 1, messages.mapped("body"))
        self.assertFalse(messages.tracking_value_ids)
        self.assertIn(ticket.user_id.partner_id, ticket.message_partner_ids)
        # No "You have been assigned" notification for a routed ticket.
        self.assertFalse(
            self.env["mail.message"].search(
                [("model", "=", "helpdesk.ticket"), ("res_id", "=", ticket.id),
                 ("message_type", "=", "user_notification")]
            )
        )  # fmt: skip

    @freeze_time(WORKING)
    def test_tickets_created_together_see_each_other(self):
        """Three Arabic tickets in one call: the fluent agent's capacity of two counts the
        ones given before in the same call; a ticket given by hand in the same call still
        tells its agent."""
        tickets = self.env["helpdesk.ticket"].create(
            [{"name": f"طلب {n}", "description": "<p>x</p>", "team_id": self.team.id,
              "partner_id": self.arab_customer.id} for n in range(3)]
            + [{"name": "By hand", "description": "<p>x</p>", "team_id": self.team.id,
                "user_id": self.agent_b.id}]
        )  # fmt: skip
        self.assertEqual(
            [ticket.user_id for ticket in tickets],
            [self.agent_a, self.agent_a, self.env["res.users"], self.agent_b],
        )
        self.assertEqual([t.name for t in tickets], ["طلب 0", "طلب 1", "طلب 2", "By hand"])
        self.assertIn("carried 1 of 2", tickets[1].relational_routing_note)
        self.assertIn("queue", tickets[2].relational_routing_note)
        self.assertFalse(tickets[3].relational_routing_note)
        notified = self.env["mail.message"].search(
            [("model", "=", "helpdesk.ticket"), ("res_id", "in", tickets.ids),
             ("message_type", "=", "user_notification")]
        )  # fmt: skip
        self.assertEqual(notified.mapped("res_id"), tickets[3].ids)

    @freeze_time(WORKING)
    def test_team_from_the_context_is_routed_after_creation(self):
        Ticket = self.env["helpdesk.ticket"].with_context(default_team_id=self.team.id)
        ticket = Ticket.create(
            {"name": "From the team's board", "description": "<p>x</p>",
             "partner_id": self.arab_customer.id}
        )  # fmt: skip
        self.assertEqual(ticket.team_id, self.team)
        self.assertEqual(ticket.user_id, self.agent_a)
        self.assertIn(self.agent_a.name, ticket.relational_routing_note)

    def test_working_hours_are_odoo_intervals(self):
        """Who works at a moment, answered from the calendars' kept hours, is who Odoo's
        working intervals say works then: every 50 minutes over two weeks crossing the end
        of summer time in Europe, for agents in three zones (one with a half-hour offset), a
        two-week calendar, and a user working the team's hours."""
        Routing = self.env["crm.relational.routing"]
        alternate = self.env["resource.calendar"].create(
            {"name": "Every other week", "tz": "Europe/Paris", "two_weeks_calendar": True,
             "attendance_ids": [
                 Command.create({"name": f"Day {day} {week}", "dayofweek": str(day),
                                 "week_type": week, "hour_from": 7 + int(week),
                                 "hour_to": 15 + int(week), "day_period": "morning"})
                 for week in ("0", "1") for day in range(6 - int(week))]}
        )  # fmt: skip
        self.agent_a.resource_ids.write({"tz": "Europe/Paris", "calendar_id": alternate.id})
        self.agent_b.resource_ids.tz = "Asia/Kolkata"
        users = self.agent_a | self.agent_b | self.leader  # the leader works the team's hours
        moment = datetime(2026, 10, 19, 0, 0)
        while moment < datetime(2026, 11, 2):
            expected = self.env["res.users"]
            for user in users:
                resource = user.resource_ids[:1]
                calendar = resource.calendar_id or self.team.resource_calendar_id
                intervals = calendar._work_intervals_batch(
                    moment.replace(tzinfo=UTC), (moment + timedelta(minutes=1)).replace(tzinfo=UTC),
                    resources=resource,
                )  # fmt: skip
                if list(intervals[resource.id]):
                    expected |= user
            self.assertEqual(Routing._working(self.team, users, moment), expected, moment)
            moment += timedelta(minutes=50)

    def test_kept_hours_follow_calendar_changes(self):
        """The calendars' hours kept between requests are forgotten when a calendar or its
        attendances change."""
        Routing = self.env["crm.relational.routing"]
        moment = datetime(2026, 11, 25, 16, 30)  # Wednesday, half an hour before closing
        self.assertEqual(Routing._working(self.team, self.agent_a, moment), self.agent_a)
        wednesday = self.calendar.attendance_ids.filtered(lambda a: a.dayofweek == "2")
        wednesday.hour_to = 16
        self.assertFalse(Routing._working(self.team, self.agent_a, moment))
        wednesday.hour_to = 17
        self.assertEqual(Routing._working(self.team, self.agent_a, moment), self.agent_a)
        # The team's hours in another zone, for a user without hours of their own.
        users = new_test_user(self.env, login="svc_team_hours", groups="base.group_user")
        self.assertEqual(Routing._working(self.team, users, moment), users)
        self.calendar.tz = "Asia/Tokyo"  # 16:30 UTC is after midnight in Tokyo
        self.assertFalse(Routing._working(self.team, users, moment))
        wednesday.unlink()
        self.calendar.tz = "UTC"
        self.assertFalse(Routing._working(self.team, users, moment))
