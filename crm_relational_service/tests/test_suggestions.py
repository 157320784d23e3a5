from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ServiceCase


@tagged("post_install", "-at_install")
class TestSuggestionsBesideDescription(ServiceCase):
    """The knowledge base articles an agent sees beside a ticket's description: published, of
    the ticket's company, in the customer's language, with excerpt and relevance; one click
    answers the ticket with one and records it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ar_001")
        Article = cls.env["crm.relational.kb.article"]
        Article.search([]).action_archive()  # this test's articles only
        cls.other_company = cls.env["res.company"].create({"name": "Levant Lights"})
        cls.en_lamp = Article.create(
            {"name": "The lamp does not switch on", "lang": "en_US", "is_public": True,
             "body": "<p>Check that the bulbs are screwed in &amp; the switch works.</p>"}
        )  # fmt: skip
        cls.en_invoice = Article.create(
            {"name": "Reading your invoice", "lang": "en_US",
             "body": "<p>Taxes and payment terms are printed below the lines.</p>"}
        )  # fmt: skip
        cls.en_draft = Article.create(
            {"name": "Lamp switch recall (draft)", "lang": "en_US", "state": "draft",
             "body": "<p>The lamp switch of batch 12 is recalled.</p>"}
        )  # fmt: skip
        cls.en_elsewhere = Article.create(
            {"name": "Lamp switch of the Levant range", "lang": "en_US",
             "company_id": cls.other_company.id,
             "body": "<p>The lamp switch is on the cable.</p>"}
        )  # fmt: skip
        cls.ar_lamp = Article.create(
            {"name": "المصباح لا يعمل", "lang": "ar_001",
             "body": "<p>تأكد من تركيب المصابيح وأن المفتاح يعمل.</p>"}
        )  # fmt: skip
        cls.customer.lang = "en_US"
        cls.arab_customer = cls.env["res.partner"].create(
            {"name": "Dar Al Noor", "is_company": True, "lang": "ar_001"}
        )
        cls.Ticket = cls.env["helpdesk.ticket"].with_user(cls.agent_a)

    def _suggest(self, subject, description, partner):
        return self.Ticket.relational_article_suggestions(
            subject, description, partner.id, self.env.company.id
        )

    def test_form_shows_the_suggestions_beside_the_description(self):
        arch = self.Ticket.get_views([(False, "form")])["views"]["form"]["arch"]
        page = etree.fromstring(arch).xpath("//page[@name='description']")[0]
        row = page.xpath(".//div[contains(@class, 'o_relational_description_row')]")[0]
        columns = row.xpath("./div")
        self.assertEqual(len(columns), 2, "the description and the panel, side by side")
        self.assertTrue(columns[0].xpath(".//field[@name='description']"))
        self.assertTrue(columns[1].xpath(".//widget[@name='relational_kb_suggestions']"))

    def test_english_description_suggests_published_articles_of_the_company(self):
        found = self._suggest(
            "Lamp broken", "<p>The switch does nothing, and the invoice?</p>", self.customer
        )
        # The draft and the other company's article match as well, but are not suggested;
        # nor is the Arabic article for an English-speaking customer.
        self.assertEqual([a["id"] for a in found], [self.en_lamp.id, self.en_invoice.id])
        lamp = found[0]
        self.assertEqual(lamp["name"], "The lamp does not switch on")
        self.assertGreater(lamp["relevance"], found[1]["relevance"])
        self.assertLessEqual(lamp["relevance"], 100)
        excerpt = "".join(text for text, _matched in lamp["excerpt"])
        self.assertIn("bulbs are screwed in & the switch works", excerpt)
        self.assertEqual([text for text, matched in lamp["excerpt"] if matched], ["switch"])

    def test_arabic_description_suggests_the_arabic_article(self):
        found = self._suggest("المصابيح معطلة", "<p>المفتاح لا يعمل</p>", self.arab_customer)
        self.assertEqual([a["id"] for a in found], [self.ar_lamp.id])
        self.assertIn("المفتاح", [text for text, matched in found[0]["excerpt"] if matched])

    def test_no_match_and_bad_input(self):
        self.assertEqual(self._suggest("Warranty", "<p>Extend the warranty</p>", self.customer), [])
        self.assertEqual(self._suggest("", "", self.customer), [])
        with self.assertRaises(UserError):
            self.Ticket.relational_article_suggestions(["lamp"], "", False, False)
        with self.assertRaises(UserError):
            self.Ticket.relational_article_suggestions("lamp", "", "1", False)

    def test_other_company_article_shared_once_the_agent_works_there(self):
        # In the other company, its own article is suggested (record rules and domain agree).
        self.agent_a.company_ids |= self.other_company
        found = self.env["helpdesk.ticket"].with_user(self.agent_a).with_company(
            self.other_company
        ).relational_article_suggestions("Lamp switch", "", self.customer.id,
                                         self.other_company.id)  # fmt: skip
        self.assertEqual([a["id"] for a in found], [self.en_elsewhere.id])

    def test_query_count_does_not_grow_with_the_text_or_the_matches(self):
        self._suggest("lamp", "", self.customer)  # warm the access rule caches
        short = ("lamp", "")
        long = (
            "Lamp switch invoice taxes payment bulbs",
            "<p>" + " ".join(f"word{n}" for n in range(40)) + " the lamp switch and invoice</p>",
        )
        for subject, description in (short, long):
            with self.subTest(subject=subject), self.assertQueryCount(2):
                self._suggest(subject, description, self.customer)

    def test_use_answers_with_the_article_and_records_it(self):
        ticket = self._ticket(user_id=self.agent_a.id).with_user(self.agent_a)
        action = ticket.action_relational_use_article(self.en_lamp.id)
        self.assertEqual(action["res_model"], "mail.compose.message")
        body = action["context"]["default_body"]
        self.assertIn("the switch works", body)
        self.assertIn(f"/my/faq/{self.en_lamp.id}", body)  # public: the portal link too
        self.assertEqual(ticket.relational_used_article_ids, self.en_lamp)
        self.assertEqual(ticket.relational_solution_article_id, self.en_lamp)
        ticket.action_relational_use_article(self.en_invoice.id)
        self.assertEqual(ticket.relational_used_article_ids, self.en_lamp | self.en_invoice)
        self.assertEqual(ticket.relational_solution_article_id, self.en_lamp)  # kept
        self.assertNotIn("/my/faq/", ticket.action_relational_use_article(
            self.en_invoice.id)["context"]["default_body"])  # fmt: skip
        # The composer posts the article's answer to the customer.
        composer = (
            self.env["mail.compose.message"]
            .with_user(self.agent_a)
            .with_context(**action["context"])
            .create({})
        )
        composer._action_send_mail()
        self.assertIn("the switch works", ticket.message_ids[0].body)
        for article in (self.en_draft, self.en_elsewhere):
            with self.subTest(article=article.name), self.assertRaises(UserError):
                ticket.action_relational_use_article(article.id)
        with self.assertRaises(UserError):
            ticket.action_relational_use_article("1")
