"""Load through a real client: a running Odoo with several worker processes, driven by
concurrent clients (stock lookups, ticket creations, forecast reads); bounded in count and time,
loopback only. Prints throughput and latency; asserts no error and no lost or duplicated ticket.

Two set-ups: the external XML-RPC API on the primary alone (8 clients), and the web client's
JSON-RPC with 32 clients, first on the primary alone, then with the streaming replica of
``make run REPLICA=1`` serving the read-only calls (issue #17): throughput and p95 per operation
of both runs side by side.
"""

import os
import statistics
import time
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor

import pytest
from odoo_process import (
    background,
    database_copy,
    free_port,
    odoo_conf,
    query,
    replica_conf,
    start_replica,
    wait_for_http,
    wait_for_replica,
)

from bench.bench_replica import FORECAST_FIELDS, JOBS, report_line, run_web_load, server_command

pytestmark = pytest.mark.slow

CLIENTS = 8
LOOKUPS, TICKETS, FORECAST_READS = 80, 40, 40
# The replica run: at least 32 clients, each making about ten calls.
REPLICA_CLIENTS = 32


def _percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _call(url, db, uid, password, model, method, *args, **kwargs):
    proxy = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)
    return proxy.execute_kw(db, uid, password, model, method, list(args), kwargs)


def _server(db, port, conf, log_path):
    return background(server_command(conf, db, port), log_path=log_path)


def test_concurrent_clients_through_xmlrpc():
    with database_copy("crmrel_load") as db:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with _server(db, port, odoo_conf(), "/tmp/crm_relational_load.log") as process:
            wait_for_http(f"{url}/web/login", process, timeout=120)
            uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(
                db, "admin", "admin", {}
            )
            assert uid, "the demo database's administrator could not log in"
            product = _call(url, db, uid, "admin", "product.product", "search_read",
                            [("is_storable", "=", True), ("default_code", "!=", False)],
                            fields=["default_code"], limit=1)[0]  # fmt: skip
            tag = f"load-{port}"
            jobs = (
                [("lookup", n) for n in range(LOOKUPS)]
                + [("ticket", n) for n in range(TICKETS)]
                + [("forecast", n) for n in range(FORECAST_READS)]
            )

            def run(job):
                kind, n = job
                started = time.perf_counter()
                if kind == "lookup":
                    result = _call(url, db, uid, "admin", "crm.relational.stock.lookup",
                                   "lookup", product["default_code"], quantity=2)  # fmt: skip
                    assert result and result[0]["warehouses"]
                elif kind == "ticket":
                    _call(url, db, uid, "admin", "helpdesk.ticket", "create",
                          {"name": f"{tag} {n}", "description": "<p>load</p>"})  # fmt: skip
                else:
                    _call(url, db, uid, "admin", "crm.lead", "search_read",
                          [("type", "=", "opportunity")],
                          fields=FORECAST_FIELDS, limit=80)  # fmt: skip
                return kind, time.perf_counter() - started

            started = time.perf_counter()
            errors, timings = [], []
            with ThreadPoolExecutor(CLIENTS) as pool:
                futures = [pool.submit(run, job) for job in jobs]
                for future in futures:
                    try:
                        timings.append(future.result(timeout=300))
                    except Exception as error:  # every failure is counted, whatever it is
                        errors.append(repr(error))
            elapsed = time.perf_counter() - started
            tickets = _call(url, db, uid, "admin", "helpdesk.ticket", "search_read",
                            [("name", "like", tag)], fields=["name", "number"])  # fmt: skip

        durations = [seconds for _kind, seconds in timings]
        print(
            f"\nload: {len(jobs)} calls by {CLIENTS} clients on 3 workers in {elapsed:.1f} s, "
            f"{len(jobs) / elapsed:.1f} calls/s, p50 {statistics.median(durations) * 1000:.0f} ms,"
            f" p95 {_percentile(durations, 0.95) * 1000:.0f} ms,"
            f" p99 {_percentile(durations, 0.99) * 1000:.0f} ms, errors {len(errors)}"
        )
        assert not errors, errors[:3]
        assert sorted(t["name"] for t in tickets) == sorted(f"{tag} {n}" for n in range(TICKETS))
        assert len({t["number"] for t in tickets}) == TICKETS, "duplicated ticket numbers"


def test_32_clients_on_the_primary_alone_and_with_the_replica():
    replica = start_replica()
    with database_copy("crmrel_load_replica") as db:
        wait_for_replica(replica, db, "SELECT 1 FROM res_users WHERE login = 'admin'")
        conf = replica_conf(replica, "odoo-load-replica.conf")
        lines = []
        try:
            for label, server_conf in (("primary only", odoo_conf()), ("with replica", conf)):
                port = free_port()
                url = f"http://127.0.0.1:{port}"
                tag = f"load-{label.replace(' ', '-')}-{port}"
                log = f"/tmp/crm_relational_load_{label.replace(' ', '_')}.log"
                with _server(db, port, server_conf, log) as process:
                    wait_for_http(f"{url}/web/login", process, timeout=180)
                    elapsed, timings, errors = run_web_load(url, db, REPLICA_CLIENTS, JOBS, tag)
                # On the primary, where the tickets are written (the replica may lag a little).
                tickets = query(
                    db, "SELECT name, number FROM helpdesk_ticket WHERE name LIKE %s", (f"{tag} %",)
                )
                lines.append(report_line(label, REPLICA_CLIENTS, elapsed, timings))
                assert not errors, (label, errors[:3])
                wanted = JOBS["ticket"]
                assert sorted(name for name, _number in tickets) == sorted(
                    f"{tag} {n}" for n in range(wanted)
                ), f"{label}: lost tickets"
                assert len({number for _name, number in tickets}) == wanted, (
                    f"{label}: duplicated ticket numbers"
                )
        finally:
            os.remove(conf)
        print(f"\nload on 3 workers, load average {os.getloadavg()[0]:.1f}:")
        print("\n".join(lines))
