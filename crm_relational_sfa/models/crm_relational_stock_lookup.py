from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL, float_round

from ..analytics import promise

MOVE_TODO = ("waiting", "confirmed", "assigned", "partially_available")
MAX_RESULTS = 50
MAX_QUERY_LENGTH = 100
ALTERNATIVES = 5
# The products of a category weighed as alternatives: at most this many, so a lookup in a
# category of thousands stays as quick as in a small one.
CANDIDATES = 200
# The lookup rounds the free quantities per warehouse and the quantity asked in another unit:
# the query that picks the products short of the quantity asked, and their alternatives with
# that much free, keeps this margin so it never leaves out one the rounded figures would keep.
SHORT_MARGIN = 1.0


class CrmRelationalStockLookup(models.AbstractModel):
    """Stock a salesperson can promise during a call, per warehouse.

    ``lookup`` is the one entry point, used by the lookup dialog and documented for external
    clients (JSON-RPC / XML-RPC: ``execute_kw(db, uid, password, 'crm.relational.stock.lookup',
    'lookup', [query], {'quantity': 5})``). It runs with the caller's access rights and
    companies, and counts stock the way Odoo does (``qty_available``, ``free_qty``,
    ``virtual_available``, ``incoming_qty`` per warehouse), from the same location domains.
    """

    _name = "crm.relational.stock.lookup"
    _description = "Stock Lookup"

    @api.model
    @api.readonly
    def lookup(self, query, quantity=1.0, uom_id=None, warehouse_ids=None, limit=10):
        """Products matching `query` (part of the name or internal reference, or a barcode),
        with their stock per warehouse and the date each warehouse can promise `quantity`
        (in the unit `uom_id`, by default the product's own).

        Returns a list of dicts, one per product::

            {"product_id", "name", "default_code", "barcode", "uom", "requested_quantity",
             "lead_time_days", "on_hand", "reserved", "free", "forecast", "promise_date",
             "short": bool, "warehouses": [{"warehouse_id", "name", "on_hand", "reserved",
             "free", "forecast", "incoming", "outgoing", "next_receipts": [{"date",
             "quantity"}], "promise_date"}], "alternatives": [{"product_id", "name", "free"}]}

        Quantities are in the product's unit of measure; dates are ISO strings (False: cannot
        be promised from stock and scheduled receipts); missing codes are False (XML-RPC has
        no None).

        A lookup costs the same five queries whatever the number of warehouses and products,
        with variants or not: one for the products found with their stock, moves and
        alternatives in every warehouse, then one read each of the products, their variants'
        attribute values, templates and units shown (and, for a user under multi-company
        record rules, Odoo's read of the user's companies for the rules).
        """
        query = self._check_query(query)
        quantity = self._check_quantity(quantity)
        limit = max(1, min(self._check_id(limit or 10, self.env._("The limit")), MAX_RESULTS))
        # the web client sends False for no unit
        uom_id = self._check_id(uom_id, self.env._("The unit")) if uom_id else None
        warehouse_domain = self._warehouse_domain(warehouse_ids)
        stock = self._stock(self._found(query, limit), warehouse_domain, quantity, uom_id)
        # The products found and their alternatives are read together: one read each of
        # products, attribute values, templates and units, however many they are.
        products = self.env["product.product"].browse(stock["products"])
        products = products.with_prefetch(stock["products"] + stock["candidates"])
        uom = self._unit(uom_id, products) if uom_id else None
        if uom and products:
            # A quantity in kilograms says nothing of products counted in units.
            measurable = products.filtered(lambda p: uom._has_common_reference(p.uom_id))
            if not measurable:
                raise UserError(
                    self.env._(
                        "No product matching “%(query)s” is measured in %(unit)s.",
                        query=query,
                        unit=uom.name,
                    )
                )
            products = measurable.with_prefetch(products._prefetch_ids)
        # The names shown are Odoo's own display names, their variants' attributes read with
        # the products in one query.
        self._read_variant_values(products.browse(products._prefetch_ids))
        today = fields.Date.context_today(self)
        results = []
        for product in products:
            requested = uom._compute_quantity(quantity, product.uom_id) if uom else quantity
            per_warehouse = [
                self._warehouse_result(product, warehouse, stock, requested, today)
                for warehouse in stock["warehouses"]
            ]
            dates = [w["promise_date"] for w in per_warehouse if w["promise_date"]]
            totals = {
                key: product.uom_id.round(sum(w[key] for w in per_warehouse))
                for key in ("on_hand", "reserved", "free", "forecast")
            }
            short = totals["free"] < requested
            results.append(
                {
                    "product_id": product.id,
                    "name": product.display_name,
                    "default_code": product.default_code or False,
                    "barcode": product.barcode or False,
                    "uom": product.uom_id.name,
                    "requested_quantity": requested,
                    "lead_time_days": product.sale_delay,
                    **totals,
                    "promise_date": min(dates) if dates else False,
                    "short": short,
                    "warehouses": per_warehouse,
                    "alternatives": (
                        self._alternatives(product, stock, requested) if short else []
                    ),
                }
            )
        return results

    # ------------------------------------------------------------------ helpers
    def _check_query(self, query):
        if not isinstance(query, str) or not query.strip():
            raise UserError(self.env._("Type part of a product name, reference or barcode."))
        query = query.strip()
        if len(query) > MAX_QUERY_LENGTH:
            raise UserError(
                self.env._("The search text is too long (at most %s characters).", MAX_QUERY_LENGTH)
            )
        return query

    def _check_id(self, value, what):
        """A positive whole number given over RPC (not a boolean, a float or a text)."""
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise UserError(self.env._("%(what)s must be a positive whole number.", what=what))
        return value

    def _check_quantity(self, quantity):
        try:
            quantity = float(quantity)
        except (TypeError, ValueError) as error:
            raise UserError(self.env._("The quantity must be a number.")) from error
        if not quantity > 0:
            raise UserError(self.env._("The quantity must be positive."))
        if not quantity < 1e12:
            raise UserError(self.env._("The quantity must be below a trillion."))
        return quantity

    def _found(self, query, limit):
        """The products the lookup shows, as a query: those of
        ``search([("sale_ok", "=", True), "|", "|", ("name", "ilike", query),
        ("default_code", "ilike", query), ("barcode", "=", query)], limit=limit)``, the
        three matches read apart so that each uses its index (trigram indexes on names and
        references, the barcodes'), rather than every product scanned for any of them."""
        Product = self.env["product.product"]
        Template = self.env["product.template"].with_context(active_test=False)
        matching = [
            Product._search(Domain("default_code", "ilike", query)),
            Product._search(Domain("barcode", "=", query)),
            Product._search(
                Domain("product_tmpl_id", "in", Template._search(Domain("name", "ilike", query)))
            ),
        ]
        found = Product._search(Domain("sale_ok", "=", True), limit=limit, order=Product._order)
        found.add_where(
            SQL(
                "%s IN (%s)",
                SQL.identifier(found.table, "id"),
                SQL(" UNION ").join(match.select() for match in matching),
            )
        )
        return found

    def _warehouse_domain(self, warehouse_ids):
        domain = Domain("company_id", "in", self.env.companies.ids)
        if warehouse_ids:
            if not isinstance(warehouse_ids, (list, tuple)) or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in warehouse_ids
            ):
                raise UserError(self.env._("Warehouses are given as a list of ids."))
            domain &= Domain("id", "in", list(warehouse_ids))
        return domain

    def _unit(self, uom_id, products):
        """The unit `uom_id`, read with the units of `products` (one query for all)."""
        units = (
            self.env["uom.uom"]
            .with_context(active_test=False)
            .search_fetch(
                Domain("id", "in", [uom_id, *products.uom_id.ids]),
                ["name", "parent_path", "factor", "rounding"],
            )
        )
        uom = units.filtered(lambda unit: unit.id == uom_id)
        if not uom:
            raise UserError(self.env._("Unknown unit of measure %s.", uom_id))
        return uom

    def _stock(self, found, warehouse_domain, quantity, uom_id, alternatives=True):
        """Everything the lookup shows, in one query over all the warehouses at once.

        Returns ``{"products": [ids found, in their order], "warehouses": [(id, name)],
        "quants": {(warehouse, product): (on hand, reserved)}, "in"/"out": {(warehouse,
        product): [(day, quantity)]}, "alternatives": {product: [(alternative, free)]},
        "candidates": [alternative ids]}``.

        The products are those of the query `found`, the warehouses those matching
        `warehouse_domain`, as ``search`` would return them. The figures are Odoo's
        own (``product.product._compute_quantities_dict`` in each warehouse's context): a
        warehouse holds the locations under its view location (by their ``parent_path``, as
        Odoo's recursive query of the children); on hand and reserved are the quants there; a
        move to do comes in when its final destination (or, without one, its destination) is in
        the warehouse and its source is not, and goes out the other way round. Products,
        warehouses, quants and moves are read through the ORM's own search queries, so the
        user's companies and record rules apply.

        Alternatives, for the products with less free than `quantity` (in the unit `uom_id`,
        by default the product's own): other variants of the product, and other products of
        its category, sold and measured in the same unit, with that much free in these
        warehouses; the most free first, five of each kind, weighed among at most CANDIDATES
        products (by id) of the product's template and of the first CANDIDATES templates of its
        category (by id). None without `alternatives`.
        """
        Product = self.env["product.product"]
        Quant = self.env["stock.quant"].with_context(active_test=False)
        Move = self.env["stock.move"].with_context(active_test=False)

        warehouses = self.env["stock.warehouse"]._search(warehouse_domain, order="sequence, id")
        quants = self._of_products(Quant._search([]), "found")
        moves = self._of_products(Move._search(Domain("state", "in", MOVE_TODO)), "found")
        candidates = Product._search(Domain("sale_ok", "=", True), limit=CANDIDATES, order="id")
        candidates.add_where(
            SQL(
                "EXISTS (SELECT FROM short_product) AND %(id)s NOT IN (SELECT id FROM found)"
                " AND %(template)s = ANY(ARRAY(SELECT id FROM candidate_template))",
                id=SQL.identifier(candidates.table, "id"),
                template=SQL.identifier(candidates.table, "product_tmpl_id"),
            )
        )
        candidate_quants = self._of_products(Quant._search([]), "candidate")

        def columns(query, *names):
            return [SQL.identifier(query.table, name) for name in names]

        sql = SQL(
            """
            WITH found AS (%(found)s),
            warehouse AS (%(warehouses)s),
            warehouse_location AS (
                SELECT child.id AS location_id, warehouse.id AS warehouse_id
                  FROM warehouse
                  JOIN stock_location view ON view.id = warehouse.view_location_id
                  JOIN stock_location child ON child.parent_path LIKE view.parent_path || '%%'
            ),
            warehouse_quant AS (
                SELECT warehouse_location.warehouse_id, quant.product_id,
                       SUM(quant.quantity) AS on_hand, SUM(quant.reserved_quantity) AS reserved
                  FROM (%(quants)s) quant
                  JOIN warehouse_location ON warehouse_location.location_id = quant.location_id
                 GROUP BY warehouse_location.warehouse_id, quant.product_id
            ),
            short_product AS (
                SELECT * FROM (
                    SELECT product.id AS product_id, template.id AS template_id,
                           template.categ_id, template.uom_id,
                           -- the quantity asked, in the product's unit (before its rounding)
                           %(quantity)s::float * COALESCE(asked.factor / unit.factor, 1)
                               AS requested,
                           COALESCE((SELECT SUM(on_hand - reserved) FROM warehouse_quant
                                      WHERE warehouse_quant.product_id = product.id), 0) AS free
                      FROM found
                      JOIN product_product product ON product.id = found.id
                      JOIN product_template template ON template.id = product.product_tmpl_id
                      JOIN uom_uom unit ON unit.id = template.uom_id
                      LEFT JOIN uom_uom asked ON asked.id = %(uom)s
                ) product
                 WHERE %(with_alternatives)s AND free < requested + %(margin)s
            ),
            -- only when a product is short: its template (its other variants), and the first
            -- templates of its category
            candidate_template AS MATERIALIZED (
                SELECT template_id AS id FROM short_product
                 UNION
                (SELECT template.id
                   FROM product_template template
                  WHERE EXISTS (SELECT FROM short_product)
                    AND template.categ_id IN (SELECT categ_id FROM short_product)
                  ORDER BY template.id
                  LIMIT %(candidate_limit)s)
            ),
            candidate AS (%(candidates)s),
            -- read by product (a few hundred), not by location (every quant of the warehouses)
            candidate_quant AS MATERIALIZED (%(candidate_quants)s),
            candidate_free AS (
                SELECT quant.product_id, SUM(quant.quantity - quant.reserved_quantity) AS free
                  FROM candidate_quant quant
                  JOIN warehouse_location ON warehouse_location.location_id = quant.location_id
                 GROUP BY quant.product_id
                HAVING SUM(quant.quantity - quant.reserved_quantity) > 0
            ),
            alternative AS (
                SELECT short_product.product_id, candidate.id AS alternative_id,
                       candidate_free.free,
                       ROW_NUMBER() OVER (
                           PARTITION BY short_product.product_id,
                                        candidate.product_tmpl_id = short_product.template_id
                           ORDER BY candidate_free.free DESC, candidate.id
                       ) AS rank
                  FROM short_product
                  JOIN product_template template
                    ON template.uom_id = short_product.uom_id
                   AND (template.id = short_product.template_id
                        OR template.categ_id = short_product.categ_id)
                  JOIN candidate ON candidate.product_tmpl_id = template.id
                  JOIN candidate_free ON candidate_free.product_id = candidate.id
                   AND candidate_free.free > short_product.requested - %(margin)s
            ),
            todo_move AS (
                SELECT product_id, location_id, destination_id, day, SUM(product_qty) AS quantity
                  FROM (%(moves)s) move
                 GROUP BY product_id, location_id, destination_id, day
            )
            SELECT 'product' AS kind, NULL::int AS warehouse_id, id AS product_id,
                   NULL::int AS alternative_id, NULL::date AS day, rank::float AS quantity,
                   NULL::float AS reserved, NULL::varchar AS name
              FROM found
            UNION ALL
            SELECT 'warehouse', id, NULL, NULL, NULL, rank, NULL, name
              FROM warehouse
            UNION ALL
            SELECT 'quant', warehouse_id, product_id, NULL, NULL, on_hand, reserved, NULL
              FROM warehouse_quant
             WHERE product_id IN (SELECT id FROM found)
            UNION ALL
            SELECT 'in', destination.warehouse_id, move.product_id, NULL, move.day,
                   SUM(move.quantity), NULL, NULL
              FROM todo_move move
              JOIN warehouse_location destination ON destination.location_id = move.destination_id
             WHERE NOT EXISTS (SELECT FROM warehouse_location source
                                WHERE source.location_id = move.location_id
                                  AND source.warehouse_id = destination.warehouse_id)
             GROUP BY destination.warehouse_id, move.product_id, move.day
            UNION ALL
            SELECT 'out', source.warehouse_id, move.product_id, NULL, move.day,
                   SUM(move.quantity), NULL, NULL
              FROM todo_move move
              JOIN warehouse_location source ON source.location_id = move.location_id
             WHERE NOT EXISTS (SELECT FROM warehouse_location destination
                                WHERE destination.location_id = move.destination_id
                                  AND destination.warehouse_id = source.warehouse_id)
             GROUP BY source.warehouse_id, move.product_id, move.day
            UNION ALL
            SELECT 'alternative', NULL, product_id, alternative_id, NULL, free, NULL, NULL
              FROM alternative
             WHERE rank <= %(alternatives)s
            """,
            found=found.select(
                SQL.identifier(found.table, "id"),
                SQL("ROW_NUMBER() OVER (ORDER BY %s) AS rank", found.order),
            ),
            warehouses=warehouses.select(
                *columns(warehouses, "id", "name", "view_location_id"),
                SQL("ROW_NUMBER() OVER (ORDER BY %s) AS rank", warehouses.order),
            ),
            quants=quants.select(
                *columns(quants, "product_id", "location_id", "quantity", "reserved_quantity")
            ),
            moves=moves.select(
                *columns(moves, "product_id", "location_id"),
                SQL(
                    "COALESCE(%s, %s) AS destination_id",
                    *columns(moves, "location_final_id", "location_dest_id"),
                ),
                # the day as Odoo groups moves by day, in the user's time zone
                SQL("(%s)::date AS day", Move._read_group_groupby(moves.table, "date:day", moves)),
                *columns(moves, "product_qty"),
            ),
            candidates=candidates.select(*columns(candidates, "id", "product_tmpl_id")),
            candidate_quants=candidate_quants.select(
                *columns(
                    candidate_quants, "product_id", "location_id", "quantity", "reserved_quantity"
                )
            ),
            quantity=quantity,
            uom=uom_id,
            margin=SHORT_MARGIN,
            alternatives=ALTERNATIVES,
            candidate_limit=CANDIDATES,
            with_alternatives=bool(alternatives),
        )
        stock = {
            "products": [],
            "warehouses": [],
            "quants": {},
            "in": defaultdict(list),
            "out": defaultdict(list),
            "alternatives": defaultdict(list),
            "candidates": [],
        }
        products, warehouses = [], []
        for row in self.env.execute_query_dict(sql):
            kind, key = row["kind"], (row["warehouse_id"], row["product_id"])
            if kind == "product":
                products.append((row["quantity"], row["product_id"]))
            elif kind == "warehouse":
                warehouses.append((row["quantity"], row["warehouse_id"], row["name"]))
            elif kind == "quant":
                stock["quants"][key] = (row["quantity"], row["reserved"])
            elif kind in ("in", "out"):
                stock[kind][key].append((row["day"], row["quantity"]))
            else:
                stock["alternatives"][row["product_id"]].append(
                    (row["alternative_id"], row["quantity"])
                )
        stock["products"] = [product for _rank, product in sorted(products)]
        # The alternatives the lookup will show, read with the products: those of the products
        # short of the quantity (known here without a unit: the free quantity rounded as the
        # lookup rounds it), else all.
        digits = self.env["decimal.precision"].precision_get("Product Unit")
        free = defaultdict(float)
        for (_warehouse, product), (on_hand, reserved) in stock["quants"].items():
            free[product] += float_round(on_hand - reserved, precision_digits=digits)
        stock["candidates"] = [
            alternative
            for product, alternatives in stock["alternatives"].items()
            if uom_id or float_round(free[product], precision_digits=digits) < quantity
            for alternative, _free in alternatives
        ]
        stock["warehouses"] = [(warehouse, name) for _rank, warehouse, name in sorted(warehouses)]
        return stock

    def _read_variant_values(self, products):
        """Put in the ORM cache, in one query, all that Odoo's display name of `products` reads
        of their variants' attributes (``product.product._compute_display_name`` through
        ``product.template.attribute.value._get_combination_name``): each product's attribute
        values; for each value of their templates, whether it is active, its line, its
        attribute and whether that attribute makes variants, its name in the user's language;
        each line's values. Odoo then computes the names from these, as it would from its own
        reads (four more queries for products with variants).

        The values are read whatever the record rules, as the display name reads them (as
        superuser), and only fill the cache where it has no value yet."""
        if not products or self.env.context.get("prefetch_langs"):
            return
        Product = self.env["product.product"]
        Value = self.env["product.template.attribute.value"]
        combination = Product._fields["product_template_attribute_value_ids"]
        # In Odoo's order of the values, the order of a product's values and of a line's.
        # bypass_access: as the display name reads them (as superuser); only the names of
        # products the user could read are computed from them.
        query = Value._search(
            Domain("product_tmpl_id", "in", products.product_tmpl_id.ids),
            order=Value._order,
            bypass_access=True,
        )
        Attribute, attribute = Value._fields["attribute_id"].join(Value, query.table, query)
        columns = ("ptav_active", "attribute_line_id", "attribute_id", "product_attribute_value_id")
        rows = self.env.execute_query(
            query.select(
                *(Value._field_to_sql(query.table, name, query) for name in ("id", *columns)),
                Attribute._field_to_sql(attribute, "create_variant", query),
                Value._field_to_sql(query.table, "name", query),
                SQL(
                    "ARRAY(SELECT %(product)s FROM %(relation)s"
                    " WHERE %(value)s = %(id)s AND %(product)s = ANY(%(products)s))",
                    product=SQL.identifier(combination.column1),
                    relation=SQL.identifier(combination.relation),
                    value=SQL.identifier(combination.column2),
                    id=SQL.identifier(query.table, "id"),
                    products=list(products.ids),
                    to_flush=combination,
                ),
            )
        )
        value_ids, column_values = [], [[] for _column in columns]
        values_of_product, values_of_line = defaultdict(list), defaultdict(list)
        creates_variant, names = {}, {}
        for value, *row, create, name, product_ids in rows:
            value_ids.append(value)
            for column, cell in zip(column_values, row, strict=True):
                column.append(cell)
            _active, line, attribute_id, name_id = row
            values_of_line[line].append(value)
            for product in product_ids:
                values_of_product[product].append(value)
            creates_variant[attribute_id] = create
            names[name_id] = name
        values = Value.browse(value_ids)
        for column, cells in zip(columns, column_values, strict=True):
            Value._fields[column]._insert_cache(values, cells)
        attributes = Attribute.browse(creates_variant)
        Attribute._fields["create_variant"]._insert_cache(attributes, creates_variant.values())
        attribute_values = self.env["product.attribute.value"].browse(names)
        attribute_values._fields["name"]._insert_cache(attribute_values, names.values())
        lines = self.env["product.template.attribute.line"].browse(values_of_line)
        lines._fields["product_template_value_ids"]._insert_cache(
            lines, [tuple(ids) for ids in values_of_line.values()]
        )
        combination._insert_cache(
            products, [tuple(values_of_product.get(id_, ())) for id_ in products.ids]
        )

    def _of_products(self, query, products):
        """`query` (of quants or moves) restricted to the products of the CTE `products`."""
        query.add_where(
            SQL(
                # an array of ids, that PostgreSQL looks up in the index of products
                "%s = ANY(ARRAY(SELECT id FROM %s))",
                SQL.identifier(query.table, "product_id"),
                SQL.identifier(products),
            )
        )
        return query

    def _warehouse_result(self, product, warehouse, stock, requested, today):
        warehouse_id, name = warehouse
        key = (warehouse_id, product.id)
        on_hand, reserved = stock["quants"].get(key, (0.0, 0.0))
        incoming = stock["in"].get(key, [])
        outgoing = stock["out"].get(key, [])
        incoming_total = sum(quantity for _day, quantity in incoming)
        outgoing_total = sum(quantity for _day, quantity in outgoing)
        changes = incoming + [(day, -quantity) for day, quantity in outgoing]
        promised = promise.promise_date(on_hand, changes, requested, today)
        round_ = product.uom_id.round
        return {
            "warehouse_id": warehouse_id,
            "name": name,
            "on_hand": round_(on_hand),
            "reserved": round_(reserved),
            "free": round_(on_hand - reserved),
            "forecast": round_(on_hand + incoming_total - outgoing_total),
            "incoming": round_(incoming_total),
            "outgoing": round_(outgoing_total),
            "next_receipts": [
                {"date": fields.Date.to_string(max(day, today)), "quantity": round_(quantity)}
                for day, quantity in sorted(incoming)[:3]
            ],
            "promise_date": fields.Date.to_string(promised) if promised else False,
        }

    def _alternatives(self, product, stock, requested):
        """The other variants of `product`, then the products of its category, that have
        `requested` free (in the same unit), most free first: five at most."""
        fitting = [
            (product.browse(alternative_id).with_prefetch(product._prefetch_ids), free)
            for alternative_id, free in stock["alternatives"].get(product.id, [])
            if free >= requested
        ]
        fitting.sort(
            key=lambda pair: (pair[0].product_tmpl_id != product.product_tmpl_id, -pair[1])
        )
        return [
            {"product_id": c.id, "name": c.display_name, "free": c.uom_id.round(free)}
            for c, free in fitting[:ALTERNATIVES]
        ]
