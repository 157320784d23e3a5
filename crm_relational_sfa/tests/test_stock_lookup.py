from datetime import timedelta

from lxml import etree

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from ..analytics import promise


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


class TestStockLookup(StockCase):
    def test_quantities_equal_odoo_own(self):
        (result,) = self.Lookup.with_user(self.rep).lookup("bond lamp", quantity=5)
        warehouses = self.by_warehouse(result)
        for warehouse in (self.riyadh, self.jeddah):
            odoo = self.lamp.with_context(warehouse_id=warehouse.id)
            ours = warehouses[warehouse.id]
            self.assertEqual(
                (ours["on_hand"], ours["free"], ours["forecast"], ours["incoming"],
                 ours["outgoing"]),
                (odoo.qty_available, odoo.free_qty, odoo.virtual_available, odoo.incoming_qty,
                 odoo.outgoing_qty),
                warehouse.name,
            )  # fmt: skip
        self.assertEqual(
            (result["on_hand"], result["free"], result["forecast"]),
            (self.lamp.qty_available, self.lamp.free_qty, self.lamp.virtual_available),
        )

    def test_figures_and_promise_dates(self):
        (result,) = self.Lookup.lookup("LAMP-1", quantity=5)
        riyadh = self.by_warehouse(result)[self.riyadh.id]
        jeddah = self.by_warehouse(result)[self.jeddah.id]
        self.assertEqual(
            (riyadh["on_hand"], riyadh["reserved"], riyadh["free"], riyadh["forecast"]),
            (10, 3, 7, 7),
        )
        self.assertEqual(
            (jeddah["on_hand"], jeddah["reserved"], jeddah["free"], jeddah["forecast"]),
            (4, 4, 0, 18),
        )
        in_five_days = fields.Date.to_string(self.today + timedelta(days=5))
        self.assertEqual(jeddah["next_receipts"], [{"date": in_five_days, "quantity": 20}])
        # Riyadh keeps 7 after today's delivery: 5 can be promised today. Jeddah falls to -2 in
        # two days and gets 20 in five: not before then.
        self.assertEqual(riyadh["promise_date"], fields.Date.to_string(self.today))
        self.assertEqual(jeddah["promise_date"], in_five_days)
        self.assertEqual(result["promise_date"], fields.Date.to_string(self.today))
        self.assertFalse(result["short"])
        self.assertEqual(result["lead_time_days"], 7)

    def test_short_quantity_other_units_and_alternatives(self):
        dozen = self.env.ref("uom.product_uom_dozen")
        (result,) = self.Lookup.lookup("6281000000017", quantity=1, uom_id=dozen.id)
        self.assertEqual(result["requested_quantity"], 12)
        warehouses = self.by_warehouse(result)
        self.assertFalse(warehouses[self.riyadh.id]["promise_date"])
        self.assertEqual(
            warehouses[self.jeddah.id]["promise_date"],
            fields.Date.to_string(self.today + timedelta(days=5)),
        )
        self.assertTrue(result["short"])
        self.assertEqual(
            result["alternatives"],
            [{"product_id": self.other_lamp.id, "name": "Other Lamp", "free": 25}],
        )

    def test_bad_input_gets_a_clear_error(self):
        for query in ("", "   ", None, 42, "x" * 101):
            with self.assertRaises(UserError):
                self.Lookup.lookup(query)
        for quantity in (0, -3, "many", None, 1e13):
            with self.assertRaises(UserError):
                self.Lookup.lookup("lamp", quantity=quantity)
        with self.assertRaises(UserError):
            self.Lookup.lookup("lamp", uom_id=999999)
        with self.assertRaises(UserError):
            self.Lookup.lookup("lamp", warehouse_ids="all")
        self.assertEqual(self.Lookup.lookup("'; DROP TABLE product_product; --"), [])
        self.assertEqual(self.Lookup.lookup("لامپ"), [])

    def test_only_the_asked_warehouses_of_the_user_companies(self):
        (result,) = self.Lookup.lookup("bond", warehouse_ids=[self.jeddah.id])
        self.assertEqual([w["warehouse_id"] for w in result["warehouses"]], [self.jeddah.id])
        other = self.env["res.company"].create({"name": "Lamp Co Abroad"})
        abroad = self.env["stock.warehouse"].search([("company_id", "=", other.id)])
        (result,) = self.Lookup.with_user(self.rep).lookup("bond", warehouse_ids=abroad.ids)
        self.assertEqual(result["warehouses"], [])


