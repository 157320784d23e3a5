"""Benchmark: the stock lookup across all warehouses against Odoo's native per-warehouse reads.

    python3 -m bench.bench_lookup -c ODOO_CONF -d DB [--size large] [--lookups 500]

Looks up products by internal reference (each lookup finds one product and answers for every
warehouse: on hand, reserved, free, forecast, receipts, promise date), `--lookups` times over
products that have stock, spread evenly over them, as a salesperson would; after each lookup,
reads the same quantities the Odoo-native way: ``qty_available``, ``free_qty``,
``virtual_available`` of the product in each warehouse context (without receipts or promise
dates), and checks that the figures are equal. Both start from an empty ORM cache; it counts
the queries of both.

Then the same on a variant of the data set with 10 warehouses and 20,000 products, built in
the benchmark's own transaction and rolled back (the database is left as it was): the missing
warehouses through the ORM, the missing products as copies of the data set's own (new
references V00001...), and for each product, in about 6 warehouses out of 10, a quant (a
quarter of them half reserved), and for one in five of these a receipt and for one in five a
delivery to do, in the coming weeks, all by set-based SQL.

Also looks up each product with variant attributes (stock and a reference; 200 at most), whose
name shows them: the most queries of such a lookup, and whether each name shown is Odoo's own
display name of the product.

Prints p50/p95 latency and queries of both ways on both data sets, and writes a JSON line to
bench/results/<size>/lookup.json.
"""

import statistics
import time

from odoo.tools import SQL

from . import common

VARIANT_WAREHOUSES = 10
VARIANT_PRODUCTS = 20_000


def main(argv=None):
    parser = common.parser(__doc__)
    parser.add_argument("--lookups", type=int, default=500)
    args = parser.parse_args(argv)

    with common.odoo_env(args) as env:
        normal = measure(env, args.lookups)
        attributes = measure_attributes(env)
        started = time.perf_counter()
        build_variant(env)
        build_s = time.perf_counter() - started
        variant = measure(env, args.lookups)
        variant_attributes = measure_attributes(env)
        env.cr.rollback()

    result = {
        "benchmark": "stock_lookup",
        **figures(normal, ""),
        **attribute_figures(attributes, ""),
        "lookups": args.lookups,
        "variant_build_s": round(build_s, 1),
        **figures(variant, "variant_"),
        **attribute_figures(variant_attributes, "variant_"),
    }
    common.record("lookup", result, args)


