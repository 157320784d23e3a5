"""Bad input at every boundary (issue #6): imported CSV, wizards, settings, incoming e-mail and the
RPC methods not covered by test_bad_input.py. Each case gets a clear UserError/ValidationError
(a sentence, not a Python repr) or the correct result, and nothing is half-written."""

import base64

from psycopg2 import IntegrityError
from repository_case import RepositoryCase

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user
from odoo.tools import mute_logger

RLM, LRM, RLE, RLO, PDF = "\u200f", "\u200e", "\u202b", "\u202e", "\u202c"
# Arabic and Persian words, Latin words and digits, wrapped in direction marks and overrides.
MIXED = f"{RLM}مصباح {RLE}LED ٢٠ واط{PDF} {LRM}چراغ کم‌مصرف{RLO} 20W{PDF}"
HUGE = "x" * 100_000
# What a Python repr or a raw PostgreSQL error looks like; a sentence for users has none of it.
NOT_A_SENTENCE = ("<class ", "Traceback", "DETAIL:", 'relation "', "Error:", "psycopg2")


class BoundaryCase(RepositoryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.rep = new_test_user(
            cls.env, login="bad_boundary_rep", name="Bad Boundary Rep",
            groups="sales_team.group_sale_salesman",
        )  # fmt: skip
        cls.unit = cls.env.ref("uom.product_uom_unit")
        cls.lamp = cls.env["product.product"].create(
            {"name": "مصباح LED بوندري", "default_code": "BADB-LAMP", "is_storable": True,
             "uom_id": cls.unit.id, "list_price": 12.0}
        )  # fmt: skip
        cls.lead = cls.env["crm.lead"].create({"name": "Boundary lamps", "type": "opportunity"})
        cls.article = cls.env["crm.relational.kb.article"].create(
            {"name": "Replace the boundary lamp", "lang": "en_US", "is_public": True,
             "body": "<p>Replace the boundary lamp within thirty days.</p>"}
        )  # fmt: skip

    def assertSentence(self, message):
        """A message for users: some words, no repr, no PostgreSQL internals."""
        self.assertTrue(message and len(message.split()) >= 3, message)
        for marker in NOT_A_SENTENCE:
            self.assertNotIn(marker, message)

    def count(self, model):
        return self.env[model].with_context(active_test=False).search_count([])


class TestImportedCsv(BoundaryCase):
    """``Model.load`` (what the web client's import runs): a file with one bad row imports
    nothing, every error is a sentence."""

    def assertRefused(self, model, fields_, rows, expected):
        before = self.count(model)
        with mute_logger("odoo.sql_db"):
            result = self.env[model].load(fields_, rows)
        errors = [m["message"] for m in result["messages"] if m["type"] == "error"]
        self.assertIs(result["ids"], False, (model, rows))
        self.assertTrue(any(expected in error for error in errors), (expected, errors))
        for error in errors:
            self.assertSentence(error)
        self.assertEqual(self.count(model), before, (model, rows))

    def test_bad_rows_are_refused_with_sentences(self):
        lead = str(self.lead.id)
        target = ["user_id", "date_from", "date_to", "amount"]
        line = ["lead_id/.id", "product_id", "quantity"]
        cases = [
            # segments
            ("crm.relational.segment", ["name", "sequence"], [["S", "abc"]],
             "does not seem to be an integer"),
            ("crm.relational.segment", ["name", "domain"], [["", "[]"]],
             "Missing required value"),
            ("crm.relational.segment", ["name", "domain"], [["S", "[('x', '=', 1)"]],
             "The customer filter of segment S is not valid"),
            ("crm.relational.segment", ["name", "company_id"], [["S", "No Such Company"]],
             "No matching record found for name 'No Such Company'"),
            # sales targets
            ("crm.relational.sales.target", target, [["Bad Boundary Rep", "2026-02-30",
             "2026-03-31", "10"]], "does not seem to be a valid date"),
            ("crm.relational.sales.target", target, [["Bad Boundary Rep", "31/31/2026",
             "2026-03-31", "10"]], "does not seem to be a valid date"),
            ("crm.relational.sales.target", target, [["Bad Boundary Rep", "2031-03-01",
             "2031-03-31", "abc"]], "does not seem to be a number"),
            ("crm.relational.sales.target", target, [["Bad Boundary Rep", "2031-03-01",
             "2031-03-31", "-5"]], "A sales target cannot be negative."),
            *[("crm.relational.sales.target", target, [["Bad Boundary Rep", "2031-03-01",
               "2031-03-31", huge]], "Target must be a number below")
              for huge in ("1e308", "inf", "nan")],
            ("crm.relational.sales.target", target, [["Bad Boundary Rep", "2031-04-01",
             "2031-03-31", "5"]], "A sales target must end after it starts."),
            ("crm.relational.sales.target", target, [["Nobody At All", "2031-03-01",
             "2031-03-31", "5"]], "No matching record found for name 'Nobody At All'"),
            ("crm.relational.sales.target", target,
             [["Bad Boundary Rep", "2031-03-01", "2031-03-31", "5"],
              ["Bad Boundary Rep", "2031-03-15", "2031-04-30", "5"]],
             "overlaps another target of the same salesperson and team"),
            # skills, agents and their skills
            ("crm.relational.skill", ["name", "skill_type", "lang", "min_level"],
             [["Klingon", "language", "xx_XX", "1"]], "Value 'xx_XX' not found"),
            ("crm.relational.skill", ["name", "skill_type", "lang", "min_level"],
             [["English", "language", "en_US", "9"]],
             "A skill's minimum level is between 1 and 5."),
            ("crm.relational.skill", ["name", "skill_type"], [["English", "language"]],
             "Skill English needs a language."),
            ("crm.relational.agent", ["user_id", "capacity"], [["Bad Boundary Rep", "-5"]],
             "An agent's capacity cannot be negative."),
            ("crm.relational.agent", ["user_id", "capacity"], [["Bad Boundary Rep", "1e308"]],
             "does not seem to be an integer"),
            ("crm.relational.agent",
             ["user_id", "skill_ids/skill_id", "skill_ids/level"],
             [["Bad Boundary Rep", "No Such Skill", "3"]], "No matching record found"),
            ("crm.relational.agent", ["user_id", "skill_ids/skill_id", "skill_ids/level"],
             [["Bad Boundary Rep", "Boundary English", "7"]], "A skill level is between 1 and 5."),
            # knowledge base articles
            ("crm.relational.kb.article", ["name", "body", "lang"], [["T", "", "en_US"]],
             "Missing required value for the field 'Answer'"),
            ("crm.relational.kb.article", ["name", "body", "lang", "state"],
             [["T", "<p>x</p>", "en_US", "bogus"]], "Value 'bogus' not found"),
            ("crm.relational.kb.article", ["name", "body", "lang"],
             [["T", "<p>" + " ".join(f"w{i}q{i * 7}" for i in range(40_000)) + "</p>",
               "en_US"]], "The article is too long to be searched"),
            # relationship types
            ("crm.relational.relationship.type", ["name", "valence_min", "valence_max"],
             [["T", "80", "20"]], "its start not above its end"),
            ("crm.relational.relationship.type", ["name", "tenure_min_days"], [["T", "-5"]],
             "The minimum tenure cannot be negative."),
            # opportunity product lines, alone and with their opportunity
            ("crm.relational.lead.line", line, [[lead, "No Such Product", "1"]],
             "No matching record found for name 'No Such Product'"),
            ("crm.relational.lead.line", line, [[lead, "BADB-LAMP", "-5"]],
             "The quantity of a product must be positive."),
            ("crm.relational.lead.line", line, [[lead, "BADB-LAMP", "1e308"]],
             "Quantity must be a number below"),
            ("crm.relational.lead.line", line, [[lead, "BADB-LAMP", "abc"]],
             "does not seem to be a number"),
            ("crm.relational.lead.line", [*line, "uom_id"], [[lead, "BADB-LAMP", "2", "kg"]],
             "is counted in Units; it cannot be asked for in kg."),
            ("crm.lead", ["name", "relational_line_ids/product_id",
             "relational_line_ids/quantity"], [["L", "BADB-LAMP", "-1"]],
             "The quantity of a product must be positive."),
            # fields we add to opportunities and contacts
            ("crm.lead", ["name", "forecast_manager_amount"], [["L", "-5"]],
             "The manager's forecast amount cannot be negative."),
            ("crm.lead", ["name", "forecast_manager_amount"], [["L", "1e308"]],
             "Manager Amount must be a number below"),
            ("crm.lead", ["name", "forecast_category"], [["L", "bogus"]],
             "Value 'bogus' not found"),
            ("res.partner", ["name", "relational_no_profiling"], [["P", "maybe"]],
             "Unknown value 'maybe' for boolean field"),
        ]  # fmt: skip
        self.env["crm.relational.skill"].create(
            {"name": "Boundary English", "skill_type": "language", "lang": "en_US"}
        )
        for model, fields_, rows, expected in cases:
            with self.subTest(model=model, row=str(rows)[:80]):
                self.assertRefused(model, fields_, rows, expected)

    def test_good_rows_of_a_bad_file_are_not_created(self):
        # load() runs in a savepoint: one error rolls the whole file back, good rows included.
        self.assertRefused(
            "crm.relational.segment",
            ["name", "sequence"],
            [["Boundary good", "1"], ["Boundary bad", "abc"], ["Boundary good 2", "3"]],
            "does not seem to be an integer",
        )
        self.assertFalse(self.env["crm.relational.segment"].search([("name", "like", "Boundary")]))

    def test_mixed_direction_and_long_text_import_identically(self):
        cases = [
            ("crm.relational.segment", ["name", "description"], [MIXED, MIXED]),
            ("crm.relational.segment", ["name"], [HUGE]),
            ("crm.relational.skill", ["name", "skill_type", "lang"], [MIXED, "language", "en_US"]),
            ("crm.relational.relationship.type", ["name", "advice"], [MIXED, MIXED]),
            ("crm.relational.kb.article", ["name", "body", "lang"],
             [MIXED, f"<p>{MIXED}</p>", "en_US"]),
            ("crm.relational.kb.article", ["name", "body", "lang"], [HUGE, "<p>x</p>", "en_US"]),
        ]  # fmt: skip
        for model, fields_, row in cases:
            with self.subTest(model=model, row=row[0][:20]):
                result = self.env[model].load(fields_, [row])
                self.assertEqual(result["messages"], [])
                (record,) = self.env[model].browse(result["ids"])
                for name, value in zip(fields_, row, strict=True):
                    if record._fields[name].type not in ("selection",):
                        self.assertEqual(record[name], value, name)
        # The article imported with marks is found by its words.
        Article = self.env["crm.relational.kb.article"]
        self.assertIn(MIXED, Article.search([]).mapped("name"))
        found = Article._relational_search("چراغ")
        self.assertEqual(found.mapped("name"), [MIXED])
        # A product line with a unit of the product's family imports, converted on the quote.
        result = self.env["crm.relational.lead.line"].load(
            ["lead_id/.id", "product_id", "quantity", "uom_id/.id"],
            [[str(self.lead.id), "BADB-LAMP", "2", str(self.env.ref("uom.product_uom_dozen").id)]],
        )
        self.assertEqual(result["messages"], [])
        line = self.env["crm.relational.lead.line"].browse(result["ids"])
        self.assertEqual(line._quotation_line_values()["product_uom_qty"], 24.0)


class TestWizards(BoundaryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls.env["res.partner"].create({"name": "Boundary Co", "is_company": True})
        cls.profile = cls.env["crm.relational.profile"].create(
            {"partner_id": cls.partner.id, "company_id": cls.company.id}
        )
        cls.friend = cls.env["crm.relational.relationship.type"].search([], limit=1)

    def test_type_override_refuses_a_missing_reason_and_keeps_marks(self):
        Override = self.env["crm.relational.type.override"]
        for reason in ("   ", "\n\t"):
            with self.subTest(reason=reason), self.assertRaises(UserError) as caught:
                Override.create(
                    {"profile_id": self.profile.id, "relationship_type_id": self.friend.id,
                     "reason": reason}
                ).action_apply()  # fmt: skip
            self.assertEqual(
                str(caught.exception), "Say why you set the relationship type by hand."
            )
            self.assertFalse(self.profile.relationship_type_override_id)
        messages = len(self.partner.message_ids)
        reason = f"{MIXED} <script>alert(1)</script>"
        Override.create(
            {"profile_id": self.profile.id, "relationship_type_id": self.friend.id,
             "reason": reason}
        ).action_apply()  # fmt: skip
        self.assertEqual(self.profile.relationship_type_id, self.friend)
        self.assertEqual(self.profile.relationship_type_override_reason, reason)
        self.assertEqual(len(self.partner.message_ids), messages + 1)
        body = self.partner.message_ids[0].body
        self.assertIn(MIXED, body)
        self.assertNotIn("<script>", body)
        self.assertIn("&lt;script&gt;", body)


class TestSettings(BoundaryCase):
    COLUMNS = (
        "relational_tier_a_share", "relational_tier_b_share", "relational_clv_horizon_months",
        "relational_clv_discount_rate", "relational_new_days", "relational_lost_days",
        "relational_dormant_factor", "relational_trend_threshold", "relational_churn_threshold",
        "relational_neglect_days_a", "relational_neglect_days_b", "relational_neglect_days_c",
        "sfa_idle_days", "sfa_forecast_period", "service_calendar_id",
    )  # fmt: skip

    def stored(self):
        self.env.cr.execute(
            f"SELECT {', '.join(self.COLUMNS)} FROM res_company WHERE id = %s", [self.company.id]
        )
        return self.env.cr.fetchone()

    def test_wrong_settings_are_refused_and_nothing_changes(self):
        before = self.stored()
        cases = [
            ({"relational_tier_a_share": -5}, "Value tiers need"),
            ({"relational_tier_a_share": 90, "relational_tier_b_share": 80}, "Value tiers need"),
            ({"relational_tier_b_share": 101}, "Value tiers need"),
            ({"relational_tier_b_share": float("nan")}, "Value tiers need"),
            ({"relational_clv_horizon_months": 0}, "between 1 and 120 months"),
            ({"relational_clv_horizon_months": -12}, "between 1 and 120 months"),
            ({"relational_clv_discount_rate": 150}, "below 100 %"),
            ({"relational_new_days": 400, "relational_lost_days": 300},
             "shorter than the time after which a customer is lost"),
            ({"relational_dormant_factor": 0.5}, "before its usual interval is over"),
            ({"relational_dormant_factor": float("inf")}, "at most 100 times"),
            ({"relational_dormant_factor": 1e308}, "at most 100 times"),
            ({"relational_trend_threshold": 150}, "between 0 and 100 %"),
            ({"relational_churn_threshold": 101}, "from 0 to 100"),
            ({"relational_neglect_days_a": -1}, "cannot be negative"),
            # a valid value next to a wrong one is not saved either
            ({"sfa_idle_days": 3, "relational_neglect_days_c": -1}, "cannot be negative"),
            ({"sfa_idle_days": -1}, "The idle limit cannot be negative."),
        ]  # fmt: skip
        for values, expected in cases:
            with self.subTest(values=values):
                with self.assertRaises(ValidationError) as caught, self.env.cr.savepoint():
                    self.env["res.config.settings"].create(values).execute()
                self.assertIn(expected, str(caught.exception))
                self.assertSentence(str(caught.exception))
                self.assertEqual(self.stored(), before)
        # A required choice emptied, a calendar that does not exist: the database refuses, and
        # the RPC layer turns that into a ValidationError with the constraint's sentence.
        for values in ({"sfa_forecast_period": False}, {"service_calendar_id": 2_000_000_000}):
            with self.subTest(values=values), mute_logger("odoo.sql_db"):
                with self.assertRaises(IntegrityError), self.env.cr.savepoint():
                    self.env["res.config.settings"].create(values).execute()
                self.assertEqual(self.stored(), before)


class TestIncomingEmail(BoundaryCase):
    def process(self, headers, body, content_type="text/plain; charset=utf-8", encoding="8bit"):
        raw = "".join(f"{key}: {value}\r\n" for key, value in headers.items()) + (
            f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n"
            f"Content-Transfer-Encoding: {encoding}\r\n\r\n{body}"
        )
        before = self.count("helpdesk.ticket")
        ticket_id = self.env["mail.thread"].message_process("helpdesk.ticket", raw)
        self.assertEqual(self.count("helpdesk.ticket"), before + 1)
        return self.env["helpdesk.ticket"].browse(ticket_id)

    def test_malformed_mails_become_tickets(self):
        sender = "Layla <layla@boundary.example>"
        ticket = self.process({"Subject": "No sender", "Message-ID": "<b1@x>"}, "hello")
        self.assertEqual((ticket.name, ticket.partner_email), ("No sender", ""))
        self.assertIn("hello", ticket.description)

        ticket = self.process({"From": sender, "Subject": "", "Message-ID": "<b2@x>"}, "hi")
        self.assertEqual(ticket.name, "No Subject")

        body = "lorem ipsum " * 90_000  # 1 MB
        ticket = self.process({"From": sender, "Subject": "Big", "Message-ID": "<b3@x>"}, body)
        self.assertIn(body.strip(), ticket.description)

        # Bytes that are not UTF-8 in a part declared UTF-8: read as Latin-1, not lost.
        ticket = self.process(
            {"From": sender, "Subject": "Bytes", "Message-ID": "<b4@x>"}, "caf\xe9 \xff broken"
        )
        self.assertIn("café ÿ broken", ticket.description)
        ticket = self.process(
            {"From": sender, "Subject": "B64", "Message-ID": "<b5@x>"},
            base64.b64encode(b"caf\xe9 broken").decode(),
            encoding="base64",
        )
        self.assertIn("broken", ticket.description)

        # A NUL character (refused by PostgreSQL in text) is dropped, the mail kept.
        ticket = self.process(
            {"From": sender, "Subject": "Lamp\x00 broken", "Message-ID": "<b6@x>"}, "on\x00off"
        )
        self.assertEqual(ticket.name, "Lamp broken")
        self.assertIn("onoff", ticket.description)

    def test_mixed_direction_subject_and_html_with_script(self):
        subject = "=?utf-8?b?" + base64.b64encode(MIXED.encode()).decode() + "?="
        ticket = self.process(
            {"From": "ليلى <layla@boundary.example>", "Subject": subject, "Message-ID": "<b7@x>"},
            "سلام، المصباح لا يعمل",
        )
        self.assertEqual(ticket.name, MIXED)
        self.assertIn("المصباح لا يعمل", ticket.description)
        ticket = self.process(
            {"From": "layla@boundary.example", "Subject": "Html", "Message-ID": "<b8@x>"},
            "<html><body><p>Hi</p><script>alert(1)</script>"
            "<img src=x onerror=alert(2)></body></html>",
            content_type="text/html; charset=utf-8",
        )
        self.assertIn("<p>Hi</p>", ticket.description)
        self.assertNotIn("script", ticket.description)
        self.assertNotIn("alert", ticket.description)


class TestRpcMethods(BoundaryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ticket = cls.env["helpdesk.ticket"].create(
            {"name": "Boundary lamp broken", "description": "<p>The boundary lamp</p>"}
        )
        other_company = cls.env["res.company"].create({"name": "Boundary Other Co"})
        cls.foreign_article = cls.env["crm.relational.kb.article"].create(
            {"name": "Boundary lamp abroad", "lang": "en_US", "company_id": other_company.id,
             "body": "<p>Replace the boundary lamp abroad.</p>"}
        )  # fmt: skip

    def test_article_suggestions(self):
        Ticket = self.env["helpdesk.ticket"]
        bad = [
            ((123, "a"), "The subject and description must be text."),
            ((["lamp"], "b"), "The subject and description must be text."),
            (("lamp", {"x": 1}), "The subject and description must be text."),
            (("lamp", "", "3"), "The customer and company must be record ids."),
            (("lamp", "", True), "The customer and company must be record ids."),
            (("lamp", "", None, 1.5), "The customer and company must be record ids."),
        ]
        for args, message in bad:
            with self.subTest(args=args), self.assertRaises(UserError) as caught:
                Ticket.relational_article_suggestions(*args)
            self.assertEqual(str(caught.exception), message)
        for args in [(None, None), ("", ""), ("\x00\x01\x7f", "\x00"), (f"{RLM}{RLO}", ""),
                     ("lamp", "", None, -1), ("lamp", "", None, 2**40)]:  # fmt: skip
            with self.subTest(args=args):
                self.assertEqual(Ticket.relational_article_suggestions(*args), [])
        # A customer that does not exist: no language to filter on, the company's articles.
        for partner_id in (-5, 2**40):
            with self.subTest(partner_id=partner_id):
                found = Ticket.relational_article_suggestions("thirty days", "", partner_id)
                self.assertEqual([row["id"] for row in found], [self.article.id])
        found = Ticket.relational_article_suggestions("boundary " * 100_000, None)
        self.assertEqual([row["id"] for row in found], [self.article.id])
        found = Ticket.relational_article_suggestions(f"{RLM}boundary\x00", "lamp")
        self.assertEqual([row["id"] for row in found], [self.article.id])

    def test_use_article_refuses_bad_ids(self):
        for article_id in (-1, 0, "1", [self.article.id], None, True, 1.0, 2**31, 2**63,
                           self.foreign_article.id):  # fmt: skip
            with self.subTest(article_id=article_id), self.assertRaises(UserError) as caught:
                self.ticket.action_relational_use_article(article_id)
            self.assertSentence(str(caught.exception))
        self.assertFalse(self.ticket.relational_used_article_ids)
        self.assertFalse(self.ticket.relational_solution_article_id)
        self.ticket.action_relational_use_article(self.article.id)
        self.assertEqual(self.ticket.relational_solution_article_id, self.article)

    def test_solves_ticket_refuses_bad_context(self):
        for ticket_id in ("abc", [self.ticket.id], {"id": 1}, None, -4, True, 2**40):
            with self.subTest(ticket_id=ticket_id), self.assertRaises(UserError) as caught:
                self.article.with_context(
                    relational_ticket_id=ticket_id
                ).action_relational_solves_ticket()
            self.assertEqual(str(caught.exception), "Save the ticket before linking its solution.")
        self.assertFalse(self.ticket.relational_solution_article_id)
        self.article.with_context(
            relational_ticket_id=self.ticket.id
        ).action_relational_solves_ticket()
        self.assertEqual(self.ticket.relational_solution_article_id, self.article)

    def test_knowledge_search_of_odd_text(self):
        Article = self.env["crm.relational.kb.article"]
        for text in ("", "   ", HUGE, "\x00", "\x00\x00 \x00", "a\x01b\x7f", f"{RLM}{RLO}{PDF}",
                     "!!!:*", "&|!<->", "'", "\\"):  # fmt: skip
            for match_any in (False, True):
                with self.subTest(text=text[:10], match_any=match_any):
                    self.assertEqual(Article._relational_search(text, match_any=match_any), Article)
        self.assertEqual(Article._relational_search(f"{RLM}boundary\x00 thirty{LRM}"), self.article)
        self.assertEqual(
            Article._relational_search("boundary lamp"), self.article | self.foreign_article
        )

    def test_opportunity_lines_by_rpc(self):
        Line = self.env["crm.relational.lead.line"]
        before = self.count("crm.relational.lead.line")
        kg = self.env.ref("uom.product_uom_kgm")
        for values, message in [
            ({"quantity": 1e308}, "Quantity must be a number below 1,000,000,000,000."),
            ({"quantity": float("nan")}, "Quantity must be a number below 1,000,000,000,000."),
            ({"quantity": 2, "price_unit": float("inf")},
             "Unit Price must be a number below 1,000,000,000,000,000."),
            ({"quantity": 2, "uom_id": kg.id},
             "[BADB-LAMP] مصباح LED بوندري is counted in Units; it cannot be asked for in kg."),
        ]:  # fmt: skip
            with self.subTest(values=values), self.assertRaises(ValidationError) as caught:
                Line.create({"lead_id": self.lead.id, "product_id": self.lamp.id, **values})
            self.assertEqual(str(caught.exception), message)
        for quantity in (-5, 0):
            with self.subTest(quantity=quantity), mute_logger("odoo.sql_db"):
                with self.assertRaises(IntegrityError), self.env.cr.savepoint():
                    Line.create(
                        {"lead_id": self.lead.id, "product_id": self.lamp.id, "quantity": quantity}
                    )
        self.assertEqual(self.count("crm.relational.lead.line"), before)
        line = Line.create({"lead_id": self.lead.id, "product_id": self.lamp.id, "quantity": 3})
        with self.assertRaises(ValidationError):
            line.write({"quantity": 1e308})
        with self.assertRaises(ValidationError):
            line.uom_id = kg
        line.invalidate_recordset()
        self.assertEqual((line.quantity, line.uom_id), (3.0, self.unit))
        self.assertEqual(line.price_subtotal, 36.0)

    def test_sales_targets_by_rpc(self):
        Target = self.env["crm.relational.sales.target"]
        base = {"user_id": self.rep.id, "date_from": "2031-01-01", "date_to": "2031-03-31"}
        Target.create({**base, "amount": 1000})
        before = self.count("crm.relational.sales.target")
        for values in ({"amount": 1e308}, {"amount": float("-inf")}):
            with self.subTest(values=values), self.assertRaises(ValidationError) as caught:
                Target.create({**base, "date_from": "2032-01-01", "date_to": "2032-03-31",
                               **values})  # fmt: skip
            self.assertEqual(
                str(caught.exception),
                "Target must be a number below 1,000,000,000,000,000.",
            )
        with self.assertRaises(ValidationError) as caught:
            Target.create({**base, "date_from": "2031-03-01", "date_to": "2031-06-30",
                           "amount": 5})  # fmt: skip
        self.assertIn("overlaps another target", str(caught.exception))
        for values in ({"amount": -5}, {"amount": 5, "date_to": "2030-01-01"}):
            with self.subTest(values=values), mute_logger("odoo.sql_db"):
                with self.assertRaises(IntegrityError), self.env.cr.savepoint():
                    Target.create({**base, "date_from": "2033-01-01", "date_to": "2033-03-31",
                                   **values})  # fmt: skip
        self.assertEqual(self.count("crm.relational.sales.target"), before)

    def test_manager_amount_and_recompute_rights(self):
        with self.assertRaises(ValidationError) as caught:
            self.lead.forecast_manager_amount = -1
        self.assertEqual(str(caught.exception), "The manager's forecast amount cannot be negative.")
        with self.assertRaises(ValidationError):
            self.lead.write({"forecast_manager_amount": float("inf")})
        self.lead.invalidate_recordset()
        self.assertEqual(self.lead.forecast_manager_amount, 0.0)
        with self.assertRaises(AccessError):
            self.env["crm.relational.profile"].with_user(self.rep).action_recompute()
        with self.assertRaises(UserError) as caught:
            self.env["crm.relational.stock.lookup"].lookup("BADB-LAMP", quantity=1e13)
        self.assertEqual(str(caught.exception), "The quantity must be below a trillion.")
