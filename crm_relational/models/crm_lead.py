from odoo import models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # The incremental profile recompute finds the opportunities changed since its last run
    # (crm.relational.profile._touched_queries): an index range scan, not the whole table.
    _write_date_idx = models.Index("(write_date)")
