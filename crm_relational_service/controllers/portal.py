import re

from odoo import http
from odoo.fields import Domain
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal

# Characters of a FAQ search kept (a longer text is cut): enough for any question, and a
# visitor cannot make the server parse a page of text per request.
MAX_SEARCH = 100


class KnowledgePortal(CustomerPortal):
    """The public FAQ of the knowledge base: customers on their portal and anonymous visitors
    read the published public articles of the company, in their language."""

    def _faq(self):
        # sudo: portal users and anonymous visitors have no access to the knowledge base; they
        # see published public articles only, of their company (the public user's for a
        # visitor) or shared, and only their title, language and answer (no author, chatter,
        # tickets)
        company = request.env.user.company_id
        return (
            request.env["crm.relational.kb.article"]
            .sudo()
            .with_context(allowed_company_ids=company.ids)
        )

    def _faq_domain(self, Article):
        """The articles a customer may read: public, published, of their company or shared."""
        return Domain(
            [("is_public", "=", True), ("state", "=", "published"),
             ("company_id", "in", [False, *Article.env.companies.ids])]
        )  # fmt: skip

    def _faq_language_domain(self):
        """The articles in the visitor's language (the request's, else their contact's), in
        any variant of it: ``ar_001`` articles for an ``ar_SY`` customer."""
        lang = request.env.lang or request.env.user.partner_id.lang
        prefix = re.split(r"[_@]", lang or "")[0]
        if not prefix:
            return Domain.TRUE
        return (
            Domain("lang", "=", prefix)
            | Domain("lang", "=like", f"{prefix}\\_%")
            | Domain("lang", "=like", f"{prefix}@%")
        )

    @http.route(["/my/faq"], type="http", auth="public", website=True, readonly=True)
    def portal_faq(self, search=None, **kw):
        """The FAQ in the visitor's language; all languages when none of the articles (or of
        those matching the search) is in theirs, so they are never left without an answer.
        Open to anonymous visitors; the search text is cut to ``MAX_SEARCH`` characters."""
        search = search[:MAX_SEARCH] if isinstance(search, str) else None
        Article = self._faq()
        domain = self._faq_domain(Article)
        in_language = domain & self._faq_language_domain()
        if search:
            matches = Article._relational_matches(search, in_language, limit=50) or (
                Article._relational_matches(search, domain, limit=50)
            )
            articles = Article.browse([match["id"] for match in matches])
        else:
            articles = Article.search(in_language, limit=200) or Article.search(domain, limit=200)
        values = self._prepare_portal_layout_values()
        values.update({"articles": articles, "search": search or "", "page_name": "faq"})
        return request.render("crm_relational_service.portal_faq", values)

    @http.route(
        ["/my/faq/<int:article_id>"], type="http", auth="public", website=True, readonly=True
    )
    def portal_faq_article(self, article_id, **kw):
        Article = self._faq()
        article = Article.search(Domain("id", "=", article_id) & self._faq_domain(Article))
        if not article:
            raise request.not_found()
        values = self._prepare_portal_layout_values()
        values.update({"article": article, "page_name": "faq"})
        return request.render("crm_relational_service.portal_faq_article", values)
