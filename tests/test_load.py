"""Load through a real client: a running Odoo with several worker processes, driven over its
external XML-RPC API by concurrent clients (stock lookups, ticket creations, forecast reads);
bounded in count and time, loopback only. Prints throughput and latency; asserts no error and
no lost or duplicated ticket."""

import statistics
import sys
import time
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor

import pytest
from odoo_process import background, database_copy, free_port, odoo_conf, wait_for_http

pytestmark = pytest.mark.slow

CLIENTS = 8
LOOKUPS, TICKETS, FORECAST_READS = 80, 40, 40


def _percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _call(url, db, uid, password, model, method, *args, **kwargs):
    proxy = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)
    return proxy.execute_kw(db, uid, password, model, method, list(args), kwargs)


def test_concurrent_clients_through_xmlrpc():
    with database_copy("crmrel_load") as db:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [
            sys.executable, "-m", "odoo", "-c", odoo_conf(), "-d", db, "--db-filter", f"^{db}$",
            "--http-interface", "127.0.0.1", "--http-port", str(port), "--workers", "3",
            "--max-cron-threads", "0", "--limit-time-real", "120",
        ]  # fmt: skip
        with background(command, log_path="/tmp/crm_relational_load.log") as process:
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
                          fields=["relational_win_probability", "forecast_effective_category",
                                  "forecast_effective_amount"], limit=80)  # fmt: skip
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
