"""Benchmark: the sales forecast of every open opportunity, and its backtest.

    python3 -m bench.bench_forecast -c ODOO_CONF -d DB [--size large] [--periods 6]

Times, on the company's data: the nightly job (learning the win probabilities from every closed
opportunity with the calibration measured, then scoring every open opportunity), then the
forecast a manager asks for: every open opportunity in the current and next period, per
salesperson, team and company, with its P10/P50/P90 interval, next to Odoo's own
forecast of the same pipeline (the CRM "Forecast" report: prorated revenue grouped by
salesperson and expected closing month). Then replays the last ``--periods`` months and prints
the error of this forecast and of Odoo's plain probability-weighted pipeline against what the
opportunities open at each month's start really brought within the month. Writes a JSON line
to bench/results/<size>/forecast.json.
"""

import time

from . import common


def main(argv=None):
    parser = common.parser(__doc__)
    parser.add_argument("--periods", type=int, default=6)
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
        rows = Forecast._backtest(company, periods=args.periods)
        backtest = time.perf_counter() - backtest_started
        learned = model.read(["lead_count", "example_count", "brier", "brier_baseline"])[0]
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
            f"forecast {row['forecast']:>14,.0f}  odoo {row['odoo']:>14,.0f}"
        )
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
        "brier": learned["brier"],
        "brier_odoo_stage_odds": learned["brier_baseline"],
        "backtest_periods": len(rows),
        "backtest_s": round(backtest, 1),
        "backtest_mae": round(mean_abs("forecast")),
        "backtest_mae_odoo": round(mean_abs("odoo")),
        "backtest_mape_pct": round(mean_pct("forecast"), 1),
        "backtest_mape_odoo_pct": round(mean_pct("odoo"), 1),
    }
    common.record("forecast", result, args)


if __name__ == "__main__":
    main()
