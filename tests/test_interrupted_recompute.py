"""A recompute killed half-way (a real process, SIGKILL) leaves consistent data, and the next
run finishes the job where it stopped."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from odoo_process import ROOT, database_copy, odoo_conf, query

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent(
    """
    import sys, threading
    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config

    conf, db = sys.argv[1:3]
    config.parse_config(["-c", conf, "-d", db, "--no-http", "--log-level=warn"])
    threading.current_thread().dbname = db
    with Registry(db).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env["crm.relational.profile"]._cron_recompute()
    """
)


def _run_row(db, run_id=None):
    """The latest full run (or run ``run_id``): id, state, customers done, customers."""
    rows = query(
        db,
        "SELECT id, state, done_count, customer_count FROM crm_relational_run"
        " WHERE mode = 'full' AND (%s IS NULL OR id = %s) ORDER BY id DESC LIMIT 1",
        (run_id, run_id),
    )
    return rows[0] if rows else None


def _recompute(db):
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, odoo_conf(), db],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_killed_recompute_resumes_and_finishes():
    with database_copy("crmrel_killed") as db:
        # One customer per batch, so the run commits often and can be caught half-way.
        query(db, "DELETE FROM ir_config_parameter WHERE key = 'crm_relational.batch_size'")
        query(
            db,
            "INSERT INTO ir_config_parameter (key, value)"
            " VALUES ('crm_relational.batch_size', '1')",
        )
        before = _run_row(db)
        started = time.monotonic()
        process = _recompute(db)
        caught = None
        while process.poll() is None and time.monotonic() - started < 300:
            row = _run_row(db)
            if row and row != before and row[1] == "running" and 0 < row[2] < row[3]:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
                caught = row
                break
            time.sleep(0.02)
        assert caught, f"the run was not caught half-way: {process.communicate()[0][-2000:]}"
        run_id, _state, _done, total = caught
        # What was committed is whole: the run says how far it got, its profiles are there.
        _id, state, done, total_after = _run_row(db, run_id)
        assert (state, total_after) == ("running", total)
        assert 0 < done < total
        # The next run carries on with the same run and finishes it.
        again = _recompute(db)
        output = again.communicate(timeout=600)[0]
        assert again.returncode == 0, output[-2000:]
        assert _run_row(db, run_id) == (run_id, "done", total, total)
        computed = query(
            db,
            "SELECT count(*) FROM crm_relational_profile p JOIN crm_relational_run r"
            " ON r.id = %s AND p.company_id = r.company_id AND p.computed_at >= r.started_at",
            (run_id,),
        )[0][0]
        assert computed == total
