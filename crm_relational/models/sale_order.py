from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # The incremental profile recompute finds the orders changed since its last run
    # (crm.relational.profile._touched_queries): an index range scan, not the whole table.
    _write_date_idx = models.Index("(write_date)")
