"""A real read-only replica (issue #17): Odoo with ``db_replica_host``/``db_replica_port`` sends
the read paths to a streaming replica of the embedded cluster, the writes to the primary, and
keeps answering from the primary when the replica is down.

The replica is the one ``make run REPLICA=1`` uses (``tools/devenv.sh replica``: a hot standby
made by ``pg_basebackup -R`` in .local/pg-replica, on the next port). A sales rep calls the read
paths over the web client's JSON-RPC (session) and ``/json/2`` (API key), and a visitor reads
the FAQ; the replica's transaction count for the database grows by at least one per call while
the primary's does not move. A ticket created over ``/json/2`` is written on the primary and
read back on the replica. Then the replica is stopped: the same calls answer the same, from the
primary. The test leaves the replica stopped (``make run REPLICA=1`` starts it again).
"""

import json
import os
import re
import sys
import time
import urllib.request

import pytest
from odoo_process import (
    ROOT,
    background,
    database_copy,
    devenv,
    free_port,
    odoo_shell,
    query_at,
    replica_conf,
    start_replica,
    wait_for_http,
    wait_for_replica,
    wait_until,
)

pytestmark = pytest.mark.slow

# PostgreSQL publishes a backend's transaction counts when it has been idle this long (PG 15+:
# PGSTAT_IDLE_INTERVAL, 10 s), so both servers' counts are read after that pause.
STATS_DELAY = 11

SETUP = """
from odoo import Command
rep = env["res.users"].create({
    "name": "Replica Rep", "login": "replica_rep", "password": "replica_rep_pass1",
    "group_ids": [Command.set([env.ref("sales_team.group_sale_salesman").id,
                               env.ref("helpdesk_mgmt.group_helpdesk_user_own").id])],
})
customer = env["res.partner"].create({"name": "Replica Lighting", "is_company": True})
lamp = env["product.product"].create(
    {"name": "Replica Lamp", "default_code": "REPL-LAMP", "is_storable": True})
env["stock.quant"]._update_available_quantity(
    lamp, env.ref("stock.warehouse0").lot_stock_id, 7)
env["crm.relational.kb.article"].create(
    {"name": "Replica dimmer hums", "is_public": True, "lang": "en_US", "state": "published",
     "body": "<p>Tighten the replica dimmer.</p>"})
key = env["res.users.apikeys"].with_user(rep).sudo()._generate(None, "replica test", None)
env.cr.commit()
print(f"KEY={key} CUSTOMER={customer.id}")
"""


def _transactions(port, db):
    """Transactions committed or rolled back in `db` on the server at `port`, as published."""
    ((count,),) = query_at(
        port,
        "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
        (db,),
    )
    return count


