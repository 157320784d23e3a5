"""What every benchmark shares: its command line, an Odoo environment on the database, the
percentiles it reports and the results file it appends to."""

import argparse
import json
import os
import threading
from contextlib import contextmanager

RESULTS = os.path.join(os.path.dirname(__file__), "results")


def parser(description):
    """An argument parser with the two options every benchmark takes: -c and -d."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument("-d", "--database", required=True)
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


def record(name, result):
    """Append ``result`` to bench/results/<name>.json and print it."""
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, f"{name}.json"), "a") as file:
        file.write(json.dumps(result) + "\n")
    width = max(map(len, result))
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
