"""Write docs/benchmarks.md from the latest line of each bench/results/<size>/*.json.

    python3 -m bench.report

Each benchmark appends one JSON line per run to the folder of its data set's size; the report
shows the latest run of each on the large data set, every figure next to the Odoo-native way of
getting the same numbers measured in the same run, then how each cost grows from the small to
the large data set: its value at each size and its growth exponent against the customers.
"""

import itertools
import json
import math
import pathlib

from .common import SIZES

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

ROWS = {
    "profile_recompute": [
        ("Full recompute of every profile", "full_recompute_s", "s",
         "ORM reads per customer of every source of its profile (an even sample), extrapolated",
         "native_extrapolated_s", "s"),
        ("Full recompute of every profile", "full_recompute_s", "s",
         "the same ORM reads of its orders only (revenue, margin, orders, dates), extrapolated",
         "native_orders_only_extrapolated_s", "s"),
        ("Incremental recompute (customers with news)", "incremental_recompute_s", "s",
         "ORM reads for the same customers", "native_for_incremental_s", "s"),
    ],
    "timeline": [
        ("One customer's timeline, p50", "customer_timeline_p50_ms", "ms",
         "its documents model by model and their chatters, p50",
         "native_per_model_counts_p50_ms", "ms"),
        ("Whole timeline by kind and month", "group_by_kind_and_month_s", "s",
         "one grouped read per source model", "native_group_by_month_per_model_s", "s"),
        ("One customer's timeline as an own-documents salesperson, p50",
         "own_documents_customer_p50_ms", "ms",
         "the same native reads as that salesperson, p50",
         "own_documents_native_customer_p50_ms", "ms"),
        ("Whole timeline by kind and month as an own-documents salesperson",
         "own_documents_group_by_kind_and_month_s", "s",
         "one grouped read per source model as that salesperson",
         "own_documents_native_group_by_month_s", "s"),
    ],
    "stock_lookup": [
        ("Stock lookup across all warehouses, p95", "lookup_p95_ms", "ms",
         "qty_available, free_qty, virtual_available per warehouse, p95", "native_p95_ms", "ms"),
        ("Stock lookup: queries per lookup, p50", "lookup_queries_p50", "",
         "queries of those native reads, p50", "native_queries_p50", ""),
        ("Stock lookup, data set with 10 warehouses and 20,000 products, p95",
         "variant_lookup_p95_ms", "ms",
         "the same native reads in each of the 10 warehouses, p95", "variant_native_p95_ms", "ms"),
        ("Stock lookup, 10 warehouses and 20,000 products: queries per lookup, p50",
         "variant_lookup_queries_p50", "",
         "queries of those native reads, p50", "variant_native_queries_p50", ""),
    ],
    "forecast": [
        ("Forecast of all open opportunities (P10/P50/P90 per owner and period)",
         "forecast_s", "s",
         "Odoo's Forecast report (prorated revenue by salesperson and month)",
         "native_forecast_report_s", "s"),
        ("Backtest: mean error of the next three months' P50, per cutoff", "backtest_mae", "",
         "Odoo's weighted pipeline as of the cutoff", "backtest_mae_odoo", ""),
        ("Backtest: Brier score of the win probability", "backtest_brier", "",
         "Odoo's predictive lead scoring as of the cutoff", "backtest_brier_odoo_scoring", ""),
    ],
    "service": [
        ("Create a ticket routed by skills, load and working hours, p95", "route_p95_ms", "ms",
         "create the same ticket with helpdesk_mgmt alone (no routing), p95",
         "native_create_p95_ms", "ms"),
        ("Create a ticket routed by skills, load and working hours, p95", "route_p95_ms", "ms",
         "helpdesk_mgmt creating it with the agent named by hand (quietly, as routing), p95",
         "native_assigned_create_p95_ms", "ms"),
        ("Knowledge base full text search, p95", "kb_search_p95_ms", "ms",
         "ilike on title and body, p95", "native_ilike_p95_ms", "ms"),
        ("Knowledge base suggestions (any word, best first), p95", "kb_suggest_p95_ms", "ms",
         "ilike on title and body, p95", "native_ilike_p95_ms", "ms"),
    ],
}  # fmt: skip
# Costs of ours alone, shown in the growth table after those of ROWS.
GROWTH_ONLY = {
    "profile_recompute": [
        ("Full recompute: SQL queries", "full_recompute_queries", ""),
        ("Full recompute: Python peak memory", "full_recompute_python_peak_mib", "MiB"),
        ("Incremental recompute: SQL queries", "incremental_recompute_queries", ""),
    ],
    "timeline": [("Count of the whole timeline", "count_all_s", "s")],
    "stock_lookup": [
        ("Stock lookup: queries of the costliest lookup", "lookup_queries_max", ""),
        (
            "Stock lookup of a product with variant attributes: queries, most",
            "attribute_lookup_queries_max",
            "",
        ),
        (
            "Stock lookup, 10 warehouses and 20,000 products: queries of the costliest lookup",
            "variant_lookup_queries_max",
            "",
        ),
    ],
    "forecast": [
        ("Nightly learning and scoring of the forecast", "nightly_fit_and_score_s", "s"),
        ("Backtest of the forecast", "backtest_s", "s"),
    ],
}
FILES = {
    "profile_recompute": "profile",
    "timeline": "timeline",
    "stock_lookup": "lookup",
    "forecast": "forecast",
    "service": "service",
}
# What the data set's size is measured in (bench/results/<size>/dataset.json), in this order.
DATASET = (
    ("customers", "customers"), ("confirmed_orders", "confirmed orders"),
    ("order_lines", "order lines"), ("opportunities", "opportunities"),
    ("open_opportunities", "open opportunities"), ("messages", "messages"),
    ("products", "products"), ("warehouses", "warehouses"),
)  # fmt: skip


