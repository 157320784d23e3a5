from odoo.tools import SQL


def post_init_hook(env):
    """Link each existing ticket's order into OCA's orders of the ticket, in one statement."""
    env.cr.execute(
        SQL(
            """
            INSERT INTO helpdesk_ticket_sale_order_rel (helpdesk_ticket_id, sale_order_id)
            SELECT id, sale_order_id FROM helpdesk_ticket WHERE sale_order_id IS NOT NULL
            ON CONFLICT DO NOTHING
            """
        )
    )
