from odoo import api, fields, models
from odoo.tools import SQL


class CrmRelationalTimeline(models.Model):
    """Service tickets, and the messages on them, in the customer's timeline."""

    _inherit = "crm.relational.timeline"

    kind = fields.Selection(selection_add=[("ticket", "Ticket")])
    channel = fields.Selection(selection_add=[("service", "Service")])
    outcome = fields.Selection(selection_add=[("solved", "Solved")])

    @api.model
    def _timeline_sources(self):
        return [*super()._timeline_sources(), self._timeline_tickets()]

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
                outcome=SQL("CASE WHEN t.closed_date IS NULL THEN 'open' ELSE 'solved' END"),
                name=SQL("concat_ws(' ', t.number, t.name)"),
                res_model=SQL("'helpdesk.ticket'"),
                res_id=SQL("t.id"),
            ),
        )
