from odoo import models


class MailMessage(models.Model):
    _inherit = "mail.message"

    # The incremental profile recompute finds the messages posted since its last run
    # (crm.relational.profile._touched_queries): an index range scan, not the whole table.
    _create_date_idx = models.Index("(create_date)")
