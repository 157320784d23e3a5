from odoo import fields, models, tools
from odoo.tools import SQL


class CrmRelationalProductTicketReport(models.Model):
    """Tickets per product and month, for sales and marketing: how many, how many complaints,
    reopenings and missed service levels, and the customers' ratings. Counts only, no
    customer, so salespeople see the trends without access to the tickets themselves."""

    _name = "crm.relational.product.ticket.report"
    _description = "Product Ticket Trends"
    _auto = False
    _order = "month desc, ticket_count desc"

    product_id = fields.Many2one("product.product", readonly=True)
    product_category_id = fields.Many2one("product.category", readonly=True)
    category_id = fields.Many2one(
        "helpdesk.ticket.category", string="Ticket Category", readonly=True
    )
    company_id = fields.Many2one("res.company", readonly=True)
    month = fields.Date(readonly=True)
    ticket_count = fields.Integer(string="Tickets", readonly=True)
    complaint_count = fields.Integer(string="Complaints", readonly=True)
    reopened_count = fields.Integer(string="Reopened", readonly=True)
    breached_count = fields.Integer(string="Service Level Missed", readonly=True)
    rating_avg = fields.Float(string="Average Rating", aggregator="avg", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
            CREATE VIEW %s AS (
                SELECT MIN(t.id) AS id, t.product_id, pt.categ_id AS product_category_id,
                       t.category_id, t.company_id,
                       date_trunc('month', t.create_date)::date AS month,
                       COUNT(*) AS ticket_count,
                       COUNT(*) FILTER (WHERE c.relational_complaint) AS complaint_count,
                       COUNT(*) FILTER (WHERE t.relational_reopen_count > 0) AS reopened_count,
                       COUNT(*) FILTER (WHERE EXISTS (
                           SELECT 1 FROM helpdesk_ticket_sla s WHERE s.ticket_id = t.id
                              AND (s.state = 'expired'
                                   OR (s.state = 'in_progress' AND s.deadline < now()))))
                           AS breached_count,
                       AVG(NULLIF(t.rating_last_value, 0)) AS rating_avg
                  FROM helpdesk_ticket t
                  JOIN product_product p ON p.id = t.product_id
                  JOIN product_template pt ON pt.id = p.product_tmpl_id
                  LEFT JOIN helpdesk_ticket_category c ON c.id = t.category_id
                 WHERE t.active
                 GROUP BY t.product_id, pt.categ_id, t.category_id, t.company_id,
                          date_trunc('month', t.create_date)
            )
                """,
                SQL.identifier(self._table),
            )
        )
