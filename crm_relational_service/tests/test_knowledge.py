from odoo.tests import TransactionCase

from .common import ServiceCase


class TestKnowledge(ServiceCase):
    """Full text search in each article's language; suggestions on tickets; solutions."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for lang in ("ar_001", "fa_IR"):
            cls.env["res.lang"]._activate_lang(lang)
        Article = cls.env["crm.relational.kb.article"]
        Article.search([]).action_archive()  # this test's articles only
        cls.en_lamp = Article.create(
            {"name": "The lamp does not switch on", "lang": "en_US", "is_public": True,
             "body": "<p>Check that the bulbs are screwed in and the switch works.</p>"}
        )  # fmt: skip
        cls.en_invoice = Article.create(
            {"name": "Reading your invoice", "lang": "en_US",
             "body": "<p>Taxes and payment terms are printed below the lines.</p>"}
        )  # fmt: skip
        cls.ar_lamp = Article.create(
            {"name": "المصباح لا يعمل", "lang": "ar_001", "is_public": True,
             "body": "<p>تأكد من تركيب المصابيح وأن المفتاح يعمل.</p>"}
        )  # fmt: skip
        cls.fa_delivery = Article.create(
            {"name": "پیگیری ارسال سفارش", "lang": "fa_IR",
             "body": "<p>کد رهگیری ارسال در ایمیل تأیید آمده است.</p>"}
        )  # fmt: skip
        cls.Article = Article

    def test_search_stems_in_the_articles_language(self):
        # English stemming: "switching" and "bulb" find "switch" and "bulbs".
        self.assertEqual(self.Article._relational_search("switching bulb"), self.en_lamp)
        # Arabic stemming: المصابيح (lamps) finds the article on المصباح (the lamp).
        self.assertEqual(self.Article._relational_search("مصابيح"), self.ar_lamp)
        # Persian, word by word with letters folded: Arabic yeh and kaf in the query still match.
        self.assertEqual(self.Article._relational_search("كد رهگيري"), self.fa_delivery)
        self.assertFalse(self.Article._relational_search("warranty"))
        self.assertEqual(self.Article._relational_search("lamp", public_only=True), self.en_lamp)

    def test_arabic_and_persian_searches_find_their_article(self):
        """Searches as customers type them find the article among the first five: Arabic
        without the vowel marks and hamza the article is written with, Persian with the model
        number in Persian digits or typed on an Arabic keyboard, each in its own language."""
        Article = self.Article
        articles = {}
        for number in (204, 205, 206):
            articles["ar", number] = Article.create(
                {"name": f"تحديث البرنامج الثابت لطابعة ليزر {number}", "lang": "ar_001",
                 "body": f"<p>نزّل أحدث برنامج ثابت من صفحة الدعم وشغّل طابعة ليزر {number} "
                         "مع الضغط على زر القائمة.</p>"}
            )  # fmt: skip
            articles["fa", number] = Article.create(
                {"name": f"باتری چاپگر لیزری {number} زود خالی می‌شود", "lang": "fa_IR",
                 "body": f"<p>نور صفحه را کم کنید؛ باتری نو چاپگر لیزری {number} یک روز "
                         "کامل دوام دارد.</p>"}
            )  # fmt: skip
            articles["en", number] = Article.create(
                {"name": f"Laser Printer {number} battery drains quickly", "lang": "en_US",
                 "body": f"<p>A new battery of the Laser Printer {number} holds a full day; "
                         "after five hundred charge cycles it should be replaced.</p>"}
            )  # fmt: skip
        searches = [
            # Arabic: no shadda (نزّل, شغّل), bare alef for أحدث, other forms of the words
            # (الطابعة for لطابعة and طابعة).
            ("طابعة ليزر 205 نزل احدث", articles["ar", 205]),
            ("شغل طابعة 206 القائمة", articles["ar", 206]),
            ("تحديث الطابعة 204 الثابت", articles["ar", 204]),
            # Persian: the model number in Persian digits, Arabic yeh and kaf, a body phrase.
            ("چاپگر لیزری ۲۰۵ باتری", articles["fa", 205]),
            ("باتري چاپگر ليزري 206 كامل", articles["fa", 206]),
            ("نور صفحه ۲۰۴ دوام", articles["fa", 204]),
            # English: stems and the title first.
            ("laser printer 205 batteries replaced", articles["en", 205]),
        ]
        for text, expected in searches:
            with self.subTest(text=text):
                found = Article._relational_search(text)
                self.assertEqual(found[:1], expected)
                # Suggestions (any word) put it first too: title and all words weigh most.
                suggested = Article._relational_matches(text, match_any=True)
                self.assertEqual(suggested[0]["id"], expected.id)
        # All the words must match: a model no article has finds nothing.
        self.assertFalse(Article._relational_search("چاپگر لیزری ۹۹۹"))

    def test_tickets_get_suggestions_and_link_their_solution(self):
        ticket = self._ticket(
            name="Lamp broken", description="<p>The switch does nothing, and the invoice?</p>"
        )
        suggested = ticket.relational_suggested_article_ids
        self.assertEqual(suggested[:1], self.en_lamp)  # most words in common, title first
        self.assertIn(self.en_invoice, suggested)
        self.en_lamp.with_context(relational_ticket_id=ticket.id).action_relational_solves_ticket()
        self.assertEqual(ticket.relational_solution_article_id, self.en_lamp)
        self.assertEqual(self.en_lamp.solved_ticket_count, 1)


class TestMailGateway(TransactionCase):
    """E-mails become tickets on the e-mail channel; a malformed one is not lost."""

    RAW = (
        "From: Layla Haddad <layla@cedar.example>\r\n"
        "To: support@example.com\r\n"
        "Subject: =?utf-8?b?2KfZhNmF2LXYqNin2K0g2YTYpyDZiti52YXZhA==?=\r\n"
        "Message-ID: <lamp-1@cedar.example>\r\n"
        "Date: Tue, 24 Nov 2026 09:30:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "The lamp we bought last week does not switch on.\r\n"
    )

    def test_rfc822_message_becomes_an_email_ticket(self):
        ticket_id = self.env["mail.thread"].message_process("helpdesk.ticket", self.RAW)
        ticket = self.env["helpdesk.ticket"].browse(ticket_id)
        self.assertEqual(ticket.name, "المصباح لا يعمل")
        self.assertIn("does not switch on", ticket.description)
        self.assertEqual(
            ticket.channel_id, self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_email")
        )
        self.assertIn("layla@cedar.example", ticket.partner_email)

    def test_malformed_message_is_kept(self):
        raw = (
            "From: \r\n"
            "Subject: \r\n"
            "Message-ID: <broken-1@nowhere>\r\n"
            "Content-Type: text/plain; charset=no-such-charset\r\n"
            "\r\n"
            "\xff\xfe bytes in a wrong charset, and no sender\r\n"
        )
        ticket_id = self.env["mail.thread"].message_process("helpdesk.ticket", raw)
        ticket = self.env["helpdesk.ticket"].browse(ticket_id)
        self.assertTrue(ticket.exists())
        self.assertEqual(ticket.name, "No Subject")
        self.assertIn("bytes in a wrong charset", ticket.description)
        self.assertEqual(ticket.message_ids[-1].message_id, "<broken-1@nowhere>")
