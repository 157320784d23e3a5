"""`make run` sets up, creates the demo database once and serves a working web client; with
``REPLICA=1``, its read-only requests served by a streaming replica."""

import os
import re

import pytest
from odoo_process import (
    ROOT,
    background,
    drop_database,
    free_port,
    json_rpc,
    odoo_conf,
    query,
    query_at,
    wait_for_http,
)

from bench.bench_replica import WebClient

pytestmark = pytest.mark.slow

DB = "crm_relational_make_run"


def serve(port, log_name, **variables):
    """`make run` on a database of the test's own, with the small data set."""
    env = {"DB": DB, "PORT": str(port), "SIZE": "small", "SEED": "7", **variables}
    log_path = os.path.join(ROOT, ".local", log_name)
    return background(["make", "--no-print-directory", "run"], env=env, log_path=log_path)


def database_oid():
    return query("postgres", "SELECT oid FROM pg_database WHERE datname = %s", (DB,))


def test_make_run_serves_the_web_client_and_reuses_its_database():
    drop_database(DB)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    try:
        with serve(port, "test_make_run_1.log") as process:
            status, page = wait_for_http(base_url + "/web/login", process, timeout=900)
            assert status == 200
            assert 'name="login"' in page and 'name="password"' in page

            uid = json_rpc(base_url, "common", "authenticate", DB, "admin", "admin", {})
            assert uid == 2  # base.user_admin
            assert json_rpc(base_url, "common", "authenticate", DB, "admin", "wrong", {}) is False
            modules = json_rpc(
                base_url,
                "object",
                "execute_kw",
                DB,
                uid,
                "admin",
                "ir.module.module",
                "search_read",
                [[("name", "like", "crm_relational%")]],
                {"fields": ["name", "state"]},
            )
            assert {m["name"]: m["state"] for m in modules} == {
                "crm_relational": "installed",
                "crm_relational_sfa": "installed",
                "crm_relational_service": "installed",
                # The glue with OCA's helpdesk_mgmt_sale/_crm waits for those.
                "crm_relational_service_sale": "uninstalled",
                "crm_relational_service_crm": "uninstalled",
            }
            confirmed_orders = json_rpc(
                base_url,
                "object",
                "execute_kw",
                DB,
                uid,
                "admin",
                "sale.order",
                "search_count",
                [[("state", "=", "sale")]],
            )
            assert confirmed_orders > 0  # the generated history is there
        first_oid = database_oid()

        # A second `make run` reuses the database instead of building it again.
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        with serve(port, "test_make_run_2.log") as process:
            status, _page = wait_for_http(base_url + "/web/login", process, timeout=120)
            assert status == 200
        assert database_oid() == first_oid

        # `make run REPLICA=1`: the same database, its read-only requests on the replica.
        conf = odoo_conf()
        with open(conf) as file:
            plain_conf = file.read()
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        try:
            with serve(port, "test_make_run_3.log", REPLICA="1") as process:
                status, _page = wait_for_http(base_url + "/web/login", process, timeout=300)
                assert status == 200
                with open(conf) as file:
                    replica_port = int(re.search(r"db_replica_port = (\d+)", file.read())[1])
                assert query_at(replica_port, "SELECT pg_is_in_recovery()") == [(True,)]
                uid = json_rpc(base_url, "common", "authenticate", DB, "admin", "admin", {})
                session = WebClient.login(base_url, DB, "admin", "admin")
                (result,) = session.call(
                    "crm.relational.stock.lookup", "lookup", "a", limit=1
                )  # a read-only method: on the replica
                assert result["warehouses"] and uid
                odoo_on_replica = query_at(
                    replica_port,
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = %s AND application_name LIKE 'odoo-%%'",
                    (DB,),
                )
                assert odoo_on_replica[0][0] > 0, "Odoo did not connect to the replica"
        finally:
            # The session's configuration as `make test` wrote it, for the tests after this one.
            with open(conf, "w") as file:
                file.write(plain_conf)
    finally:
        drop_database(DB)
