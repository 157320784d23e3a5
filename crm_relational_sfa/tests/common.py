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
