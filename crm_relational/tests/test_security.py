from .common import RelationalCase


class TestSecurity(RelationalCase):
    def test_sales_groups_imply_relational_groups(self):
        self.assertTrue(self.salesman.has_group("crm_relational.group_user"))
        self.assertFalse(self.salesman.has_group("crm_relational.group_manager"))
        self.assertTrue(self.sales_manager.has_group("crm_relational.group_manager"))

    def test_configuration_menus_are_for_managers(self):
        segments = self.env.ref("crm_relational.menu_segments").id
        configuration = self.env.ref("crm_relational.menu_configuration").id
        settings = self.env.ref("crm_relational.menu_settings").id
        customers = self.env.ref("crm_relational.menu_customers").id
        menus = self.env["ir.ui.menu"]
        visible_salesman = menus.with_user(self.salesman)._visible_menu_ids()
        visible_manager = menus.with_user(self.sales_manager)._visible_menu_ids()
        visible_admin = menus.with_user(self.env.ref("base.user_admin"))._visible_menu_ids()
        self.assertIn(customers, visible_salesman)
        self.assertIn(segments, visible_salesman)
        self.assertNotIn(configuration, visible_salesman)
        self.assertIn(configuration, visible_admin)
        # Settings are for settings administrators, as everywhere in Odoo.
        self.assertNotIn(settings, visible_manager)
        self.assertIn(settings, visible_admin)
