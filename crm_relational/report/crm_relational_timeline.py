import functools
import hashlib

from odoo import api, fields, models, tools
from odoo.fields import Domain
from odoo.orm.domains import DomainAnd, DomainCondition
from odoo.tools import SQL
from odoo.tools.sql import TableKind, table_kind

from ..models.crm_relational_job import advisory_lock

KINDS = [
    ("sale_order", "Sale Order"),
    ("invoice", "Invoice"),
    ("refund", "Credit Note"),
    ("payment", "Payment"),
    ("delivery", "Delivery"),
    ("opportunity", "Opportunity"),
    ("email", "E-mail"),
    ("meeting", "Meeting"),
    ("call", "Call"),
]
CHANNELS = [
    ("sales", "Sales"),
    ("accounting", "Accounting"),
    ("logistics", "Logistics"),
    ("email", "E-mail"),
    ("phone", "Phone"),
    ("meeting", "Meeting"),
    ("portal", "Portal"),
]
# The messages the timeline shows as e-mails (``_timeline_emails``); calls are messages with
# an activity type (``_timeline_calls``).
EMAIL_MESSAGE_TYPES = ("email", "email_outgoing", "comment")
OUTCOMES = [
    ("won", "Won"),
    ("lost", "Lost"),
    ("open", "Open"),
    ("paid", "Paid"),
    ("overdue", "Overdue"),
    ("on_time", "On Time"),
    ("late", "Late"),
]


# A bulk load may switch the triggers off for its transaction (``SET LOCAL
# crm_relational.timeline_sync = off``), then reconcile the table once (``_timeline_reconcile``).
SYNC_SETTING = "crm_relational.timeline_sync"


