from odoo import models


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    # The incremental profile recompute finds the meetings changed since its last run
    # (crm.relational.profile._touched_queries): an index range scan, not the whole table.
    _write_date_idx = models.Index("(write_date)")
