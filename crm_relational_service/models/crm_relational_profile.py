from odoo import api, models
from odoo.tools import SQL


class CrmRelationalProfile(models.Model):
    """Tickets in the relational profile: a conversation the customer starts, and news."""

    _inherit = "crm.relational.profile"

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
