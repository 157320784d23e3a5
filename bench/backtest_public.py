"""Backtest of the win probabilities and the quarter forecast on a public pipeline.

    python3 -m data.public.maven -c ODOO_CONF -d maven --csv /work/public-data/maven
    python3 -m bench.backtest_public -c ODOO_CONF -d maven [--cutoffs 6] [--horizon 91]
        [--cutoff 2017-06-30 --cutoff 2017-09-30] [--json bench/results/public/maven.json]

On a database the loader filled (or any database with a history of won and lost
opportunities), replays the forecast at several cutoffs, each a day taken at its start
(midnight UTC): by default the first days of the last ``--cutoffs`` months that are followed
by a whole ``--horizon`` days of recorded history. At each cutoff it calls
``crm.relational.forecast.backtest._backtest_cutoff`` (the backtest a manager runs from the
win probability models), which learns only from what was known at the cutoff and scores the
opportunities then open, with the outcomes known at the end of the recorded history, and
prints one row per cutoff:

- open: opportunities open at the cutoff (created before it, not closed by it);
- Brier of our win probability, of Odoo's predictive lead scoring as of the cutoff, and of
  the constant base rate, on the open opportunities; "p range" is the lowest and highest
  probability we gave (a 0 or 100 % would be a defect);
- the revenue those opportunities really brought within the forecast periods after the
  cutoff, next to our P10/P50/P90 and Odoo's weighted pipeline (its probability times the
  expected revenue, undated opportunities included), whether the truth fell inside P10..P90
  for the whole window, and in how many of its months.

The columns "open (db)", "won (db)", "actual (db)" and "base Brier (db)" (from the cutoff to
the day "to") are counted here,
straight from the recorded opportunities, as a check of the backtest's own figures (the base
rate is the share won of the opportunities closed by the cutoff; its Brier score is taken on
the open ones that closed since). Nothing is written: the
transaction is rolled back at the end.
"""

import argparse
import calendar
import json
import os
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from odoo.tools import SQL

from . import common

# (label, keys the backtest's row may give the figure under, format)
COLUMNS = (
    ("open", ("open", "open_deals"), "d"),
    ("Brier ours", ("brier", "brier_ours"), ".3f"),
    ("Brier Odoo", ("brier_odoo", "brier_pls"), ".3f"),
    ("Brier base", ("brier_base", "brier_base_rate"), ".3f"),
    ("p range", ("p_range",), ""),
    ("actual", ("actual",), ",.0f"),
    ("P10", ("p10",), ",.0f"),
    ("P50", ("p50", "forecast"), ",.0f"),
    ("P90", ("p90",), ",.0f"),
    ("Odoo weighted", ("odoo", "odoo_weighted"), ",.0f"),
    ("in P10..P90", ("hit",), ""),
    ("months in", ("months_in",), ""),
)


