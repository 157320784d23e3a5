"""Benchmark: recompute of the relational profiles against the Odoo-native way.

    python3 -m bench.bench_profile -c ODOO_CONF -d DB [--size large] [--sample 300]

Prints the time, SQL query count and Python peak memory of a full recompute of every profile
of the company, and of an incremental recompute after 1 % of the customers got news (their
orders touched); the floor a recompute cannot go below: the bare scans of every source it reads
(one GROUP BY customer each: orders with their lines, invoices, payments, deliveries,
opportunities, messages, meetings, tickets) and a bulk write of as many profile rows, and the
full recompute's ratio to their sum; then the same numbers (revenue, margin, order count,
first and last order) and the other sources the profile is made of (invoices and credit notes,
payments, deliveries, opportunities, e-mails, meetings, tickets) read the plain-ORM way, one
customer at a time, on an even sample of the buyers (every k-th, not the largest); the ORM
figure for all customers is extrapolated linearly from the sample (running it on 100,000
customers would take hours). The orders part alone is reported too. Writes a JSON line to
bench/results/<size>/profile.json.
"""

import time
import tracemalloc

from . import common


def _queries(cr):
    return cr.sql_log_count


def _bare_sources(env):
    """One ``GROUP BY`` customer per source the recompute reads, with no logic: the least any
    recompute must spend reading (``{source: SQL}``; tickets when the service addon is in)."""
    from odoo.tools import SQL

    company = env.company.id
    queries = {
        "orders_and_lines": SQL(
            """SELECT p.commercial_partner_id, count(DISTINCT so.id), sum(sol.price_subtotal),
                      min(so.date_order), max(so.date_order)
                 FROM sale_order so
                 JOIN sale_order_line sol ON sol.order_id = so.id
                 JOIN res_partner p ON p.id = so.partner_id
                WHERE so.state = 'sale' AND so.company_id = %s
                GROUP BY p.commercial_partner_id""",
            company,
        ),
        "invoices": SQL(
            """SELECT commercial_partner_id, count(*), sum(amount_untaxed_signed),
                      count(*) FILTER (WHERE payment_state = 'paid')
                 FROM account_move
                WHERE move_type IN ('out_invoice', 'out_refund') AND state = 'posted'
                  AND company_id = %s
                GROUP BY commercial_partner_id""",
            company,
        ),
        "payments": SQL(
            """SELECT p.commercial_partner_id, count(*), max(ap.date)
                 FROM account_payment ap JOIN res_partner p ON p.id = ap.partner_id
                WHERE ap.partner_type = 'customer' AND ap.company_id = %s
                GROUP BY p.commercial_partner_id""",
            company,
        ),
        "deliveries": SQL(
            """SELECT p.commercial_partner_id, count(*), max(sp.date_done)
                 FROM stock_picking sp JOIN res_partner p ON p.id = sp.partner_id
                WHERE sp.state = 'done' AND sp.company_id = %s
                GROUP BY p.commercial_partner_id""",
            company,
        ),
        "opportunities": SQL(
            """SELECT p.commercial_partner_id, count(*), max(l.create_date)
                 FROM crm_lead l JOIN res_partner p ON p.id = l.partner_id
                WHERE l.type = 'opportunity' AND l.company_id = %s
                GROUP BY p.commercial_partner_id""",
            company,
        ),
        # Messages reach their customer through the document they are posted on.
        "messages": SQL(
            """SELECT model, res_id, count(*), max(date)
                 FROM mail_message WHERE message_type IN ('email', 'comment')
                GROUP BY model, res_id"""
        ),
        "meetings": SQL(
            """SELECT a.res_partner_id, count(*), max(e.start)
                 FROM calendar_event e
                 JOIN calendar_event_res_partner_rel a ON a.calendar_event_id = e.id
                GROUP BY a.res_partner_id"""
        ),
    }
    if "helpdesk.ticket" in env:
        queries["tickets"] = SQL(
            """SELECT commercial_partner_id, count(*), max(create_date)
                 FROM helpdesk_ticket WHERE company_id = %s
                GROUP BY commercial_partner_id""",
            company,
        )
    return queries


