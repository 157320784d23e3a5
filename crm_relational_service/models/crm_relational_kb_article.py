import html
import re

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL, html2plaintext

# PostgreSQL text search configuration per language (prefix of the language code); others,
# Persian included, are indexed word by word ('simple'), after Arabic/Persian letter folding.
TS_CONFIGS = {
    "ar": "arabic", "en": "english", "fr": "french", "de": "german", "es": "spanish",
    "it": "italian", "nl": "dutch", "pt": "portuguese", "ru": "russian", "tr": "turkish",
}  # fmt: skip
# Letters folded in documents and searches alike, so what a customer types finds what an
# article says: alef with hamza or madda as bare alef; Arabic and Persian digits as ASCII
# digits (model numbers); the short vowels, shadda, sukun and tatweel removed (rarely typed,
# often written). Yeh and kaf as the article's language writes them: Arabic text keeps the
# Arabic letters its stemmer knows (alef maksura as yeh, as it is often typed), Persian and
# the others take the Persian ones (and teh marbuta as heh).
COMMON_FROM = "أإآ" + "٠١٢٣٤٥٦٧٨٩" + "۰۱۲۳۴۵۶۷۸۹"
COMMON_TO = "ااا" + "0123456789" + "0123456789"
VOWEL_MARKS = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670\u0640"
FOLD_ARABIC = ("یکى" + COMMON_FROM + VOWEL_MARKS, "يكي" + COMMON_TO)
FOLD_OTHERS = ("يكىة" + COMMON_FROM + VOWEL_MARKS, "یکیه" + COMMON_TO)
# Bumped when the folding changes: the articles' search documents are computed again at upgrade.
DOCUMENT_VERSION = "2"  # 2: folding by language, digits, vowel marks
DOCUMENT_VERSION_KEY = "crm_relational_service.kb_document_version"
WORD = re.compile(r"\w{3,}", re.UNICODE)
SUGGESTIONS = 5
WHITESPACE = re.compile(r"\s+")
# Around the matched words of an excerpt (private use characters: never in an article).
MARK_START, MARK_STOP = "\ue000", "\ue001"
MARKS = re.compile(f"[{MARK_START}{MARK_STOP}]")
# Characters of title and answer text (tags aside) an article may hold: PostgreSQL's search
# document of a longer one could pass its 1 MB limit.
MAX_TEXT = 250_000
TAGS = re.compile(r"<[^>]*>")
# Publishes articles (to the ticket suggestions and the portal FAQ); agents write drafts.
KNOWLEDGE_MANAGER = "crm_relational_service.group_knowledge_manager"


