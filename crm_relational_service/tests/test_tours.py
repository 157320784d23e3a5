import shutil
from unittest.mock import patch

from odoo.tests import HttpCase, new_test_user

from odoo.addons.crm_relational.tests.tours import tour_screenshots


class TestServiceTours(HttpCase):
    """An agent's routed ticket solved with an article, and the customer's portal, in a real
    browser (headless Chromium)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = new_test_user(
            cls.env, login="tour_agent", password="tour_agent!",
            groups="helpdesk_mgmt.group_helpdesk_user_own",
        )  # fmt: skip
        cls.team = cls.env["helpdesk.ticket.team"].create(
            {"name": "Tour support", "relational_routing": True, "resource_calendar_id": False,
             "user_ids": [(6, 0, cls.agent.ids)]}
        )  # fmt: skip
        # Every skill a ticket may require (the demo data's languages and channels too).
        skills = cls.env["crm.relational.skill"].search([("active", "=", True)])
        cls.env["crm.relational.agent"].create(
            {"user_id": cls.agent.id, "capacity": 5,
             "skill_ids": [(0, 0, {"skill_id": skill.id, "level": 5}) for skill in skills]}
        )  # fmt: skip
        cls.env["crm.relational.kb.article"].create(
            {"name": "Reset the dimmer", "lang": "en_US", "is_public": True,
             "body": "<p>Hold the button ten seconds: the dimmer flickering stops.</p>"}
        )  # fmt: skip
        company = cls.env["res.partner"].create({"name": "Tour Lights", "is_company": True})
        cls.customer = new_test_user(
            cls.env, login="tour_customer", password="tour_customer!",
            groups="base.group_portal",
            partner_id=cls.env["res.partner"].create(
                {"name": "Rana", "parent_id": company.id, "email": "rana@tour.example"}
            ).id,
        )  # fmt: skip
        cls.ticket = cls.env["helpdesk.ticket"].create(
            {"name": "Flickering dimmer", "team_id": cls.team.id,
             "partner_id": cls.customer.partner_id.id,
             "description": "<p>The dimmer is flickering since yesterday.</p>"}
        )  # fmt: skip

    def test_agent_answers_a_routed_ticket_with_the_article_beside_it(self):
        self.assertEqual(self.ticket.user_id, self.agent)
        with patch.object(self, "browser_size", "1280x800"), tour_screenshots() as taken:
            self.start_tour(
                f"/odoo/helpdesk.ticket/{self.ticket.id}",
                "crm_relational_agent_ticket",
                login="tour_agent",
            )
        self.assertTrue(taken["ticket-english"].stat().st_size > 10_000, "the screenshot is saved")
        self.assertTrue(self.ticket.closed)
        self.assertEqual(self.ticket.relational_solution_article_id.name, "Reset the dimmer")
        self.assertEqual(self.ticket.relational_used_article_ids.name, "Reset the dimmer")
        reply = self.ticket.message_ids.filtered(
            lambda message: (
                message.author_id == self.agent.partner_id and message.message_type == "comment"
            )
        )
        self.assertEqual(len(reply), 1)
        self.assertIn("Hold the button ten seconds", reply.body)
        self.assertIn(self.customer.partner_id, reply.partner_ids)

    def test_customer_follows_the_ticket_on_the_portal(self):
        self.start_tour("/my/tickets", "crm_relational_portal_ticket", login="tour_customer")

    def test_agent_reads_the_suggestions_right_to_left(self):
        if not shutil.which("rtlcss"):
            self.skipTest("rtlcss is missing: Odoo serves no right-to-left stylesheet without it")
        self.env["res.lang"]._activate_lang("ar_001")
        self.env["ir.module.module"].search(
            [("name", "in", ["base", "web", "mail", "helpdesk_mgmt", "crm_relational_service"])]
        )._update_translations(["ar_001"], overwrite=True)
        self.agent.lang = "ar_001"
        self.customer.partner_id.lang = "ar_001"
        self.env.registry.clear_cache()  # the languages' cached data, read by the web client
        self.env["crm.relational.kb.article"].create(
            {"name": "إيقاف وميض المصباح", "lang": "ar_001", "is_public": True,
             "body": "<p>اضغط على زر المصباح عشر ثوانٍ فيتوقف الوميض.</p>"}
        )  # fmt: skip
        ticket = self.env["helpdesk.ticket"].create(
            {"name": "وميض المصباح", "team_id": self.team.id,
             "partner_id": self.customer.partner_id.id, "user_id": self.agent.id,
             "description": "<p>المصباح في الصالة يومض منذ أمس، وميض المصباح لا يتوقف.</p>"}
        )  # fmt: skip
        with patch.object(self, "browser_size", "1280x800"), tour_screenshots() as taken:
            self.start_tour(
                f"/odoo/helpdesk.ticket/{ticket.id}",
                "crm_relational_agent_ticket_arabic",
                login="tour_agent",
            )
        self.assertTrue(taken["ticket-arabic"].stat().st_size > 10_000, "the screenshot is saved")
