"""What every benchmark shares: its command line, an Odoo environment on the database, the
percentiles it reports and the results file it appends to.

Results go to ``bench/results/<size>/<benchmark>.json``, one folder per data set size, so the
report can show how each cost grows from ``small`` to ``large``."""

import argparse
import json
import os
import threading
from contextlib import contextmanager

RESULTS = os.path.join(os.path.dirname(__file__), "results")
# The data set sizes measured, as the share of the large data set's 100,000 customers that the
# generator writes (python3 -m data.generator --size large --scale SHARE): each size is ten
# times the one before, with the same products, warehouses and behaviour of the customers.
SIZES = {"small": 0.01, "medium": 0.1, "large": 1.0}


def parser(description):
    """An argument parser with the options every benchmark takes: -c, -d and --size."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument(
        "--size",
        choices=list(SIZES),
        default="large",
        help="size of the database's data set: the results go to bench/results/SIZE/",
    )
    return parser


@contextmanager
def odoo_env(args):
    """A superuser environment on ``args.database``; its cursor is closed afterwards (the
    benchmark rolls back what it must not keep)."""
    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(["-c", args.config, "-d", args.database, "--no-http", "--log-level=warn"])
    threading.current_thread().dbname = args.database
    with Registry(args.database).cursor() as cr:
        yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def record(name, result, args):
    """Append ``result``, with the size and database of ``args`` and the machine's load, to
    bench/results/<size>/<name>.json and print it."""
    # The machine's load when the run ended: on a shared machine, timings are only comparable
    # between runs under a similar load.
    result = {
        "size": args.size,
        "database": args.database,
        **result,
        "load_average_1m": round(os.getloadavg()[0], 1),
        "cpus": os.cpu_count(),
    }
    folder = os.path.join(RESULTS, args.size)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"{name}.json"), "a") as file:
        file.write(json.dumps(result) + "\n")
    width = max(map(len, result))
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
