"""Benchmark: the sales forecast of every open opportunity, and its backtest.

    python3 -m bench.bench_forecast -c ODOO_CONF -d DB [--size large] [--cutoffs 6]

Times, on the company's data: the nightly job (learning the win probabilities from every closed
opportunity with the calibration measured, then scoring every open opportunity), then the
forecast a manager asks for: every open opportunity in the current and next period, per
salesperson, team and company, with its P10/P50/P90 interval, next to Odoo's own
forecast of the same pipeline (the CRM "Forecast" report: prorated revenue grouped by
salesperson and expected closing month). Then replays the last ``--cutoffs`` month starts (the
backtest a manager runs: learned from what was known then, against Odoo's own predictive
scoring as of then and the base rate) and prints, per cutoff, what the opportunities then open
brought in the three months after it, next to this forecast's P10/P50/P90 and Odoo's weighted
pipeline, and the Brier scores. Writes a JSON line to bench/results/<size>/forecast.json.
"""

import time

from . import common


def main(argv=None):
    parser = common.parser(__doc__)
    parser.add_argument("--cutoffs", type=int, default=6)
    args = parser.parse_args(argv)

    with common.odoo_env(args) as env:
        cr = env.cr
        company = env.company
        Model, Forecast = env["crm.relational.forecast.model"], env["crm.relational.forecast"]
        started = time.perf_counter()
        model = Model._fit(company)
        fitted = time.perf_counter()
        scored = model._score_open()
        scoring = time.perf_counter()
        forecast = Forecast._take(company)
        env.flush_all()
        finished = time.perf_counter()

        env.invalidate_all()
        native_started = time.perf_counter()
        groups = env["crm.lead"]._read_group(
            [("type", "=", "opportunity"), ("won_status", "=", "pending")],
            ["user_id", "date_deadline:month"],
            ["prorated_revenue:sum", "expected_revenue:sum"],
        )
        native = time.perf_counter() - native_started

        backtest_started = time.perf_counter()
        rows = env["crm.relational.forecast.backtest"]._backtest(
            company, cutoffs=args.cutoffs, period_type="month"
        )
        backtest = time.perf_counter() - backtest_started
        learned = model.read(
            ["lead_count", "example_count", "brier", "brier_baseline", "brier_base_rate"]
        )[0]
        lines = len(forecast.line_ids)
        cr.rollback()

    def mean_abs(key):
        return sum(abs(row[key] - row["actual"]) for row in rows) / len(rows) if rows else 0.0

    def mean_pct(key):
        pct = [abs(row[key] - row["actual"]) / row["actual"] for row in rows if row["actual"]]
        return 100 * sum(pct) / len(pct) if pct else 0.0

    for row in rows:
        print(
            f"{row['start']} open {row['open']:>6}  actual {row['actual']:>14,.0f}  "
            f"P10 {row['p10']:>14,.0f}  P50 {row['forecast']:>14,.0f}  P90 {row['p90']:>14,.0f}"
            f"  odoo {row['odoo']:>14,.0f}  Brier {row['brier']:.3f} odoo {row['brier_odoo']:.3f}"
            f" base {row['brier_base']:.3f}"
        )

    def mean(key):
        return sum(row[key] for row in rows) / len(rows) if rows else 0.0

    periods = sum(len(row["periods"]) for row in rows)
    result = {
        "benchmark": "forecast",
        "closed_learned_from": learned["lead_count"],
        "examples": learned["example_count"],
        "open_scored": scored,
        "forecast_lines": lines,
        "fit_s": round(fitted - started, 2),
        "score_s": round(scoring - fitted, 2),
        "forecast_s": round(finished - scoring, 2),
        "nightly_fit_and_score_s": round(scoring - started, 2),
        "native_forecast_report_s": round(native, 3),
        "native_groups": len(groups),
        "holdout_brier": learned["brier"],
        "holdout_brier_stage_odds": learned["brier_baseline"],
        "holdout_brier_base_rate": learned["brier_base_rate"],
        "backtest_cutoffs": len(rows),
        "backtest_brier": round(mean("brier"), 4),
        "backtest_brier_odoo_scoring": round(mean("brier_odoo"), 4),
        "backtest_brier_base_rate": round(mean("brier_base"), 4),
        "backtest_months_inside_p10_p90_pct": round(
            100 * sum(row["hits"] for row in rows) / periods, 1
        )
        if periods
        else 0.0,
        "backtest_quarters_inside_p10_p90": sum(
            row["p10"] <= row["actual"] <= row["p90"] for row in rows
        ),
        "backtest_s": round(backtest, 1),
        "backtest_mae": round(mean_abs("forecast")),
        "backtest_mae_odoo": round(mean_abs("odoo")),
        "backtest_mape_pct": round(mean_pct("forecast"), 1),
        "backtest_mape_odoo_pct": round(mean_pct("odoo"), 1),
    }
    common.record("forecast", result, args)


if __name__ == "__main__":
    main()
