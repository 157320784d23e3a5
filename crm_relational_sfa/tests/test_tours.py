from odoo.tests import HttpCase, new_test_user


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
             "value_tier": "A", "stage": "growing", "health_score": 80}
        )  # fmt: skip
        lamp = cls.env["product.product"].create(
            {"name": "Tour lamp", "default_code": "TOUR-LAMP", "is_storable": True}
        )
        warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.env["stock.quant"]._update_available_quantity(lamp, warehouse.lot_stock_id, 7)

    def test_rep_reads_the_relationship_and_looks_up_stock(self):
        self.start_tour(
            f"/odoo/res.partner/{self.customer.id}", "crm_relational_rep_call", login="tour_rep"
        )
        self.start_tour(
            "/odoo/action-crm_relational_sfa.action_crm_relational_stock_lookup",
            "crm_relational_stock_lookup",
            login="tour_rep",
        )

    def test_rep_reads_the_relationship_in_arabic(self):
        self.env["res.lang"]._activate_lang("ar_001")
        self.env["ir.module.module"]._load_module_terms(
            ["crm_relational", "crm_relational_sfa"], ["ar_001"], overwrite=True
        )
        self.rep.lang = "ar_001"
        self.env.registry.clear_cache()  # the languages' cached data, read by the web client
        self.start_tour(
            f"/odoo/res.partner/{self.customer.id}",
            "crm_relational_rep_call_arabic",
            login="tour_rep",
        )

    def test_manager_reads_the_forecast(self):
        self.start_tour(
            "/odoo/action-crm_relational_sfa.action_server_crm_relational_forecast_now",
            "crm_relational_manager_forecast",
            login="tour_manager",
        )
