"""Write docs/benchmarks.md from the latest line of each bench/results/*.json.

    python3 -m bench.report

Each benchmark appends one JSON line per run; the report shows the latest run of each, every
figure next to the Odoo-native way of getting the same numbers measured in the same run.
"""

import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

ROWS = {
    "profile_recompute": [
        ("Full recompute of every profile", "full_recompute_s", "s",
         "ORM reads per customer (revenue, margin, orders, dates only), extrapolated",
         "native_extrapolated_s", "s"),
        ("Incremental recompute (customers with news)", "incremental_recompute_s", "s",
         "ORM reads for the same customers", "native_for_incremental_s", "s"),
    ],
    "timeline": [
        ("One customer's timeline, p50", "customer_timeline_p50_ms", "ms",
         "its documents model by model and their chatters, p50",
         "native_per_model_counts_p50_ms", "ms"),
        ("Whole timeline by kind and month", "group_by_kind_and_month_s", "s",
         "one grouped read per source model", "native_group_by_month_per_model_s", "s"),
    ],
    "stock_lookup": [
        ("Stock lookup across all warehouses, p95", "lookup_p95_ms", "ms",
         "qty_available, free_qty, virtual_available per warehouse, p95", "native_p95_ms", "ms"),
    ],
    "forecast": [
        ("Forecast of all open opportunities (P10/P50/P90 per owner; nightly scores)",
         "forecast_s", "s",
         "Odoo's Forecast report (prorated revenue by salesperson and month)",
         "native_forecast_report_s", "s"),
        ("Backtest: mean absolute error per month", "backtest_mae", "",
         "Odoo's probability-weighted pipeline", "backtest_mae_odoo", ""),
        ("Calibration: Brier score on the newest closed", "brier", "",
         "Odoo's stage odds", "brier_odoo_stage_odds", ""),
    ],
    "service": [
        ("Create a ticket routed by skills, load and working hours, p95", "route_p95_ms", "ms",
         "create the same ticket with helpdesk_mgmt alone (no routing), p95",
         "native_create_p95_ms", "ms"),
        ("Knowledge base full text search, p95", "kb_search_p95_ms", "ms",
         "ilike on title and body, p95", "native_ilike_p95_ms", "ms"),
    ],
}  # fmt: skip


def latest(name):
    path = RESULTS / f"{name}.json"
    if not path.exists():
        return None
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    return json.loads(lines[-1]) if lines else None


def main():
    runs = {
        "profile_recompute": latest("profile"),
        "timeline": latest("timeline"),
        "stock_lookup": latest("lookup"),
        "forecast": latest("forecast"),
        "service": latest("service"),
    }
    out = [
        "# Benchmarks",
        "",
        "Latest run of `make bench` (the `large` data set), written by `python3 -m bench.report`",
        "from `bench/results/*.json`. Ratio: the Odoo-native time over ours (above 1: faster).",
        "",
        "| measure | crm_relational | Odoo-native way | native | ratio |",
        "|---|---|---|---|---|",
    ]
    for benchmark, rows in ROWS.items():
        run = runs[benchmark]
        if not run:
            continue
        for label, ours, unit, native_label, native, native_unit in rows:
            ratio = run[native] / run[ours] if run[ours] else float("nan")
            out.append(
                f"| {label} | {run[ours]} {unit} | {native_label} | {run[native]} {native_unit}"
                f" | {ratio:.1f}x |"
            )
    out += ["", "Raw figures of the latest runs:", ""]
    for benchmark, run in runs.items():
        if run:
            out.append(f"- `{benchmark}`: " + ", ".join(f"{k} {v}" for k, v in run.items()))
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(out) + "\n")
    print("\n".join(out))


if __name__ == "__main__":
    main()
