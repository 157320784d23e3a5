from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    # The incremental profile recompute finds the invoices and credit notes changed since its
    # last run (crm.relational.profile._touched_queries): an index range scan, not the whole
    # table.
    _write_date_idx = models.Index("(write_date)")
    # The profile recompute reads the posted credit notes of the customers it redoes
    # (crm.relational.run._facts_refunds): a few customers' ones from this small index.
    _refund_partner_idx = models.Index(
        "(commercial_partner_id) WHERE move_type = 'out_refund' AND state = 'posted'"
    )
