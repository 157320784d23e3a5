import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# Every advisory lock of the background jobs, by name: the first key of
# ``pg_(try_)advisory_xact_lock(key, id)``. The numbers are those of the earlier versions, so a
# job running while the addons are upgraded keeps its lock.
LOCK_KEYS = {
    # A company's profile recompute (id: the company).
    "profile_recompute": 2_918_431,
    # A company's weekly forecast snapshot (id: the company).
    "forecast_snapshot": 2_918_432,
    # A company's forecast backtest (id: the company).
    "forecast_backtest": 2_918_433,
    # The fit of a company's win-probability model (id: the company).
    "forecast_fit": 2_918_434,
    # A bulk routing run (id: the run), and the start of one (id: minus the company).
    "ticket_routing": 2_918_437,
    # The reconciliation of the whole timeline table with its view (id: 0).
    "timeline_reconcile": 2_918_438,
}
UNFINISHED = ("queued", "running")


def advisory_lock(cr, name, ident, wait=False):
    """Take the transaction-level advisory lock ``name`` (see ``LOCK_KEYS``) on ``ident``: True
    if taken, False if another transaction holds it; with ``wait``, wait for it (True)."""
    key = LOCK_KEYS[name]
    if wait:
        cr.execute(SQL("SELECT pg_advisory_xact_lock(%s, %s)", key, ident))
        return True
    cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", key, ident))
    return cr.fetchone()[0]


class CrmRelationalJob(models.AbstractModel):
    """A long run in the background (a profile recompute, a bulk routing, a backtest): its
    state, who asked for it and how far it got, and the plumbing every such run shares.

    A run model inherits it, names its lock (``_job_lock``, a key of ``LOCK_KEYS``), its batch
    size parameter (``_job_batch_parameter``, ``_job_batch_default``) and its count of things
    to do (``_job_total_field``), adds its own states if any (``selection_add``: "queued"
    while it waits for the job, "failed"), and keeps only its own work: a loop over batches
    that calls ``_commit_progress`` after each one. In the scheduled job (and only there) that
    commits the batch with the job's progress, stops the run when the scheduler says no time
    is left (it calls the job again for the rest, and the run resumes where it stood) and
    takes the run's lock again. ``_notify`` tells users on the bus; an unfinished run cannot
    be deleted.
    """

    _name = "crm.relational.job"
    _description = "Background Job Run"

    # The run's lock: a key of LOCK_KEYS, taken on ``_lock_id()``.
    _job_lock = None
    # The system parameter of the batch size (things done and committed together), its default.
    _job_batch_parameter = None
    _job_batch_default = 100
    # The field counting the things the run has to do.
    _job_total_field = "total_count"

    # A run model that waits for the job (queued) or can fail adds those states with
    # ``selection_add``.
    state = fields.Selection(
        [("running", "Running"), ("done", "Done")],
        required=True,
        readonly=True,
        default="running",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Requested By",
        readonly=True,
        ondelete="set null",
        default=lambda self: self.env.user,
        help="Who asked for the run.",
    )
    started_at = fields.Datetime(readonly=True, default=fields.Datetime.now)
    finished_at = fields.Datetime(readonly=True)
    done_count = fields.Integer(readonly=True)
    progress = fields.Float(compute="_compute_progress", help="Work done, in percent.")

    @api.depends(lambda self: ("state", "done_count", self._job_total_field))
    def _compute_progress(self):
        for run in self:
            total = run[run._job_total_field]
            if run.state == "done":
                run.progress = 100.0
            else:
                run.progress = 100.0 * run.done_count / total if total else 0.0

    @api.ondelete(at_uninstall=False)
    def _unlink_except_unfinished(self):
        if any(run.state in UNFINISHED for run in self):
            raise UserError(self._unfinished_message())

    # ------------------------------------------------------------------ job plumbing
    def _unfinished_message(self):
        """Why an unfinished run cannot be deleted (a run model may say it in its own words)."""
        return self.env._(
            "This run has not finished yet; wait for it to finish before deleting it."
        )

    def _lock_id(self):
        """The id the run's lock is taken on: its company (one run per company at a time)."""
        self.ensure_one()
        return self.company_id.id

    @api.model
    def _try_lock(self, ident, wait=False):
        """Take this kind of run's lock on ``ident`` for the transaction (``advisory_lock``)."""
        return advisory_lock(self.env.cr, self._job_lock, ident, wait=wait)

    def _lock(self):
        """Take the run's lock for the current transaction, if it is free."""
        return self._try_lock(self._lock_id())

    @api.model
    def _batch_size(self):
        """Things done and committed together: the system parameter ``_job_batch_parameter``
        if set (less memory, more commits), else ``_job_batch_default``."""
        # sudo: a technical setting read by the job whoever started it
        value = self.env["ir.config_parameter"].sudo().get_param(self._job_batch_parameter)
        try:
            return max(int(value), 1) if value else self._job_batch_default
        except ValueError:
            _logger.warning("%s is not a number: %r", self._job_batch_parameter, value)
            return self._job_batch_default

    def _commit_progress(self, processed):
        """After a batch of ``processed`` things, in the scheduled job (``ir.cron`` runs it with
        ``ir_cron_progress_id``): commit the batch with the job's progress and the things left
        to do, and take the run's lock again. False when the scheduler says no time is left
        or another worker took the lock: the run stops there and is resumed later. Elsewhere
        (a button, a test): nothing is committed, True."""
        self.ensure_one()
        if not self.env.context.get("ir_cron_progress_id"):
            return True
        remaining = max(self[self._job_total_field] - self.done_count, 0)
        time_left = self.env["ir.cron"]._commit_progress(processed, remaining=remaining)
        return bool(time_left) and self._lock()

    @api.model
    def _notify(self, users, title, message, kind="success", sticky=False):
        """Tell ``users`` on the bus (a notification in their browser)."""
        for user in users:
            user._bus_send(
                "simple_notification",
                {"type": kind, "title": title, "message": message, "sticky": sticky},
            )
