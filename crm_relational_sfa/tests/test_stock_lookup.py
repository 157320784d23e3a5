from datetime import timedelta

from lxml import etree

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from ..analytics import promise
from .common import StockCase


def _measured(Lookup, query, **kwargs):
    """The queries of a lookup from an empty cache, and its results."""
    Lookup.lookup(query, **kwargs)  # the caches of rules and settings warm up once
    Lookup.env.flush_all()
    Lookup.env.invalidate_all()
    before = Lookup.env.cr.sql_log_count
    results = Lookup.lookup(query, **kwargs)
    return Lookup.env.cr.sql_log_count - before, results


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
        # As the web client asks, without a unit (False).
        (same,) = self.Lookup.lookup("LAMP-1", quantity=5, uom_id=False, limit=10)
        self.assertEqual(same, result)

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


class TestStockLookupEveryWarehouse(StockCase):
    """Odoo's own figures in every warehouse, whatever moves the stock: reservations, receipts
    and deliveries, a transfer between two warehouses, a warehouse receiving in three steps and
    delivering in three, variants, and a product of another company; in a fixed number of
    queries whatever the number of warehouses."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.riyadh.company_id
        cls.dammam = cls.env["stock.warehouse"].create(
            {"name": "Dammam", "code": "DMM", "reception_steps": "three_steps",
             "delivery_steps": "pick_pack_ship"}
        )  # fmt: skip
        Quant = cls.env["stock.quant"]
        Quant._update_available_quantity(cls.lamp, cls.dammam.lot_stock_id, 8)
        cls.sell(cls.env["res.partner"].create({"name": "Gulf Buyer"}), cls.dammam, 5, None)
        cls.receive(cls.dammam, cls.lamp, 12, days=3)
        # Two lamps on their way from Riyadh to Jeddah: out of the one, into the other.
        transfer = cls.env["stock.picking"].create(
            {
                "picking_type_id": cls.riyadh.int_type_id.id,
                "location_id": cls.riyadh.lot_stock_id.id,
                "location_dest_id": cls.jeddah.lot_stock_id.id,
                "move_ids": [
                    Command.create({"product_id": cls.lamp.id, "product_uom_qty": 2,
                                    "location_id": cls.riyadh.lot_stock_id.id,
                                    "location_dest_id": cls.jeddah.lot_stock_id.id})
                ],
            }
        )  # fmt: skip
        transfer.action_confirm()
        # A desk lamp in two colours, stocked in different warehouses.
        colour = cls.env["product.attribute"].create(
            {"name": "Colour", "create_variant": "always",
             "value_ids": [Command.create({"name": "Red"}), Command.create({"name": "Blue"})]}
        )  # fmt: skip
        template = cls.env["product.template"].create(
            {"name": "Desk Lamp", "is_storable": True, "categ_id": cls.lamp.categ_id.id,
             "attribute_line_ids": [Command.create({"attribute_id": colour.id,
                                                    "value_ids": colour.value_ids.ids})]}
        )  # fmt: skip
        cls.red, cls.blue = template.product_variant_ids
        cls.red.default_code, cls.blue.default_code = "DESK-RED", "DESK-BLUE"
        Quant._update_available_quantity(cls.red, cls.riyadh.lot_stock_id, 6)
        Quant._update_available_quantity(cls.blue, cls.jeddah.lot_stock_id, 9)
        cls.receive(cls.riyadh, cls.blue, 4, days=1)
        # A lamp of another company, stocked in that company's warehouse.
        cls.abroad = cls.env["res.company"].create({"name": "Lamp Co Abroad"})
        cls.muscat = cls.env["stock.warehouse"].search([("company_id", "=", cls.abroad.id)])
        cls.abroad_lamp = cls.env["product.product"].create(
            {"name": "Bond Lamp Abroad", "default_code": "LAMP-ABROAD", "is_storable": True,
             "company_id": cls.abroad.id}
        )  # fmt: skip
        Quant.with_company(cls.abroad)._update_available_quantity(
            cls.abroad_lamp, cls.muscat.lot_stock_id, 7
        )
        cls.receive(cls.muscat, cls.abroad_lamp, 5, days=4)
        cls.both = new_test_user(
            cls.env, login="lookup_both", groups="sales_team.group_sale_salesman",
            company_id=cls.company.id, company_ids=[Command.set([cls.company.id, cls.abroad.id])],
        )  # fmt: skip

    @classmethod
    def receive(cls, warehouse, product, quantity, days):
        vendors = cls.env.ref("stock.stock_location_suppliers")
        kind = warehouse.in_type_id
        receipt = cls.env["stock.picking"].with_company(warehouse.company_id).create(
            {
                "picking_type_id": kind.id,
                "location_id": vendors.id,
                "location_dest_id": kind.default_location_dest_id.id,
                "scheduled_date": fields.Datetime.now() + timedelta(days=days),
                "move_ids": [
                    Command.create({"product_id": product.id, "product_uom_qty": quantity,
                                    "location_id": vendors.id,
                                    "location_dest_id": kind.default_location_dest_id.id})
                ],
            }
        )  # fmt: skip
        receipt.action_confirm()
        return receipt

    def assert_odoo_figures(self, user, query, companies):
        """Every product found, in every warehouse: the figures of Odoo's own fields read by
        the same user in that warehouse's context; the totals, those of all the warehouses."""
        Lookup = self.Lookup.with_user(user).with_context(allowed_company_ids=companies.ids)
        results = Lookup.lookup(query, quantity=1)
        self.assertTrue(results)
        products = self.env["product.product"].with_user(user)
        products = products.with_context(allowed_company_ids=companies.ids)
        warehouses = self.env["stock.warehouse"].search([("company_id", "in", companies.ids)])
        for result in results:
            product = products.browse(result["product_id"])
            self.assertEqual(
                [w["warehouse_id"] for w in result["warehouses"]], warehouses.ids, product.name
            )
            for ours in result["warehouses"]:
                odoo = product.with_context(warehouse_id=ours["warehouse_id"])
                self.assertEqual(
                    (ours["on_hand"], ours["reserved"], ours["free"], ours["forecast"],
                     ours["incoming"], ours["outgoing"]),
                    (odoo.qty_available, odoo.qty_available - odoo.free_qty, odoo.free_qty,
                     odoo.virtual_available, odoo.incoming_qty, odoo.outgoing_qty),
                    f"{product.display_name} in {ours['name']}",
                )  # fmt: skip
            self.assertEqual(
                (result["on_hand"], result["free"], result["forecast"]),
                (product.qty_available, product.free_qty, product.virtual_available),
                product.display_name,
            )
        return {result["product_id"]: self.by_warehouse(result) for result in results}

    def test_figures_equal_odoo_own_in_every_warehouse(self):
        found = self.assert_odoo_figures(self.rep, "lamp", self.company)
        ours = {self.lamp.id, self.other_lamp.id, self.red.id, self.blue.id}
        self.assertLessEqual(ours, set(found))
        lamp = found[self.lamp.id]
        # By hand: Dammam has 8 on hand, 5 reserved by the pick of its three-step delivery,
        # 12 coming; Riyadh sends 2 of its 10 to Jeddah (reserved there), Jeddah gets them.
        dammam = lamp[self.dammam.id]
        self.assertEqual((dammam["on_hand"], dammam["reserved"], dammam["free"]), (8, 5, 3))
        self.assertEqual(dammam["incoming"], 12)
        self.assertEqual((lamp[self.riyadh.id]["reserved"], lamp[self.riyadh.id]["outgoing"]),
                         (5, 5))  # fmt: skip
        self.assertEqual(lamp[self.jeddah.id]["incoming"], 22)
        self.assertEqual(found[self.blue.id][self.riyadh.id]["incoming"], 4)
        self.assertEqual(found[self.red.id][self.riyadh.id]["on_hand"], 6)

    def test_product_of_another_company(self):
        self.assertFalse(self.Lookup.with_user(self.rep).lookup("LAMP-ABROAD"))
        found = self.assert_odoo_figures(self.both, "bond lamp", self.company | self.abroad)
        self.assertEqual(set(found), {self.lamp.id, self.abroad_lamp.id})
        muscat = found[self.abroad_lamp.id][self.muscat.id]
        self.assertEqual((muscat["on_hand"], muscat["incoming"], muscat["forecast"]), (7, 5, 12))
        self.assertEqual(found[self.abroad_lamp.id][self.riyadh.id]["on_hand"], 0)

    def test_variants_then_the_category_as_alternatives(self):
        (red,) = self.Lookup.with_user(self.rep).lookup("DESK-RED", quantity=7)
        self.assertTrue(red["short"])
        # The other colour first, then the lamps of the category with 7 free, most free first:
        # the other lamp's 25 in Jeddah; the lamp's 5 in Riyadh (10 less 3 sold and 2 sent)
        # and 3 in Dammam (8 less 5 picked); none free in Jeddah.
        self.assertEqual(
            [(a["product_id"], a["free"]) for a in red["alternatives"]],
            [(self.blue.id, 9), (self.other_lamp.id, 25), (self.lamp.id, 8)],
        )

    def test_query_count_does_not_grow_with_the_warehouses(self):
        def measured(query, **kwargs):
            return _measured(self.Lookup.with_user(self.rep), query, **kwargs)

        two = [self.riyadh.id, self.jeddah.id]
        count, (result,) = measured("LAMP-1", quantity=5, warehouse_ids=two)
        self.assertEqual(len(result["warehouses"]), 2)
        self.assertLessEqual(count, 6)
        Quant = self.env["stock.quant"]
        for number in range(7):
            warehouse = self.env["stock.warehouse"].create(
                {"name": f"Depot {number}", "code": f"DP{number}"}
            )
            Quant._update_available_quantity(self.lamp, warehouse.lot_stock_id, number + 1)
            self.receive(warehouse, self.lamp, 10, days=number)
        count, (result,) = measured("LAMP-1", quantity=5)
        self.assertEqual(len(result["warehouses"]), 10)
        self.assertLessEqual(count, 6)
        self.assertEqual(result["on_hand"], self.lamp.qty_available)
        # Short of the quantity: the alternatives cost no more queries, nor does another unit.
        count, (result,) = measured("LAMP-1", quantity=20, warehouse_ids=two)
        self.assertEqual(result["alternatives"][0]["product_id"], self.other_lamp.id)
        self.assertLessEqual(count, 6)
        dozen = self.env.ref("uom.product_uom_dozen")
        count, (result,) = measured("LAMP-1", quantity=2, uom_id=dozen.id, warehouse_ids=two)
        self.assertEqual(result["requested_quantity"], 24)
        self.assertEqual(result["alternatives"][0]["product_id"], self.other_lamp.id)
        self.assertLessEqual(count, 6)