class CrmRelationalTimeline(models.Model):
    """One interaction with a customer, from any source: the 360-degree timeline.

    A table kept equal to an SQL view over the back-office and communication records (the
    view ``crm_relational_timeline_source``, one ``SELECT`` per source: ``_timeline_sources``).
    Reading the view means running every source's joins on every read; the table holds their
    result, indexed by customer and by kind and date, so that a customer's timeline and the
    manager's monthly view cost what reading the documents themselves costs.

    The table follows its sources incrementally: PostgreSQL triggers on every table the view
    reads (``_timeline_dependencies``) refresh, at the end of each statement that changed
    them, the rows of the documents that statement touched: ORM writes, stored fields
    recomputed at flush, imports in SQL alike. What no trigger can follow (time: an invoice
    falls overdue, a ticket misses its service level) is refreshed by the hourly job, and the
    daily job reconciles the whole table with the view (``_timeline_reconcile``). Other addons
    add sources by extending ``_timeline_sources``, ``_timeline_dependencies`` and the ``kind``
    selection; ``init`` rebuilds the view and the triggers, and reconciles the table when a
    source changed.
    """

    _name = "crm.relational.timeline"
    _description = "Customer Interaction"
    _auto = False
    _order = "date desc, id desc"

    date = fields.Datetime(readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one("res.users", string="Handled By", readonly=True)
    kind = fields.Selection(KINDS, string="Interaction", readonly=True)
    channel = fields.Selection(CHANNELS, readonly=True)
    direction = fields.Selection(
        [("inbound", "From the Customer"), ("outbound", "From Us")],
        readonly=True,
        help="Who started the interaction: the customer, or us.",
    )
    outcome = fields.Selection(OUTCOMES, readonly=True)
    name = fields.Char(string="Reference", readonly=True)
    amount = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        help="Untaxed amount in the company currency; negative for credit notes.",
    )
    currency_id = fields.Many2one("res.currency", readonly=True)
    res_model = fields.Char(string="Document Model", readonly=True)
    res_id = fields.Many2oneReference(string="Document", model_field="res_model", readonly=True)

    def init(self):
        cr = self.env.cr
        # Before 19.0.1.2.0 the timeline was the view itself.
        tools.drop_view_if_exists(cr, self._table)
        source = self._timeline_source_view()
        tools.drop_view_if_exists(cr, source)
        query = self._timeline_view_query()
        cr.execute(SQL("CREATE VIEW %s AS (%s)", SQL.identifier(source), query))
        created = self._timeline_create_table()
        self._timeline_install_triggers()
        digest = self._timeline_digest(query)
        cr.execute(SQL("SELECT obj_description(%s::regclass, 'pg_class')", self._table))
        if created or cr.fetchone()[0] != digest:
            # A new table, or a source changed (an addon installed or upgraded): the table
            # takes the view's rows, writing only those that differ.
            self._timeline_reconcile()
            cr.execute(SQL("COMMENT ON TABLE %s IS %s", SQL.identifier(self._table), digest))

    def _register_hook(self):
        # An addon with sources was uninstalled (its tables or columns dropped, the view with
        # them): the view, the triggers and the table follow the sources left.
        super()._register_hook()
        cr = self.env.cr
        if table_kind(cr, self._table) != TableKind.Regular:
            return
        cr.execute(
            SQL(
                "SELECT to_regclass(%s) IS NOT NULL, obj_description(%s::regclass, 'pg_class')",
                self._timeline_source_view(),
                self._table,
            )
        )
        exists, digest = cr.fetchone()
        if not exists or digest != self._timeline_digest(self._timeline_view_query()):
            self.init()

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None, **kwargs):
        # Every read of the timeline goes through here. The access test below holds one
        # sub-query per document model: its estimated cost may pass PostgreSQL's JIT
        # threshold, and compiling it costs more than running it.
        self.env.cr.execute(SQL("SET LOCAL jit = off"))
        if not (self.env.su or kwargs.get("bypass_access")):
            # A user sees the interactions whose document they may read, under Odoo's own
            # rules of that document (search, read, group by and count alike).
            domain = Domain(domain)
            domain &= self._timeline_readable_domain(few=self._timeline_few_rows(domain))
        return super()._search(domain, offset=offset, limit=limit, order=order, **kwargs)

    def _check_access(self, operation):
        # Rows read by id (read, web_read over RPC) follow the same rule as a search.
        result = super()._check_access(operation)
        if result or self.env.su or not any(self._ids):
            return result
        ids = [row_id for row_id in self._ids if row_id]
        forbidden = self - self.browse(self._search([("id", "in", ids)], active_test=False))
        if not forbidden:
            return None
        return forbidden, functools.partial(
            self.env["ir.rule"]._make_access_error, operation, forbidden
        )

    @api.readonly
    def action_open_document(self):
        """Open the document the interaction comes from."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------ access
    @api.model
    def _timeline_document_models(self):
        """Models a timeline row may point to (``res_model``); rows of any other model are
        seen by nobody but the superuser. Other addons add theirs with their sources."""
        return {
            "res.partner",
            "sale.order",
            "account.move",
            "account.payment",
            "stock.picking",
            "crm.lead",
            "calendar.event",
            *self._timeline_message_documents(),
        }

    @api.model
    def _timeline_few_rows(self, domain):
        """Whether ``domain`` keeps a few rows only, found by index: some customers' rows
        (a customer's timeline, the interaction counts of a page of partners) or rows by id."""
        conditions = [domain] if isinstance(domain, DomainCondition) else []
        if isinstance(domain, DomainAnd):
            conditions = [child for child in domain.children if isinstance(child, DomainCondition)]
        return any(
            condition.field_expr in ("id", "partner_id")
            and (
                condition.operator == "="
                or (
                    condition.operator == "in"
                    and isinstance(condition.value, (list, tuple, set, frozenset))
                    and len(condition.value) <= 1000
                )
            )
            for condition in conditions
        )

    @api.model
    def _timeline_reads_most(self, model, query):
        """Whether ``query`` (the documents of ``model`` the user may read) keeps more than half
        of its table, by PostgreSQL's own estimates of both (scaled alike to the table's
        current size): then the documents the user may not read are the fewer."""

        def estimate(select):
            self.env.cr.execute(SQL("EXPLAIN (FORMAT JSON) %s", select))
            return self.env.cr.fetchone()[0][0]["Plan"]["Plan Rows"]

        whole = SQL("SELECT 1 FROM %s", SQL.identifier(self.env[model]._table))
        return estimate(query.select("1")) > estimate(whole) / 2

    @api.model
    def _timeline_readable_domain(self, few=False):
        """The rows whose document the current user may read: its model's access rights and
        record rules (own documents, teams, companies, any rule an administrator adds).

        Per document model, the row's document among those the model's own ``_search``
        finds as the user. For ``few`` rows (a customer's timeline, rows by id), a correlated
        ``EXISTS``: one primary key lookup per row. Otherwise (the manager's view over the
        whole timeline) per model the fewer of the documents the user may read (a semi-join)
        and of those the user may not (an anti-join), hashed once. PostgreSQL cannot pick
        between the two itself: an ``IN`` it does not hash scans the user's documents for
        every row, and an ``EXISTS`` in a disjunction is never hashed.
        """
        models_ = sorted(
            model
            for model in self._timeline_document_models()
            if model in self.env and self.env[model].has_access("read")
        )

        def to_sql(model, alias, query):
            if not few:
                return readable_documents(model, alias)
            branches = []
            for name in models_:
                # Archived documents (lost opportunities) stay readable, and in the timeline.
                documents = model.env[name]._search([], active_test=False)
                if documents.is_empty():
                    continue
                is_model = SQL("%s = %s", SQL.identifier(alias, "res_model"), name)
                if not documents._where_clauses and not documents._joins:
                    # No rule restricts the user on this model: every document exists.
                    branches.append(is_model)
                    continue
                documents.add_where(
                    SQL(
                        "%s = %s",
                        SQL.identifier(documents.table, "id"),
                        SQL.identifier(alias, "res_id"),
                    )
                )
                # OFFSET 0 keeps the test row by row, by primary key.
                test = SQL("EXISTS (%s OFFSET 0)", documents.select("1"))
                branches.append(SQL("(%s AND %s)", is_model, test))
            return SQL("(%s)", SQL(" OR ").join(branches)) if branches else SQL("FALSE")

        def readable_documents(model, alias):
            # The whole timeline: per document model, the smaller side of its documents is
            # hashed once, those the user may read (a semi-join) or those the user may not (an
            # anti-join). Both are ANDed to the rest, so PostgreSQL joins them; a model the
            # user reads whole (or almost) costs nothing but its few refused documents.
            kept, refused, whole = [], [], []
            for name in models_:
                query = model.env[name]._search([], active_test=False)
                if query.is_empty():
                    continue
                if not query._where_clauses and not query._joins:
                    whole.append(name)
                elif query._joins or not self._timeline_reads_most(name, query):
                    kept.append(
                        query.select(SQL("%s, %s", name, SQL.identifier(query.table, "id")))
                    )
                else:
                    whole.append(name)
                    refused.append(
                        SQL(
                            "SELECT %s, %s FROM %s WHERE (%s) IS NOT TRUE",
                            name,
                            SQL.identifier(query.table, "id"),
                            query.from_clause,
                            query.where_clause,
                        )
                    )
            if not kept and not whole:
                return SQL("FALSE")
            res_model = SQL.identifier(alias, "res_model")
            res_id = SQL.identifier(alias, "res_id")

            def among(documents, key):
                # The row's (model, key) among ``documents`` (selects of model and id).
                return SQL(
                    "EXISTS (SELECT 1 FROM (%s) AS document (model, id)"
                    " WHERE document.model = %s AND document.id = %s)",
                    SQL(" UNION ALL ").join(documents),
                    res_model,
                    key,
                )

            if kept:
                # A row of a model read whole matches its model's single entry (id 0).
                key = (
                    SQL("CASE WHEN %s IN %s THEN 0 ELSE %s END", res_model, tuple(whole), res_id)
                    if whole
                    else res_id
                )
                conditions = [among([*kept, *(SQL("SELECT %s, 0", name) for name in whole)], key)]
            else:
                conditions = [SQL("%s IN %s", res_model, tuple(whole))]
            if refused:
                conditions.append(SQL("NOT %s", among(refused, res_id)))
            return SQL("(%s)", SQL(" AND ").join(conditions))

        def readable(row):
            if row.res_model not in models_:
                return False
            document = self.env[row.res_model].browse(row.res_id).exists()
            return bool(document) and document.has_access("read")

        return Domain.custom(to_sql=to_sql, predicate=readable)

    # ------------------------------------------------------------------ store
    @api.model
    def _timeline_source_view(self):
        """Name of the SQL view the table is kept equal to."""
        return f"{self._table}_source"

    @api.model
    def _timeline_view_query(self):
        """The view's query: every source, ``UNION ALL``."""
        # Customers erased at their request ("Forget this customer") are in no branch: the
        # filter is pushed into each one, after its own index lookups.
        return SQL(
            """SELECT * FROM (%s) AS interaction
                WHERE interaction.partner_id <> ALL (ARRAY(
                      SELECT forgotten.id FROM res_partner forgotten
                       WHERE forgotten.relational_forgotten))""",
            SQL("\nUNION ALL\n").join(self._timeline_sources()),
        )

    @api.model
    def _timeline_digest(self, query):
        """Fingerprint of the view's query, kept as the table's comment: the table was last
        reconciled with that view."""
        return hashlib.md5(self.env.cr.mogrify(query)).hexdigest()

    @api.model
    def _timeline_drop_triggers(self, tables=None):
        """Drop the triggers keeping the table up to date (on ``tables`` only, if given),
        and their functions: on uninstall."""
        cr = self.env.cr
        prefix = f"{self._table}_sync_"
        cr.execute(
            SQL(
                """SELECT t.tgname, c.relname FROM pg_trigger t
                     JOIN pg_class c ON c.oid = t.tgrelid
                    WHERE NOT t.tgisinternal AND t.tgname LIKE %s""",
                prefix.replace("_", r"\_") + "%",
            )
        )
        for trigger, table in cr.fetchall():
            if tables is None or table in tables:
                cr.execute(
                    SQL("DROP TRIGGER %s ON %s", SQL.identifier(trigger), SQL.identifier(table))
                )
        cr.execute(
            SQL(
                "SELECT oid::regprocedure::text, proname FROM pg_proc WHERE proname LIKE %s",
                prefix.replace("_", r"\_") + "%",
            )
        )
        for function, name in cr.fetchall():
            if tables is None or name.removeprefix(prefix) in tables:
                cr.execute(SQL("DROP FUNCTION IF EXISTS %s", SQL(function)))

    @api.model
    def _timeline_columns(self):
        """The columns of the view and the table, in their order (see ``_timeline_select``):
        ``source`` is the source's number, ``source_key`` the id of the record that drives the
        row (the order, the message, the meeting, ...): the triggers refresh rows by it."""
        return [
            "id", "date", "partner_id", "company_id", "user_id", "kind", "channel",
            "direction", "outcome", "name", "amount", "currency_id", "res_model", "res_id",
            "source", "source_key",
        ]  # fmt: skip

    @api.model
    def _timeline_create_table(self):
        """Create the table with the view's columns and types, unless it has them already;
        True if it was (re)created, empty."""
        cr = self.env.cr

        def signature(relation):
            cr.execute(
                SQL(
                    """SELECT array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                        ORDER BY a.attnum)
                         FROM pg_attribute a
                        WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped""",
                    relation,
                )
            )
            return cr.fetchone()[0]

        if table_kind(cr, self._table) == TableKind.Regular:
            if signature(self._table) == signature(self._timeline_source_view()):
                return False
            cr.execute(SQL("DROP TABLE %s", SQL.identifier(self._table)))
        table = SQL.identifier(self._table)
        cr.execute(
            SQL(
                "CREATE TABLE %s AS SELECT * FROM %s WITH NO DATA",
                table,
                SQL.identifier(self._timeline_source_view()),
            )
        )
        cr.execute(SQL("ALTER TABLE %s ADD PRIMARY KEY (id)", table))
        for name, columns in (
            ("partner_date", "partner_id, date"),
            ("kind_date", "kind, date"),
            ("source_key", "source, source_key"),
        ):
            cr.execute(
                SQL(
                    "CREATE INDEX %s ON %s (%s)",
                    SQL.identifier(f"{self._table}_{name}_index"),
                    table,
                    SQL(columns),
                )
            )
        return True

    @api.model
    def _timeline_refresh_sql(self, scope):
        """One statement making the table's rows in ``scope`` (an SQL condition on the
        columns, true for the same rows of the view and of the table) those of the view:
        rows gone are deleted, new rows inserted, changed rows updated; rows already right
        are not written."""
        columns = self._timeline_columns()
        table = SQL.identifier(self._table)
        return SQL(
            """WITH fresh AS MATERIALIZED (SELECT * FROM %(view)s WHERE %(scope)s),
                    gone AS (DELETE FROM %(table)s stored
                              WHERE %(scope)s
                                AND NOT EXISTS (SELECT 1 FROM fresh WHERE fresh.id = stored.id))
               INSERT INTO %(table)s AS stored SELECT * FROM fresh
               ON CONFLICT (id) DO UPDATE SET %(assign)s
                WHERE (%(stored)s) IS DISTINCT FROM (%(excluded)s)""",
            view=SQL.identifier(self._timeline_source_view()),
            table=table,
            scope=scope,
            assign=SQL(", ").join(
                SQL("%s = EXCLUDED.%s", SQL.identifier(name), SQL.identifier(name))
                for name in columns[1:]
            ),
            stored=SQL(", ").join(SQL.identifier("stored", name) for name in columns[1:]),
            excluded=SQL(", ").join(SQL.identifier("excluded", name) for name in columns[1:]),
        )

    @api.model
    def _timeline_reconcile(self):
        """Make the whole table equal to the view, in one set-based statement: after a bulk
        load or an import with the triggers off (``SYNC_SETTING``), and every day for what no
        trigger sees.
        Returns the number of rows inserted or updated (deleted rows are not counted)."""
        # One at a time: two would write the same rows, and one would fail on them.
        advisory_lock(self.env.cr, "timeline_reconcile", 0, wait=True)
        self.env.flush_all()
        self.env.cr.execute(SQL("SET LOCAL jit = off"))
        self.env.cr.execute(self._timeline_refresh_sql(SQL("TRUE")))
        changed = self.env.cr.rowcount
        self.env.invalidate_all()
        return changed

    @api.model
    def _timeline_time_bound(self):
        """``[(source number, SQL of source keys)]``: the rows whose view values change with
        time alone, with no write to any table: posted invoices still open (they fall overdue
        at their due date). Other addons add theirs (tickets whose service level runs out)."""
        return [
            (
                2,
                SQL(
                    """SELECT t.source_key FROM %s t
                         JOIN account_move am ON am.id = t.source_key
                        WHERE t.source = 2 AND t.outcome = 'open'
                          AND am.invoice_date_due < CURRENT_DATE""",
                    SQL.identifier(self._table),
                ),
            )
        ]

    @api.model
    def _timeline_refresh_time_bound(self):
        """Refresh the rows that time alone changes (``_timeline_time_bound``); the hourly
        job. Returns the number of rows updated."""
        self.env.flush_all()
        self.env.cr.execute(SQL("SET LOCAL jit = off"))
        changed = 0
        for number, keys in self._timeline_time_bound():
            self.env.cr.execute(
                self._timeline_refresh_sql(
                    SQL("source = %s AND source_key = ANY(ARRAY(%s))", number, keys)
                )
            )
            changed += self.env.cr.rowcount
        self.env.invalidate_all()
        return changed

    @api.model
    def _timeline_dependencies(self):
        """What each table the view reads changes in the timeline, for the triggers.

        A list of dicts: ``table``; ``events`` (``INSERT``, ``UPDATE``, ``DELETE``);
        ``columns``, the columns whose change matters on ``UPDATE`` (None: any); ``refresh``,
        a list of ``(sources, keys)``: the source numbers whose rows to refresh, and an SQL
        query of their ``source_key`` over ``changed`` (the rows the statement inserted,
        deleted, or updated, old and new); sources None: ``keys`` are customers, whose
        whole timeline is refreshed. Other addons add their tables.
        """
        every = ("INSERT", "UPDATE", "DELETE")

        def messages_on(model):
            # The messages posted on documents whose customer changed.
            return SQL(
                """SELECT m.id FROM mail_message m
                    WHERE m.model = %s AND m.res_id IN (SELECT id FROM changed)""",
                model,
            )

        return [
            {
                "table": "sale_order",
                "events": every,
                "columns": None,
                "refresh": [
                    ((1,), SQL("SELECT id FROM changed")),
                    # A delivery is late against the order's commitment date.
                    ((4,), SQL("SELECT sp.id FROM stock_picking sp"
                               " WHERE sp.sale_id IN (SELECT id FROM changed)")),
                ],
            },
            {
                "table": "account_move",
                "events": every,
                "columns": None,
                "refresh": [((2,), SQL("SELECT id FROM changed"))],
            },
            {
                "table": "account_payment",
                "events": every,
                "columns": None,
                "refresh": [((3,), SQL("SELECT id FROM changed"))],
            },
            {
                "table": "stock_picking",
                "events": every,
                "columns": None,
                "refresh": [((4,), SQL("SELECT id FROM changed"))],
            },
            {
                "table": "crm_lead",
                "events": every,
                "columns": None,
                "refresh": [((5,), SQL("SELECT id FROM changed"))],
            },
            *(
                {
                    "table": table,
                    "events": ("UPDATE", "DELETE"),
                    "columns": (column,),
                    "refresh": [((6, 7), messages_on(model))],
                }
                for model, (table, column) in sorted(self._timeline_message_documents().items())
            ),
            {
                # Only a message that may be an e-mail or a call (``_timeline_emails``,
                # ``_timeline_calls``), before or after the change: a notification or a
                # tracking message (a document's "created" message) refreshes nothing.
                "table": "mail_message",
                "events": every,
                "columns": None,
                "refresh": [
                    ((6, 7), SQL("SELECT id FROM changed WHERE message_type IN %s"
                                 " OR mail_activity_type_id IS NOT NULL",
                                 EMAIL_MESSAGE_TYPES)),
                ],
            },
            {
                "table": "calendar_event",
                "events": every,
                "columns": None,
                "refresh": [((8,), SQL("SELECT id FROM changed"))],
            },
            {
                "table": "calendar_event_res_partner_rel",
                "events": ("INSERT", "DELETE"),
                "columns": None,
                "refresh": [((8,), SQL("SELECT calendar_event_id FROM changed"))],
            },
            {
                # A contact moved to another company, a customer forgotten, its company.
                "table": "res_partner",
                "events": ("UPDATE",),
                "columns": ("commercial_partner_id", "relational_forgotten", "company_id"),
                "refresh": [
                    (None, SQL("SELECT id FROM changed"
                               " UNION SELECT commercial_partner_id FROM changed")),
                ],
            },
            {
                # Our users are not customers, and their messages are ours; a meeting's
                # company is its organizer's.
                "table": "res_users",
                "events": every,
                "columns": ("partner_id", "share", "company_id"),
                "refresh": [
                    (None, SQL("SELECT p.commercial_partner_id FROM res_partner p"
                               " WHERE p.id IN (SELECT partner_id FROM changed)")),
                    ((6, 7), SQL("SELECT m.id FROM mail_message m"
                                 " WHERE m.author_id IN (SELECT partner_id FROM changed)")),
                    ((8,), SQL("SELECT e.id FROM calendar_event e"
                               " WHERE e.user_id IN (SELECT id FROM changed)")),
                ],
            },
            {
                # Meetings private by default in their organizer's calendar.
                "table": "res_users_settings",
                "events": every,
                "columns": ("calendar_default_privacy", "user_id"),
                "refresh": [
                    ((8,), SQL("SELECT e.id FROM calendar_event e"
                               " WHERE e.user_id IN (SELECT user_id FROM changed)")),
                ],
            },
            {
                "table": "ir_config_parameter",
                "events": every,
                "columns": ("key", "value"),
                "refresh": [
                    ((8,), SQL("SELECT e.id FROM calendar_event e WHERE EXISTS ("
                               "SELECT 1 FROM changed WHERE key = 'calendar.default_privacy')")),
                ],
            },
        ]  # fmt: skip

    @api.model
    def _timeline_install_triggers(self):
        """(Re)create one trigger function per table of ``_timeline_dependencies`` and its
        statement-level triggers (one per event: PostgreSQL gives a trigger the rows its
        statement changed only if it has one event), and drop those of tables no longer
        listed."""
        cr = self.env.cr
        prefix = f"{self._table}_sync_"
        self._timeline_drop_triggers()
        tables = {}
        for dependency in self._timeline_dependencies():
            tables.setdefault(dependency["table"], []).append(dependency)
        for table, dependencies in sorted(tables.items()):
            if table_kind(cr, table) != TableKind.Regular:
                continue
            function = f"{prefix}{table}"
            blocks = {event: [] for event in ("INSERT", "UPDATE", "DELETE")}
            for dependency in dependencies:
                for event in dependency["events"]:
                    changed = self._timeline_changed_rows(event, dependency["columns"])
                    for sources, keys in dependency["refresh"]:
                        blocks[event].append(self._timeline_trigger_block(changed, sources, keys))
            body = SQL(
                """DECLARE keys integer[];
                   BEGIN
                     IF to_regclass(%(view)s) IS NULL
                        OR current_setting(%(switch)s, TRUE) = 'off' THEN
                         RETURN NULL;
                     END IF;
                     IF TG_OP = 'INSERT' THEN %(insert)s
                     ELSIF TG_OP = 'UPDATE' THEN %(update)s
                     ELSE %(delete)s
                     END IF;
                     RETURN NULL;
                   END""",
                view=self._timeline_source_view(),
                switch=SYNC_SETTING,
                insert=SQL("\n").join(blocks["INSERT"]) or SQL("NULL;"),
                update=SQL("\n").join(blocks["UPDATE"]) or SQL("NULL;"),
                delete=SQL("\n").join(blocks["DELETE"]) or SQL("NULL;"),
            )
            cr.execute(
                SQL(
                    # One plan per statement and connection, kept: planning the view's
                    # branches costs far more than refreshing a few rows by their keys.
                    """CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql
                       SET plan_cache_mode = force_generic_plan AS %s""",
                    SQL.identifier(function),
                    cr.mogrify(body).decode(),
                )
            )
            for event, block in blocks.items():
                if not block:
                    continue
                transition = {
                    "INSERT": SQL("NEW TABLE AS new_rows"),
                    "UPDATE": SQL("OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                    "DELETE": SQL("OLD TABLE AS old_rows"),
                }[event]
                cr.execute(
                    SQL(
                        """CREATE TRIGGER %s AFTER %s ON %s REFERENCING %s
                           FOR EACH STATEMENT EXECUTE FUNCTION %s()""",
                        SQL.identifier(f"{function}_{event.lower()}"),
                        SQL(event),
                        SQL.identifier(table),
                        transition,
                        SQL.identifier(function),
                    )
                )

    @api.model
    def _timeline_changed_rows(self, event, columns):
        """SQL of the rows a statement changed, in a trigger: inserted, deleted, or for an
        update the old and new versions of the rows where one of ``columns`` changed."""
        if event == "INSERT":
            return SQL("SELECT * FROM new_rows")
        if event == "DELETE":
            return SQL("SELECT * FROM old_rows")
        if not columns:
            return SQL("SELECT * FROM new_rows UNION ALL SELECT * FROM old_rows")
        differs = SQL(
            "(%s) IS DISTINCT FROM (%s)",
            SQL(", ").join(SQL.identifier("n", column) for column in columns),
            SQL(", ").join(SQL.identifier("o", column) for column in columns),
        )
        return SQL(
            """SELECT n.* FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE %(differs)s
               UNION ALL
               SELECT o.* FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE %(differs)s""",
            differs=differs,
        )

    @api.model
    def _timeline_trigger_block(self, changed, sources, keys):
        """PL/pgSQL refreshing the rows of ``sources`` (None: of the customers) whose keys
        ``keys`` selects over ``changed``, if it selects any."""
        if sources is None:
            scope = SQL("partner_id = ANY(keys)")
        else:
            scope = SQL("source IN %s AND source_key = ANY(keys)", tuple(sources))
        return SQL(
            """keys := ARRAY(WITH changed AS (%s) SELECT DISTINCT key FROM (%s) AS found(key)
                              WHERE key IS NOT NULL);
               IF cardinality(keys) > 0 THEN %s; END IF;""",
            changed,
            keys,
            self._timeline_refresh_sql(scope),
        )

    # ------------------------------------------------------------------ sources
    @api.model
    def _timeline_sources(self):
        """The ``SELECT`` of every source (see ``_timeline_select``), joined by ``UNION ALL``."""
        return [
            self._timeline_sale_orders(),
            self._timeline_invoices(),
            self._timeline_payments(),
            self._timeline_deliveries(),
            self._timeline_opportunities(),
            self._timeline_emails(),
            self._timeline_calls(),
            self._timeline_meetings(),
        ]

    @api.model
    def _timeline_select(self, number, row_id=None, **columns):
        """A source's ``SELECT`` list, in the view's column order, from SQL expressions.

        The row id is ``row_id`` (by default the document id) times 16 plus ``number``, the
        source's own number (1-15): stable, and unique across sources. ``source_key`` (by
        default the document id) is the id of the record the row comes from, in the table
        the source reads first: the triggers refresh a source's rows by it.
        """
        order = [
            "date", "partner_id", "company_id", "user_id", "kind", "channel", "direction",
            "outcome", "name", "amount", "currency_id", "res_model", "res_id",
        ]  # fmt: skip
        return SQL(
            "SELECT (%s)::bigint * 16 + %s AS id, %s, %s AS source, (%s)::integer AS source_key",
            row_id or columns["res_id"],
            number,
            SQL(", ").join(
                SQL("%s AS %s", columns.get(name, SQL("NULL")), SQL.identifier(name))
                for name in order
            ),
            number,
            columns.get("source_key") or columns["res_id"],
        )

    @api.model
    def _timeline_sale_orders(self):
        return SQL(
            """%s
                 FROM sale_order so
                 JOIN res_partner p ON p.id = so.partner_id
                 JOIN res_company c ON c.id = so.company_id
                WHERE so.state = 'sale'""",
            self._timeline_select(
                1,
                date=SQL("so.date_order"),
                partner_id=SQL("p.commercial_partner_id"),
                company_id=SQL("so.company_id"),
                user_id=SQL("so.user_id"),
                kind=SQL("'sale_order'"),
                channel=SQL("'sales'"),
                direction=SQL("'inbound'"),
                name=SQL("so.name"),
                amount=SQL("so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1)::numeric"),
                currency_id=SQL("c.currency_id"),
                res_model=SQL("'sale.order'"),
                res_id=SQL("so.id"),
            ),
        )

    @api.model
    def _timeline_invoices(self):
        return SQL(
            """%s
                 FROM account_move am
                 JOIN res_partner p ON p.id = am.partner_id
                 JOIN res_company c ON c.id = am.company_id
                WHERE am.move_type IN ('out_invoice', 'out_refund')
                  AND am.state = 'posted'""",
            self._timeline_select(
                2,
                date=SQL("am.invoice_date::timestamp"),
                # The partner's commercial entity (as am.commercial_partner_id), through the
                # indexed partner_id: a customer's invoices are found by index.
                partner_id=SQL("p.commercial_partner_id"),
                company_id=SQL("am.company_id"),
                user_id=SQL("am.invoice_user_id"),
                kind=SQL("CASE am.move_type WHEN 'out_refund' THEN 'refund' ELSE 'invoice' END"),
                channel=SQL("'accounting'"),
                direction=SQL("'outbound'"),
                outcome=SQL(
                    """CASE WHEN am.payment_state IN ('paid', 'in_payment', 'reversed')
                            THEN 'paid'
                            WHEN am.invoice_date_due < CURRENT_DATE THEN 'overdue'
                            ELSE 'open' END"""
                ),
                name=SQL("am.name"),
                amount=SQL("am.amount_untaxed_signed"),
                currency_id=SQL("c.currency_id"),
                res_model=SQL("'account.move'"),
                res_id=SQL("am.id"),
            ),
        )

    @api.model
    def _timeline_payments(self):
        return SQL(
            """%s
                 FROM account_payment ap
                 JOIN res_partner p ON p.id = ap.partner_id
                 JOIN res_company c ON c.id = ap.company_id
                WHERE ap.partner_type = 'customer'
                  AND ap.payment_type = 'inbound'
                  AND ap.state IN ('in_process', 'paid')""",
            self._timeline_select(
                3,
                date=SQL("ap.date::timestamp"),
                partner_id=SQL("p.commercial_partner_id"),
                company_id=SQL("ap.company_id"),
                kind=SQL("'payment'"),
                channel=SQL("'accounting'"),
                direction=SQL("'inbound'"),
                outcome=SQL("CASE ap.state WHEN 'paid' THEN 'paid' ELSE 'open' END"),
                name=SQL("ap.name"),
                amount=SQL("ap.amount_company_currency_signed"),
                currency_id=SQL("c.currency_id"),
                res_model=SQL("'account.payment'"),
                res_id=SQL("ap.id"),
            ),
        )

    @api.model
    def _timeline_deliveries(self):
        # Late: done after the date promised to the customer (the picking's deadline, which
        # comes from the order's commitment date). Without a promise, no verdict.
        return SQL(
            """%s
                 FROM stock_picking sp
                 JOIN stock_picking_type spt ON spt.id = sp.picking_type_id
                 JOIN res_partner p ON p.id = sp.partner_id
                 LEFT JOIN sale_order so ON so.id = sp.sale_id
                WHERE spt.code = 'outgoing' AND sp.state = 'done'""",
            self._timeline_select(
                4,
                date=SQL("sp.date_done"),
                partner_id=SQL("p.commercial_partner_id"),
                company_id=SQL("sp.company_id"),
                user_id=SQL("sp.user_id"),
                kind=SQL("'delivery'"),
                channel=SQL("'logistics'"),
                direction=SQL("'outbound'"),
                outcome=SQL(
                    """CASE WHEN COALESCE(sp.date_deadline, so.commitment_date) IS NULL THEN NULL
                            WHEN sp.date_done::date
                                 > COALESCE(sp.date_deadline, so.commitment_date)::date
                            THEN 'late' ELSE 'on_time' END"""
                ),
                name=SQL("sp.name"),
                res_model=SQL("'stock.picking'"),
                res_id=SQL("sp.id"),
            ),
        )

    @api.model
    def _timeline_opportunities(self):
        return SQL(
            """%s
                 FROM crm_lead l
                 JOIN res_partner p ON p.id = l.partner_id
                 JOIN res_company c ON c.id = l.company_id
                WHERE l.type = 'opportunity'""",
            self._timeline_select(
                5,
                date=SQL("COALESCE(l.date_closed, l.create_date)"),
                partner_id=SQL("p.commercial_partner_id"),
                company_id=SQL("l.company_id"),
                user_id=SQL("l.user_id"),
                kind=SQL("'opportunity'"),
                channel=SQL("'sales'"),
                direction=SQL("'outbound'"),
                outcome=SQL("CASE l.won_status WHEN 'pending' THEN 'open' ELSE l.won_status END"),
                name=SQL("l.name"),
                amount=SQL("l.expected_revenue"),
                currency_id=SQL("c.currency_id"),
                res_model=SQL("'crm.lead'"),
                res_id=SQL("l.id"),
            ),
        )

    @api.model
    def _timeline_message_documents(self):
        """Documents whose messages count as interactions with their customer.

        ``{model: (table, partner column)}``; other addons add theirs (tickets, ...).
        """
        return {
            "crm.lead": ("crm_lead", "partner_id"),
            "sale.order": ("sale_order", "partner_id"),
            "account.move": ("account_move", "partner_id"),
            "stock.picking": ("stock_picking", "partner_id"),
        }

    @api.model
    def _timeline_message_customers(self):
        """``[(joins, customer)]``: one way per document model to find the customer a message
        is about, from the document it is posted on (the customer itself, or the partner of an
        order, an invoice, ...). Each way joins ``m`` (the message) to ``p``, that partner, so
        a filter on a customer reaches the messages through indexes."""
        ways = [SQL("JOIN res_partner p ON m.model = 'res.partner' AND p.id = m.res_id")]
        for model, (table, column) in sorted(self._timeline_message_documents().items()):
            ways.append(
                SQL(
                    "JOIN %(table)s doc ON m.model = %(model)s AND doc.id = m.res_id"
                    " JOIN res_partner p ON p.id = doc.%(column)s",
                    table=SQL.identifier(table),
                    model=model,
                    column=SQL.identifier(column),
                )
            )
        return ways

    @api.model
    def _timeline_message_name(self):
        """A message's subject, or the start of its text."""
        return SQL(
            "COALESCE(NULLIF(m.subject, ''), left(regexp_replace(m.body, '<[^>]*>', '', 'g'), 80))"
        )

    @api.model
    def _timeline_message_models(self):
        """The models whose messages may be interactions: the customer itself and the
        customer-facing documents; never recruitment, purchase, discuss channels, ..."""
        return ("res.partner", *sorted(self._timeline_message_documents()))

    @api.model
    def _timeline_emails(self):
        # From the customer: an incoming e-mail, or a portal message, whose author is not one
        # of our users: the customer is the author. From us: a message sent (not a note) by
        # one of our users: the customer is the partner of the document it is posted on (also
        # for the rare message without author). Either way only on the customer or one of its
        # documents, and never an internal note (internal subtype or employee-only message).
        internal_author = SQL(
            "EXISTS (SELECT 1 FROM res_users u WHERE u.partner_id = m.author_id AND NOT u.share)"
        )
        ways = [
            (SQL("JOIN res_partner p ON p.id = m.author_id"), SQL("NOT %s", internal_author)),
            *(
                (joins, SQL("(%s OR m.author_id IS NULL)", internal_author))
                for joins in self._timeline_message_customers()
            ),
        ]
        select = self._timeline_select(
            6,
            row_id=SQL("m.id"),
            source_key=SQL("m.id"),
            date=SQL("m.date"),
            partner_id=SQL("p.commercial_partner_id"),
            company_id=SQL("COALESCE(m.record_company_id, author_user.company_id)"),
            user_id=SQL("author_user.id"),
            kind=SQL("'email'"),
            channel=SQL(
                "CASE WHEN m.message_type = 'comment' AND NOT %s THEN 'portal' ELSE 'email' END",
                internal_author,
            ),
            direction=SQL("CASE WHEN %s THEN 'outbound' ELSE 'inbound' END", internal_author),
            name=self._timeline_message_name(),
            res_model=SQL("m.model"),
            res_id=SQL("m.res_id"),
        )
        return SQL("\nUNION ALL\n").join(
            SQL(
                """%(select)s
                     FROM mail_message m
                     %(joins)s
                     LEFT JOIN mail_message_subtype st ON st.id = m.subtype_id
                     LEFT JOIN res_users author_user
                            ON author_user.partner_id = m.author_id AND NOT author_user.share
                    WHERE m.mail_activity_type_id IS NULL
                      AND m.model IN %(documents)s
                      AND m.message_type IN %(email_types)s
                      AND NOT COALESCE(st.internal, FALSE)
                      AND NOT COALESCE(m.is_internal, FALSE)
                      AND %(who)s
                      AND NOT EXISTS (SELECT 1 FROM res_users u
                                       WHERE u.partner_id = p.id AND NOT u.share)""",
                select=select,
                joins=joins,
                documents=self._timeline_message_models(),
                email_types=EMAIL_MESSAGE_TYPES,
                who=who,
            )
            for joins, who in ways
        )

    @api.model
    def _timeline_calls(self):
        # The call's type and summary, as the first line of Odoo's "activity done" message
        # ("Call done: <summary>"); never the note nor the feedback written below it, which
        # are internal. Without that line, the activity type's name.
        first_line = SQL(
            "btrim(regexp_replace(regexp_replace(substring(m.body from '<p>(.*?)</p>'),"
            " '<[^>]*>', '', 'g'), '\\s+', ' ', 'g'))"
        )
        select = self._timeline_select(
            7,
            row_id=SQL("m.id"),
            source_key=SQL("m.id"),
            date=SQL("m.date"),
            partner_id=SQL("p.commercial_partner_id"),
            company_id=SQL("COALESCE(m.record_company_id, author_user.company_id)"),
            user_id=SQL("author_user.id"),
            kind=SQL("'call'"),
            channel=SQL("'phone'"),
            direction=SQL("'outbound'"),
            name=SQL("COALESCE(NULLIF(left(%s, 80), ''), t.name->>'en_US')", first_line),
            res_model=SQL("m.model"),
            res_id=SQL("m.res_id"),
        )
        return SQL("\nUNION ALL\n").join(
            SQL(
                """%s
                     FROM mail_message m
                     JOIN mail_activity_type t ON t.id = m.mail_activity_type_id
                     %s
                     LEFT JOIN res_users author_user
                            ON author_user.partner_id = m.author_id AND NOT author_user.share
                    WHERE t.category = 'phonecall'""",
                select,
                joins,
            )
            for joins in self._timeline_message_customers()
        )

    @api.model
    def _timeline_meetings(self):
        # One row per meeting and customer attending it.
        return SQL(
            """%s
                 FROM calendar_event e
                 JOIN calendar_event_res_partner_rel a ON a.calendar_event_id = e.id
                 JOIN res_partner attendee ON attendee.id = a.res_partner_id
                 JOIN res_partner customer ON customer.id = attendee.commercial_partner_id
                 LEFT JOIN res_users organizer ON organizer.id = e.user_id
                 LEFT JOIN res_users_settings organizer_settings
                        ON organizer_settings.user_id = e.user_id
                WHERE e.active
                  -- Our own users are not customers; portal users are.
                  AND NOT EXISTS (SELECT 1 FROM res_users u
                                   WHERE u.partner_id = attendee.id AND NOT u.share)
                  -- Never a private meeting: private itself, or following the calendar of an
                  -- organizer whose events are private by default.
                  AND COALESCE(
                          e.privacy,
                          organizer_settings.calendar_default_privacy,
                          (SELECT value FROM ir_config_parameter
                            WHERE key = 'calendar.default_privacy'),
                          'public') <> 'private'
                  AND attendee.id = (
                      SELECT min(other.id)
                        FROM calendar_event_res_partner_rel a2
                        JOIN res_partner other ON other.id = a2.res_partner_id
                       WHERE a2.calendar_event_id = e.id
                         AND other.commercial_partner_id = attendee.commercial_partner_id)""",
            self._timeline_select(
                8,
                # A meeting shows once per customer attending: the id combines both.
                row_id=SQL("e.id::bigint * 2147483648 + attendee.id"),
                date=SQL("e.start"),
                partner_id=SQL("attendee.commercial_partner_id"),
                # The organizer's company, else the customer's (NULL: shared customers only).
                company_id=SQL("COALESCE(organizer.company_id, customer.company_id)"),
                user_id=SQL("e.user_id"),
                kind=SQL("'meeting'"),
                channel=SQL("'meeting'"),
                direction=SQL("'outbound'"),
                name=SQL("e.name"),
                res_model=SQL("'calendar.event'"),
                res_id=SQL("e.id"),
            ),
        )
