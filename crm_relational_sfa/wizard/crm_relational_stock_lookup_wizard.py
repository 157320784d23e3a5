from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class CrmRelationalStockLookupWizard(models.TransientModel):
    """The stock lookup dialog a salesperson opens during a call."""

    _name = "crm.relational.stock.lookup.wizard"
    _description = "Stock Lookup"

    query = fields.Char(
        string="Product", help="Part of the product name or internal reference, or a barcode."
    )
    quantity = fields.Float(
        default=1.0, digits="Product Unit", help="The quantity the customer asks for."
    )
    uom_id = fields.Many2one(
        "uom.uom", string="Unit", help="Unit of the asked quantity; by default the product's."
    )
    partner_id = fields.Many2one("res.partner", string="Customer")
    opportunity_id = fields.Many2one("crm.lead")
    order_id = fields.Many2one("sale.order", string="Quotation")
    line_ids = fields.One2many("crm.relational.stock.lookup.line", "wizard_id", readonly=True)
    message = fields.Char(readonly=True)

    @api.onchange("query", "quantity", "uom_id")
    def _onchange_lookup(self):
        if self.query and self.query.strip() and self.quantity > 0:
            self._fill_lines()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_quantity_value(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_quantity_value(vals)
        return super().write(vals)

    def action_lookup(self):
        self.ensure_one()
        self._fill_lines()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Stock Lookup"),
        }

    def _fill_lines(self):
        results = self.env["crm.relational.stock.lookup"].lookup(
            self.query, quantity=self.quantity, uom_id=self.uom_id.id or None
        )
        lines = [Command.clear()]
        for result in results:
            for warehouse in result["warehouses"]:
                receipt = warehouse["next_receipts"][:1]
                lines.append(
                    Command.create(
                        {
                            "product_id": result["product_id"],
                            "warehouse_id": warehouse["warehouse_id"],
                            "requested_quantity": result["requested_quantity"],
                            "on_hand": warehouse["on_hand"],
                            "reserved": warehouse["reserved"],
                            "free": warehouse["free"],
                            "forecast": warehouse["forecast"],
                            "next_receipt_date": receipt[0]["date"] if receipt else False,
                            "next_receipt_quantity": receipt[0]["quantity"] if receipt else 0.0,
                            "promise_date": warehouse["promise_date"] or False,
                            "lead_time_days": result["lead_time_days"],
                        }
                    )
                )
            for alternative in result["alternatives"]:
                lines.append(
                    Command.create(
                        {
                            "product_id": alternative["product_id"],
                            "free": alternative["free"],
                            "alternative_to_id": result["product_id"],
                        }
                    )
                )
        self.line_ids = lines
        self.message = False if results else self.env._("No product matches “%s”.", self.query)

    def _check_quantity_value(self, vals):
        """Refuse a quantity too large to be rounded (1e308, inf or nan) before the ORM tries,
        with the lookup's own message instead of an overflow."""
        quantity = vals.get("quantity")
        if isinstance(quantity, (int, float)) and not abs(quantity) < 1e12:
            raise UserError(self.env._("The quantity must be below a trillion."))