class TestPromiseEngine(TransactionCase):
    def test_promise_date(self):
        today = fields.Date.today()
        day = lambda n: today + timedelta(days=n)  # noqa: E731
        changes = [(day(2), -6), (day(5), 20)]
        self.assertEqual(promise.promise_date(4, changes, 5, today), day(5))
        self.assertEqual(promise.promise_date(4, changes, 18, today), day(5))
        self.assertIsNone(promise.promise_date(4, changes, 19, today))
        self.assertEqual(promise.promise_date(10, [(day(-3), -3)], 7, today), today)
        self.assertEqual(
            promise.projected_stock(4, changes, today), [(today, 4), (day(2), -2), (day(5), 18)]
        )
        with self.assertRaises(ValueError):
            promise.promise_date(4, [], 0, today)


@tagged("post_install", "-at_install")
class TestStockLookupRpc(HttpCase):
    """The lookup through Odoo's external API, as a salesperson."""

    def test_lookup_over_xmlrpc(self):
        rep = new_test_user(self.env, login="rpc_rep", password="rpc_rep_password_1",
                            groups="sales_team.group_sale_salesman")  # fmt: skip
        lamp = self.env["product.product"].create({"name": "RPC Lamp", "is_storable": True})
        self.env["stock.quant"]._update_available_quantity(
            lamp, self.env.ref("stock.warehouse0").lot_stock_id, 9
        )
        db = self.env.cr.dbname
        result = self.xmlrpc_object.execute_kw(
            db, rep.id, "rpc_rep_password_1", "crm.relational.stock.lookup", "lookup",
            ["RPC Lamp"], {"quantity": 2},
        )  # fmt: skip
        self.assertEqual(len(result), 1)
        self.assertEqual(result[0]["on_hand"], 9)
        self.assertEqual(result[0]["promise_date"], fields.Date.to_string(fields.Date.today()))
        with self.assertRaises(Exception) as error:
            self.xmlrpc_object.execute_kw(
                db, rep.id, "rpc_rep_password_1", "crm.relational.stock.lookup", "lookup",
                [""],
            )  # fmt: skip
        self.assertIn("Type part of a product name", str(error.exception))


class TestStockLookupEntryPoints(TransactionCase):
    """The menus open the lookup as you type (the OWL client action); the opportunity,
    opportunity product, quotation, customer and call sheet buttons open it in a dialog."""

    def test_menus_and_buttons_open_the_client_action(self):
        page = self.env.ref("crm_relational_sfa.action_client_crm_relational_stock_lookup")
        dialog = self.env.ref("crm_relational_sfa.action_client_crm_relational_stock_lookup_dialog")
        self.assertEqual(
            (page.tag, page.target, page.path),
            ("crm_relational_stock_lookup", "current", "stock-lookup"),
        )
        self.assertEqual((dialog.tag, dialog.target), ("crm_relational_stock_lookup", "new"))
        for menu in ("menu_stock_lookup", "menu_stock_lookup_sales"):
            self.assertEqual(self.env.ref(f"crm_relational_sfa.{menu}").action, page, menu)
        button = f"//button[@name='{dialog.id}'][@type='action']"
        for model, view, count in (
            ("crm.lead", "crm.crm_lead_view_form", 2),  # the header and each product line
            ("sale.order", "sale.view_order_form", 1),
            ("res.partner", "base.view_partner_form", 1),
            ("res.partner", "crm_relational_sfa.view_partner_call_sheet", 1),
        ):
            arch = self.env[model].get_view(self.env.ref(view).id, "form")["arch"]
            self.assertEqual(len(etree.fromstring(arch).xpath(button)), count, view)
