"""Benchmark: the stock lookup across all warehouses against Odoo's native per-warehouse reads.

    python3 -m bench.bench_lookup -c ODOO_CONF -d DB [--size large] [--lookups 500]

Looks up products by internal reference (each lookup finds one product and answers for every
warehouse: on hand, reserved, free, forecast, receipts, promise date), `--lookups` times over
products that have stock, as a salesperson would; then reads the same quantities the
Odoo-native way: ``qty_available``, ``free_qty``, ``virtual_available`` of the product in each
warehouse context (without receipts or promise dates). Prints p50/p95 latency of both, and
writes a JSON line to bench/results/<size>/lookup.json.
"""

import statistics
import time

from . import common


def main(argv=None):
    parser = common.parser(__doc__)
    parser.add_argument("--lookups", type=int, default=500)
    args = parser.parse_args(argv)

    with common.odoo_env(args) as env:
        cr = env.cr
        cr.execute(
            "SELECT DISTINCT p.id FROM product_product p JOIN stock_quant q ON q.product_id = p.id"
            " WHERE p.default_code IS NOT NULL ORDER BY p.id"
        )
        products = env["product.product"].browse([row[0] for row in cr.fetchall()])
        warehouses = env["stock.warehouse"].search([])
        Lookup = env["crm.relational.stock.lookup"]
        ours, native, queries = [], [], []
        for index in range(args.lookups):
            product = products[index % len(products)]
            env.invalidate_all()
            before, started = cr.sql_log_count, time.perf_counter()
            result = Lookup.lookup(product.default_code, quantity=5, limit=1)
            ours.append(time.perf_counter() - started)
            queries.append(cr.sql_log_count - before)
            env.invalidate_all()
            started = time.perf_counter()
            figures = [
                (located.qty_available, located.free_qty, located.virtual_available)
                for located in (
                    product.with_context(warehouse_id=warehouse.id) for warehouse in warehouses
                )
            ]
            native.append(time.perf_counter() - started)
            assert result and len(figures) == len(warehouses)
        cr.rollback()

    result = {
        "benchmark": "stock_lookup",
        "products_with_stock": len(products),
        "warehouses": len(warehouses),
        "lookups": args.lookups,
        "lookup_p50_ms": round(statistics.median(ours) * 1000, 1),
        "lookup_p95_ms": round(common.percentile(ours, 0.95) * 1000, 1),
        "lookup_queries_p50": statistics.median(queries),
        "native_p50_ms": round(statistics.median(native) * 1000, 1),
        "native_p95_ms": round(common.percentile(native, 0.95) * 1000, 1),
        "ratio_p95": round(common.percentile(native, 0.95) / common.percentile(ours, 0.95), 2),
    }
    common.record("lookup", result, args)


if __name__ == "__main__":
    main()
