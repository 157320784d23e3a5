"""Command line: python3 -m data.generator -c ODOO_CONF -d DB [--size demo] [--seed 42]."""

import argparse
import logging
import threading
import time
from datetime import date

from . import SIZES, generate


def main(argv=None):
    """Generate the data set into the database, commit, and print what was created."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--size", choices=sorted(SIZES), default="demo")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--today", type=date.fromisoformat, help="last day of the history (default: today)"
    )
    parser.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(["-c", args.config, "-d", args.database, "--no-http"])
    logging.getLogger("odoo").setLevel(logging.WARNING)
    threading.current_thread().dbname = args.database
    started = time.monotonic()
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        counts = generate(env, args.size, args.seed, args.today, args.scale, commit=cr.commit)
        cr.commit()
    summary = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in counts.items())
    print(f"generated {args.size} data in {time.monotonic() - started:.0f} s: {summary}")


if __name__ == "__main__":
    main()