class Client:
    """The sales rep in the web client (session cookie) and in a script (API key)."""

    def __init__(self, url, db, key):
        self.url, self.db, self.key = url, db, key
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        self.post("/web/session/authenticate", {
            "db": db, "login": "replica_rep", "password": "replica_rep_pass1",
        })  # fmt: skip

    def post(self, path, params, headers=None, raw=False):
        body = params if raw else {"jsonrpc": "2.0", "method": "call", "params": params}
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        with self.opener.open(request, timeout=60) as response:
            answer = json.loads(response.read())
        if raw:
            return answer
        assert "error" not in answer, answer["error"]
        return answer["result"]

    def call_kw(self, model, method, args, kwargs=None):
        return self.post(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def json2(self, model, method, **params):
        return self.post(
            f"/json/2/{model}/{method}",
            params,
            headers={"Authorization": f"bearer {self.key}"},
            raw=True,
        )

    def page(self, path):
        with urllib.request.urlopen(self.url + path, timeout=60) as response:
            return response.status, response.read().decode()

    def read_paths(self, customer):
        """Every read path once; what each answered, to compare with and without the replica."""
        (lookup,) = self.call_kw("crm.relational.stock.lookup", "lookup", ["REPL-LAMP"])
        (by_key,) = self.json2("crm.relational.stock.lookup", "lookup", query="REPL-LAMP")
        timeline = self.call_kw(
            "crm.relational.timeline", "web_search_read",
            [[("partner_id", "=", customer)], {"kind": {}, "res_id": {}}],
        )  # fmt: skip
        (sheet,) = self.call_kw(
            "res.partner", "web_read",
            [[customer], {"relational_purchase_trend": {}, "relational_credit_exposure": {},
                          "relational_recent_order_ids": {}}],
        )  # fmt: skip
        suggestions = self.call_kw(
            "helpdesk.ticket", "relational_article_suggestions", ["dimmer hums", "", customer]
        )
        status, faq = self.page("/my/faq?search=dimmer")
        return {
            "lookup": (lookup["on_hand"], lookup["free"]),
            "lookup_by_key": (by_key["on_hand"], by_key["free"]),
            "timeline": timeline["length"],
            "sheet": sheet,
            "suggestions": [s["name"] for s in suggestions],
            "faq": (status, "Replica dimmer hums" in faq),
        }


READ_CALLS = 7  # the calls of Client.read_paths


def test_reads_on_the_replica_writes_on_the_primary_and_fallback():
    from odoo.tools import config

    primary = int(config["db_port"])
    replica = start_replica()
    with database_copy("crmrel_replica") as db:
        code, out, err = odoo_shell(db, SETUP)
        assert code == 0, err[-3000:]
        key, customer = re.search(r"KEY=(\S+) CUSTOMER=(\d+)", out).groups()
        customer = int(customer)
        # The new database and the set-up's commit reach the replica.
        wait_for_replica(replica, db, "SELECT 1 FROM res_users WHERE login = 'replica_rep'")
        conf = replica_conf(replica, "odoo-replica-test.conf")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [
            sys.executable, "-m", "odoo", "-c", conf, "-d", db, "--db-filter", f"^{db}$",
            "--http-interface", "127.0.0.1", "--http-port", str(port),
            "--max-cron-threads", "0",
        ]  # fmt: skip
        log_path = os.path.join(ROOT, ".local", "test_replica_odoo.log")
        try:
            with background(command, log_path=log_path) as process:
                wait_for_http(f"{url}/web/login", process, timeout=180)
                client = Client(url, db, key)
                expected = client.read_paths(customer)  # warm: registry, assets, device log
                assert expected["lookup"] == (7, 7) == expected["lookup_by_key"]
                assert expected["suggestions"] == ["Replica dimmer hums"]
                assert expected["faq"] == (200, True)
                # Odoo holds read-only connections to the replica.
                assert query_at(
                    replica,
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
                    " AND application_name LIKE 'odoo-%%'",
                    (db,),
                )[0][0]

                time.sleep(STATS_DELAY)
                before = _transactions(primary, db), _transactions(replica, db)
                rounds = 3
                for _ in range(rounds):
                    assert client.read_paths(customer) == expected
                time.sleep(STATS_DELAY)
                after = _transactions(primary, db), _transactions(replica, db)
                on_primary, on_replica = after[0] - before[0], after[1] - before[1]
                print(f"\nreplica: {rounds * READ_CALLS} read calls: {on_replica} transactions"
                      f" on the replica, {on_primary} on the primary")  # fmt: skip
                assert on_replica >= rounds * READ_CALLS
                assert on_primary == 0

                # A write goes to the primary and streams to the replica.
                ticket = client.json2(
                    "helpdesk.ticket", "create",
                    vals_list=[{"name": "Replica ticket", "description": "<p>hum</p>"}],
                )  # fmt: skip
                assert isinstance(ticket, list) and ticket, ticket
                count = "SELECT count(*) FROM helpdesk_ticket WHERE name = 'Replica ticket'"
                assert query_at(primary, count, dbname=db) == [(1,)]
                wait_until(
                    lambda: query_at(replica, count, dbname=db) == [(1,)],
                    30,
                    "the ticket did not reach the replica",
                )

                # The replica stops: the same reads answer, from the primary.
                devenv("replica-stop")
                for _ in range(2):
                    assert client.read_paths(customer) == expected
            with open(log_path) as log:
                assert "falling back to read-write cursor" in log.read()
        finally:
            os.remove(conf)
