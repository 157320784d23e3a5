import shutil
from datetime import timedelta
from unittest.mock import patch

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user

from odoo.addons.crm_relational.tests.tours import tour_screenshots

from ..models.crm_relational_forecast import period_bounds

# Modules whose Arabic terms the customer form shows, loaded for the Arabic tour.
ARABIC_TERMS_MODULES = [
    "base", "web", "mail", "calendar", "contacts", "product", "account", "sales_team", "crm",
    "sale", "sale_management", "stock", "crm_relational", "crm_relational_sfa",
]  # fmt: skip


class TestTours(HttpCase):
    """The rep's call and the manager's forecast, in a real browser (headless Chromium)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rep = new_test_user(
            cls.env, login="tour_rep", password="tour_rep!", groups="sales_team.group_sale_salesman"
        )
        cls.manager = new_test_user(
            cls.env, login="tour_manager", password="tour_manager!",
            groups="sales_team.group_sale_manager",
        )  # fmt: skip
        cls.customer = cls.env["res.partner"].create(
            {"name": "Tour Trading", "is_company": True, "user_id": cls.rep.id}
        )
        cls.env["crm.relational.profile"].create(
            {"partner_id": cls.customer.id, "company_id": cls.env.company.id,
             "value_tier": "A", "stage": "growing", "health_score": 80,
             "clv_unknown_reason": "no_model"}
        )  # fmt: skip
        lamp = cls.env["product.product"].create(
            {"name": "Tour lamp", "default_code": "TOUR-LAMP", "is_storable": True}
        )
        warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.env["stock.quant"]._update_available_quantity(lamp, warehouse.lot_stock_id, 7)

    def _customer_buys(self):
        """Confirmed orders of Tour Trading over the last year, rising: 400 five months ago,
        300 nine months ago, 1,000 last month and 250 this month."""
        service = self.env["product.product"].create({"name": "Tour consulting", "type": "service"})
        this_month = fields.Date.today().replace(day=10)
        for months_ago, amount in ((9, 300), (5, 400), (1, 1000), (0, 250)):
            order = self.env["sale.order"].create(
                {"partner_id": self.customer.id,
                 "order_line": [Command.create({"product_id": service.id, "price_unit": amount,
                                                "tax_ids": [Command.clear()]})]}
            )  # fmt: skip
            order.action_confirm()
            day = this_month - relativedelta(months=months_ago)
            order.date_order = fields.Datetime.to_datetime(day) + timedelta(hours=10)

    def _tour_customer_form(self, tour, screenshot):
        """Runs `tour` on Tour Trading's form at 1280x800 and checks its README screenshot."""
        with patch.object(self, "browser_size", "1280x800"), tour_screenshots() as taken:
            self.start_tour(f"/odoo/res.partner/{self.customer.id}", tour, login="tour_rep")
        self.assertTrue(taken[screenshot].stat().st_size > 10_000, "the screenshot is saved")

    def _stock_lookup_products(self):
        """The lamp (7 free, 2 more in a second warehouse), a lamp shade with none free and 10
        arriving in three days, and a desk light of the same category (5 free) offered
        instead of the shade."""
        lamp = self.env["product.product"].search([("default_code", "=", "TOUR-LAMP")])
        lamp.categ_id = self.env["product.category"].create({"name": "Tour lighting"})
        shade, desk_light = self.env["product.product"].create(
            [{"name": name, "default_code": code, "is_storable": True, "categ_id": lamp.categ_id.id}
             for name, code in [("Tour lamp shade", "TOUR-LAMP-SHADE"),
                                ("Tour desk light", "TOUR-DESK")]]
        )  # fmt: skip
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        )
        self.env["stock.quant"]._update_available_quantity(desk_light, warehouse.lot_stock_id, 5)
        second = self.env["stock.warehouse"].create({"name": "Tour Jeddah", "code": "TJED"})
        self.env["stock.quant"]._update_available_quantity(lamp, second.lot_stock_id, 2)
        supplier = self.env.ref("stock.stock_location_suppliers")
        self.env["stock.picking"].create(
            {"picking_type_id": warehouse.in_type_id.id, "location_id": supplier.id,
             "location_dest_id": warehouse.lot_stock_id.id,
             "scheduled_date": fields.Datetime.now() + timedelta(days=3),
             "move_ids": [Command.create({"product_id": shade.id, "product_uom_qty": 10,
                                          "location_id": supplier.id,
                                          "location_dest_id": warehouse.lot_stock_id.id})]}
        ).action_confirm()  # fmt: skip

    def test_rep_reads_the_relationship_and_looks_up_stock(self):
        self._customer_buys()
        self._tour_customer_form("crm_relational_rep_call", "relationship-english")
        self._stock_lookup_products()
        with tour_screenshots() as taken:
            self.start_tour("/odoo/stock-lookup", "crm_relational_stock_lookup", login="tour_rep")
        self.assertTrue(taken["stock-lookup"].stat().st_size > 10_000, "the screenshot is saved")

    def test_rep_looks_up_stock_right_to_left(self):
        """The stock lookup in Arabic: laid out right to left, numbers and dates formatted
        for the language."""
        self._stock_lookup_products()
        self.env["res.lang"]._activate_lang("ar_001")
        self.env["ir.module.module"].search(
            [("name", "in", ARABIC_TERMS_MODULES)]
        )._update_translations(["ar_001"], overwrite=True)
        self.rep.lang = "ar_001"
        self.env.registry.clear_cache()  # the languages' cached data, read by the web client
        with tour_screenshots() as taken:
            self.start_tour(
                "/odoo/stock-lookup", "crm_relational_stock_lookup_rtl", login="tour_rep"
            )
        self.assertTrue(taken["stock-lookup-arabic"].stat().st_size > 10_000)

    def test_rep_reads_the_relationship_in_arabic(self):
        if not shutil.which("rtlcss"):
            self.skipTest("rtlcss is missing: Odoo serves no right-to-left stylesheet without it")
        self._customer_buys()
        self.env["res.lang"]._activate_lang("ar_001")
        # Odoo's own Arabic terms of what the form shows (menus, views, fields), and ours; the
        # test database has no language but English installed.
        self.env["ir.module.module"].search(
            [("name", "in", ARABIC_TERMS_MODULES)]
        )._update_translations(["ar_001"], overwrite=True)
        self.rep.lang = "ar_001"
        self.env.registry.clear_cache()  # the languages' cached data, read by the web client
        self._tour_customer_form("crm_relational_rep_call_arabic", "relationship-arabic")

    def test_manager_reads_the_forecast(self):
        # Last week's snapshot, for the forecast taken now to show how it moved.
        self.env["crm.relational.forecast"]._take(
            self.env.company, kind="weekly", moment=fields.Datetime.now() - timedelta(days=7)
        )
        self.start_tour(
            "/odoo/action-crm_relational_sfa.action_server_crm_relational_forecast_now",
            "crm_relational_manager_forecast",
            login="tour_manager",
        )

    def test_rep_creates_the_quotation_from_the_opportunity(self):
        lamp = self.env["product.product"].search([("default_code", "=", "TOUR-LAMP")])
        opportunity = self.env["crm.lead"].create(
            {"name": "Tour lamps for the showroom", "type": "opportunity",
             "partner_id": self.customer.id, "user_id": self.rep.id,
             "relational_line_ids": [Command.create({"product_id": lamp.id, "quantity": 3})]}
        )  # fmt: skip
        self.start_tour(
            f"/odoo/crm/{opportunity.id}", "crm_relational_rep_quotation", login="tour_rep"
        )
        quotation = self.env["sale.order"].search([("opportunity_id", "=", opportunity.id)])
        self.assertEqual(len(quotation), 1, "one quotation, saved from the opportunity")
        self.assertEqual(quotation.partner_id, self.customer)
        self.assertEqual(quotation.user_id, self.rep)
        self.assertEqual(
            [(line.product_id, line.product_uom_qty) for line in quotation.order_line],
            [(lamp, 3.0)],
        )

    def test_rep_reads_the_call_sheet_without_scrolling(self):
        self._customer_buys()
        self.customer.message_post(
            body="Can you deliver the lamps before the showroom opens?",
            message_type="email",
            author_id=self.customer.id,
            subtype_xmlid="mail.mt_comment",
        )
        with patch.object(self, "browser_size", "1366x768"), tour_screenshots() as taken:
            self.start_tour(
                f"/odoo/res.partner/{self.customer.id}",
                "crm_relational_call_sheet",
                login="tour_rep",
            )
        self.assertTrue(taken["call-sheet"].stat().st_size > 10_000, "the screenshot is saved")

    def test_call_sheet_in_arabic_and_stock_lookup_in_persian(self):
        """The README's call sheet in Arabic (without scrolling, as in English) and the stock
        lookup in Persian (the Arabic one is above), right to left, with Odoo's terms and ours
        of the language."""
        if not shutil.which("rtlcss"):
            self.skipTest("rtlcss is missing: Odoo serves no right-to-left stylesheet without it")
        self._customer_buys()
        self._stock_lookup_products()
        self.customer.message_post(
            body="هل يمكن تسليم المصابيح قبل افتتاح المعرض؟",
            message_type="email",
            author_id=self.customer.id,
            subtype_xmlid="mail.mt_comment",
        )
        for lang, tour, start, screenshot in (
            ("ar_001", "crm_relational_call_sheet", f"/odoo/res.partner/{self.customer.id}",
             "call-sheet-arabic"),
            ("fa_IR", "crm_relational_stock_lookup_rtl", "/odoo/stock-lookup",
             "stock-lookup-persian"),
        ):  # fmt: skip
            with self.subTest(lang=lang):
                self.env["res.lang"]._activate_lang(lang)
                self.env["ir.module.module"].search(
                    [("name", "in", ARABIC_TERMS_MODULES)]
                )._update_translations([lang], overwrite=True)
                self.rep.lang = lang
                self.env.registry.clear_cache()  # the languages' cached data
                with patch.object(self, "browser_size", "1366x768"), tour_screenshots() as taken:
                    self.start_tour(start, tour, login="tour_rep")
                self.assertTrue(taken[screenshot].stat().st_size > 10_000)


