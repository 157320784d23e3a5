from odoo import api, fields, models
from odoo.tools import SQL

# What a ticket's and its ratings' timeline rows are made of.
TICKET_COLUMNS = (
    "partner_id", "company_id", "user_id", "create_date", "channel_id", "category_id",
    "relational_reopen_count", "closed_date", "number", "name",
)  # fmt: skip


class CrmRelationalTimeline(models.Model):
    """Service tickets, and the messages on them, in the customer's timeline."""

    _inherit = "crm.relational.timeline"

    kind = fields.Selection(selection_add=[("ticket", "Ticket"), ("rating", "Rating")])
    channel = fields.Selection(selection_add=[("service", "Service")])
    outcome = fields.Selection(
        selection_add=[
            ("solved", "Solved"),
            ("sla_breached", "Service Level Missed"),
            ("reopened", "Reopened"),
            ("complaint", "Complaint"),
            ("satisfied", "Satisfied"),
            ("unsatisfied", "Unsatisfied"),
        ]
    )

    @api.model
    def _timeline_sources(self):
        return [*super()._timeline_sources(), self._timeline_tickets(), self._timeline_ratings()]

    @api.model
    def _timeline_dependencies(self):
        every = ("INSERT", "UPDATE", "DELETE")
        tickets = SQL("SELECT id FROM changed")
        return [
            *super()._timeline_dependencies(),
            {
                # The columns the tickets' and ratings' rows read (see ``_timeline_tickets``,
                # ``_timeline_ratings``): a ticket's other changes (the figures recomputed
                # after its creation, its description, priority...) refresh nothing.
                "table": "helpdesk_ticket",
                "events": every,
                "columns": TICKET_COLUMNS,
                "refresh": [
                    ((9,), tickets),
                    # A rating shows its ticket's customer, company, user and number.
                    ((10,), SQL("SELECT r.id FROM rating_rating r WHERE r.res_model ="
                                " 'helpdesk.ticket' AND r.res_id IN (SELECT id FROM changed)")),
                ],
            },
            {
                "table": "helpdesk_ticket_sla",
                "events": every,
                "columns": None,
                "refresh": [((9,), SQL("SELECT ticket_id FROM changed"))],
            },
            {
                "table": "helpdesk_ticket_category",
                "events": ("UPDATE",),
                "columns": ("relational_complaint",),
                "refresh": [
                    ((9,), SQL("SELECT t.id FROM helpdesk_ticket t"
                               " WHERE t.category_id IN (SELECT id FROM changed)")),
                ],
            },
            {
                "table": "rating_rating",
                "events": every,
                "columns": None,
                "refresh": [((10,), SQL("SELECT id FROM changed"))],
            },
        ]  # fmt: skip

    @api.model
    def _timeline_time_bound(self):
        # A ticket misses its service level when the deadline of a running one passes.
        return [
            *super()._timeline_time_bound(),
            (
                9,
                SQL(
                    """SELECT s.ticket_id FROM helpdesk_ticket_sla s
                        WHERE s.state = 'in_progress' AND s.deadline < now()"""
                ),
            ),
        ]

    @api.model
    def _timeline_ratings(self):
        # A satisfaction rating the customer gave on a ticket: 4-5 satisfied, 1-2 unsatisfied.
        return SQL(
            """%s
                 FROM rating_rating r
                 JOIN helpdesk_ticket t ON t.id = r.res_id
                 JOIN res_partner p ON p.id = t.partner_id
                WHERE r.res_model = 'helpdesk.ticket' AND r.consumed AND r.rating > 0""",
            self._timeline_select(
                10,
                row_id=SQL("r.id"),
                source_key=SQL("r.id"),
                date=SQL("COALESCE(r.write_date, r.create_date)"),
                partner_id=SQL("p.commercial_partner_id"),
                company_id=SQL("t.company_id"),
                user_id=SQL("t.user_id"),
                kind=SQL("'rating'"),
                channel=SQL("'service'"),
                direction=SQL("'inbound'"),
                outcome=SQL(
                    """CASE WHEN r.rating >= 4 THEN 'satisfied'
                            WHEN r.rating <= 2 THEN 'unsatisfied' END"""
                ),
                name=SQL("t.number"),
                res_model=SQL("'helpdesk.ticket'"),
                res_id=SQL("t.id"),
            ),
        )

    @api.model
    def _timeline_message_documents(self):
        return {
            **super()._timeline_message_documents(),
            "helpdesk.ticket": ("helpdesk_ticket", "partner_id"),
        }

    @api.model
    def _timeline_tickets(self):
        # The ticket's own channel, named by helpdesk_mgmt's data: e-mail, phone, web form.
        return SQL(
            """%s
                 FROM helpdesk_ticket t
                 JOIN res_partner p ON p.id = t.partner_id
                 LEFT JOIN helpdesk_ticket_category category ON category.id = t.category_id
                 LEFT JOIN ir_model_data channel_xmlid
                        ON channel_xmlid.model = 'helpdesk.ticket.channel'
                       AND channel_xmlid.module = 'helpdesk_mgmt'
                       AND channel_xmlid.res_id = t.channel_id""",
            self._timeline_select(
                9,
                date=SQL("t.create_date"),
                partner_id=SQL("p.commercial_partner_id"),
                company_id=SQL("t.company_id"),
                user_id=SQL("t.user_id"),
                kind=SQL("'ticket'"),
                channel=SQL(
                    """CASE channel_xmlid.name
                            WHEN 'helpdesk_ticket_channel_email' THEN 'email'
                            WHEN 'helpdesk_ticket_channel_phone' THEN 'phone'
                            WHEN 'helpdesk_ticket_channel_web' THEN 'portal'
                            ELSE 'service' END"""
                ),
                direction=SQL("'inbound'"),
                # The worst that happened to the ticket: a missed service level, a reopening,
                # a complaint; else solved or open.
                outcome=SQL(
                    """CASE WHEN EXISTS (SELECT 1 FROM helpdesk_ticket_sla s
                                          WHERE s.ticket_id = t.id AND (s.state = 'expired'
                                             OR (s.state = 'in_progress' AND s.deadline < now())))
                                 THEN 'sla_breached'
                            WHEN t.relational_reopen_count > 0 THEN 'reopened'
                            WHEN category.relational_complaint THEN 'complaint'
                            WHEN t.closed_date IS NULL THEN 'open'
                            ELSE 'solved' END"""
                ),
                name=SQL("concat_ws(' ', t.number, t.name)"),
                res_model=SQL("'helpdesk.ticket'"),
                res_id=SQL("t.id"),
            ),
        )