class TestStockLookupVariants(StockCase):
    """Products with variant attributes: the names shown are Odoo's own display names, in
    English and in Arabic, and a lookup costs no more queries than for a product without
    attributes, whatever the number of warehouses."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ar_001")
        Attribute = cls.env["product.attribute"]
        # A chair (a name of its own: the demo data has office chairs). The colour's line is
        # made first, but the material's comes first by its sequence: the name follows the
        # lines' order, "(Wood, Black)". The single size and the engraving (made
        # on order, no variant) are left out of the name.
        colour, material, size, engraving = (
            Attribute.create({"name": name, "create_variant": create, "value_ids": [
                Command.create({"name": value}) for value in values]})
            for name, create, values in (
                ("Colour", "always", ("Black", "Grey")),
                ("Material", "always", ("Wood", "Steel")),
                ("Size", "always", ("Standard",)),
                ("Engraving", "no_variant", ("Initials", "Logo")),
            )
        )  # fmt: skip
        template = cls.env["product.template"].create(
            {
                "name": "Ergo Seat",
                "is_storable": True,
                "categ_id": cls.lamp.categ_id.id,
                "attribute_line_ids": [
                    Command.create({"attribute_id": attribute.id, "sequence": sequence,
                                    "value_ids": attribute.value_ids.ids})
                    for attribute, sequence in ((colour, 2), (material, 1), (size, 3),
                                                (engraving, 4))
                ],
            }
        )  # fmt: skip
        cls.chairs = template.product_variant_ids
        cls.wood_black = cls.chairs.filtered(
            lambda chair: (
                {"Wood", "Black"} <= set(chair.product_template_attribute_value_ids.mapped("name"))
            )
        )
        cls.wood_black.default_code = "CHAIR-WB"
        template.update_field_translations("name", {"ar_001": "كرسي مكتب"})
        for value, arabic in zip(
            (colour | material | size | engraving).value_ids,
            ("أسود", "رمادي", "خشب", "فولاذ", "قياسي", "أحرف", "شعار"),
            strict=True,
        ):
            value.update_field_translations("name", {"ar_001": arabic})
        # Eight warehouses, the chairs stocked in each: 1 to 8 of the wood and black one (36
        # in all), twice as many of the others.
        Warehouse, Quant = cls.env["stock.warehouse"], cls.env["stock.quant"]
        cls.warehouses = cls.riyadh | cls.jeddah
        for number in range(6):
            cls.warehouses |= Warehouse.create({"name": f"Depot {number}", "code": f"DC{number}"})
        for number, warehouse in enumerate(cls.warehouses, start=1):
            for chair in cls.chairs:
                quantity = number if chair == cls.wood_black else 2 * number
                Quant._update_available_quantity(chair, warehouse.lot_stock_id, quantity)

    def measured(self, query, user=None, **kwargs):
        """The results of a lookup as `user` (by default the salesperson), and its queries
        from an empty cache."""
        Lookup = self.Lookup.with_user(user or self.rep).with_context(**kwargs.pop("context", {}))
        return _measured(Lookup, query, **kwargs)

    def assert_odoo_names(self, results, lang):
        """Every name shown, found or alternative, is the display name Odoo computes for the
        salesperson in `lang`, read afresh from the database."""
        shown = {}
        for result in results:
            shown[result["product_id"]] = result["name"]
            shown.update({a["product_id"]: a["name"] for a in result["alternatives"]})
        self.env.invalidate_all()
        products = self.env["product.product"].with_user(self.rep).with_context(lang=lang)
        self.assertEqual(shown, {id_: products.browse(id_).display_name for id_ in shown}, lang)
        return shown

    def test_variant_lookup_costs_the_queries_of_a_plain_product(self):
        """Five queries: the stock, the products, their attribute values, templates and units;
        a salesperson's lookup also reads the user's companies once, for the record rules."""
        plain, (lamp,) = self.measured("LAMP-1", quantity=5)
        self.assertEqual(lamp["product_id"], self.lamp.id)
        self.assertLessEqual(plain, 6)
        count, (chair,) = self.measured("CHAIR-WB", self.env.user, quantity=5)
        self.assertEqual(chair["product_id"], self.wood_black.id)
        self.assertLessEqual(count, 5)
        for lang in ("en_US", "ar_001"):
            count, (chair,) = self.measured("CHAIR-WB", quantity=5, context={"lang": lang})
            self.assertEqual(chair["product_id"], self.wood_black.id)
            self.assertLessEqual(
                set(self.warehouses.ids), {w["warehouse_id"] for w in chair["warehouses"]}
            )
            self.assertEqual(chair["on_hand"], 36)
            self.assertLessEqual(count, 6, lang)
            self.assertLessEqual(count, plain, lang)
            # Short of 40: the three other chairs, named too, at no more cost.
            count, (chair,) = self.measured("CHAIR-WB", quantity=40, context={"lang": lang})
            self.assertEqual(
                {a["product_id"] for a in chair["alternatives"]},
                set((self.chairs - self.wood_black).ids),
            )
            self.assertLessEqual(count, plain, lang)
            # Four variants found at once, no more either.
            name = "Ergo Seat" if lang == "en_US" else "كرسي مكتب"
            count, results = self.measured(name, quantity=5, context={"lang": lang})
            self.assertEqual({r["product_id"] for r in results}, set(self.chairs.ids))
            self.assertLessEqual(count, plain, lang)

    def test_names_are_odoo_own_with_and_without_attributes_and_reference(self):
        _count, results = self.measured("Ergo Seat", quantity=1)
        shown = self.assert_odoo_names(results, "en_US")
        self.assertEqual(shown[self.wood_black.id], "[CHAIR-WB] Ergo Seat (Wood, Black)")
        self.assertIn("Ergo Seat (Steel, Grey)", shown.values())
        _count, results = self.measured("كرسي مكتب", quantity=1, context={"lang": "ar_001"})
        shown = self.assert_odoo_names(results, "ar_001")
        self.assertEqual(shown[self.wood_black.id], "[CHAIR-WB] كرسي مكتب (خشب, أسود)")
        self.assertIn("كرسي مكتب (فولاذ, رمادي)", shown.values())
        # Without attributes, with and without a reference; the chair short of 40, the
        # other chairs (without a reference) as its alternatives.
        for lang in ("en_US", "ar_001"):
            _count, results = self.measured("Lamp", quantity=1, context={"lang": lang})
            shown = self.assert_odoo_names(results, lang)
            self.assertLessEqual({self.lamp.id, self.other_lamp.id}, set(shown))
            _count, results = self.measured("CHAIR-WB", quantity=40, context={"lang": lang})
            shown = self.assert_odoo_names(results, lang)
            self.assertEqual(set(shown), set(self.chairs.ids))
        # A value renamed in this transaction, not yet written to the database, and a
        # product's reference: the names shown are those Odoo shows now.
        values = self.wood_black.product_template_attribute_value_ids.product_attribute_value_id
        values.filtered(lambda value: value.name == "Black").name = "Ebony"
        self.wood_black.default_code = "CHAIR-WE"
        (chair,) = self.Lookup.with_user(self.rep).lookup("CHAIR-WE", quantity=1)
        self.assertEqual(chair["name"], "[CHAIR-WE] Ergo Seat (Wood, Ebony)")


class TestStockLookupIndexes(TransactionCase):
    def test_references_and_categories_are_indexed(self):
        """The lookup's search by part of a reference, and its alternatives of a category,
        read indexes: a trigram one on the references (where PostgreSQL has pg_trgm, as for
        Odoo's own on the names), a plain one on the templates' categories."""
        self.env.cr.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN"
            " ('product_product_default_code_trigram', 'product_template_categ_id_index')"
        )
        indexes = dict(self.env.cr.fetchall())
        self.assertIn("(categ_id)", indexes["product_template_categ_id_index"])
        if self.env.registry.has_trigram:
            self.assertIn(
                "gin (default_code gin_trgm_ops)", indexes["product_product_default_code_trigram"]
            )


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
