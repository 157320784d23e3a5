from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    # The incremental profile recompute finds the deliveries changed since its last run
    # (crm.relational.profile._touched_queries): an index range scan, not the whole table.
    _write_date_idx = models.Index("(write_date)")
