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
