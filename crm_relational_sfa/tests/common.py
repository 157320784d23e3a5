from datetime import date, datetime, timedelta

from odoo import Command, fields
from odoo.tests import TransactionCase, new_test_user
from odoo.tools import SQL


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


MOMENT = datetime(2026, 5, 10, 12, 0)
Q2 = (date(2026, 4, 1), date(2026, 6, 30))
Q3 = (date(2026, 7, 1), date(2026, 9, 30))


class ForecastCase(TransactionCase):
    """A company of its own, so the numbers depend only on the records made here."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create(
            {"name": "Forecast Trading", "sfa_forecast_period": "quarter"}
        )
        cls.env = cls.env["base"].with_company(cls.company).env
        users = {"company_id": cls.company.id, "company_ids": [(6, 0, cls.company.ids)]}
        cls.rep_a = new_test_user(
            cls.env, login="fc_rep_a", groups="sales_team.group_sale_salesman", **users
        )
        cls.rep_b = new_test_user(
            cls.env, login="fc_rep_b", groups="sales_team.group_sale_salesman", **users
        )
        cls.team = cls.env["crm.team"].create(
            {"name": "Levant", "company_id": cls.company.id, "member_ids": [(6, 0, cls.rep_a.ids)]}
        )
        cls.customer = cls.env["res.partner"].create({"name": "Cedar Trading", "is_company": True})
        stages = cls.env["crm.stage"].search([("is_won", "=", False)], order="sequence, id")
        cls.stages = stages[:3]
        cls.Forecast = cls.env["crm.relational.forecast"]
        cls.Model = cls.env["crm.relational.forecast.model"]

    @classmethod
    def _lead(cls, name, amount, **values):
        return cls.env["crm.lead"].create(
            {"name": name, "type": "opportunity", "expected_revenue": amount,
             "company_id": cls.company.id, "user_id": cls.rep_a.id, "team_id": cls.team.id,
             "partner_id": cls.customer.id, **values}
        )  # fmt: skip

    @classmethod
    def _dates(cls, leads, created, closed=None):
        cls.env.flush_all()
        cls.env.cr.execute(
            SQL(
                "UPDATE crm_lead SET create_date = %s, date_closed = COALESCE(%s, date_closed)"
                " WHERE id = ANY(%s)",
                created,
                closed,
                leads.ids,
            )
        )
        leads.invalidate_recordset()
