from odoo import fields, models


class CrmRelationalStockLookupLine(models.TransientModel):
    """One product in one warehouse, or an alternative in stock, in the stock lookup."""

    _name = "crm.relational.stock.lookup.line"
    _description = "Stock Lookup Line"
    _order = "alternative_to_id desc, product_id, warehouse_id"

    wizard_id = fields.Many2one(
        "crm.relational.stock.lookup.wizard", required=True, ondelete="cascade"
    )
    product_id = fields.Many2one("product.product", readonly=True)
    uom_id = fields.Many2one(related="product_id.uom_id")
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True)
    requested_quantity = fields.Float(
        string="Asked", digits="Product Unit", help="In the product's unit."
    )
    on_hand = fields.Float(
        digits="Product Unit", help="Quantity in the warehouse's stock locations."
    )
    reserved = fields.Float(digits="Product Unit", help="Reserved for other deliveries.")
    free = fields.Float(
        string="Free to Use",
        digits="Product Unit",
        help="On hand less reserved: what can be sold now.",
    )
    forecast = fields.Float(
        digits="Product Unit", help="On hand, plus incoming, less outgoing moves."
    )
    next_receipt_date = fields.Date(help="Scheduled date of the next receipt into this warehouse.")
    next_receipt_quantity = fields.Float(
        string="Next Receipt", digits="Product Unit", help="Quantity of the next receipt."
    )
    promise_date = fields.Date(
        string="Can Promise On",
        help="Earliest day the asked quantity can be promised from this warehouse, given the "
        "stock on hand and the scheduled receipts and deliveries; empty when it cannot.",
    )
    lead_time_days = fields.Float(
        string="Lead Time (days)",
        help="The product's customer lead time: days between order confirmation and delivery.",
    )
    alternative_to_id = fields.Many2one(
        "product.product",
        readonly=True,
        help="The product short of the asked quantity that this one (another variant, or a "
        "product of the same category and unit with enough free stock) can replace.",
    )
