from datetime import timedelta

from lxml import etree

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from ..analytics import promise
from .common import StockCase


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
