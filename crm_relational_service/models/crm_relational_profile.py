from odoo import api, models
from odoo.tools import SQL


class CrmRelationalProfile(models.Model):
    """Tickets in the relational profile: a conversation the customer starts, news, and
    signals: solved and well rated (positive); missed service levels, reopenings, complaints
    and poor ratings (negative)."""

    _inherit = "crm.relational.profile"

    @api.model
    def _valence_rules(self):
        return [
            *super()._valence_rules(),
            ("ticket", "solved", 1),
            ("rating", "satisfied", 1),
            ("ticket", "sla_breached", -1),
            ("ticket", "reopened", -1),
            ("ticket", "complaint", -1),
            ("rating", "unsatisfied", -1),
        ]

    @api.model
    def _conversation_kinds(self):
        return [*super()._conversation_kinds(), "ticket"]

    @api.model
    def _withdrawn_conversations(self):
        # A ticket opened by a person who chose no profiling, and its rating, count for no
        # customer's profile, like that person's e-mails and meetings.
        return [
            *super()._withdrawn_conversations(),
            SQL(
                """(t.kind IN ('ticket', 'rating') AND t.res_id IN (
                       SELECT ticket.id FROM helpdesk_ticket ticket
                         JOIN res_partner opener ON opener.id = ticket.partner_id
                        WHERE opener.relational_no_profiling))"""
            ),
        ]

    @api.model
    def _touched_queries(self, company, since):
        return [
            *super()._touched_queries(company, since),
            SQL(
                "SELECT commercial_partner_id FROM helpdesk_ticket"
                " WHERE write_date > %s AND company_id = %s",
                since,
                company.id,
            ),
        ]