def _bare_floor(env):
    """Seconds of each bare scan (``_bare_sources``), and of a bulk write of every profile
    row of the company (each stored column set again, in one statement; rolled back)."""
    from odoo.tools import SQL

    cr = env.cr
    cr.execute("SET LOCAL jit = off")
    seconds = {}
    for name, query in _bare_sources(env).items():
        started = time.perf_counter()
        cr.execute(query)
        cr.fetchall()
        seconds[name] = round(time.perf_counter() - started, 2)
    Profile = env["crm.relational.profile"]
    columns = [
        name
        for name, field in Profile._fields.items()
        if field.store and field.column_type and name not in ("id", "partner_id", "company_id")
    ]
    cr.execute("SAVEPOINT bare_write")
    started = time.perf_counter()
    cr.execute(
        SQL(
            "UPDATE crm_relational_profile SET %s WHERE company_id = %s",
            SQL(", ").join(
                SQL("%s = %s", SQL.identifier(name), SQL.identifier(name)) for name in columns
            ),
            env.company.id,
        )
    )
    rows = cr.rowcount
    write_seconds = time.perf_counter() - started
    cr.execute("ROLLBACK TO SAVEPOINT bare_write")
    scans = round(sum(seconds.values()), 2)
    return {
        "bare_scans_s": seconds,
        "bare_scans_total_s": scans,
        "bare_write_rows": rows,
        "bare_write_s": round(write_seconds, 2),
        "bare_floor_s": round(scans + write_seconds, 2),
    }


