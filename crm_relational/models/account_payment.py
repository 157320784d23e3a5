from odoo import fields, models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    # Indexed: the customer timeline finds a customer's payments by partner.
    partner_id = fields.Many2one(index=True)

    # The incremental profile recompute finds the payments changed since its last run
    # (crm.relational.profile._touched_queries): an index range scan, not the whole table.
    _write_date_idx = models.Index("(write_date)")