class TestForecastGridTours(HttpCase):
    """The forecast grid of the sales meeting, in a real browser at a laptop's 1366x768."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rep = new_test_user(
            cls.env, login="tour_rep", password="tour_rep!", groups="sales_team.group_sale_salesman"
        )
        cls.manager = new_test_user(
            cls.env, login="tour_manager", password="tour_manager!",
            groups="sales_team.group_sale_manager",
        )  # fmt: skip
        cls.team = cls.env["crm.team"].create(
            {"name": "Tour Levant", "user_id": cls.manager.id,
             "member_ids": [Command.set(cls.rep.ids)]}
        )  # fmt: skip
        customer = cls.env["res.partner"].create({"name": "Tour Trading", "is_company": True})
        today = fields.Date.today()
        cls.env["crm.lead"].create(
            [{"name": name, "type": "opportunity", "partner_id": customer.id,
              "user_id": cls.rep.id, "team_id": cls.team.id, "expected_revenue": amount,
              "probability": probability, "date_deadline": today, "forecast_category": category}
             for name, amount, probability, category in (
                 ("Tour lamps for the showroom", 1800, 60, "commit"),
                 ("Tour desk lights", 900, 30, "best_case"))]
        )  # fmt: skip
        start, end = period_bounds(today, "quarter")
        cls.env["crm.relational.sales.target"].create(
            {"user_id": cls.rep.id, "team_id": cls.team.id, "amount": 5000,
             "date_from": start, "date_to": end}
        )  # fmt: skip
        cls.env["crm.relational.forecast"]._take(cls.env.company)

    def test_rep_submits_manager_adjusts(self):
        with patch.object(self, "browser_size", "1366x768"):
            self.start_tour("/odoo/forecast-grid", "crm_relational_forecast_grid_rep",
                            login="tour_rep")  # fmt: skip
            Call = self.env["crm.relational.forecast.submission"]
            call = Call.search([("user_id", "=", self.rep.id), ("kind", "=", "submission")])
            self.assertEqual((call.commit, call.best_case), (1500.0, 2500.0))
            self.assertEqual(call.submitted_by_id, self.rep)
            with tour_screenshots() as taken:
                self.start_tour("/odoo/forecast-grid", "crm_relational_forecast_grid_manager",
                                login="tour_manager")  # fmt: skip
        self.assertTrue(taken["forecast-grid"].stat().st_size > 10_000, "the screenshot is saved")
        adjusted = Call.search([("user_id", "=", self.rep.id), ("kind", "=", "adjustment")])
        self.assertEqual((adjusted.commit, adjusted.submitted_by_id), (1200.0, self.manager))
        self.assertEqual(adjusted.reason, "The showroom deal slips to next month")
        self.assertEqual(call.exists(), call, "the submission stays in the history")

    def _right_to_left(self, lang, tour, screenshot):
        if not shutil.which("rtlcss"):
            self.skipTest("rtlcss is missing: Odoo serves no right-to-left stylesheet without it")
        self.env["res.lang"]._activate_lang(lang)
        self.env["ir.module.module"].search(
            [("name", "in", ARABIC_TERMS_MODULES)]
        )._update_translations([lang], overwrite=True)
        self.manager.lang = lang
        self.env.registry.clear_cache()  # the languages' cached data, read by the web client
        with patch.object(self, "browser_size", "1366x768"), tour_screenshots() as taken:
            self.start_tour("/odoo/forecast-grid", tour, login="tour_manager")
        self.assertTrue(taken[screenshot].stat().st_size > 10_000, "the screenshot is saved")

    def test_grid_right_to_left_in_arabic(self):
        self._right_to_left("ar_001", "crm_relational_forecast_grid_rtl", "forecast-grid-arabic")

    def test_grid_right_to_left_in_persian(self):
        self._right_to_left(
            "fa_IR", "crm_relational_forecast_grid_persian", "forecast-grid-persian"
        )
