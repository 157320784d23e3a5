from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain

from ..number_limits import MAX_AMOUNT, MAX_QUANTITY, check_number_limits


class CrmRelationalLeadLine(models.Model):
    """A product the customer is interested in, on an opportunity, with its availability."""

    _name = "crm.relational.lead.line"
    _description = "Opportunity Product"
    _order = "lead_id, sequence, id"

    lead_id = fields.Many2one("crm.lead", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="lead_id.company_id", store=True)
    currency_id = fields.Many2one(related="lead_id.company_currency")
    sequence = fields.Integer(default=10)
    product_id = fields.Many2one("product.product", required=True, domain=[("sale_ok", "=", True)])
    quantity = fields.Float(default=1.0, digits="Product Unit", required=True)
    uom_id = fields.Many2one(
        "uom.uom",
        string="Unit",
        compute="_compute_uom_id",
        store=True,
        precompute=True,
        readonly=False,
        required=True,
    )
    price_unit = fields.Float(
        string="Unit Price",
        digits="Product Price",
        compute="_compute_price_unit",
        store=True,
        readonly=False,
        help="The product's sales price, unless changed here.",
    )
    price_subtotal = fields.Monetary(
        string="Subtotal", compute="_compute_price_subtotal", help="Quantity times unit price."
    )
    free_qty = fields.Float(
        string="Free to Use",
        digits="Product Unit",
        compute="_compute_availability",
        help="Free stock in the warehouses of the opportunity's company, in the line's unit.",
    )
    promise_date = fields.Date(
        string="Can Promise On",
        compute="_compute_availability",
        help="Earliest day the quantity can be promised from one warehouse.",
    )

    _positive_quantity = models.Constraint(
        "CHECK(quantity > 0)", "The quantity of a product must be positive."
    )

    @api.depends("product_id")
    def _compute_uom_id(self):
        for line in self:
            line.uom_id = line.product_id.uom_id

    @api.depends("product_id")
    def _compute_price_unit(self):
        for line in self:
            line.price_unit = line.product_id.lst_price

    @api.depends("quantity", "price_unit")
    def _compute_price_subtotal(self):
        for line in self:
            line.price_subtotal = line.quantity * line.price_unit

    @api.depends("product_id", "quantity", "uom_id")
    @api.depends_context("company")
    def _compute_availability(self):
        Lookup = self.env["crm.relational.stock.lookup"]
        for company, lines in self.grouped(
            lambda line: line.company_id or self.env.company
        ).items():
            products = lines.product_id.filtered("is_storable")
            stock = (
                Lookup._stock(
                    products._as_query(),
                    Domain("company_id", "=", company.id),
                    1.0,
                    None,
                    alternatives=False,
                )
                if products
                else {"warehouses": []}
            )
            today = fields.Date.context_today(self)
            for line in lines:
                if line.product_id not in products or line.quantity <= 0:
                    line.free_qty, line.promise_date = 0.0, False
                    continue
                asked = line.uom_id._compute_quantity(line.quantity, line.product_id.uom_id)
                per_warehouse = [
                    Lookup._warehouse_result(line.product_id, warehouse, stock, asked, today)
                    for warehouse in stock["warehouses"]
                ]
                free = sum(w["free"] for w in per_warehouse)
                line.free_qty = line.product_id.uom_id._compute_quantity(
                    free, line.uom_id, round=False
                )
                dates = [w["promise_date"] for w in per_warehouse if w["promise_date"]]
                line.promise_date = min(dates) if dates else False

    @api.constrains("product_id", "uom_id")
    def _check_uom(self):
        for line in self:
            product_unit = line.product_id.uom_id
            if line.uom_id and product_unit and not line.uom_id._has_common_reference(product_unit):
                raise ValidationError(
                    self.env._(
                        "%(product)s is counted in %(product_unit)s; it cannot be asked for in "
                        "%(unit)s.",
                        product=line.product_id.display_name,
                        product_unit=product_unit.name,
                        unit=line.uom_id.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_number_limits(self, vals, {"quantity": MAX_QUANTITY, "price_unit": MAX_AMOUNT})
        return super().create(vals_list)

    def write(self, vals):
        check_number_limits(self, vals, {"quantity": MAX_QUANTITY, "price_unit": MAX_AMOUNT})
        return super().write(vals)

    def _quotation_line_values(self):
        """The quotation line of this product, in the product's own unit (a quotation line
        takes its unit from the product)."""
        self.ensure_one()
        product_uom = self.product_id.uom_id
        return {
            "product_id": self.product_id.id,
            "product_uom_qty": self.uom_id._compute_quantity(
                self.quantity, product_uom, round=False
            ),
            "price_unit": self.uom_id._compute_price(self.price_unit, product_uom),
        }
