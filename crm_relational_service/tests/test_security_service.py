from datetime import datetime

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..system_fields import SYSTEM_FIELDS
from .common import ServiceCase

SCORES = (
    "relational_value_tier",
    "relational_stage",
    "relational_health_score",
    "relational_churn_risk",
    "relational_routing_note",
)


@tagged("post_install", "-at_install")
class TestServicePrivacy(ServiceCase):
    """Tickets and the knowledge base through the ORM as real users: the customer's figures
    for relational users only, the fields the system keeps written by the system and helpdesk
    managers only, articles published by knowledge managers only, each company apart."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["crm.relational.profile"].create(
            {"partner_id": cls.customer.id, "company_id": cls.env.company.id,
             "value_tier": "A", "churn_risk": True}
        )  # fmt: skip
        cls.contact = cls.env["res.partner"].create(
            {"name": "Huda", "parent_id": cls.customer.id, "email": "huda@nile.example"}
        )
        cls.portal = new_test_user(
            cls.env, login="svc_portal", groups="base.group_portal", partner_id=cls.contact.id
        )
        cls.employee = new_test_user(cls.env, login="svc_employee", groups="base.group_user")
        cls.ticket = cls._ticket(partner_id=cls.contact.id, user_id=cls.agent_a.id)
        cls.ticket.message_subscribe(partner_ids=cls.employee.partner_id.ids)
        cls.company_b = cls.env["res.company"].create({"name": "Other Lamps Co"})

    # ------------------------------------------------------------------ field privacy

    def test_customer_figures_unreadable_without_the_relational_group(self):
        """A portal customer and an internal follower (no relational group) read the ticket
        but none of the customer's figures, by read, search_read, web_read or a search on them;
        an agent reads them."""
        for user in (self.portal, self.employee):
            Ticket = self.env["helpdesk.ticket"].with_user(user)
            ticket = Ticket.browse(self.ticket.id)
            self.assertEqual(ticket.read(["name"])[0]["name"], "Broken lamp", user.login)
            for field in SCORES:
                with self.assertRaises(AccessError, msg=f"{user.login} {field}"):
                    ticket.read([field])
                with self.assertRaises(AccessError, msg=f"{user.login} {field}"):
                    Ticket.search_read([("id", "=", ticket.id)], [field])
                with self.assertRaises(AccessError, msg=f"{user.login} {field}"):
                    ticket.web_read({field: {}})
                with self.assertRaises(AccessError, msg=f"{user.login} {field}"):
                    Ticket.search([(field, "!=", False)])
            # The form and the kanban still load, without them.
            views = Ticket.get_views([(False, "form"), (False, "kanban")])
            for view in ("form", "kanban"):
                arch = views["views"][view]["arch"]
                self.assertNotIn("relational_value_tier", arch, f"{user.login} {view}")
                self.assertNotIn("relational_churn_risk", arch, f"{user.login} {view}")
            self.assertNotIn("relational_value_tier", views["models"]["helpdesk.ticket"]["fields"])
        agent_ticket = self.ticket.with_user(self.agent_a)
        values = agent_ticket.read(["relational_value_tier", "relational_churn_risk"])[0]
        self.assertEqual((values["relational_value_tier"], values["relational_churn_risk"]),
                         ("A", True))  # fmt: skip
        arch = agent_ticket.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("relational_value_tier", arch)

    def test_portal_ticket_gets_its_service_levels_without_reading_the_tier(self):
        """A customer without the relational group creates a ticket through the portal's path:
        the tier still picks its service levels (read by the system, not by them)."""
        tier_sla = self.env["helpdesk.sla"].create(
            {"name": "Tier A first reply", "team_ids": [Command.link(self.team.id)],
             "hours": 2, "relational_target": "first_response", "relational_value_tier": "A"}
        )  # fmt: skip
        other_sla = self.env["helpdesk.sla"].create(
            {"name": "Tier C first reply", "team_ids": [Command.link(self.team.id)],
             "hours": 8, "relational_target": "first_response", "relational_value_tier": "C"}
        )  # fmt: skip
        ticket = self.ticket.with_user(self.employee)
        ticket.invalidate_recordset()
        domain = ticket._get_sla_ticket_domain()
        found = self.env["helpdesk.sla"].search(domain)
        self.assertIn(tier_sla, found)
        self.assertNotIn(other_sla, found)

    # ------------------------------------------------------------------ system fields

    def test_system_fields_refused_to_agents_over_rpc(self):
        """An agent who may write the ticket cannot mark its first reply, its reopenings, its
        routing note or its service levels (met, deadline) by a write or a create; a helpdesk
        manager can correct them."""
        ticket = self.ticket.with_user(self.agent_a)
        self.assertTrue(ticket.has_access("write"))
        for field, value in (
            ("relational_first_response_date", datetime(2026, 11, 24, 9, 0)),
            ("relational_reopen_count", 0),
            ("relational_routing_note", "Routed by hand"),
            ("relational_lead_id", False),
            ("relational_used_article_ids", [Command.clear()]),
            ("closed_date", datetime(2026, 11, 24, 9, 0)),
            ("assigned_date", datetime(2026, 11, 24, 9, 0)),
        ):
            with self.assertRaisesRegex(AccessError, "set by the system", msg=field):
                ticket.write({field: value})
        with self.assertRaisesRegex(AccessError, "set by the system"):
            self.env["helpdesk.ticket"].with_user(self.agent_a).create(
                {"name": "Met already", "team_id": self.team.id, "partner_id": self.customer.id,
                 "relational_first_response_date": datetime(2026, 11, 24, 9, 0)}
            )  # fmt: skip
        sla = self.env["helpdesk.sla"].create(
            {"name": "First reply", "team_ids": [Command.link(self.team.id)], "hours": 2,
             "relational_target": "first_response"}
        )  # fmt: skip
        ticket.refresh_sla()  # the Set SLA button: allowed, written by the system
        line = ticket.ticket_sla_ids.filtered(lambda r: r.sla_id == sla)
        self.assertEqual(len(line), 1)
        for field, value in (
            ("state", "accomplished"),
            ("deadline", datetime(2030, 1, 1)),
            ("consumed_time", 0.0),
            ("relational_escalated", True),
        ):
            with self.assertRaisesRegex(AccessError, "set by the system", msg=field):
                line.with_user(self.agent_a).write({field: value})
        with self.assertRaisesRegex(AccessError, "set by the system"):
            self.env["helpdesk.ticket.sla"].with_user(self.agent_a).create(
                {"ticket_id": self.ticket.id, "sla_id": sla.id}
            )
        # Nor by importing a file.
        result = (
            self.env["helpdesk.ticket"]
            .with_user(self.agent_a)
            .load(
                ["name", "team_id/.id", "relational_first_response_date"],
                [["Imported as met", str(self.team.id), "2026-11-24 09:00:00"]],
            )
        )
        self.assertFalse(result["ids"])
        self.assertIn("set by the system", result["messages"][0]["message"])
        self.ticket.invalidate_recordset()
        self.assertFalse(self.ticket.relational_first_response_date)
        self.assertEqual(line.state, "in_progress")
        # A helpdesk manager corrects them.
        self.ticket.with_user(self.leader).write({"relational_reopen_count": 3})
        self.assertEqual(self.ticket.relational_reopen_count, 3)
        self.assertIn("relational_first_response_date", SYSTEM_FIELDS["helpdesk.ticket"])

    def test_the_system_still_sets_them_for_agents(self):
        """What the agent does sets them: a reply records the first reply and meets the level,
        closing then reopening counts a reopening, a stage change recomputes the levels."""
        sla = self.env["helpdesk.sla"].create(
            {"name": "First reply", "team_ids": [Command.link(self.team.id)], "hours": 2000,
             "relational_target": "first_response"}
        )  # fmt: skip
        self.ticket.refresh_sla()
        ticket = self.ticket.with_user(self.agent_a)
        ticket.message_post(body="We are on it.", message_type="comment",
                            subtype_xmlid="mail.mt_comment")  # fmt: skip
        self.assertTrue(ticket.relational_first_response_date)
        line = ticket.ticket_sla_ids.filtered(lambda r: r.sla_id == sla)
        self.assertEqual(line.state, "accomplished")
        ticket.write({"stage_id": self.stage_done.id})
        self.assertTrue(ticket.closed_date)  # helpdesk_mgmt's write still sets it
        ticket.write({"stage_id": self.stage_progress.id})
        self.assertEqual(ticket.relational_reopen_count, 1)

    # ------------------------------------------------------------------ knowledge base

    def test_publishing_is_for_knowledge_managers(self):
        """Agents write drafts: they cannot publish, nor change an article customers read on the
        portal; a knowledge manager (and a helpdesk manager, by implication) publishes."""
        Article = self.env["crm.relational.kb.article"]
        draft = Article.with_user(self.agent_a).create(
            {"name": "Dimmer hum", "body": "<p>Tighten the screw.</p>", "lang": "en_US",
             "is_public": True}
        )  # fmt: skip
        self.assertEqual(draft.state, "draft")
        with self.assertRaisesRegex(AccessError, "Only knowledge managers"):
            draft.write({"state": "published"})
        with self.assertRaisesRegex(AccessError, "Only knowledge managers"):
            Article.with_user(self.agent_a).create(
                {"name": "Fast track", "body": "<p>x</p>", "lang": "en_US",
                 "state": "published", "is_public": True}
            )  # fmt: skip
        with self.assertRaisesRegex(AccessError, "Only knowledge managers"):
            Article.with_user(self.agent_a).with_context(default_state="published").create(
                {"name": "By default", "body": "<p>x</p>", "lang": "en_US", "is_public": True}
            )
        self.assertFalse(Article.search([("name", "in", ("Fast track", "By default"))]))
        internal = Article.create(
            {"name": "Supplier contacts", "body": "<p>Internal.</p>", "lang": "en_US"}
        )
        self.assertEqual(internal.state, "published")
        with self.assertRaisesRegex(AccessError, "Only knowledge managers"):
            internal.with_user(self.agent_a).write({"is_public": True})
        draft.invalidate_recordset()
        self.assertEqual(draft.state, "draft")
        self.assertFalse(internal.is_public)
        editor = new_test_user(
            self.env, login="svc_editor",
            groups="helpdesk_mgmt.group_helpdesk_user_own,"
            "crm_relational_service.group_knowledge_manager",
        )  # fmt: skip
        draft.with_user(editor).write({"state": "published"})
        self.assertEqual(draft.state, "published")
        with self.assertRaisesRegex(AccessError, "Only knowledge managers"):
            draft.with_user(self.agent_a).write({"body": "<p>Call our rival.</p>"})
        # The agent's form shows the status without letting them click it to published.
        arch = Article.with_user(self.agent_a).get_views([(False, "form")])["views"]["form"]
        self.assertNotIn("clickable", arch["arch"])
        arch = Article.with_user(editor).get_views([(False, "form")])["views"]["form"]
        self.assertIn("clickable", arch["arch"])
        self.assertTrue(self.leader.has_group("crm_relational_service.group_knowledge_manager"))
        self.assertFalse(self.agent_a.has_group("crm_relational_service.group_knowledge_manager"))
        draft.with_user(self.leader).write({"body": "<p>Tighten the left screw.</p>"})

    def test_articles_of_another_company(self):
        """An article of another company is neither readable nor publishable, and nobody writes
        an article for a company they do not work in."""
        Article = self.env["crm.relational.kb.article"]
        foreign = Article.create(
            {"name": "Other Lamps secret fix", "body": "<p>Theirs.</p>", "lang": "en_US",
             "company_id": self.company_b.id, "state": "draft", "is_public": True}
        )  # fmt: skip
        for user in (self.agent_a, self.leader):
            self.assertFalse(Article.with_user(user).search([("id", "=", foreign.id)]))
            with self.assertRaises(AccessError):
                foreign.with_user(user).read(["name"])
            with self.assertRaises(AccessError):
                foreign.with_user(user).write({"state": "published"})
            with self.assertRaisesRegex(AccessError, "your own companies"):
                Article.with_user(user).create(
                    {"name": "Planted", "body": "<p>x</p>", "lang": "en_US",
                     "company_id": self.company_b.id}
                )  # fmt: skip
        self.assertEqual(foreign.state, "draft")
        # Suggestions list only what the agent may read: not the other company's article.
        found = (
            self.env["helpdesk.ticket"]
            .with_user(self.agent_a)
            .relational_article_suggestions("secret fix", "", False, False)
        )
        self.assertNotIn(foreign.id, [row["id"] for row in found])

    # ------------------------------------------------------------------ routing load

    def test_routing_load_counts_the_ticket_company_only(self):
        """An agent's open tickets of another company do not count against their capacity in
        this one."""
        self.agent_a.company_ids = [Command.link(self.company_b.id)]
        team_b = self.env["helpdesk.ticket.team"].create(
            {"name": "Other support", "company_id": self.company_b.id,
             "user_ids": [Command.link(self.agent_a.id)]}
        )  # fmt: skip
        Ticket = self.env["helpdesk.ticket"]
        Routing = self.env["crm.relational.routing"]
        Ticket.create(
            [{"name": f"Other {n}", "team_id": team_b.id, "company_id": self.company_b.id,
              "user_id": self.agent_a.id, "description": "<p>x</p>"} for n in range(3)]
        )  # fmt: skip
        company = self.env.company
        mine = Ticket.search_count(
            [("user_id", "=", self.agent_a.id), ("company_id", "=", company.id),
             ("closed", "=", False)]
        )  # fmt: skip
        self.assertEqual(Routing._open_loads([self.agent_a.id], company),
                         {self.agent_a.id: mine})  # fmt: skip
        self.assertEqual(
            Routing._open_loads([self.agent_a.id], self.company_b), {self.agent_a.id: 3}
        )

    def test_upgrade_drops_the_index_that_counted_every_company(self):
        """The open-load index of earlier versions (without the company) is dropped at upgrade;
        the one by company is there."""
        cr = self.env.cr
        cr.execute(
            "CREATE INDEX IF NOT EXISTS helpdesk_ticket_relational_open_load_idx"
            " ON helpdesk_ticket (user_id, stage_id) WHERE active AND user_id IS NOT NULL"
        )
        self.env["helpdesk.ticket"].init()
        cr.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'helpdesk_ticket'"
            " AND indexname LIKE 'helpdesk_ticket_relational_open_load%'"
        )
        self.assertEqual(
            [row[0] for row in cr.fetchall()], ["helpdesk_ticket_relational_open_load_company_idx"]
        )
