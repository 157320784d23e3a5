"""A full profile recompute shared between two workers, each on a cursor of its own and
committing after every batch, writes the same profiles and stage changes as one worker; each
range of customers is done once, and both workers take some."""

import json
import textwrap

import pytest
from odoo_process import database_copy, odoo_shell

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent(
    """
    import json, threading
    from odoo import SUPERUSER_ID, api, fields
    from odoo.tools import SQL
    from odoo.addons.crm_relational.models.crm_relational_run import PARTITIONS_PER_WORKER

    company = env.company
    today = fields.Date.context_today(env["crm.relational.run"])
    skip = {"id", "computed_at", "create_date", "write_date", "create_uid", "write_uid"}
    columns = sorted(
        name for name, field in env["crm.relational.profile"]._fields.items()
        if field.store and field.column_type and name not in skip)

    def snapshot(cr):
        cr.execute(SQL(
            "SELECT %s FROM crm_relational_profile WHERE company_id = %s ORDER BY partner_id",
            SQL(", ").join(SQL.identifier(name) for name in columns), company.id))
        profiles = [list(map(str, row)) for row in cr.fetchall()]
        cr.execute(SQL(
            "SELECT partner_id, stage_from, stage_to, date::text FROM crm_relational_stage_history"
            " WHERE company_id = %s ORDER BY partner_id, id", company.id))
        return profiles, [list(row) for row in cr.fetchall()]

    # One customer per batch: each range takes many batches, the workers run side by side.
    env["ir.config_parameter"].set_param("crm_relational.batch_size", "1")
    env.cr.commit()
    # One worker, as the job runs by default: the reference, undone.
    env["crm.relational.profile"]._recompute(company, today)
    env.flush_all()
    reference = snapshot(env.cr)
    env.cr.rollback()
    env.invalidate_all()

    run = env["crm.relational.run"]._prepare_parallel(company, today, 2 * PARTITIONS_PER_WORKER)
    run_id = run.id
    env.cr.commit()
    barrier = threading.Barrier(2)
    errors = []

    def work(name):
        threading.current_thread().dbname = env.cr.dbname
        try:
            with env.registry.cursor() as cr:
                worker_env = api.Environment(cr, SUPERUSER_ID, {})
                worker_run = worker_env["crm.relational.run"].browse(run_id)
                barrier.wait()
                worker_run._work_partitions(worker=name, commit=True)
                cr.commit()
        except Exception as error:
            errors.append(repr(error))

    threads = [threading.Thread(target=work, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    env.cr.rollback()
    env.invalidate_all()
    run = env["crm.relational.run"].browse(run_id)
    env.cr.execute("SELECT to_regclass(%s)::text", [f"crm_relational_facts_run_{run_id}"])
    table_left = env.cr.fetchone()[0]
    print("OK", json.dumps({
        "errors": errors,
        "state": run.state,
        "customers": run.customer_count,
        "done": run.done_count,
        "ranges": [(p.state, p.worker, p.customer_count, p.done_count)
                   for p in run.partition_ids],
        "table_left": table_left,
        "same": snapshot(env.cr) == reference,
        "profiles": len(reference[0]),
        "changes": len(reference[1]),
    }))
    """
)


def test_two_workers_share_a_full_recompute():
    with database_copy("crmrel_parallel") as db:
        code, out, err = odoo_shell(db, SCRIPT)
        assert code == 0 and "OK" in out, (out + err)[-3000:]
        result = json.loads(out.split("OK ", 1)[1].splitlines()[0])
        assert result["errors"] == []
        assert result["state"] == "done"
        assert result["profiles"] > 3 and result["changes"] > 0
        assert result["same"], "the shared run writes what one worker writes"
        ranges = result["ranges"]
        assert {state for state, *_rest in ranges} == {"done"}
        # Each range done once, by one of the two workers; both took some.
        assert all(done == count for _state, _worker, count, done in ranges)
        assert result["done"] == result["customers"] == sum(r[2] for r in ranges)
        assert {worker for _state, worker, *_rest in ranges} == {"first", "second"}
        assert result["table_left"] is None


RACE_SCRIPT = textwrap.dedent(
    """
    import json
    from odoo import SUPERUSER_ID, api, fields
    from odoo.tools import SQL

    today = fields.Date.context_today(env["crm.relational.run"])
    run_id = env["crm.relational.run"]._prepare_parallel(env.company, today, 2).id
    env.cr.commit()
    with env.registry.cursor() as cr_a, env.registry.cursor() as cr_b:
        run_a = api.Environment(cr_a, SUPERUSER_ID, {})["crm.relational.run"].browse(run_id)
        first = run_a.partition_ids.sorted("partner_from")[0].id
        cr_a.commit()
        # The claimer's snapshot is taken, then another worker commits a batch of the range.
        cr_a.execute("SELECT 1")
        cr_b.execute(
            "UPDATE crm_relational_run_partition SET worker = 'other' WHERE id = %s", [first])
        cr_b.commit()
        query = SQL(
            "SELECT id FROM crm_relational_run_partition WHERE id = %s"
            " FOR NO KEY UPDATE SKIP LOCKED", first)
        refused = run_a._lock_rows(query, commit=True)
        # The transaction was rolled back: the claim goes on in a new one and gets the range.
        claimed = run_a._claim_partition("late", commit=True)
        claimed_id, claimed_worker = claimed.id, claimed.worker
        cr_a.commit()
        finished = run_a._work_partitions(worker="late", commit=True)
        cr_a.commit()
        state = run_a.state
    print("OK", json.dumps({
        "refused": refused, "first": first, "claimed": claimed_id, "worker": claimed_worker,
        "finished": finished, "state": state,
    }))
    """
)


def test_a_claim_meeting_a_range_just_committed_tries_again():
    """PostgreSQL refuses a row lock (repeatable read) on a range another worker committed
    after the claimer's snapshot: the claim does not fail the worker, it is tried again in a
    new transaction."""
    with database_copy("crmrel_parallel_race") as db:
        code, out, err = odoo_shell(db, RACE_SCRIPT)
        assert code == 0 and "OK" in out, (out + err)[-3000:]
        result = json.loads(out.split("OK ", 1)[1].splitlines()[0])
        assert result["refused"] is None
        assert result["claimed"] == result["first"] and result["worker"] == "late"
        assert result["finished"] is True and result["state"] == "done"
