from odoo import fields, models


class CrmRelationalRunPartition(models.Model):
    """A share of a parallel profile recompute: one company's customers in one range of ids,
    scored and written by whichever background worker claims it.

    A full recompute shared between workers (``crm.relational.run._prepare_parallel``) builds
    what is known of each customer and the population figures once, then splits the customers
    into these ranges. Each worker claims a range with ``SELECT ... FOR UPDATE SKIP LOCKED``
    (``crm.relational.run._claim_partition``), keeps the row locked while it works on it, and
    commits its progress after every batch: a worker that stops leaves the range to the next
    one, which resumes after the last customer written.
    """

    _name = "crm.relational.run.partition"
    _description = "Customer Profile Recompute Share"
    _order = "run_id, partner_from"

    run_id = fields.Many2one(
        "crm.relational.run", string="Recompute", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="run_id.company_id", store=True)
    partner_from = fields.Integer(
        string="From Customer", required=True, help="Smallest customer id of the range."
    )
    partner_to = fields.Integer(
        string="To Customer", required=True, help="Largest customer id of the range."
    )
    state = fields.Selection(
        [("queued", "Waiting"), ("running", "Running"), ("done", "Done")],
        required=True,
        default="queued",
        readonly=True,
    )
    worker = fields.Char(readonly=True, help="The background worker that took the range last.")
    customer_count = fields.Integer(
        string="Customers to Do", readonly=True, help="Customers of the range."
    )
    done_count = fields.Integer(
        string="Customers Done", readonly=True, help="Customers recomputed and saved so far."
    )
    last_partner_id = fields.Integer(
        string="Last Customer Written",
        readonly=True,
        help="Customers are written in id order; a worker taking the range over resumes after.",
    )
    started_at = fields.Datetime(readonly=True)
    finished_at = fields.Datetime(readonly=True)