def measure(env, lookups):
    """`lookups` lookups and their native reads, over the products with stock."""
    cr = env.cr
    cr.execute(
        "SELECT DISTINCT p.id FROM product_product p JOIN stock_quant q ON q.product_id = p.id"
        " WHERE p.default_code IS NOT NULL AND p.active ORDER BY p.id"
    )
    ids = [row[0] for row in cr.fetchall()]
    cr.execute("SELECT count(*) FROM product_product WHERE active")
    (products_count,) = cr.fetchone()
    products = env["product.product"].browse(
        [ids[index * len(ids) // lookups] for index in range(lookups)]
    )
    warehouses = env["stock.warehouse"].search(
        [("company_id", "in", env.companies.ids)], order="sequence, id"
    )
    Lookup = env["crm.relational.stock.lookup"]
    # One lookup and one native read first, not measured: a new worker process fills Odoo's
    # caches of access rights, rules and settings once, whichever way it reads.
    Lookup.lookup(products[0].default_code, quantity=5, limit=1)
    products[0].with_context(warehouse_id=warehouses[:1].id).read(["qty_available"])
    env.invalidate_all()
    ours, native, queries, native_queries, equal = [], [], [], [], 0
    for product in products:
        code = product.default_code
        env.invalidate_all()
        before, started = cr.sql_log_count, time.perf_counter()
        (result,) = Lookup.lookup(code, quantity=5, limit=1)
        ours.append(time.perf_counter() - started)
        queries.append(cr.sql_log_count - before)
        env.invalidate_all()
        # the product alone, as the lookup reads it (not every product of the sample at once)
        alone = product.with_prefetch()
        before, started = cr.sql_log_count, time.perf_counter()
        figures = [
            (located.qty_available, located.free_qty, located.virtual_available)
            for located in (
                alone.with_context(warehouse_id=warehouse.id) for warehouse in warehouses
            )
        ]
        native.append(time.perf_counter() - started)
        native_queries.append(cr.sql_log_count - before)
        assert result["product_id"] == product.id, code
        equal += figures == [(w["on_hand"], w["free"], w["forecast"]) for w in result["warehouses"]]
    return {
        "products": products_count,
        "products_with_stock": len(ids),
        "warehouses": len(warehouses),
        "ours": ours,
        "native": native,
        "queries": queries,
        "native_queries": native_queries,
        "equal": equal,
    }


def measure_attributes(env, limit=200):
    """A lookup of each product with variant attributes (whose name shows them), with stock
    and a reference (the first `limit`): its queries, and whether the name shown is Odoo's
    display name of the product, read afresh."""
    cr = env.cr
    cr.execute(
        "SELECT DISTINCT p.id FROM product_product p JOIN stock_quant q ON q.product_id = p.id"
        " WHERE p.default_code IS NOT NULL AND p.active AND EXISTS (SELECT FROM"
        " product_variant_combination c WHERE c.product_product_id = p.id) ORDER BY p.id LIMIT %s",
        [limit],
    )
    products = env["product.product"].browse([row[0] for row in cr.fetchall()])
    Lookup = env["crm.relational.stock.lookup"]
    queries, equal = [], 0
    for product in products:
        code = product.default_code
        env.invalidate_all()
        before = cr.sql_log_count
        (result,) = Lookup.lookup(code, quantity=5, limit=1)
        queries.append(cr.sql_log_count - before)
        env.invalidate_all()
        assert result["product_id"] == product.id, code
        equal += result["name"] == product.with_prefetch().display_name
    return {"queries": queries, "equal": equal}


def attribute_figures(run, prefix):
    """The JSON figures of the lookups of products with variant attributes, their keys
    starting with `prefix`."""
    return {
        f"{prefix}attribute_lookups": len(run["queries"]),
        f"{prefix}attribute_lookup_queries_max": max(run["queries"], default=None),
        f"{prefix}attribute_names_equal": f"{run['equal']}/{len(run['queries'])}",
    }


def figures(run, prefix):
    """The JSON figures of one measured data set, their keys starting with `prefix`."""
    ours, native = run["ours"], run["native"]
    return {
        f"{prefix}products": run["products"],
        f"{prefix}products_with_stock": run["products_with_stock"],
        f"{prefix}warehouses": run["warehouses"],
        f"{prefix}lookup_p50_ms": round(statistics.median(ours) * 1000, 1),
        f"{prefix}lookup_p95_ms": round(common.percentile(ours, 0.95) * 1000, 1),
        f"{prefix}lookup_queries_p50": statistics.median(run["queries"]),
        f"{prefix}lookup_queries_max": max(run["queries"]),
        f"{prefix}native_p50_ms": round(statistics.median(native) * 1000, 1),
        f"{prefix}native_p95_ms": round(common.percentile(native, 0.95) * 1000, 1),
        f"{prefix}native_queries_p50": statistics.median(run["native_queries"]),
        f"{prefix}ratio_p95": round(
            common.percentile(native, 0.95) / common.percentile(ours, 0.95), 2
        ),
        f"{prefix}figures_equal": f"{run['equal']}/{len(ours)}",
    }


def build_variant(env):
    """Bring the data set to VARIANT_WAREHOUSES warehouses and VARIANT_PRODUCTS products, with
    their stock, receipts and deliveries (see the module docstring), in the open transaction."""
    cr = env.cr
    company = env.company
    Warehouse = env["stock.warehouse"]
    have = Warehouse.search_count([("company_id", "in", env.companies.ids)])
    for number in range(have + 1, VARIANT_WAREHOUSES + 1):
        Warehouse.create(
            {"name": f"Bench Depot {number}", "code": f"BD{number}", "company_id": company.id}
        )
    env.flush_all()

    cr.execute("SELECT count(*) FROM product_product WHERE active AND default_code IS NOT NULL")
    missing = VARIANT_PRODUCTS - cr.fetchone()[0]
    cr.execute(
        SQL(
            """
            CREATE TEMP TABLE bench_variant_product ON COMMIT DROP AS
            SELECT number, source.id AS source_id, source.product_tmpl_id AS source_template_id,
                   nextval('product_template_id_seq') AS template_id,
                   nextval('product_product_id_seq') AS product_id,
                   'V' || lpad(number::text, 5, '0') AS code
              FROM generate_series(1, %(missing)s) number
              JOIN (SELECT product.id, product.product_tmpl_id,
                           ROW_NUMBER() OVER (ORDER BY product.id) AS rank
                      FROM product_product product
                      JOIN product_template template ON template.id = product.product_tmpl_id
                     WHERE product.active AND product.default_code IS NOT NULL
                       AND template.sale_ok AND template.is_storable) source
                ON source.rank = 1 + (number - 1) %% (
                    SELECT count(*) FROM product_product product
                      JOIN product_template template ON template.id = product.product_tmpl_id
                     WHERE product.active AND product.default_code IS NOT NULL
                       AND template.sale_ok AND template.is_storable)
            """,
            missing=max(missing, 0),
        )
    )
    now = SQL("now() AT TIME ZONE 'UTC'")
    _copy(
        cr,
        "product_template",
        SQL("bench_variant_product v JOIN product_template src ON src.id = v.source_template_id"),
        {
            "id": SQL("v.template_id"),
            "name": SQL("jsonb_build_object('en_US', (src.name->>'en_US') || ' ' || v.code)"),
            "default_code": SQL("v.code"),
            "create_date": now,
            "write_date": now,
        },
    )
    _copy(
        cr,
        "product_product",
        SQL("bench_variant_product v JOIN product_product src ON src.id = v.source_id"),
        {
            "id": SQL("v.product_id"),
            "product_tmpl_id": SQL("v.template_id"),
            "default_code": SQL("v.code"),
            "barcode": SQL("NULL"),
            "create_date": now,
            "write_date": now,
        },
    )
    # The product and warehouse pairs that get stock: about 6 in 10, the products' own
    # quantities; a quarter of them half reserved.
    cr.execute(
        SQL(
            """
            CREATE TEMP TABLE bench_variant_stock ON COMMIT DROP AS
            SELECT product.id AS product_id, template.uom_id, warehouse.id AS warehouse_id,
                   warehouse.company_id, warehouse.lot_stock_id AS location_id,
                   warehouse.in_type_id, warehouse.out_type_id,
                   5 + (product.id * 31 + warehouse.id * 17) %% 60 AS quantity,
                   CASE WHEN (product.id + warehouse.id) %% 4 = 0
                        THEN (5 + (product.id * 31 + warehouse.id * 17) %% 60) / 2 ELSE 0
                   END AS reserved
              FROM product_product product
              JOIN product_template template ON template.id = product.product_tmpl_id
              JOIN stock_warehouse warehouse ON warehouse.company_id = %(company)s
             WHERE product.active AND product.default_code IS NOT NULL
               AND template.sale_ok AND template.is_storable
               AND (product.id * 7 + warehouse.id * 3) %% 10 < 6
               AND NOT EXISTS (SELECT FROM stock_quant quant
                                WHERE quant.product_id = product.id
                                  AND quant.location_id = warehouse.lot_stock_id)
            """,
            company=company.id,
        )
    )
    _copy(
        cr,
        "stock_quant",
        SQL("bench_variant_stock v, (SELECT * FROM stock_quant ORDER BY id LIMIT 1) src"),
        {
            "product_id": SQL("v.product_id"),
            "company_id": SQL("v.company_id"),
            "location_id": SQL("v.location_id"),
            "quantity": SQL("v.quantity"),
            "reserved_quantity": SQL("v.reserved"),
            "inventory_quantity": SQL("0"),
            "inventory_diff_quantity": SQL("0"),
            "inventory_quantity_set": SQL("false"),
            "in_date": now,
            "create_date": now,
            "write_date": now,
        },
        null_references=True,
    )
    vendors = env.ref("stock.stock_location_suppliers").id
    customers = env.ref("stock.stock_location_customers").id
    for kind, source, destination, picking_type, share, days in (
        ("receipt", SQL("%s", vendors), SQL("v.location_id"), SQL("v.in_type_id"), 1, 30),
        ("delivery", SQL("v.location_id"), SQL("%s", customers), SQL("v.out_type_id"), 2, 20),
    ):
        quantity = SQL("(10 + (v.product_id * 13 + v.warehouse_id * %s) %% 40)", share)
        _copy(
            cr,
            "stock_move",
            SQL(
                "bench_variant_stock v, (SELECT * FROM stock_move ORDER BY id LIMIT 1) src"
                " WHERE (v.product_id * 3 + v.warehouse_id) %% 5 = %s",
                share,
            ),
            {
                "company_id": SQL("v.company_id"),
                "product_id": SQL("v.product_id"),
                "product_uom": SQL("v.uom_id"),
                "location_id": source,
                "location_dest_id": destination,
                "warehouse_id": SQL("v.warehouse_id"),
                "picking_type_id": picking_type,
                "state": SQL("'confirmed'"),
                "procure_method": SQL("'make_to_stock'"),
                "origin": SQL("%s", f"bench variant {kind}"),
                "reference": SQL("%s", f"bench variant {kind}"),
                "product_qty": quantity,
                "product_uom_qty": quantity,
                "quantity": SQL("0"),
                "picked": SQL("false"),
                "date": SQL(
                    "%s + make_interval(days => (v.product_id + v.warehouse_id) %% %s)", now, days
                ),
                "create_date": now,
                "write_date": now,
            },
            null_references=True,
        )
    cr.execute("ANALYZE product_template, product_product, stock_quant, stock_move")
    env.invalidate_all()


def _copy(cr, table, source, overrides, null_references=False):
    """Insert into `table` a row per row of `source` (a FROM clause where `src` is a row of
    `table`): each column as in `src` unless `overrides` gives its SQL expression; with
    `null_references`, the other references (nullable ``*_id`` columns) left empty."""
    cr.execute(
        "SELECT column_name, is_nullable = 'YES' FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        [table],
    )
    columns, values = [], []
    for column, nullable in cr.fetchall():
        if column in overrides:
            value = overrides[column]
        elif column == "id":
            continue
        elif null_references and nullable and column.endswith("_id"):
            value = SQL("NULL")
        else:
            value = SQL.identifier("src", column)
        columns.append(SQL.identifier(column))
        values.append(value)
    cr.execute(
        SQL(
            "INSERT INTO %s (%s) SELECT %s FROM %s",
            SQL.identifier(table),
            SQL(", ").join(columns),
            SQL(", ").join(values),
            source,
        )
    )


if __name__ == "__main__":
    main()
