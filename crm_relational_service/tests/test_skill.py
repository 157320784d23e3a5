from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, new_test_user


class TestSkill(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = new_test_user(
            cls.env, login="svc_agent", groups="helpdesk_mgmt.group_helpdesk_user_own"
        )
        cls.helpdesk_manager = new_test_user(
            cls.env, login="svc_manager", groups="helpdesk_mgmt.group_helpdesk_manager"
        )
        cls.other_company = cls.env["res.company"].create({"name": "Service Other Co"})
        cls.Skill = cls.env["crm.relational.skill"]

    def test_helpdesk_groups_imply_service_and_relational_groups(self):
        self.assertTrue(self.agent.has_group("crm_relational_service.group_user"))
        self.assertTrue(self.agent.has_group("crm_relational.group_user"))
        self.assertFalse(self.agent.has_group("crm_relational_service.group_manager"))
        self.assertTrue(self.helpdesk_manager.has_group("crm_relational_service.group_manager"))

    def test_agent_reads_skills_manager_manages_them(self):
        skill = self.Skill.with_user(self.helpdesk_manager).create(
            {"name": "English", "skill_type": "language", "lang": "en_US"}
        )
        self.assertEqual(skill.with_user(self.agent).name, "English")
        with self.assertRaises(AccessError):
            skill.with_user(self.agent).write({"name": "Anglais"})
        with self.assertRaises(AccessError):
            self.Skill.with_user(self.agent).create(
                {
                    "name": "Phone",
                    "skill_type": "channel",
                    "channel_id": self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone").id,
                }
            )

    def test_skill_needs_its_target(self):
        for values in (
            {"name": "No language", "skill_type": "language"},
            {"name": "No category", "skill_type": "product_category"},
            {"name": "No channel", "skill_type": "channel"},
        ):
            with self.subTest(values=values), self.assertRaises(ValidationError):
                self.Skill.create(values)

    def test_skill_of_another_company_is_hidden(self):
        theirs = self.Skill.create(
            {
                "name": "Theirs",
                "skill_type": "language",
                "lang": "en_US",
                "company_id": self.other_company.id,
            }
        )
        shared = self.Skill.create(
            {"name": "Shared", "skill_type": "language", "lang": "en_US", "company_id": False}
        )
        seen = self.Skill.with_user(self.agent).search([("id", "in", (theirs | shared).ids)])
        self.assertEqual(seen, shared)

    def test_service_calendar_setting(self):
        calendar = self.env["resource.calendar"].create({"name": "Gulf week (Sun-Thu)"})
        settings = (
            self.env["res.config.settings"]
            .with_user(self.env.ref("base.user_admin"))
            .create({"service_calendar_id": calendar.id})
        )
        settings.execute()
        self.assertEqual(self.env.company.service_calendar_id, calendar)
