from odoo import api, fields, models


class CrmRelationalRun(models.Model):
    """One recompute of a company's customer profiles: what it did, and where it stands.

    A run keeps the population figures it scored against (quintile grids, tier cutoffs, fitted
    lifetime-value models) and the last customer it wrote, committed after every batch: a run
    stopped half-way is resumed by the next one with the same figures, and an incremental run
    scores the customers touched since against the figures of the last full run.
    """

    _name = "crm.relational.run"
    _description = "Customer Profile Recompute"
    _order = "id desc"

    company_id = fields.Many2one("res.company", required=True, index=True, ondelete="cascade")
    mode = fields.Selection(
        [("full", "Full"), ("incremental", "Incremental")],
        required=True,
        default="full",
        help="Full: every customer, scored against fresh population figures. Incremental: only "
        "the customers whose records changed, scored against the last full run's figures.",
    )
    date = fields.Date(string="As Of", required=True, help="The day the profiles describe.")
    state = fields.Selection(
        [("running", "Running"), ("done", "Done")], required=True, default="running"
    )
    started_at = fields.Datetime(required=True, default=fields.Datetime.now)
    finished_at = fields.Datetime()
    since = fields.Datetime(
        string="Changes Since",
        help="Incremental runs: customers whose records changed after this moment are redone.",
    )
    customer_count = fields.Integer(
        string="Customers to Do", help="Customers this run has to recompute."
    )
    done_count = fields.Integer(
        string="Customers Done", help="Customers recomputed and saved so far."
    )
    last_partner_id = fields.Integer(
        string="Last Customer Written", help="Customers are written in id order; resume after."
    )
    parameters = fields.Json(
        string="Population Figures", help="What the customers were scored against."
    )
    duration = fields.Float(
        string="Duration (s)",
        compute="_compute_duration",
        help="Seconds from the start to the end of the run (to now while it runs).",
    )
    progress = fields.Float(compute="_compute_progress", help="Customers done, in percent.")

    @api.depends("done_count", "customer_count", "state")
    def _compute_progress(self):
        for run in self:
            if run.state == "done":
                run.progress = 100.0
            elif run.customer_count:
                run.progress = 100.0 * run.done_count / run.customer_count
            else:
                run.progress = 0.0

    def _compute_duration(self):
        for run in self:
            end = run.finished_at or fields.Datetime.now()
            run.duration = (end - run.started_at).total_seconds() if run.started_at else 0.0
