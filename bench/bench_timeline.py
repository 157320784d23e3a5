"""Benchmark: the 360-degree timeline against the Odoo-native way of seeing the same history.

    python3 -m bench.bench_timeline -c ODOO_CONF -d DB [--sample 200]

On the database's data (the `large` set: over a million timeline rows), prints the number of
timeline rows, the time of a grouped count of the whole timeline by kind and month (the
manager's view), and the time to open one customer's timeline (its rows count by kind, as the
smart button and the grouped list do) over a sample of customers; then the Odoo-native way of
the per-customer view: one ``search_count`` per source document model (orders, invoices,
payments, deliveries, opportunities, messages, meetings), as a user opening each tab would.
Writes a JSON line to bench/results/timeline.json.
"""

import argparse
import json
import os
import statistics
import threading
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--sample", type=int, default=200)
    args = parser.parse_args(argv)

    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(["-c", args.config, "-d", args.database, "--no-http", "--log-level=warn"])
    threading.current_thread().dbname = args.database
    with Registry(args.database).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        Timeline = env["crm.relational.timeline"]
        started = time.perf_counter()
        rows = Timeline.search_count([])
        count_seconds = time.perf_counter() - started

        started = time.perf_counter()
        groups = Timeline._read_group([], ["kind", "date:month"], ["__count"])
        grouped_seconds = time.perf_counter() - started

        cr.execute(
            "SELECT id FROM res_partner WHERE id = commercial_partner_id AND customer_rank > 0"
            " ORDER BY id LIMIT %s",
            [args.sample],
        )
        partners = env["res.partner"].browse([row[0] for row in cr.fetchall()])
        ours, native = [], []
        for partner in partners:
            started = time.perf_counter()
            ours_count = sum(
                count for _kind, count in Timeline._read_group(
                    [("partner_id", "=", partner.id)], ["kind"], ["__count"])
            )  # fmt: skip
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            family = [("partner_id", "child_of", partner.id)]
            native_count = (
                env["sale.order"].search_count([*family, ("state", "=", "sale")])
                + env["account.move"].search_count(
                    [*family, ("move_type", "in", ("out_invoice", "out_refund")),
                     ("state", "=", "posted")])
                + env["account.payment"].search_count(family)
                + env["stock.picking"].search_count(family)
                + env["crm.lead"].search_count([*family, ("type", "=", "opportunity")])
                + env["mail.message"].search_count(
                    [("model", "=", "res.partner"), ("res_id", "=", partner.id),
                     ("message_type", "in", ("email", "comment"))])
                + env["calendar.event"].search_count([("partner_ids", "in", partner.id)])
            )  # fmt: skip
            native.append(time.perf_counter() - started)
            assert ours_count >= 0 and native_count >= 0
        cr.rollback()

    result = {
        "benchmark": "timeline",
        "timeline_rows": rows,
        "count_all_s": round(count_seconds, 2),
        "group_by_kind_and_month_s": round(grouped_seconds, 2),
        "groups": len(groups),
        "sample_customers": len(partners),
        "customer_timeline_p50_ms": round(statistics.median(ours) * 1000, 1),
        "customer_timeline_p95_ms": round(sorted(ours)[int(len(ours) * 0.95) - 1] * 1000, 1),
        "native_per_model_counts_p50_ms": round(statistics.median(native) * 1000, 1),
        "native_per_model_counts_p95_ms": round(
            sorted(native)[int(len(native) * 0.95) - 1] * 1000, 1
        ),
        "ratio_p50": round(statistics.median(native) / statistics.median(ours), 1),
    }
    os.makedirs(os.path.join(os.path.dirname(__file__), "results"), exist_ok=True)
    with open(os.path.join(os.path.dirname(__file__), "results", "timeline.json"), "a") as file:
        file.write(json.dumps(result) + "\n")
    width = max(map(len, result))
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
