from odoo.tools import SQL


def post_init_hook(env):
    """Give the opportunities raised from tickets before OCA's module their ticket, in one
    statement, so OCA's Opportunities button counts them."""
    env.cr.execute(
        SQL(
            """
            UPDATE crm_lead
               SET ticket_id = ticket.id
              FROM helpdesk_ticket ticket
             WHERE ticket.relational_lead_id = crm_lead.id
               AND crm_lead.ticket_id IS NULL
            """
        )
    )