def latest(size, name):
    """The latest result of benchmark ``name`` on the data set ``size``, or None."""
    path = RESULTS / size / f"{name}.json"
    if not path.exists():
        return None
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    return json.loads(lines[-1]) if lines else None


def exponent(cost, size, cost_before, size_before):
    """The growth exponent between two sizes: log(cost ratio) / log(size ratio); 1 is linear."""
    if not (cost and size and cost_before and size_before) or size == size_before:
        return "-"
    return f"{math.log(cost / cost_before) / math.log(size / size_before):.2f}"


def comparison(runs):
    """The table of the large data set: each figure next to the Odoo-native way."""
    out = [
        "| measure | crm_relational | Odoo-native way | native | ratio |",
        "|---|---|---|---|---|",
    ]
    for benchmark, rows in ROWS.items():
        run = runs[benchmark]
        if not run:
            continue
        for label, ours, unit, native_label, native, native_unit in rows:
            if ours not in run or native not in run:
                continue  # a measure added after this run
            ratio = run[native] / run[ours] if run[ours] else float("nan")
            out.append(
                f"| {label} | {run[ours]} {unit} | {native_label} | {run[native]} {native_unit}"
                f" | {ratio:.1f}x |"
            )
    return out


def growth(results, datasets):
    """The table of how each cost grows: its value at each size, and its growth exponents
    against the number of customers between consecutive sizes and from the first to the last."""
    sizes = [size for size in SIZES if datasets.get(size)]
    if len(sizes) < 2:
        return []
    out = [
        "## Growth from small to large",
        "",
        "The same benchmarks, in the same runs (ours and the Odoo-native way measured together),",
        "on three data sets written by the same generator (`python3 -m data.generator --size",
        "large --scale SHARE`): 1 %, 10 % and 100 % of the large data set's customers, with",
        "everything they bring (orders, invoices, deliveries, opportunities, messages) in",
        "proportion, and the same products and warehouses. The service benchmark creates its own",
        "open tickets and articles in proportion too (1,000 / 10,000 / 100,000 open tickets and",
        "100 / 1,000 / 10,000 articles) among the same 200 agents.",
        "",
        "| data set | database | "
        + " | ".join(label for _key, label in DATASET)
        + " | machine load during the runs |",
        "|---|---|" + "---|" * (len(DATASET) + 1),
    ]
    for size in sizes:
        data = datasets[size]
        loads = [run["load_average_1m"] for run in results[size].values()
                 if run and "load_average_1m" in run]  # fmt: skip
        unknown = [FILES[name] for name, run in results[size].items()
                   if run and "load_average_1m" not in run]  # fmt: skip
        load = f"{min(loads)}-{max(loads)} on {data.get('cpus', '?')} cores" if loads else ""
        if unknown:
            load += f"{'; ' if load else ''}not recorded for {', '.join(unknown)}"
        out.append(
            f"| {size} | `{data.get('database', '')}` | "
            + " | ".join(f"{data.get(key, '-'):,}" for key, _label in DATASET)
            + f" | {load} |"
        )
    first, last = sizes[0], sizes[-1]
    steps = list(itertools.pairwise(sizes))
    out += [
        "",
        "Growth exponent: log(cost ratio) / log(customers ratio) between two sizes: about 1 means",
        "the cost grows in proportion with the customers (linear), 0 that it stays flat, between",
        "them sub-linear, above 1 super-linear. Timings are noisy on this shared machine (its",
        "load, the 1-minute load average at the end of each run, is in the table above): read",
        "the exponents to the first decimal at best, those of millisecond latencies as a trend",
        "only. The native profile figures are per-customer ORM times measured on an even",
        "sample of the buyers, multiplied by the customers concerned.",
        "",
        "| measure | way | "
        + " | ".join(sizes)
        + " | "
        + " | ".join(f"exponent {a} → {b}" for a, b in steps)
        + (f" | exponent {first} → {last} |" if len(steps) > 1 else " |"),
        "|---|---|" + "---|" * (len(sizes) + len(steps) + (len(steps) > 1)),
    ]
    customers = {size: datasets[size].get("customers") for size in sizes}

    def line(label, way, benchmark, key, unit):
        values = {size: (results[size].get(benchmark) or {}).get(key) for size in sizes}
        if all(value is None for value in values.values()):
            return
        cells = [f"{values[size]} {unit}".strip() if values[size] is not None else "-"
                 for size in sizes]  # fmt: skip
        pairs = steps + ([(first, last)] if len(steps) > 1 else [])
        cells += [exponent(values[b], customers[b], values[a], customers[a]) for a, b in pairs]
        out.append(f"| {label} | {way} | " + " | ".join(cells) + " |")

    for benchmark, rows in ROWS.items():
        shown = set()
        for label, ours, unit, native_label, native, native_unit in rows:
            if unit not in ("s", "ms"):
                continue  # an accuracy, not a cost
            if ours not in shown:  # once, though compared with several native ways
                line(label, "crm_relational", benchmark, ours, unit)
                shown.add(ours)
            line(label, f"native: {native_label}", benchmark, native, native_unit)
        for label, ours, unit in GROWTH_ONLY.get(benchmark, ()):
            line(label, "crm_relational", benchmark, ours, unit)
    return out


def main():
    results = {
        size: {benchmark: latest(size, name) for benchmark, name in FILES.items()} for size in SIZES
    }
    datasets = {size: latest(size, "dataset") for size in SIZES}
    out = [
        "# Benchmarks",
        "",
        "Latest run of `make bench` on the `large` data set, written by `python3 -m bench.report`",
        "from `bench/results/<size>/*.json`. Ratio: the Odoo-native time over ours (above 1:",
        "faster).",
        "",
        *comparison(results["large"]),
    ]
    table = growth(results, datasets)
    if table:
        out += ["", *table]
    out += ["", "## Raw figures of the latest runs", ""]
    for size in SIZES:
        for benchmark, run in [("dataset", datasets[size]), *results[size].items()]:
            if run:
                figures = ", ".join(
                    f"{k} {v}" for k, v in run.items() if k not in ("benchmark", "size")
                )
                out.append(f"- {size}, `{benchmark}`: {figures}")
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(out) + "\n")
    print("\n".join(out))


if __name__ == "__main__":
    main()