def month_ends(first, last):
    """The last day of every month from `first`'s to `last`'s, oldest first."""
    ends, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        ends.append(date(year, month, calendar.monthrange(year, month)[1]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ends


def default_cutoffs(env, company, count, horizon):
    """The first days of the last `count` months followed by `horizon` days of recorded
    history."""
    env.cr.execute(
        SQL(
            """SELECT min(create_date)::date, max(GREATEST(create_date, date_closed))::date
                 FROM crm_lead WHERE company_id = %s AND type = 'opportunity'""",
            company.id,
        )
    )
    first, last = env.cr.fetchone()
    if not first:
        return []
    starts = [end + timedelta(days=1) for end in month_ends(first, last)]
    return [start for start in starts if window_end({}, start, horizon) <= last][-count:]


def history_end(env, company):
    """The day after the last recorded creation or close: the outcomes known then."""
    env.cr.execute(
        SQL(
            """SELECT max(GREATEST(create_date, date_closed))::date + 1
                 FROM crm_lead WHERE company_id = %s AND type = 'opportunity'""",
            company.id,
        )
    )
    return env.cr.fetchone()[0]


def truth(env, company, cutoff, end):
    """Counted from the records: opportunities open at the start of the day `cutoff`, those of
    them won from then to the end of the day `end`, the revenue they brought, and the Brier
    score of the constant base rate (the share won of those closed before the cutoff) on the
    open ones closed since."""
    moment = datetime.combine(cutoff, time.min)
    finish = datetime.combine(end + timedelta(days=1), time.min)
    env.cr.execute(
        SQL(
            """
            WITH base AS (
                SELECT avg((won_status = 'won')::int) AS rate
                  FROM crm_lead
                 WHERE company_id = %(company)s AND type = 'opportunity'
                   AND won_status IN ('won', 'lost') AND date_closed < %(moment)s
            )
            SELECT count(*),
                   count(*) FILTER (WHERE won_status = 'won' AND date_closed < %(finish)s),
                   COALESCE(sum(expected_revenue) FILTER (
                       WHERE won_status = 'won' AND date_closed < %(finish)s), 0),
                   avg(power(base.rate - (won_status = 'won')::int, 2))
                       FILTER (WHERE won_status IN ('won', 'lost'))
              FROM crm_lead, base
             WHERE company_id = %(company)s AND type = 'opportunity'
               AND create_date < %(moment)s
               AND (date_closed IS NULL OR date_closed >= %(moment)s)
            """,
            company=company.id,
            moment=moment,
            finish=finish,
        )
    )
    return env.cr.fetchone()


def derived(row):
    """The figures the table shows that the backtest's row gives only in parts."""
    extra = {}
    if row.get("lowest") is not None and row.get("highest") is not None:
        extra["p_range"] = f"{row['lowest']:.0%}..{row['highest']:.0%}"
    p10, p90, actual = row.get("p10"), row.get("p90"), row.get("actual")
    if None not in (p10, p90, actual):
        extra["hit"] = p10 - 1e-6 <= actual <= p90 + 1e-6
    if row.get("periods") and row.get("hits") is not None:
        extra["months_in"] = f"{row['hits']}/{len(row['periods'])}"
    return extra


def window_end(row, cutoff, horizon):
    """The last day the backtest's row compares with the truth; without a row, the last day
    of the whole months the horizon covers from the cutoff's month (91 days: three months),
    as the forecast's periods do."""
    end = row.get("end")
    if isinstance(end, str):
        end = date.fromisoformat(end)
    months = max(1, round(horizon / 30.4))
    return end or cutoff.replace(day=1) + relativedelta(months=months, days=-1)


def pick(row, keys):
    for key in keys:
        if key in row and row[key] is not None:
            return row[key]
    return None


def cell(value, spec):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) and spec:
        return format(value, spec)
    return str(value)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--cutoffs", type=int, default=6, help="how many month ends (default 6)")
    parser.add_argument(
        "--cutoff",
        action="append",
        type=date.fromisoformat,
        help="a cutoff day (YYYY-MM-DD), instead of the month ends; may be repeated",
    )
    parser.add_argument("--horizon", type=int, default=91, help="days after each cutoff")
    parser.add_argument(
        "--period",
        choices=("month", "quarter"),
        default="month",
        help="the forecast's periods within the horizon (default month: a cutoff at the start "
        "of any month is followed by three whole months; with quarter, a cutoff inside a "
        "quarter is compared up to that quarter's end only)",
    )
    parser.add_argument("--json", help="append the rows, as JSON lines, to this file")
    args = parser.parse_args(argv)

    with common.odoo_env(args) as env:
        company = env.company
        cutoffs = args.cutoff or default_cutoffs(env, company, args.cutoffs, args.horizon)
        if not cutoffs:
            parser.exit(2, f"error: no opportunity in {args.database}: nothing to replay\n")
        backtest = env["crm.relational.forecast.backtest"]._backtest_cutoff
        options = {
            "horizon_days": args.horizon,
            "period_type": args.period,
            "today": history_end(env, company),
        }
        header = ["cutoff", "to", "open (db)", "won (db)", "actual (db)", "base Brier (db)"]
        header += [label for label, _keys, _spec in COLUMNS]
        table, rows = [header], []
        for cutoff in cutoffs:
            row = dict(backtest(company, cutoff, **options) or {})
            row.update(derived(row))
            end = window_end(row, cutoff, args.horizon)
            opened, won, actual, base = truth(env, company, cutoff, end)
            db = [opened, won, float(actual), None if base is None else float(base)]
            rows.append({"cutoff": cutoff.isoformat(), "db": db, **row})
            table.append(
                [cutoff.isoformat(), end.isoformat(), str(opened), str(won)]
                + [cell(db[2], ",.0f"), cell(db[3], ".3f")]
                + [cell(pick(row, keys), spec) for _label, keys, spec in COLUMNS]
            )
        env.cr.rollback()
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for line in table:
        print("  ".join(text.rjust(width) for text, width in zip(line, widths, strict=True)))
    summarise(rows)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "a") as file:
            for row in rows:
                file.write(json.dumps({"database": args.database, **row}, default=str) + "\n")


def summarise(rows):
    """Mean Brier scores, P50 and Odoo errors, and the share of cutoffs inside P10..P90."""
    keys = {label: keys for label, keys, _spec in COLUMNS}
    lines = []
    for label in ("Brier ours", "Brier Odoo", "Brier base"):
        values = [pick(row, keys[label]) for row in rows]
        values = [v for v in values if v is not None]
        if values:
            lines.append(f"mean {label}: {sum(values) / len(values):.3f}")
    for label in ("P50", "Odoo weighted"):
        errors = [
            abs(pick(row, keys[label]) - row["db"][2]) / row["db"][2]
            for row in rows
            if pick(row, keys[label]) is not None and row["db"][2]
        ]
        if errors:
            lines.append(f"mean |{label} - actual| / actual: {sum(errors) / len(errors):.0%}")
    hits = [pick(row, keys["in P10..P90"]) for row in rows]
    hits = [bool(h) for h in hits if h is not None]
    if hits:
        lines.append(f"actual inside P10..P90: {sum(hits)} of {len(hits)} cutoffs")
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
