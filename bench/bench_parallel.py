"""Benchmark: a full recompute of the profiles shared between 1 and N background workers.

    python3 -m bench.bench_parallel -c ODOO_CONF -d DB [--size large] [--workers 2]

COMMITS to DB: run it on a copy. First the one-worker recompute as the scheduled job runs it
by default (``_recompute``), then the same recompute shared between 1 and then N workers
(``crm.relational.run._prepare_parallel`` once, then ``_work_partitions`` in N threads, each
on a cursor of its own, as N cron workers would), each starting from the profiles of the run
before. Prints the time of each, the speedup of N workers over one, the machine's load, and
whether the profiles are the same, field by field (a digest of every stored column but the
write dates). Writes a JSON line to bench/results/<size>/parallel.json.
"""

import threading
import time

from . import common


def _digest(env):
    """(count, md5) of the company's profiles: every stored column but ids and write dates."""
    from odoo.tools import SQL

    skip = {"id", "computed_at", "create_date", "write_date", "create_uid", "write_uid"}
    Profile = env["crm.relational.profile"]
    columns = sorted(
        name
        for name, field in Profile._fields.items()
        if field.store and field.column_type and name not in skip
    )
    env.flush_all()
    env.cr.execute(
        SQL(
            "SELECT count(*), md5(string_agg(ROW(%s)::text, '|' ORDER BY partner_id))"
            " FROM crm_relational_profile WHERE company_id = %s",
            SQL(", ").join(SQL.identifier(name) for name in columns),
            env.company.id,
        )
    )
    return env.cr.fetchone()


def _parallel(registry, dbname, workers):
    """Seconds to prepare the shared run and for `workers` threads to finish it; its id."""
    import odoo

    from odoo.addons.crm_relational.models.crm_relational_run import PARTITIONS_PER_WORKER

    started = time.perf_counter()
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        today = odoo.fields.Date.context_today(env["crm.relational.run"])
        run = env["crm.relational.run"]._prepare_parallel(
            env.company, today, workers * PARTITIONS_PER_WORKER
        )
        run_id = run.id
        cr.commit()
    prepared = time.perf_counter()
    errors = []

    def work(number):
        threading.current_thread().dbname = dbname
        try:
            with registry.cursor() as cr:
                env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                env["crm.relational.run"].browse(run_id)._work_partitions(
                    worker=f"bench-{number}", commit=True
                )
                cr.commit()
        except Exception as error:  # reported with the results
            errors.append(repr(error))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    finished = time.perf_counter()
    return {
        "prepare_s": round(prepared - started, 2),
        "workers_s": round(finished - prepared, 2),
        "total_s": round(finished - started, 2),
        "run_id": run_id,
        "errors": errors,
    }


def main(argv=None):
    parser = common.parser(__doc__)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    with common.odoo_env(args) as env:
        registry = env.registry
        started = time.perf_counter()
        env["crm.relational.profile"]._recompute(env.company)
        env.cr.commit()
        single_s = time.perf_counter() - started
        reference = _digest(env)
        env.cr.commit()

        one = _parallel(registry, args.database, 1)
        env.invalidate_all()
        one_digest = _digest(env)
        env.cr.commit()
        many = _parallel(registry, args.database, args.workers)
        env.invalidate_all()
        many_digest = _digest(env)
        runs = env["crm.relational.run"].browse([one["run_id"], many["run_id"]])
        states = runs.mapped("state")
        partitions = {run.id: sorted(set(run.partition_ids.mapped("worker"))) for run in runs}
        env.cr.commit()

    result = {
        "benchmark": "profile_recompute_parallel",
        "profiles": reference[0],
        "one_worker_job_s": round(single_s, 2),
        "shared_1_worker": one,
        f"shared_{args.workers}_workers": many,
        "speedup": round(one["total_s"] / many["total_s"], 2),
        "speedup_of_the_shared_part": round(one["workers_s"] / many["workers_s"], 2),
        "run_states": states,
        "workers_seen": {str(k): v for k, v in partitions.items()},
        "profiles_identical": reference == one_digest == many_digest,
    }
    common.record("parallel", result, args)


if __name__ == "__main__":
    main()