def _incremental(env):
    """Time an incremental recompute after 1 % of the customers got news since the last run."""
    from odoo.tools import SQL

    cr = env.cr
    last_run = env["crm.relational.run"].search([("state", "=", "done")], limit=1)
    cr.execute(
        "SELECT partner_id FROM crm_relational_profile WHERE company_id = %s"
        " AND order_count > 0 ORDER BY partner_id",
        [env.company.id],
    )
    buyers = [row[0] for row in cr.fetchall()]
    news = buyers[:: max(len(buyers) // max(len(buyers) // 100, 1), 1)]
    # Everything happened two years before the last run, but the orders of the customers
    # with news, touched after it. Only dates of change move, nothing the timeline shows: its
    # triggers are off for these bulk updates (as for any bulk load, see SYNC_SETTING).
    from odoo.addons.crm_relational.report.crm_relational_timeline import SYNC_SETTING

    cr.execute(SQL("SELECT set_config(%s, 'off', TRUE)", SYNC_SETTING))
    for table in ("res_partner", "sale_order", "account_move", "account_payment", "crm_lead",
                  "stock_picking", "calendar_event"):  # fmt: skip
        cr.execute(
            SQL(
                "UPDATE %s SET write_date = %s - interval '2 years'",
                SQL.identifier(table),
                last_run.started_at,
            )
        )
    cr.execute(
        "UPDATE mail_message SET create_date = %s - interval '2 years'", [last_run.started_at]
    )
    cr.execute(
        "UPDATE sale_order SET write_date = clock_timestamp() at time zone 'UTC'"
        " WHERE partner_id IN (SELECT id FROM res_partner WHERE commercial_partner_id = ANY(%s))",
        [news],
    )
    cr.execute(SQL("SELECT set_config(%s, 'on', TRUE)", SYNC_SETTING))
    env.invalidate_all()
    queries, started = _queries(cr), time.perf_counter()
    env["crm.relational.profile"]._recompute(env.company, incremental=True)
    seconds = time.perf_counter() - started
    return {
        "incremental_customers_with_news": len(news),
        "incremental_customers_redone": env["crm.relational.run"]
        .search([], limit=1)
        .customer_count,
        "incremental_recompute_s": round(seconds, 2),
        "incremental_recompute_queries": _queries(cr) - queries,
    }


def _native_orders(env, partners):
    """Per customer, its confirmed orders through the ORM: revenue, margin, order count,
    first and last order (``{partner: figures}``), the seconds and the queries it took."""
    cr = env.cr
    env.invalidate_all()
    queries, started = _queries(cr), time.perf_counter()
    figures = {}
    for partner in partners:
        orders = env["sale.order"].search(
            [("partner_id", "child_of", partner.id), ("state", "=", "sale"),
             ("company_id", "=", env.company.id)]
        )  # fmt: skip
        figures[partner.id] = (
            sum(orders.mapped("amount_untaxed")), sum(orders.mapped("margin")), len(orders),
            min(orders.mapped("date_order")), max(orders.mapped("date_order")),
        )  # fmt: skip
    return figures, time.perf_counter() - started, _queries(cr) - queries


def _native_sources(env, partners):
    """Per customer, the other sources of its profile through the ORM, as a user would read
    them: credit notes and invoices (amounts, paid or overdue), payments, deliveries,
    opportunities, the e-mails on the customer and on each of those documents, meetings and
    tickets (each read with the fields the profile uses). The seconds and queries it took."""
    cr = env.cr
    env.invalidate_all()
    queries, started = _queries(cr), time.perf_counter()
    company = [("company_id", "=", env.company.id)]
    for partner in partners:
        family = [("partner_id", "child_of", partner.id)]
        documents = {
            "account.move": env["account.move"].search_fetch(
                [*family, *company, ("move_type", "in", ("out_invoice", "out_refund")),
                 ("state", "=", "posted")],
                ["amount_untaxed_signed", "payment_state", "invoice_date", "invoice_date_due"]),
            "account.payment": env["account.payment"].search_fetch(
                [*family, *company, ("partner_type", "=", "customer")], ["date"]),
            "stock.picking": env["stock.picking"].search_fetch(
                [*family, *company, ("state", "=", "done")], ["date_done", "date_deadline"]),
            "crm.lead": env["crm.lead"].with_context(active_test=False).search_fetch(
                [*family, *company, ("type", "=", "opportunity")],
                ["create_date", "active", "probability"]),
            "sale.order": env["sale.order"].search([*family, *company, ("state", "=", "sale")]),
            "res.partner": env["res.partner"].search([("id", "child_of", partner.id)]),
        }  # fmt: skip
        for model, records in documents.items():
            if model != "account.payment" and records:
                env["mail.message"].search_fetch(
                    [("model", "=", model), ("res_id", "in", records.ids),
                     ("message_type", "in", ("email", "comment", "email_outgoing"))],
                    ["date", "message_type", "author_id"],
                )  # fmt: skip
        env["calendar.event"].search_fetch(
            [("partner_ids", "in", documents["res.partner"].ids)], ["start"]
        )
        if "helpdesk.ticket" in env:
            env["helpdesk.ticket"].search_fetch([*family, *company], ["create_date"])
    return time.perf_counter() - started, _queries(cr) - queries


def main(argv=None):
    parser = common.parser(__doc__)
    parser.add_argument("--sample", type=int, default=300)
    args = parser.parse_args(argv)

    with common.odoo_env(args) as env:
        cr = env.cr
        Profile = env["crm.relational.profile"]
        customers = env["sale.order"].search_count([("state", "=", "sale")])
        lines = env["sale.order.line"].search_count([("state", "=", "sale")])

        queries, started = _queries(cr), time.perf_counter()
        Profile._recompute(env.company)
        full_seconds = time.perf_counter() - started
        full_queries = _queries(cr) - queries
        # Again, to measure memory: tracing slows Python down, so it is not timed.
        tracemalloc.start()
        Profile._recompute(env.company)
        full_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        profiles = Profile.search_count([])
        buyers = Profile.search_count([("order_count", ">", 0)])

        floor = _bare_floor(env)
        incremental = _incremental(env)

        # The Odoo-native way: for each customer of an even sample (every k-th buyer, not
        # the largest ones), read through the ORM what its profile is made of.
        cr.execute(
            "SELECT partner_id FROM crm_relational_profile WHERE company_id = %s"
            " AND order_count > 0 ORDER BY partner_id",
            [env.company.id],
        )
        buyer_ids = [row[0] for row in cr.fetchall()]
        sample_ids = buyer_ids[:: max(len(buyer_ids) // args.sample, 1)][: args.sample]
        partners = env["res.partner"].browse(sample_ids)
        native_orders, orders_seconds, orders_queries = _native_orders(env, partners)
        sources_seconds, sources_queries = _native_sources(env, partners)
        sample_seconds = orders_seconds + sources_seconds
        native_seconds = sample_seconds / len(partners) * buyers
        # Same numbers both ways (before credit notes, which the native loop leaves out).
        checked = sum(
            1 for profile in Profile.search([("partner_id", "in", partners.ids)])
            if profile.order_count == native_orders[profile.partner_id.id][2]
        )  # fmt: skip
        cr.rollback()

    result = {
        "benchmark": "profile_recompute",
        "confirmed_orders": customers,
        "order_lines": lines,
        "profiles": profiles,
        "profiles_of_buyers": buyers,
        "full_recompute_s": round(full_seconds, 2),
        "full_recompute_queries": full_queries,
        "full_recompute_python_peak_mib": round(full_peak, 1),
        **floor,
        "full_over_bare_floor": round(full_seconds / floor["bare_floor_s"], 2),
        **incremental,
        "native_sample_customers": len(partners),
        "native_sample_s": round(sample_seconds, 2),
        "native_sample_queries": orders_queries + sources_queries,
        "native_extrapolated_s": round(native_seconds, 1),
        "speedup": round(native_seconds / full_seconds, 1),
        # The orders part alone (revenue, margin, order count, first and last order).
        "native_orders_only_sample_s": round(orders_seconds, 2),
        "native_orders_only_extrapolated_s": round(orders_seconds / len(partners) * buyers, 1),
        "speedup_over_orders_only": round(
            orders_seconds / len(partners) * buyers / full_seconds, 1
        ),
        "native_for_incremental_s": round(
            sample_seconds / len(partners) * incremental["incremental_customers_with_news"], 2
        ),
        "order_counts_equal": f"{checked}/{len(partners)}",
    }
    common.record("profile", result, args)


if __name__ == "__main__":
    main()
