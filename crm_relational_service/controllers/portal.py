from odoo import http
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class KnowledgePortal(CustomerPortal):
    """The public FAQ of the knowledge base on the customer portal."""

    def _faq(self):
        # sudo: portal users have no access to the knowledge base; they see public articles
        # only, of their company or shared, and nothing else of them
        company = request.env.user.company_id
        return (
            request.env["crm.relational.kb.article"]
            .sudo()
            .with_context(allowed_company_ids=company.ids)
        )

    @http.route(["/my/faq"], type="http", auth="user", website=True)
    def portal_faq(self, search=None, **kw):
        Article = self._faq()
        domain = [
            ("is_public", "=", True),
            ("state", "=", "published"),
            ("company_id", "in", [False, *Article.env.companies.ids]),
        ]
        if search:
            articles = Article._relational_search(search, public_only=True, limit=50)
            articles = articles.filtered_domain(domain)
        else:
            articles = Article.search(domain, limit=200)
        values = self._prepare_portal_layout_values()
        values.update({"articles": articles, "search": search or "", "page_name": "faq"})
        return request.render("crm_relational_service.portal_faq", values)

    @http.route(["/my/faq/<int:article_id>"], type="http", auth="user", website=True)
    def portal_faq_article(self, article_id, **kw):
        Article = self._faq()
        article = Article.search(
            [("id", "=", article_id), ("is_public", "=", True), ("state", "=", "published"),
             ("company_id", "in", [False, *Article.env.companies.ids])]
        )  # fmt: skip
        if not article:
            raise request.not_found()
        values = self._prepare_portal_layout_values()
        values.update({"article": article, "page_name": "faq"})
        return request.render("crm_relational_service.portal_faq_article", values)
