import functools

from odoo import api, fields, models, tools
from odoo.fields import Domain
from odoo.tools import SQL

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
OUTCOMES = [
    ("won", "Won"),
    ("lost", "Lost"),
    ("open", "Open"),
    ("paid", "Paid"),
    ("overdue", "Overdue"),
    ("on_time", "On Time"),
    ("late", "Late"),
]


class CrmRelationalTimeline(models.Model):
    """One interaction with a customer, from any source: the 360-degree timeline.

    An SQL view over the back-office and communication records, one ``SELECT`` per source
    (``_timeline_sources``). Other addons add sources by extending that method and the
    ``kind`` selection; ``init`` rebuilds the view whenever one of them is installed or upgraded.
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
        # Customers erased at their request ("Forget this customer") are in no branch: the
        # filter is pushed into each one, after its own index lookups.
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """CREATE VIEW %s AS (
                    SELECT * FROM (%s) AS interaction
                     WHERE interaction.partner_id <> ALL (ARRAY(
                           SELECT forgotten.id FROM res_partner forgotten
                            WHERE forgotten.relational_forgotten))
                )""",
                SQL.identifier(self._table),
                SQL("\nUNION ALL\n").join(self._timeline_sources()),
            )
        )

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None, **kwargs):
        # Every read of the view goes through here. Its plan has one branch per source, so its
        # estimated cost passes PostgreSQL's JIT threshold, and compiling it (over half a
        # second) costs more than running it: no JIT for the rest of this transaction.
        self.env.cr.execute(SQL("SET LOCAL jit = off"))
        if not (self.env.su or kwargs.get("bypass_access")):
            # A user sees the interactions whose document they may read, under Odoo's own
            # rules of that document (search, read, group by and count alike).
            domain = Domain(domain) & self._timeline_readable_domain()
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
    def _timeline_readable_domain(self):
        """The rows whose document the current user may read: its model's access rights and
        record rules (own documents, teams, companies, any rule an administrator adds).

        One ``EXISTS`` per document model, correlated on the row's document and built by the
        model's own ``_search`` as the user. PostgreSQL does not push a condition holding a
        sub-query into the branches of the view: the branches still find the customer's rows
        through their own indexes, and this test then runs on those rows only, one primary
        key lookup each.
        """
        models_ = sorted(
            model
            for model in self._timeline_document_models()
            if model in self.env and self.env[model].has_access("read")
        )

        def to_sql(model, alias, query):
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
                # OFFSET 0 keeps the test row by row, by primary key: without it PostgreSQL
                # may hash the user's whole set of documents once per query.
                branches.append(
                    SQL("(%s AND EXISTS (%s OFFSET 0))", is_model, documents.select("1"))
                )
            return SQL("(%s)", SQL(" OR ").join(branches)) if branches else SQL("FALSE")

        def readable(row):
            if row.res_model not in models_:
                return False
            document = self.env[row.res_model].browse(row.res_id).exists()
            return bool(document) and document.has_access("read")

        return Domain.custom(to_sql=to_sql, predicate=readable)

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
        source's own number (1-15): stable, and unique across sources.
        """
        order = [
            "date", "partner_id", "company_id", "user_id", "kind", "channel", "direction",
            "outcome", "name", "amount", "currency_id", "res_model", "res_id",
        ]  # fmt: skip
        return SQL(
            "SELECT (%s)::bigint * 16 + %s AS id, %s",
            row_id or columns["res_id"],
            number,
            SQL(", ").join(
                SQL("%s AS %s", columns.get(name, SQL("NULL")), SQL.identifier(name))
                for name in order
            ),
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
                      AND m.message_type IN ('email', 'email_outgoing', 'comment')
                      AND NOT COALESCE(st.internal, FALSE)
                      AND NOT COALESCE(m.is_internal, FALSE)
                      AND %(who)s
                      AND NOT EXISTS (SELECT 1 FROM res_users u
                                       WHERE u.partner_id = p.id AND NOT u.share)""",
                select=select,
                joins=joins,
                documents=self._timeline_message_models(),
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