class CrmRelationalKbArticle(models.Model):
    """A knowledge base article: one language per article, searched with PostgreSQL full text
    in that language (stemming for Arabic, English and the other configured languages)."""

    _name = "crm.relational.kb.article"
    _inherit = ["mail.thread"]
    _description = "Knowledge Base Article"
    # Not by the tickets solved: that count is for readers of every ticket (ranking of
    # suggestions reads it in SQL, whoever asks).
    _order = "name, id"

    name = fields.Char(string="Title", required=True, tracking=True)
    body = fields.Html(
        string="Answer",
        required=True,
        sanitize=True,
        help="The answer, as the customer will read it: it is what an agent's reply starts "
        "from when they use the article on a ticket.",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("published", "Published")],
        string="Status",
        required=True,
        default=lambda self: self._default_state(),
        tracking=True,
        help="Draft articles are neither suggested on tickets nor shown on the portal FAQ. "
        "Agents write drafts; knowledge managers publish them.",
    )
    lang = fields.Selection(
        selection="_get_languages",
        string="Language",
        required=True,
        default=lambda self: self.env.lang or "en_US",
        help="The language the article is written in; it is searched in that language.",
    )
    category_id = fields.Many2one(
        "helpdesk.ticket.category",
        string="Ticket Category",
        help="The kind of ticket the article answers, to file and find it by.",
    )
    product_category_id = fields.Many2one(
        "product.category", help="The product line the article is about, if any."
    )
    is_public = fields.Boolean(
        string="Public FAQ",
        tracking=True,
        help="Once published, customers and visitors read it on the portal FAQ. Only knowledge "
        "managers publish public articles or change them once published.",
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
        string="Times It Solved a Ticket",
        compute="_compute_solved_ticket_count",
        store=True,
        groups="helpdesk_mgmt.group_helpdesk_user",
        help="Tickets whose solution is this article; among equally relevant articles, the one "
        "that solved more tickets is suggested first. Shown to the agents who see every "
        "ticket.",
    )
    used_ticket_ids = fields.Many2many(
        "helpdesk.ticket",
        "helpdesk_ticket_kb_article_used_rel",
        "article_id",
        "ticket_id",
        string="Used On Tickets",
        readonly=True,
        help="Tickets an agent answered with this article (the Use button of the suggestions).",
    )

    def _get_languages(self):
        return self.env["res.lang"].get_installed()

    def _default_state(self):
        """Published for knowledge managers, a draft for the agents who write it."""
        return "published" if self.env.user.has_group(KNOWLEDGE_MANAGER) else "draft"

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

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_text_size(vals)
            self._check_company(vals)
            # ``default_state`` of the context sets the state too (an RPC caller sends it).
            self.browse()._check_publish_right(
                {"state": self.env.context.get("default_state"), **vals}
            )
        return super().create(vals_list)

    def write(self, vals):
        self._check_text_size(vals)
        self._check_company(vals)
        self._check_publish_right(vals)
        return super().write(vals)

    def action_relational_solves_ticket(self):
        """Link the article as the solution of the ticket it was suggested on."""
        self.ensure_one()
        ticket_id = self.env.context.get("relational_ticket_id")
        if isinstance(ticket_id, bool) or not isinstance(ticket_id, int):
            ticket_id = 0
        ticket = self.env["helpdesk.ticket"].browse(ticket_id)
        if not ticket_id or not ticket.exists():
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
                AS $$ SELECT CASE %(configs)s ELSE 'simple'::regconfig END $$
                LANGUAGE sql IMMUTABLE PARALLEL SAFE;
            CREATE OR REPLACE FUNCTION crm_relational_kb_fold(config regconfig, txt text)
                RETURNS text AS $$
                SELECT CASE WHEN config = 'arabic'::regconfig
                            THEN translate(lower(coalesce(txt, '')), %(arabic_from)s, %(arabic_to)s)
                            ELSE translate(lower(coalesce(txt, '')), %(others_from)s, %(others_to)s)
                       END
                $$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;
            CREATE OR REPLACE FUNCTION crm_relational_kb_document(lang text, title text, body text)
                RETURNS tsvector AS $$
                SELECT setweight(to_tsvector(crm_relational_kb_config(lang),
                                             crm_relational_kb_fold(crm_relational_kb_config(lang),
                                                                    title)), 'A')
                    || setweight(to_tsvector(crm_relational_kb_config(lang),
                                             crm_relational_kb_fold(crm_relational_kb_config(lang),
                                                 regexp_replace(body, '<[^>]*>', ' ', 'g'))), 'B')
                $$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;
            -- The folding of earlier versions, the same for every language.
            DROP FUNCTION IF EXISTS crm_relational_kb_fold(text);
                """,
                configs=configs,
                arabic_from=FOLD_ARABIC[0],
                arabic_to=FOLD_ARABIC[1],
                others_from=FOLD_OTHERS[0],
                others_to=FOLD_OTHERS[1],
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
        # Documents indexed by an earlier folding of the letters are indexed again, once.
        Parameter = self.env["ir.config_parameter"]  # (module loading runs as superuser)
        if Parameter.get_param(DOCUMENT_VERSION_KEY) != DOCUMENT_VERSION:
            self.env.cr.execute(
                "UPDATE crm_relational_kb_article"
                "   SET search_document = crm_relational_kb_document(lang, name, body)"
            )
            Parameter.set_param(DOCUMENT_VERSION_KEY, DOCUMENT_VERSION)
        # Without the GIN index's pending list: an article written is merged into the index at
        # once (articles are written seldom, searched at every ticket), so a search never has
        # to read, entry by entry, the articles written since the last vacuum.
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS crm_relational_kb_article_search_document_idx
                ON crm_relational_kb_article USING gin (search_document)
                WITH (fastupdate = off);
            ALTER INDEX crm_relational_kb_article_search_document_idx SET (fastupdate = off);
            SELECT gin_clean_pending_list(
                'crm_relational_kb_article_search_document_idx'::regclass);
            """
        )

    @api.model
    def _relational_search(self, text, match_any=False, public_only=False, limit=SUGGESTIONS):
        """Articles matching ``text`` that the user may read, best first, each in its own
        language's configuration. All words must match (web search syntax), or any of them
        with ``match_any`` (for suggestions from a ticket's subject and description)."""
        domain = Domain("state", "=", "published")
        if public_only:
            domain &= Domain("is_public", "=", True)
        matches = self._relational_matches(text, domain, match_any=match_any, limit=limit)
        return self.browse([row["id"] for row in matches])

    @api.model
    def _relational_matches(
        self, text, domain=None, match_any=False, limit=SUGGESTIONS, excerpt=False
    ):
        """The articles matching ``text`` within ``domain``, best first, as dicts: ``id``,
        ``name``, ``relevance`` (0 to 100) and, with ``excerpt``, the passages of the body
        around the matched words as ``[text, matched]`` pairs.

        One SQL query whatever the text: the full text match is served by the GIN index of the
        search document, the user's access rules and ``domain`` filter the matching articles,
        and the excerpts are cut for the rows returned only."""
        # PostgreSQL refuses NUL characters in text.
        text = (text or "").replace("\x00", " ")
        if match_any:
            words = list(dict.fromkeys(WORD.findall(html2plaintext(text or "").lower())))[:30]
            text = " or ".join(words)
        if not (text or "").strip() or limit <= 0:
            return []
        self.flush_model()
        # Access rules (company), active articles and ``domain``: the query the match and the
        # ranking are added to, so PostgreSQL filters the matching articles by them.
        query = self._search(Domain(domain or Domain.TRUE))
        if query.is_empty():
            return []
        article = SQL.identifier(query.table)
        # One branch per text search configuration of the installed languages (the articles'
        # languages), each a constant query on the GIN index of the search document, and the
        # article's language a cheap test of its column: PostgreSQL combines the branches'
        # index scans instead of reading every article.
        by_config = self._relational_configs()
        queries = {
            config: SQL(
                "websearch_to_tsquery(%(config)s::regconfig,"
                " crm_relational_kb_fold(%(config)s::regconfig, %(text)s))",
                config=config,
                text=text,
            )
            for config in by_config
        }
        matches = SQL(" OR ").join(
            SQL("(%s.lang = ANY(%s) AND %s.search_document @@ %s)",
                article, langs, article, queries[config])
            for config, langs in by_config.items()
        )  # fmt: skip
        query.add_where(SQL("(%s)", matches))

        def tsquery(alias):
            """The query of the article's own configuration."""
            return SQL(
                "CASE %s END",
                SQL(" ").join(
                    SQL("WHEN %s.lang = ANY(%s) THEN %s", alias, langs, queries[config])
                    for config, langs in by_config.items()
                ),
            )

        # Any word (suggestions from a whole ticket) ranks many articles: by the weighted
        # frequency of the words matched, cheaper than by their proximity (all words).
        rank = SQL(
            "%s(%s.search_document, %s, 32)",
            SQL("ts_rank") if match_any else SQL("ts_rank_cd"),
            article,
            tsquery(article),
        )
        query.order = SQL("%s DESC, %s.solved_ticket_count DESC, %s.id", rank, article, article)
        query.limit = limit
        headline = SQL("NULL")
        if excerpt:
            headline = SQL(
                """ts_headline(crm_relational_kb_config(a.lang),
                               regexp_replace(a.body, '<[^>]*>', ' ', 'g'), %(query)s,
                               %(options)s)""",
                query=tsquery(SQL("a")),
                options=f"StartSel={MARK_START}, StopSel={MARK_STOP}, MaxWords=24, "
                "MinWords=8, MaxFragments=2, FragmentDelimiter=… ",
            )
        sql = SQL(
            """
            WITH ranked AS (%(ranked)s)
            SELECT a.id, a.name, a.lang, r.rank, %(headline)s
              FROM ranked r JOIN crm_relational_kb_article a ON a.id = r.id
             ORDER BY r.rank DESC, a.solved_ticket_count DESC, a.id
            """,
            ranked=query.select(SQL("%s.id", article), SQL("%s AS rank", rank)),
            headline=headline,
        )
        return [
            {
                "id": article_id,
                "name": name,
                "lang": lang,
                "relevance": round(100 * float(rank or 0.0)),
                "excerpt": self._relational_excerpt(passage) if excerpt else [],
            }
            for article_id, name, lang, rank, passage in self.env.execute_query(sql)
        ]

    @api.model
    def _relational_configs(self):
        """{text search configuration: [codes of the installed languages searched with it]}
        (see ``TS_CONFIGS``; 'simple' for the others, Persian included)."""
        by_config = {}
        for code, _name in self.env["res.lang"].get_installed():
            config = TS_CONFIGS.get(code.split("_")[0], "simple")
            by_config.setdefault(config, []).append(code)
        return by_config

    def _check_publish_right(self, vals):
        """Refuse (``AccessError``) to anyone but knowledge managers, before anything is
        written: publishing an article (``vals`` set it published, or create it so by
        default), making a published article public, or changing an article customers read
        on the portal (published and public)."""
        if self.env.su or self.env.user.has_group(KNOWLEDGE_MANAGER):
            return
        # A new article takes the default state (a draft for them) unless ``vals`` set one.
        publishing = vals.get("state") == "published"
        on_portal = self.filtered(
            lambda a: (
                (a.state == "published" and a.is_public)
                or (a.state == "published" and vals.get("is_public"))
            )
        )
        if publishing or on_portal:
            raise AccessError(
                self.env._(
                    "Only knowledge managers publish articles or change the ones published on "
                    "the portal FAQ; save it as a draft for them to review."
                )
            )

    def _check_company(self, vals):
        """Refuse an article of a company the user does not work in (shared articles, no
        company, are allowed)."""
        company_id = vals.get("company_id")
        if company_id and company_id not in self.env.user.company_ids.ids:
            raise AccessError(
                self.env._("You can only write knowledge base articles of your own companies.")
            )

    def _check_text_size(self, vals):
        """Refuse an article too long to be searched, with a message rather than PostgreSQL's
        "string is too long for tsvector" once the search document is built."""
        size = sum(len(TAGS.sub(" ", vals.get(name) or "")) for name in ("name", "body"))
        if size > MAX_TEXT:
            raise ValidationError(
                self.env._(
                    "The article is too long to be searched: at most %(max)s characters of "
                    "title and answer, it has %(size)s.",
                    max=f"{MAX_TEXT:,}",
                    size=f"{size:,}",
                )
            )

    @api.model
    def _relational_excerpt(self, passage):
        """``ts_headline``'s marked passage as ``[text, matched]`` pairs of plain text."""
        pairs = []
        for index, part in enumerate(MARKS.split(passage or "")):
            text = WHITESPACE.sub(" ", html.unescape(part))
            if text:
                pairs.append([text, bool(index % 2)])
        return pairs
