import re

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
        new_test_user(
            cls.env, login="portal_omar", password="portal_omar!", groups="base.group_portal",
            partner_id=Partner.create({"name": "Omar Portal", "parent_id": cls.company_b.id}).id,
        )  # fmt: skip
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

    # ------------------------------------------------------------------ tokens, log-in

    def test_ticket_page_by_access_token(self):
        """Logged out, a ticket opens with its own token only: not with a wrong one, another
        ticket's, or none; the ticket pages need a log-in (the FAQ does not: it is public)."""
        token = self.own._portal_ensure_token()
        self.assertNotEqual(token, self.other._portal_ensure_token())
        page = self.url_open(f"/my/ticket/{self.own.id}?access_token={token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Colleague&#39;s lamp", page.text)
        for url in (
            f"/my/ticket/{self.own.id}",
            f"/my/ticket/{self.own.id}?access_token={token[:-1]}x",
            f"/my/ticket/{self.own.id}?access_token=",
            f"/my/ticket/{self.other.id}?access_token={token}",
            f"/my/ticket/{self.other.id}/{token}",
        ):
            response = self.url_open(url)
            self.assertNotIn("Colleague&#39;s lamp", response.text, url)
            self.assertNotIn("Secret of Olive", response.text, url)
            self.assertNotRegex(response.url, r"/my/ticket/", url)
        for url in ("/new/ticket", "/my/tickets"):
            response = self.url_open(url)
            self.assertIn("/web/login", response.url, url)
            self.assertNotIn("How to reset the dimmer", response.text, url)

    # ------------------------------------------------------------------ CSRF

    def _new_ticket_form(self):
        """The CSRF token of the rendered new ticket form."""
        form = self.url_open("/new/ticket")
        self.assertEqual(form.status_code, 200)
        self.assertIn('action="/submitted/ticket"', form.text)
        match = re.search(r'name="csrf_token"\s+value="([^"]+)"', form.text)
        self.assertTrue(match, "no CSRF token in the form")
        return match.group(1)

    def _submitted(self, subject):
        return self.env["helpdesk.ticket"].search([("name", "=", subject)])

    def test_new_ticket_needs_the_form_csrf_token(self):
        """A ticket is created from the portal form only with the token of the rendered form:
        none, an empty one or a forged one is refused (400) and creates nothing; the form's
        creates exactly one, for the logged-in customer."""
        others = self._token_of_other()
        self.authenticate("portal_layla", "portal_layla!")
        token = self._new_ticket_form()
        fields = {"subject": "CSRF probe", "description": "My lamp is broken"}
        # Odoo's token is "<hmac>o<expiry>": same expiry, wrong signature.
        forged = "0" * 40 + "o" + token.rpartition("o")[2]
        for label, data in (
            ("no token", fields),
            ("empty token", {**fields, "csrf_token": ""}),
            ("forged token", {**fields, "csrf_token": forged}),
            ("another session's token", {**fields, "csrf_token": others}),
        ):
            response = self.url_open("/submitted/ticket", data=data, allow_redirects=False)
            self.assertEqual(response.status_code, 400, label)
            self.assertIn("Session expired (invalid CSRF token)", response.text, label)
            self.assertFalse(self._submitted("CSRF probe"), label)
        response = self.url_open(
            "/submitted/ticket", data={**fields, "csrf_token": token}, allow_redirects=False
        )
        self.assertIn(response.status_code, (302, 303))
        ticket = self._submitted("CSRF probe")
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.partner_id, self.layla.partner_id)
        self.assertIn(f"/my/ticket/{ticket.id}", response.headers["Location"])

    def _token_of_other(self):
        """A valid CSRF token, but of another user's session."""
        self.authenticate("portal_omar", "portal_omar!")
        return self._new_ticket_form()

    # ------------------------------------------------------------------ closing

    def _close_form_token(self, ticket):
        """The CSRF token of the ticket page's close buttons, which must post their form."""
        page = self.url_open(f"/my/ticket/{ticket.id}")
        self.assertEqual(page.status_code, 200)
        forms = re.findall(r'<form[^>]*action="/ticket/close"[^>]*>.*?</form>', page.text, re.S)
        self.assertTrue(forms, "no close button on the ticket page")
        for form in forms:
            self.assertRegex(form, r'method="post"')
            self.assertIn(f'name="ticket_id" value="{ticket.id}"', form)
        match = re.search(r'name="csrf_token" value="([^"]+)"', forms[0])
        self.assertTrue(match, "no CSRF token in the close form")
        return match.group(1)

    def _close(self, ticket, stage, **data):
        return self.url_open(
            "/ticket/close",
            data={"ticket_id": ticket.id, "stage_id": stage.id, **data},
            allow_redirects=False,
        )

    def test_close_ticket_needs_post_and_the_form_csrf_token(self):
        """Closing a ticket from the portal takes a POST with the token of the ticket page's
        close form: a forged link (GET), a post without a token, with a forged one or another
        session's is refused and leaves the ticket open; the form's closes it, once."""
        done = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        stage = self.own.stage_id
        self.assertFalse(self.own.closed)
        others = self._token_of_other()
        self.authenticate("portal_layla", "portal_layla!")
        token = self._close_form_token(self.own)
        forged = "0" * 40 + "o" + token.rpartition("o")[2]
        # The GET link helpdesk_mgmt used to render (and anyone could plant in a page or mail).
        response = self.url_open(
            f"/ticket/close?ticket_id={self.own.id}&stage_id={done.id}&csrf_token={token}",
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 405)
        for label, data in (
            ("no token", {}),
            ("empty token", {"csrf_token": ""}),
            ("forged token", {"csrf_token": forged}),
            ("another session's token", {"csrf_token": others}),
        ):
            response = self._close(self.own, done, **data)
            self.assertEqual(response.status_code, 400, label)
            self.own.invalidate_recordset()
            self.assertEqual(self.own.stage_id, stage, label)
            self.assertFalse(self.own.closed_date, label)
        response = self._close(self.own, done, csrf_token=token)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response.headers["Location"].endswith(f"/my/ticket/{self.own.id}"))
        self.own.invalidate_recordset()
        self.assertEqual(self.own.stage_id, done)
        closed_date = self.own.closed_date
        self.assertTrue(closed_date)
        # A second post (a double click, another closing stage) changes nothing.
        cancelled = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_cancelled")
        response = self._close(self.own, cancelled, csrf_token=token)
        self.assertTrue(response.headers["Location"].endswith(f"/my/ticket/{self.own.id}"))
        self.own.invalidate_recordset()
        self.assertEqual(self.own.stage_id, done)
        self.assertEqual(self.own.closed_date, closed_date)

    def test_close_ticket_of_another_customer(self):
        """helpdesk_mgmt's /ticket/close: a customer closes their own company's ticket only,
        not another customer's by id, even with a valid token; bad ids are refused cleanly."""
        done = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        self.authenticate("portal_layla", "portal_layla!")
        token = self._close_form_token(self.own)
        stage = self.other.stage_id
        response = self._close(self.other, done, csrf_token=token)
        self.assertTrue(response.headers["Location"].endswith("/my"))
        self.other.invalidate_recordset()
        self.assertEqual(self.other.stage_id, stage)
        self.assertFalse(self.other.closed_date)
        for data in (
            {"ticket_id": "abc", "stage_id": done.id},
            {"ticket_id": self.own.id, "stage_id": "abc"},
            {"ticket_id": 999999999, "stage_id": done.id},
            {"ticket_id": self.own.id, "stage_id": done.id, "team_id": "x"},
        ):
            response = self.url_open(
                "/ticket/close", data={**data, "csrf_token": token}, allow_redirects=False
            )
            self.assertIn(response.status_code, (302, 303), data)
        self.own.invalidate_recordset()
        # The last one was well-formed: the extra parameter is ignored.
        self.assertEqual(self.own.stage_id, done)

    # ------------------------------------------------------------------ FAQ languages

    def test_faq_in_the_visitor_language(self):
        """The FAQ lists the articles in the customer's language (any variant of it), falls back
        to every language when none is in theirs, and searches the same way."""
        for code in ("ar_001", "ar_SY", "fr_FR"):
            self.env["res.lang"]._activate_lang(code)
        Partner = self.env["res.partner"]
        for login, lang in (("portal_rania", "ar_SY"), ("portal_lucie", "fr_FR")):
            new_test_user(
                self.env, login=login, password=f"{login}!", groups="base.group_portal",
                lang=lang, partner_id=Partner.create(
                    {"name": login, "parent_id": self.company_a.id, "lang": lang}
                ).id,
            )  # fmt: skip
        Article = self.env["crm.relational.kb.article"]
        english = Article.create(
            {"name": "Replace the lamp fuse", "is_public": True, "lang": "en_US",
             "body": "<p>Unscrew the cap and replace the lamp fuse.</p>"}
        )  # fmt: skip
        arabic = Article.create(
            {"name": "استبدال صمام المصباح", "is_public": True, "lang": "ar_001",
             "body": "<p>افتح الغطاء واستبدل صمام المصباح.</p>"}
        )  # fmt: skip
        arabic_draft = Article.create(
            {"name": "مسودة المصباح", "is_public": True, "lang": "ar_001", "state": "draft",
             "body": "<p>المصباح</p>"}
        )  # fmt: skip

        def listed(url):
            page = self.url_open(url)
            self.assertEqual(page.status_code, 200, url)
            names = {english.name, arabic.name, arabic_draft.name, self.public.name}
            return {name for name in names if name in page.text}

        self.authenticate("portal_layla", "portal_layla!")  # English
        self.assertEqual(listed("/my/faq"), {english.name, self.public.name})
        self.assertEqual(listed("/my/faq?search=fuse"), {english.name})
        self.authenticate("portal_rania", "portal_rania!")  # Arabic (Syria): ar_001 articles
        self.assertEqual(listed("/my/faq"), {arabic.name})
        self.assertEqual(listed("/my/faq?search=المصباح"), {arabic.name})
        # Nothing in Arabic matches English words: the other languages' answers, not none.
        self.assertEqual(listed("/my/faq?search=fuse"), {english.name})
        # Every article stays reachable by its link, whatever the visitor's language.
        self.assertEqual(self.url_open(f"/my/faq/{english.id}").status_code, 200)
        self.authenticate("portal_lucie", "portal_lucie!")  # French: no article in French
        self.assertEqual(listed("/my/faq"), {english.name, arabic.name, self.public.name})
        self.assertEqual(listed("/my/faq?search=fuse"), {english.name})

    # ------------------------------------------------------------------ closing rights

    def test_follower_who_is_not_the_customer_cannot_close(self):
        """Reading a ticket is not closing it: a portal follower of another company and an
        internal follower without helpdesk rights are refused with a clear message (403) and
        the ticket stays open; its customer closes it."""
        done = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        employee = new_test_user(
            self.env, login="portal_emp", password="portal_emp!", groups="base.group_user"
        )
        omar = self.env["res.users"].search([("login", "=", "portal_omar")])
        self.own.message_subscribe(partner_ids=(omar.partner_id | employee.partner_id).ids)
        stage = self.own.stage_id
        for login in ("portal_omar", "portal_emp"):
            self.authenticate(login, f"{login}!")
            # The follower reads the ticket (and gets a valid token of their session).
            token = self._close_form_token(self.own)
            response = self._close(self.own, done, csrf_token=token)
            self.assertEqual(response.status_code, 403, login)
            self.assertIn("Only the customer of ticket", response.text, login)
            self.own.invalidate_recordset()
            self.assertEqual(self.own.stage_id, stage, login)
            self.assertFalse(self.own.closed_date, login)
        self.authenticate("portal_layla", "portal_layla!")
        response = self._close(self.own, done, csrf_token=self._close_form_token(self.own))
        self.assertEqual(response.status_code, 302)
        self.own.invalidate_recordset()
        self.assertEqual(self.own.stage_id, done)

    def test_close_needs_a_closing_stage_of_the_ticket_team(self):
        """The customer closes in a closing stage offered for the ticket's team only: not in an
        open stage, nor a closing stage of another team (back to the ticket, as helpdesk_mgmt
        answers an invalid stage, nothing written)."""
        Stage = self.env["helpdesk.ticket.stage"]
        team = self.env["helpdesk.ticket.team"].create({"name": "Lamps", "show_in_portal": True})
        hidden_team = self.env["helpdesk.ticket.team"].create(
            {"name": "Back room", "show_in_portal": False}
        )
        self.own.team_id = team
        other_team_closing = Stage.create(
            {"name": "Closed by back room", "closed": True, "close_from_portal": True,
             "team_ids": [(6, 0, hidden_team.ids)], "sequence": 90}
        )  # fmt: skip
        in_progress = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_in_progress")
        stage = self.own.stage_id
        self.authenticate("portal_layla", "portal_layla!")
        token = self._close_form_token(self.own)
        for target in (in_progress, other_team_closing):
            response = self._close(self.own, target, csrf_token=token)
            self.assertEqual(response.status_code, 302, target.name)
            self.assertTrue(response.headers["Location"].endswith(f"/my/ticket/{self.own.id}"))
            self.own.invalidate_recordset()
            self.assertEqual(self.own.stage_id, stage, target.name)
        team_closing = Stage.create(
            {"name": "Solved for lamps", "closed": True, "close_from_portal": True,
             "team_ids": [(6, 0, team.ids)], "sequence": 91}
        )  # fmt: skip
        response = self._close(self.own, team_closing, csrf_token=token)
        self.assertEqual(response.status_code, 302)
        self.own.invalidate_recordset()
        self.assertEqual(self.own.stage_id, team_closing)

    def test_ticket_page_shows_no_internal_figure(self):
        """The customer's ticket page renders none of the relationship figures."""
        self.env["crm.relational.profile"].create(
            {"partner_id": self.company_a.id, "company_id": self.env.company.id,
             "value_tier": "A", "churn_risk": True, "health_score": 17}
        )  # fmt: skip
        self.authenticate("portal_layla", "portal_layla!")
        page = self.url_open(f"/my/ticket/{self.own.id}")
        self.assertEqual(page.status_code, 200)
        for text in ("Tier A", "Churn", "Customer Health", "Relationship Stage", "Routing"):
            self.assertNotIn(text, page.text)

    # ------------------------------------------------------------------ public FAQ

    def test_anonymous_visitor_reads_the_public_faq(self):
        """Logged out, a visitor reads the published public articles of the company: not the
        drafts, internal articles, other companies' articles, tickets or authors' e-mails."""
        Article = self.env["crm.relational.kb.article"]
        other_company = self.env["res.company"].create({"name": "Rival Lamps"})
        draft = Article.create(
            {"name": "Dimmer draft answer", "is_public": True, "lang": "en_US",
             "state": "draft", "body": "<p>Not reviewed yet.</p>"}
        )  # fmt: skip
        foreign = Article.create(
            {"name": "Rival dimmer trick", "is_public": True, "lang": "en_US",
             "company_id": other_company.id, "body": "<p>Theirs.</p>"}
        )  # fmt: skip
        author = new_test_user(
            self.env, login="kb_author", email="author.secret@cedar.example",
            groups="helpdesk_mgmt.group_helpdesk_manager",
        )  # fmt: skip
        self.public.with_user(author).message_post(body="Reviewed dimmer steps")
        faq = self.url_open("/my/faq")
        self.assertEqual(faq.status_code, 200)
        self.assertNotIn("/web/login", faq.url)
        self.assertIn("How to reset the dimmer", faq.text)
        for page in (faq, self.url_open("/my/faq?search=dimmer")):
            self.assertIn("How to reset the dimmer", page.text)
            for hidden in (
                "escalation contacts",
                draft.name,
                foreign.name,
                "Secret of Olive",
                "Colleague",
                "author.secret@",
                "Reviewed dimmer steps",
            ):
                self.assertNotIn(hidden, page.text)
        article = self.url_open(f"/my/faq/{self.public.id}")
        self.assertEqual(article.status_code, 200)
        self.assertIn("Hold the button ten seconds.", article.text)
        self.assertNotIn("author.secret@", article.text)
        self.assertNotIn("Reviewed dimmer steps", article.text)
        for hidden in (self.internal, draft, foreign):
            self.assertEqual(self.url_open(f"/my/faq/{hidden.id}").status_code, 404, hidden.name)

    def test_anonymous_search_is_length_limited(self):
        """A search text longer than 100 characters is cut, answered normally: no error, no
        page of text parsed."""
        long_search = "dimmer " + "x" * 5000
        page = self.url_open(f"/my/faq?search={long_search}")
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("x" * 101, page.text)
        self.assertIn("x" * 93, page.text)  # the field shows the cut text
        page = self.url_open("/my/faq?search=dimmer%00reset")
        self.assertEqual(page.status_code, 200)

    def test_anonymous_visitor_reads_in_their_language(self):
        """A visitor whose language is Arabic (the language cookie of the site) reads the
        Arabic articles; one whose language has none, every language's."""
        for code in ("ar_001", "fr_FR"):
            self.env["res.lang"]._activate_lang(code)
        arabic = self.env["crm.relational.kb.article"].create(
            {"name": "إعادة ضبط المخفت", "is_public": True, "lang": "ar_001",
             "body": "<p>اضغط الزر عشر ثوان.</p>"}
        )  # fmt: skip
        self.opener.cookies.set("frontend_lang", "ar_001")
        page = self.url_open("/my/faq")
        self.assertEqual(page.status_code, 200)
        self.assertIn(arabic.name, page.text)
        self.assertNotIn("How to reset the dimmer", page.text)
        self.opener.cookies.set("frontend_lang", "fr_FR")
        page = self.url_open("/my/faq")
        self.assertIn(arabic.name, page.text)
        self.assertIn("How to reset the dimmer", page.text)
