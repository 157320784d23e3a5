from datetime import timedelta

from odoo import Command, fields
from odoo.tests import TransactionCase, new_test_user


class SfaCase(TransactionCase):
    """A sales team with two salespeople and a manager, built once per class."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rep_a = new_test_user(
            cls.env, login="sfa_rep_a", groups="sales_team.group_sale_salesman"
        )
        cls.rep_b = new_test_user(
            cls.env, login="sfa_rep_b", groups="sales_team.group_sale_salesman"
        )
        cls.manager = new_test_user(
            cls.env, login="sfa_manager", groups="sales_team.group_sale_manager"
        )
        cls.team = cls.env["crm.team"].create(
            {"name": "Gulf Team", "member_ids": [(6, 0, cls.rep_a.ids)]}
        )
        cls.other_team = cls.env["crm.team"].create({"name": "Europe Team"})
        cls.Target = cls.env["crm.relational.sales.target"]


class StockCase(TransactionCase):
    """A lamp in two warehouses, with a reservation, a late delivery and a coming receipt.

    Riyadh (the main warehouse): 10 on hand, 3 reserved for an order delivered today.
    Jeddah: 4 on hand, all reserved for an order of 6 promised in two days; 20 arriving in
    five days.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.rep = new_test_user(
            cls.env, login="lookup_rep", groups="sales_team.group_sale_salesman"
        )
        cls.riyadh = cls.env.ref("stock.warehouse0")
        cls.jeddah = cls.env["stock.warehouse"].create({"name": "Jeddah", "code": "JED"})
        category = cls.env["product.category"].create({"name": "Lamps"})
        cls.lamp = cls.env["product.product"].create(
            {"name": "Bond Lamp", "default_code": "LAMP-1", "barcode": "6281000000017",
             "is_storable": True, "categ_id": category.id, "sale_delay": 7}
        )  # fmt: skip
        cls.other_lamp = cls.env["product.product"].create(
            {"name": "Other Lamp", "is_storable": True, "categ_id": category.id}
        )
        Quant = cls.env["stock.quant"]
        Quant._update_available_quantity(cls.lamp, cls.riyadh.lot_stock_id, 10)
        Quant._update_available_quantity(cls.lamp, cls.jeddah.lot_stock_id, 4)
        Quant._update_available_quantity(cls.other_lamp, cls.jeddah.lot_stock_id, 25)
        customer = cls.env["res.partner"].create({"name": "Lamp Buyer"})
        cls.sell(customer, cls.riyadh, 3, None)
        cls.sell(customer, cls.jeddah, 6, fields.Datetime.now() + timedelta(days=2))
        receipt = cls.env["stock.picking"].create(
            {
                "picking_type_id": cls.jeddah.in_type_id.id,
                "location_id": cls.env.ref("stock.stock_location_suppliers").id,
                "location_dest_id": cls.jeddah.lot_stock_id.id,
                "scheduled_date": fields.Datetime.now() + timedelta(days=5),
                "move_ids": [
                    Command.create({"product_id": cls.lamp.id, "product_uom_qty": 20,
                                    "location_id": cls.env.ref("stock.stock_location_suppliers").id,
                                    "location_dest_id": cls.jeddah.lot_stock_id.id})
                ],
            }
        )  # fmt: skip
        receipt.action_confirm()
        cls.Lookup = cls.env["crm.relational.stock.lookup"]

    @classmethod
    def sell(cls, customer, warehouse, quantity, commitment):
        order = cls.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "warehouse_id": warehouse.id,
                "commitment_date": commitment,
                "order_line": [Command.create({"product_id": cls.lamp.id,
                                               "product_uom_qty": quantity})],
            }
        )  # fmt: skip
        order.action_confirm()
        return order

    def by_warehouse(self, result):
        return {w["warehouse_id"]: w for w in result["warehouses"]}
