from odoo.tests import TransactionCase, new_test_user


class RelationalCase(TransactionCase):
    """Two companies, a salesman, a sales manager and a few customers, built once per class."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.other_company = cls.env["res.company"].create({"name": "Other Company"})
        cls.salesman = new_test_user(
            cls.env, login="rel_salesman", groups="sales_team.group_sale_salesman"
        )
        cls.sales_manager = new_test_user(
            cls.env, login="rel_sales_manager", groups="sales_team.group_sale_manager"
        )
        cls.other_company_manager = new_test_user(
            cls.env,
            login="rel_other_manager",
            groups="sales_team.group_sale_manager",
            company_id=cls.other_company.id,
            company_ids=[(6, 0, cls.other_company.ids)],
        )
        saudi = cls.env.ref("base.sa")
        iran = cls.env.ref("base.ir")
        cls.customer_sa = cls.env["res.partner"].create(
            {"name": "شركة النور للتجارة", "is_company": True, "country_id": saudi.id}
        )
        cls.contact_sa = cls.env["res.partner"].create(
            {"name": "أحمد العتيبي", "parent_id": cls.customer_sa.id}
        )
        cls.customer_ir = cls.env["res.partner"].create(
            {"name": "بازرگانی آریا", "is_company": True, "country_id": iran.id}
        )
