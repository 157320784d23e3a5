from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain

from ..analytics import promise

MOVE_TODO = ("waiting", "confirmed", "assigned", "partially_available")
MAX_RESULTS = 50
MAX_QUERY_LENGTH = 100


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
        """
        query = self._check_query(query)
        quantity = self._check_quantity(quantity)
        limit = max(1, min(self._check_id(limit or 10, self.env._("The limit")), MAX_RESULTS))
        uom = None
        if uom_id:
            uom = (
                self.env["uom.uom"].browse(self._check_id(uom_id, self.env._("The unit"))).exists()
            )
            if not uom:
                raise UserError(self.env._("Unknown unit of measure %s.", uom_id))
        products = self.env["product.product"].search(self._product_domain(query), limit=limit)
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
            products = measurable
        warehouses = self._warehouses(warehouse_ids)
        stock = self._stock(products, warehouses)
        today = fields.Date.context_today(self)
        results = []
        for product in products:
            requested = uom._compute_quantity(quantity, product.uom_id) if uom else quantity
            per_warehouse = [
                self._warehouse_result(product, warehouse, stock, requested, today)
                for warehouse in warehouses
            ]
            dates = [w["promise_date"] for w in per_warehouse if w["promise_date"]]
            totals = {
                key: product.uom_id.round(sum(w[key] for w in per_warehouse))
                for key in ("on_hand", "reserved", "free", "forecast")
            }
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
                    "short": totals["free"] < requested,
                    "warehouses": per_warehouse,
                    "alternatives": [],
                }
            )
        self._add_alternatives(results, products, warehouses)
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

    def _product_domain(self, query):
        return Domain("sale_ok", "=", True) & (
            Domain("name", "ilike", query)
            | Domain("default_code", "ilike", query)
            | Domain("barcode", "=", query)
        )

    def _warehouses(self, warehouse_ids):
        domain = Domain("company_id", "in", self.env.companies.ids)
        if warehouse_ids:
            if not isinstance(warehouse_ids, (list, tuple)) or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in warehouse_ids
            ):
                raise UserError(self.env._("Warehouses are given as a list of ids."))
            domain &= Domain("id", "in", list(warehouse_ids))
        return self.env["stock.warehouse"].search(domain, order="sequence, id")

    def _stock(self, products, warehouses):
        """``{warehouse: {"quants": {product: (on hand, reserved)}, "in"/"out": {product:
        [(day, quantity)]}}}`` from Odoo's own location domains of each warehouse: three
        grouped reads per warehouse."""
        Quant = self.env["stock.quant"].with_context(active_test=False)
        Move = self.env["stock.move"].with_context(active_test=False)
        stock = {}
        for warehouse in warehouses:
            located = products.with_context(warehouse_id=warehouse.id)
            quant_domain, in_domain, out_domain = located._get_domain_locations()
            of_products = Domain("product_id", "in", products.ids)
            todo = of_products & Domain("state", "in", MOVE_TODO)
            stock[warehouse] = {
                "quants": {
                    product: (on_hand, reserved)
                    for product, on_hand, reserved in Quant._read_group(
                        of_products & Domain(quant_domain),
                        ["product_id"],
                        ["quantity:sum", "reserved_quantity:sum"],
                    )
                },
                "in": self._moves_by_day(Move, todo & Domain(in_domain)),
                "out": self._moves_by_day(Move, todo & Domain(out_domain)),
            }
        return stock

    def _moves_by_day(self, Move, domain):
        moves = defaultdict(list)
        for product, day, quantity in Move._read_group(
            domain, ["product_id", "date:day"], ["product_qty:sum"]
        ):
            moves[product].append((fields.Date.to_date(day), quantity))
        return moves

    def _warehouse_result(self, product, warehouse, stock, requested, today):
        figures = stock[warehouse]
        on_hand, reserved = figures["quants"].get(product, (0.0, 0.0))
        incoming = figures["in"].get(product, [])
        outgoing = figures["out"].get(product, [])
        incoming_total = sum(quantity for _day, quantity in incoming)
        outgoing_total = sum(quantity for _day, quantity in outgoing)
        changes = incoming + [(day, -quantity) for day, quantity in outgoing]
        promised = promise.promise_date(on_hand, changes, requested, today)
        round_ = product.uom_id.round
        return {
            "warehouse_id": warehouse.id,
            "name": warehouse.name,
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

    def _add_alternatives(self, results, products, warehouses):
        """For each product short of the requested quantity: its other variants, and products
        of the same category and unit, that have that much free, most free first."""
        short = [result for result in results if result["short"]]
        if not short:
            return
        Product = self.env["product.product"]
        candidates = Product.search(
            Domain("sale_ok", "=", True)
            & Domain("id", "not in", products.ids)
            & (
                Domain("product_tmpl_id", "in", products.product_tmpl_id.ids)
                | Domain("categ_id", "in", products.categ_id.ids)
            ),
            limit=200,
        )
        if not candidates:
            return
        free = defaultdict(float)
        for warehouse in warehouses:
            quant_domain = candidates.with_context(
                warehouse_id=warehouse.id
            )._get_domain_locations()[0]
            for product, on_hand, reserved in self.env["stock.quant"]._read_group(
                Domain("product_id", "in", candidates.ids) & Domain(quant_domain),
                ["product_id"],
                ["quantity:sum", "reserved_quantity:sum"],
            ):
                free[product] += on_hand - reserved
        by_id = {product.id: product for product in products}
        for result in short:
            product = by_id[result["product_id"]]
            fitting = [
                candidate
                for candidate in candidates
                if free[candidate] >= result["requested_quantity"]
                and candidate.uom_id == product.uom_id
                and (
                    candidate.product_tmpl_id == product.product_tmpl_id
                    or candidate.categ_id == product.categ_id
                )
            ]
            fitting.sort(
                key=lambda c, p=product: (c.product_tmpl_id != p.product_tmpl_id, -free[c])
            )
            result["alternatives"] = [
                {"product_id": c.id, "name": c.display_name, "free": c.uom_id.round(free[c])}
                for c in fitting[:5]
            ]
