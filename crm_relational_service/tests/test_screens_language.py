from unittest.mock import patch

from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.crm_relational.tests.tours import tour_screenshots


@tagged("post_install", "-at_install")
class TestScreensLanguage(HttpCase):
    """The agent's ticket form, list and kanban (service levels, rating) and the customer's
    portal ticket list and page, in Arabic and in Persian, with every module's catalogue of
    that language loaded as a real database has them: the tours fail on any English word left
    on the screen (the data's names are written in Arabic script; codes, numbers and addresses
    pass)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The data's names in Arabic script, like a Gulf company's.
        cls.env.company.name = "شركة أنوار الخليج"
        cls.agent = new_test_user(
            cls.env, login="screens_agent", password="screens_agent!", name="سارا أحمدي",
            groups="helpdesk_mgmt.group_helpdesk_user_own",
        )  # fmt: skip
        cls.team = cls.env["helpdesk.ticket.team"].create(
            {"name": "فريق الدعم", "use_sla": True, "user_ids": [(6, 0, cls.agent.ids)]}
        )  # fmt: skip
        cls.env["helpdesk.sla"].create(
            {"name": "استجابة سريعة", "team_ids": [(6, 0, cls.team.ids)], "hours": 8,
             "stage_id": cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done").id}
        )  # fmt: skip
        company = cls.env["res.partner"].create({"name": "أنوار الخليج", "is_company": True})
        cls.customer = new_test_user(
            cls.env, login="screens_customer", password="screens_customer!", name="رنا",
            groups="base.group_portal",
            partner_id=cls.env["res.partner"].create(
                {"name": "رنا", "parent_id": company.id, "email": "rana@screens.example"}
            ).id,
        )  # fmt: skip
        category = cls.env["helpdesk.ticket.category"].create({"name": "أعطال"})
        tag = cls.env["helpdesk.ticket.tag"].create({"name": "إضاءة"})
        product = cls.env["product.product"].create({"name": "مصباح مكتب"})
        values = {
            "team_id": cls.team.id, "user_id": cls.agent.id, "category_id": category.id,
            "tag_ids": [(6, 0, tag.ids)], "product_id": product.id,
            "partner_id": cls.customer.partner_id.id,
            "channel_id": cls.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_email").id,
        }  # fmt: skip
        cls.ticket = cls.env["helpdesk.ticket"].create(
            {"name": "وميض المصباح", "description": "<p>المصباح يومض منذ أمس.</p>", **values}
        )
        solved = cls.env["helpdesk.ticket"].create(
            {"name": "مفتاح مكسور", "description": "<p>المفتاح لا يعمل.</p>", **values}
        )
        solved.stage_id = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        solved.rating_apply(5, token=solved._rating_get_access_token())

    def _speak(self, lang):
        """Every installed module's catalogue of `lang`, as loading the language does."""
        self.env["res.lang"]._activate_lang(lang)
        self.env["ir.module.module"].search([("state", "=", "installed")])._update_translations(
            [lang]
        )
        self.agent.lang = lang
        self.customer.partner_id.lang = lang
        self.env.registry.clear_cache()  # the languages' cached data, read by the web client

    def _tours(self, lang, code):
        self._speak(lang)
        with patch.object(self, "browser_size", "1366x768"), tour_screenshots() as taken:
            self.start_tour(
                f"/odoo/helpdesk.ticket/{self.ticket.id}",
                f"crm_relational_agent_screens_{code}",
                login="screens_agent",
            )
        self.start_tour("/my/tickets", f"crm_relational_customer_screens_{code}",
                        login="screens_customer")  # fmt: skip
        return taken

    def test_arabic_screens_have_no_english(self):
        taken = self._tours("ar_001", "ar")
        self.assertTrue(
            taken["ticket-form-arabic"].stat().st_size > 10_000, "the screenshot is saved"
        )

    def test_persian_screens_have_no_english(self):
        taken = self._tours("fa_IR", "fa")
        self.assertTrue(
            taken["ticket-form-persian"].stat().st_size > 10_000, "the screenshot is saved"
        )
