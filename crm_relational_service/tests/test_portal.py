from odoo.tests import HttpCase, new_test_user


class TestPortal(HttpCase):
    """Through real HTTP requests: a customer sees their own company's tickets and the public
    FAQ, never another customer's ticket, with or without a token."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.company_a = Partner.create({"name": "Cedar Lights", "is_company": True})
        cls.company_b = Partner.create({"name": "Olive Lamps", "is_company": True})
        cls.layla = new_test_user(
            cls.env, login="portal_layla", password="portal_layla!", groups="base.group_portal",
            partner_id=Partner.create({"name": "Layla", "parent_id": cls.company_a.id}).id,
        )  # fmt: skip
        colleague = Partner.create({"name": "Omar", "parent_id": cls.company_a.id})
        stranger = Partner.create({"name": "Nadia", "parent_id": cls.company_b.id})
        Ticket = cls.env["helpdesk.ticket"]
        values = {"description": "<p>Help</p>"}
        cls.own = Ticket.create({"name": "Colleague's lamp", "partner_id": colleague.id, **values})
        cls.other = Ticket.create({"name": "Secret of Olive", "partner_id": stranger.id, **values})
        Article = cls.env["crm.relational.kb.article"]
        cls.public = Article.create(
            {"name": "How to reset the dimmer", "is_public": True, "lang": "en_US",
             "body": "<p>Hold the button ten seconds.</p>"}
        )  # fmt: skip
        cls.internal = Article.create(
            {"name": "Dimmer supplier escalation contacts", "lang": "en_US",
             "body": "<p>Internal only.</p>"}
        )  # fmt: skip

    def test_customer_sees_own_company_tickets_only(self):
        self.authenticate("portal_layla", "portal_layla!")
        page = self.url_open(f"/my/ticket/{self.own.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Colleague&#39;s lamp", page.text)
        listing = self.url_open("/my/tickets")
        self.assertIn("Colleague", listing.text)
        self.assertNotIn("Secret of Olive", listing.text)
        for url in (
            f"/my/ticket/{self.other.id}",
            f"/my/ticket/{self.other.id}?access_token={self.own._portal_ensure_token()}",
            f"/my/ticket/{self.other.id}/{self.own._portal_ensure_token()}",
        ):
            response = self.url_open(url)
            self.assertNotIn("Secret of Olive", response.text, url)
            self.assertTrue(response.url.endswith("/my"), url)

    def test_faq_shows_public_articles_only(self):
        self.authenticate("portal_layla", "portal_layla!")
        faq = self.url_open("/my/faq")
        self.assertIn("How to reset the dimmer", faq.text)
        self.assertNotIn("escalation contacts", faq.text)
        found = self.url_open("/my/faq?search=dimmer")
        self.assertIn("How to reset the dimmer", found.text)
        self.assertNotIn("escalation contacts", found.text)
        self.assertEqual(self.url_open(f"/my/faq/{self.public.id}").status_code, 200)
        self.assertEqual(self.url_open(f"/my/faq/{self.internal.id}").status_code, 404)
