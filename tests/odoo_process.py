"""Odoo in child processes, on copies of the cached template database, for repository tests."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

import psycopg2

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDONS = ["crm_relational", "crm_relational_sfa", "crm_relational_service"]
TEMPLATE_PREFIX = "crmrel-"  # tools/devenv.sh: click-odoo-initdb --cache-prefix crmrel

# Not ours: an editable install of Odoo puts setuptools' import hook into odoo.addons.__path__,
# and Odoo warns at each start that this entry is not a directory.
ENVIRONMENT_NOISE = re.compile(r"addons path is not a directory: __editable__")
PROBLEM = re.compile(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) |^Traceback ", re.MULTILINE)


def odoo_conf():
    """The configuration file `make test` wrote (.local/odoo.conf)."""
    return os.environ.get("ODOO_RC") or os.path.join(ROOT, ".local", "odoo.conf")


def connect(dbname="postgres"):
    from odoo.tools import config

    connection = psycopg2.connect(
        host=config["db_host"] or None,
        port=config["db_port"] or None,
        user=config["db_user"] or None,
        dbname=dbname,
    )
    connection.autocommit = True
    return connection


def query(dbname, sql, params=None):
    connection = connect(dbname)
    try:
        with connection.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall() if cr.description else None
    finally:
        connection.close()


def template_database():
    """The most recently used cached template: the one `make test` just built or reused."""
    rows = query(
        "postgres",
        "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY datname DESC LIMIT 1",
        (TEMPLATE_PREFIX + "%",),
    )
    assert rows, "no cached template database: run the tests through `make test`"
    return rows[0][0]


def drop_database(name):
    query("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def database_copy(name):
    """A copy of the installed template database, dropped afterwards."""
    drop_database(name)
    query("postgres", f'CREATE DATABASE "{name}" TEMPLATE "{template_database()}"')
    try:
        yield name
    finally:
        drop_database(name)


def run_odoo(*args, timeout=900):
    """Run an Odoo command to completion; return (exit code, combined log)."""
    process = subprocess.run(
        [sys.executable, "-m", "odoo", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return process.returncode, process.stdout + process.stderr


def problems(log):
    """Log lines at WARNING level or above, and tracebacks, that come from the code under test."""
    return [
        line
        for line in log.splitlines()
        if PROBLEM.match(line) and not ENVIRONMENT_NOISE.search(line)
    ]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read().decode()


def json_rpc(base_url, service, method, *args):
    """A call over Odoo's external JSON-RPC API, as a softphone or a mobile app makes it."""
    payload = {
        "jsonrpc": "2.0",
        "method": "call",
        "params": {"service": service, "method": method, "args": list(args)},
        "id": 1,
    }
    request = urllib.request.Request(
        base_url + "/jsonrpc",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    assert "error" not in answer, answer.get("error")
    return answer["result"]


def wait_for_http(url, process, timeout):
    """Wait until `url` answers, failing early if `process` died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with code {process.returncode}")
        try:
            return http_get(url)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(1)
    raise AssertionError(f"{url} did not answer within {timeout} s")


@contextmanager
def background(command, env=None, log_path=None):
    """A long-running command in its own process group, stopped (with its children) afterwards."""
    log = open(log_path or os.devnull, "w")
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


@contextmanager
def new_database(name, template=None):
    """An empty database, or a copy of the database `template`, dropped afterwards."""
    drop_database(name)
    if template:
        query("postgres", f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    else:
        # As Odoo creates its own (odoo.service.db._create_empty_database).
        query(
            "postgres",
            f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' LC_COLLATE 'C' TEMPLATE template0",
        )
    try:
        yield name
    finally:
        drop_database(name)


def odoo_shell(db, script, *args, timeout=600):
    """Run the Python `script` in ``odoo shell`` on `db`, where ``env`` is the superuser's
    environment; nothing is committed unless the script commits. `args` go to Odoo (e.g.
    ``--addons-path``). Return (exit code, what the script printed, the log)."""
    process = subprocess.run(
        [sys.executable, "-m", "odoo", "shell", "-c", odoo_conf(), "-d", db, "--no-http", *args],
        cwd=ROOT,
        input=script,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return process.returncode, process.stdout, process.stderr


def template_for_copies():
    """The installed database that tests copy and set up further: ``$CRMREL_TEMPLATE_DB`` when
    set (a database the caller keeps up to date, e.g. outside ``make test``), else the cached
    template `make test` built."""
    return os.environ.get("CRMREL_TEMPLATE_DB") or template_database()


DEVENV = os.path.join(ROOT, "tools", "devenv.sh")


def devenv(*args):
    """``tools/devenv.sh <args>`` for this session's cluster; return what it printed."""
    process = subprocess.run(
        [DEVENV, *args], cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
    )
    assert process.returncode == 0, process.stdout + process.stderr
    return process.stdout


def start_replica():
    """The port of the streaming replica of the embedded cluster, started (and made, the first
    time) as ``make run REPLICA=1`` does."""
    port = int(re.search(r"replica_port=(\d+)", devenv("replica")).group(1))
    assert query_at(port, "SELECT pg_is_in_recovery()") == [(True,)]
    return port


def query_at(port, sql, params=None, dbname="postgres"):
    """`sql` on the server of this cluster's host at `port` (the primary or its replica)."""
    from odoo.tools import config

    connection = psycopg2.connect(
        host=config["db_host"] or None, port=port, user=config["db_user"] or None, dbname=dbname
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall() if cr.description else None
    finally:
        connection.close()


def wait_until(condition, timeout, failure):
    """Poll `condition` until it holds; fail with `failure` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"{failure} within {timeout} s")


def wait_for_replica(port, db, sql="SELECT 1"):
    """Wait until database `db` exists on the replica at `port` and `sql` returns a row there:
    what the primary committed has streamed to it."""

    def arrived():
        if not query_at(port, "SELECT 1 FROM pg_database WHERE datname = %s", (db,)):
            return False
        return bool(query_at(port, sql, dbname=db))

    wait_until(arrived, 180, f"database {db} did not reach the replica")


def replica_conf(port, name):
    """A copy of the session's configuration with the replica at `port` (as `make run
    REPLICA=1` writes it), in .local/<name>; removed by the caller."""
    path = os.path.join(ROOT, ".local", name)
    with open(odoo_conf()) as source, open(path, "w") as target:
        target.write(source.read().rstrip("\n") + "\n")
        target.write(f"db_replica_host = 127.0.0.1\ndb_replica_port = {port}\n")
    return path
