"""The timeline becomes a table kept equal to its SQL view (it was the view itself)."""

import logging

from odoo import api
from odoo.tools import SQL

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, api.SUPERUSER_ID, {})
    timeline = env["crm.relational.timeline"]
    # The model's init created the table and filled it from the view; this makes sure it holds
    # every row of the view (idempotent: rows already equal are not written).
    written = timeline._timeline_reconcile()
    cr.execute(SQL("SELECT count(*) FROM %s", SQL.identifier(timeline._table)))
    _logger.info(
        "Customer timeline stored: %s rows (%s written by the migration)", cr.fetchone()[0], written
    )
