"""Benchmark: the web client's load on the primary alone and with a streaming replica.

    python3 -m bench.bench_replica -c ODOO_CONF -d DB [--size large] [--clients 32]
        [--replica-port PORT]

Starts Odoo with three HTTP workers twice on the database: on the primary alone, then with
``db_replica_host``/``db_replica_port`` pointing at the replica (``--replica-port``; by default
the one of ``make run REPLICA=1``, started by ``tools/devenv.sh replica``). Each time,
``--clients`` concurrent web client users (the administrator, over ``/web/dataset/call_kw``)
make stock lookups, ticket creations and forecast reads, interleaved. Prints throughput and
p50/p95 per operation of both runs, writes a JSON line to bench/results/<size>/replica.json,
and deletes the tickets it made. The same driver runs in tests/test_load.py.
"""

import http.cookiejar
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from . import common

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JOBS = {"lookup": 160, "ticket": 80, "forecast": 80}
FORECAST_FIELDS = [
    "relational_win_probability",
    "forecast_effective_category",
    "forecast_effective_amount",
]


SESSIONS = 4  # logins shared by the clients: a login costs seconds of password hashing


class WebClient:
    """A user of the web client: calls over /web/dataset/call_kw with a session (where Odoo
    gives methods marked ``@api.readonly`` a read-only cursor, on the replica if any)."""

    def __init__(self, url, session_id):
        self.url, self.session_id = url, session_id

    @classmethod
    def login(cls, url, db, login, password):
        """A new session of `login`, as the web client's login makes it."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        client = cls(url, None)
        client._post(
            "/web/session/authenticate", {"db": db, "login": login, "password": password}, opener
        )
        client.session_id = next(cookie.value for cookie in jar if cookie.name == "session_id")
        return client

    def _post(self, path, params, opener=None):
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}).encode(),
            headers={"Content-Type": "application/json"},
        )
        if self.session_id:
            request.add_header("Cookie", f"session_id={self.session_id}")
        with (opener or urllib.request.build_opener()).open(request, timeout=300) as response:
            answer = json.loads(response.read())
        if "error" in answer:
            raise AssertionError(answer["error"].get("data", {}).get("message", answer["error"]))
        return answer["result"]

    def call(self, model, method, *args, **kwargs):
        return self._post(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )


def run_web_load(url, db, clients, jobs, tag):
    """`jobs` ({operation: count}) by `clients` concurrent web client users (the demo
    administrator, in a few sessions made beforehand); return (elapsed seconds, {operation:
    [seconds]}, errors)."""
    sessions = [WebClient.login(url, db, "admin", "admin") for _ in range(SESSIONS)]
    code = sessions[0].call(
        "product.product", "search_read",
        [("is_storable", "=", True), ("default_code", "!=", False)],
        fields=["default_code"], limit=1,
    )[0]["default_code"]  # fmt: skip

    def run(kind, n):
        me = sessions[n % SESSIONS]
        started = time.perf_counter()
        if kind == "lookup":
            result = me.call("crm.relational.stock.lookup", "lookup", code, quantity=2)
            assert result and result[0]["warehouses"]
        elif kind == "ticket":
            me.call("helpdesk.ticket", "create",
                    {"name": f"{tag} {n}", "description": "<p>load</p>"})  # fmt: skip
        else:
            me.call("crm.lead", "search_read", [("type", "=", "opportunity")],
                    fields=FORECAST_FIELDS, limit=80)  # fmt: skip
        return kind, time.perf_counter() - started

    # Interleaved, as users would: lookup, ticket, forecast, lookup, ...
    todo = [(kind, n) for kind, count in jobs.items() for n in range(count)]
    todo.sort(key=lambda job: (job[1] / jobs[job[0]], job[0]))
    timings, errors = {kind: [] for kind in jobs}, []
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(run, kind, n) for kind, n in todo]
        for future in futures:
            try:
                kind, seconds = future.result(timeout=600)
                timings[kind].append(seconds)
            except Exception as error:  # every failure is counted, whatever it is
                errors.append(repr(error))
    return time.perf_counter() - started, timings, errors


def summary(elapsed, timings):
    """Throughput and latency of a run: ``{"calls_per_s", <operation>: {"per_s", "p50_ms",
    "p95_ms"}}``."""
    calls = sum(len(seconds) for seconds in timings.values())
    result = {
        "calls": calls,
        "seconds": round(elapsed, 1),
        "calls_per_s": round(calls / elapsed, 2),
    }
    for kind, seconds in timings.items():
        if seconds:
            result[kind] = {
                "per_s": round(len(seconds) / elapsed, 2),
                "p50_ms": round(statistics.median(seconds) * 1000),
                "p95_ms": round(common.percentile(seconds, 0.95) * 1000),
            }
    return result


def report_line(label, clients, elapsed, timings):
    figures = summary(elapsed, timings)
    parts = [f"{label}: {figures['calls']} calls by {clients} clients in {elapsed:.1f} s, "
             f"{figures['calls_per_s']:.1f} calls/s"]  # fmt: skip
    parts += [
        f"{kind} {figures[kind]['per_s']:.1f}/s p50 {figures[kind]['p50_ms']} ms"
        f" p95 {figures[kind]['p95_ms']} ms"
        for kind in timings
        if kind in figures
    ]
    return "; ".join(parts)


def server_command(conf, db, port, workers=3):
    """Odoo serving `db` only, with `workers` HTTP workers and no cron."""
    return [
        sys.executable, "-m", "odoo", "-c", conf, "-d", db, "--db-filter", f"^{db}$",
        "--http-interface", "127.0.0.1", "--http-port", str(port), "--workers", str(workers),
        "--max-cron-threads", "0", "--limit-time-real", "120",
    ]  # fmt: skip


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve_and_load(conf, db, clients, tag, log_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            server_command(conf, db, port), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while True:
            assert process.poll() is None, f"Odoo exited; see {log_path}"
            try:
                urllib.request.urlopen(f"{url}/web/login", timeout=10).close()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert time.monotonic() < deadline, f"Odoo did not answer; see {log_path}"
                time.sleep(1)
        return run_web_load(url, db, clients, JOBS, tag)
    finally:
        os.killpg(process.pid, 2)
        process.wait(timeout=60)


def main(argv=None):
    parser = common.parser(__doc__)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--replica-port", type=int, help="default: tools/devenv.sh replica")
    args = parser.parse_args(argv)
    replica = args.replica_port
    if not replica:
        started = subprocess.run(
            [os.path.join(ROOT, "tools", "devenv.sh"), "replica"], cwd=ROOT, check=True,
            capture_output=True, text=True,
        )  # fmt: skip
        replica = int(re.search(r"replica_port=(\d+)", started.stdout).group(1))
    replica_conf = f"{args.config}.replica"
    with open(args.config) as source, open(replica_conf, "w") as target:
        target.write(source.read().rstrip("\n") + "\n")
        target.write(f"db_replica_host = 127.0.0.1\ndb_replica_port = {replica}\n")
    tag = f"bench-replica-{os.getpid()}"
    runs, errors = {}, {}
    try:
        for label, conf in (("primary_only", args.config), ("with_replica", replica_conf)):
            elapsed, timings, failed = _serve_and_load(
                conf, args.database, args.clients, f"{tag}-{label}", f"/tmp/bench_{label}.log"
            )
            print(report_line(label, args.clients, elapsed, timings))
            runs[label], errors[label] = summary(elapsed, timings), len(failed)
    finally:
        os.remove(replica_conf)
        with common.odoo_env(args) as env:
            env["helpdesk.ticket"].with_context(active_test=False).search(
                [("name", "like", tag)]
            ).unlink()
            env.cr.commit()
    common.record(
        "replica", {"clients": args.clients, "workers": 3, **runs, "errors": errors}, args
    )


if __name__ == "__main__":
    main()
