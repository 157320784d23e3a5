import re

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL, html2plaintext

# PostgreSQL text search configuration per language (prefix of the language code); others,
# Persian included, are indexed word by word ('simple'), after Arabic/Persian letter folding.
TS_CONFIGS = {
    "ar": "arabic", "en": "english", "fr": "french", "de": "german", "es": "spanish",
    "it": "italian", "nl": "dutch", "pt": "portuguese", "ru": "russian", "tr": "turkish",
}  # fmt: skip
WORD = re.compile(r"\w{3,}", re.UNICODE)
SUGGESTIONS = 5


class CrmRelationalKbArticle(models.Model):
    """A knowledge base article: one language per article, searched with PostgreSQL full text
    in that language (stemming for Arabic, English and the other configured languages)."""

    _name = "crm.relational.kb.article"
    _inherit = ["mail.thread"]
    _description = "Knowledge Base Article"
    _order = "solved_ticket_count desc, name, id"

    name = fields.Char(string="Title", required=True, tracking=True)
    body = fields.Html(required=True, sanitize=True)
    lang = fields.Selection(
        selection="_get_languages",
        string="Language",
        required=True,
        default=lambda self: self.env.lang or "en_US",
        help="The language the article is written in; it is searched in that language.",
    )
    category_id = fields.Many2one("helpdesk.ticket.category", string="Ticket Category")
    product_category_id = fields.Many2one("product.category")
    is_public = fields.Boolean(
        string="Public FAQ", tracking=True, help="Customers see it on their portal."
    )
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env.company,
        help="Leave empty to share the article with every company.",
    )
    active = fields.Boolean(default=True)
    solved_ticket_ids = fields.One2many(
        "helpdesk.ticket", "relational_solution_article_id", string="Tickets Solved"
    )
    solved_ticket_count = fields.Integer(
        string="Times It Solved a Ticket", compute="_compute_solved_ticket_count", store=True
    )

    def _get_languages(self):
        return self.env["res.lang"].get_installed()

    @api.depends("solved_ticket_ids")
    def _compute_solved_ticket_count(self):
        counts = dict(
            self.env["helpdesk.ticket"]._read_group(
                [("relational_solution_article_id", "in", self.ids)],
                ["relational_solution_article_id"],
                ["__count"],
            )
        )
        for article in self:
            article.solved_ticket_count = counts.get(article, 0)

    def action_relational_solves_ticket(self):
        """Link the article as the solution of the ticket it was suggested on."""
        self.ensure_one()
        ticket = self.env["helpdesk.ticket"].browse(self.env.context.get("relational_ticket_id"))
        if not ticket.exists():
            raise UserError(self.env._("Save the ticket before linking its solution."))
        ticket.relational_solution_article_id = self
        return True

    def init(self):
        # Immutable helpers, so the search document can be indexed: the language's text search
        # configuration, letters folded (Arabic and Persian yeh and kaf), tags stripped.
        configs = SQL(" ").join(
            SQL("WHEN lang LIKE %s THEN %s::regconfig", f"{prefix}%", config)
            for prefix, config in TS_CONFIGS.items()
        )
        self.env.cr.execute(
            SQL(
                """
            CREATE OR REPLACE FUNCTION crm_relational_kb_config(lang text) RETURNS regconfig
                AS $$ SELECT CASE %s ELSE 'simple'::regconfig END $$
                LANGUAGE sql IMMUTABLE PARALLEL SAFE;
            CREATE OR REPLACE FUNCTION crm_relational_kb_fold(txt text) RETURNS text
                AS $$ SELECT translate(lower(coalesce(txt, '')), 'يكىة', 'یکیه') $$
                LANGUAGE sql IMMUTABLE PARALLEL SAFE;
            CREATE OR REPLACE FUNCTION crm_relational_kb_document(lang text, title text, body text)
                RETURNS tsvector AS $$
                SELECT setweight(to_tsvector(crm_relational_kb_config(lang),
                                             crm_relational_kb_fold(title)), 'A')
                    || setweight(to_tsvector(crm_relational_kb_config(lang),
                                             crm_relational_kb_fold(
                                                 regexp_replace(body, '<[^>]*>', ' ', 'g'))), 'B')
                $$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;
                """,
                configs,
            )
        )
        # The search document is kept in a column by a trigger, so ranking reads it instead
        # of parsing every matching article again.
        self.env.cr.execute(
            """
            ALTER TABLE crm_relational_kb_article ADD COLUMN IF NOT EXISTS search_document tsvector;
            CREATE OR REPLACE FUNCTION crm_relational_kb_article_document() RETURNS trigger AS $$
            BEGIN
                NEW.search_document := crm_relational_kb_document(NEW.lang, NEW.name, NEW.body);
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS crm_relational_kb_article_document ON crm_relational_kb_article;
            CREATE TRIGGER crm_relational_kb_article_document
                BEFORE INSERT OR UPDATE OF lang, name, body ON crm_relational_kb_article
                FOR EACH ROW EXECUTE FUNCTION crm_relational_kb_article_document();
            UPDATE crm_relational_kb_article
               SET search_document = crm_relational_kb_document(lang, name, body)
             WHERE search_document IS NULL;
            """
        )
        tools.create_index(
            self.env.cr,
            "crm_relational_kb_article_search_document_idx",
            self._table,
            ["search_document"],
            method="gin",
        )

    @api.model
    def _relational_search(self, text, match_any=False, public_only=False, limit=SUGGESTIONS):
        """Articles matching ``text``, best first, each in its own language's configuration.
        All words must match (web search syntax), or any of them with ``match_any`` (for
        suggestions from a ticket's subject and description)."""
        if match_any:
            words = list(dict.fromkeys(WORD.findall(html2plaintext(text or "").lower())))[:30]
            text = " or ".join(words)
        if not (text or "").strip():
            return self.browse()
        conditions = [SQL("a.active")]
        if public_only:
            conditions.append(SQL("a.is_public"))
        self.flush_model()
        # One branch per configuration, each with a constant query: the GIN index serves all.
        matches = SQL(" OR ").join(
            SQL(
                """(crm_relational_kb_config(a.lang) = %(config)s::regconfig
                    AND a.search_document @@ websearch_to_tsquery(
                        %(config)s::regconfig, crm_relational_kb_fold(%(text)s)))""",
                config=config,
                text=text,
            )
            for config in sorted({*TS_CONFIGS.values(), "simple"})
        )
        query = SQL(
            """
            SELECT a.id FROM crm_relational_kb_article a
             WHERE (%(matches)s) AND %(where)s
             ORDER BY ts_rank_cd(a.search_document,
                                 websearch_to_tsquery(crm_relational_kb_config(a.lang),
                                                      crm_relational_kb_fold(%(text)s))) DESC,
                      a.id
             LIMIT %(cap)s
            """,
            matches=matches,
            text=text,
            where=SQL(" AND ").join(conditions),
            cap=limit * 10,
        )
        # The record rules (company, access) apply on top of the full text match.
        matching = [row[0] for row in self.env.execute_query(query)]
        allowed = set(self.search([("id", "in", matching)]).ids)
        return self.browse([i for i in matching if i in allowed][:limit])
