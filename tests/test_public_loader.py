"""The public pipeline loader: a dozen deals written by the test, recorded as Odoo records them."""

import csv
import os
import shutil
import tempfile
from datetime import date, datetime

import pytest
from repository_case import RepositoryCase

from bench import backtest_public
from data.public import maven

PIPELINE = (
    # opportunity_id, sales_agent, product, account, deal_stage, engage_date, close_date, value
    ("W1", "Ann Alpha", "GTXPro", "Acme Test", "Won", "2017-01-05", "2017-02-10", "4500"),
    ("W2", "Ann Alpha", "MG Special", "Betatest", "Won", "2017-01-20", "2017-01-20", "60"),
    ("W3", "Bob Beta", "GTK 500", "Acme Test", "Won", "11/1/2016", "3/31/2017", "25000"),
    ("W4", "Bob Beta", "GTXPro", "Betatest", "Won", "2017-02-01", "2017-04-15", "4800"),
    ("L1", "Ann Alpha", "GTXPro", "Acme Test", "Lost", "2017-01-03", "2017-02-28", "0"),
    ("L2", "Bob Beta", "MG Special", "Betatest", "Lost", "2017-03-01", "2017-03-05", "0"),
    ("L3", "Ann Alpha", "GTK 500", "Betatest", "Lost", "2016-12-01", "2017-01-15", "0"),
    ("O1", "Ann Alpha", "MG Special", "Acme Test", "Engaging", "2017-03-10", "", ""),
    ("O2", "Bob Beta", "GTXPro", "", "Engaging", "2017-04-01", "", ""),
    ("O3", "Bob Beta", "GTK 500", "Acme Test", "Engaging", "2017-02-15", "", ""),
    ("P1", "Ann Alpha", "GTXPro", "", "Prospecting", "", "", ""),
    ("P2", "Bob Beta", "MG Special", "Acme Test", "Prospecting", "", "", ""),
)
ACCOUNTS = (
    ("Acme Test", "technolgy", "1996", "1100.04", "2822", "United States", ""),
    ("Betatest", "medical", "1999", "251.41", "495", "Kenya", ""),
)
PRODUCTS = (("GTX Pro", "GTX", "4821"), ("MG Special", "MG", "55"), ("GTK 500", "GTK", "26768"))
TEAMS = (
    ("Ann Alpha", "Mia Manager", "Central"),
    ("Bob Beta", "Max Manager", "East"),
    ("Cy Gamma", "Max Manager", "West"),
)
HEADERS = {
    "sales_pipeline": maven.FILES["sales_pipeline"],
    "accounts": (
        "account", "sector", "year_established", "revenue", "employees",
        "office_location", "subsidiary_of",
    ),
    "products": maven.FILES["products"],
    "sales_teams": maven.FILES["sales_teams"],
}  # fmt: skip


def write_files(folder, **tables):
    """The four CSV files in `folder`, with the rows above unless `tables` gives others."""
    rows = {"sales_pipeline": PIPELINE, "accounts": ACCOUNTS, "products": PRODUCTS,
            "sales_teams": TEAMS, **tables}  # fmt: skip
    for name, header in HEADERS.items():
        with open(os.path.join(folder, f"{name}.csv"), "w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(header)
            writer.writerows(rows[name])
    return folder


def at(text):
    return datetime.fromisoformat(text)


class TestPublicLoader(RepositoryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.folder = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, cls.folder)
        write_files(cls.folder)
        cls.counts = maven.load(cls.env, os.path.join(cls.folder, "sales_pipeline.csv"))
        Lead = cls.env["crm.lead"].with_context(active_test=False)
        cls.leads = {
            ref: Lead.search([("name", "=like", f"% ({ref})")]) for ref, *_rest in PIPELINE
        }
        cls.stage_field = cls.env["ir.model.fields"]._get("crm.lead", "stage_id")
        cls.engaging = cls.env["crm.stage"].search([("name", "=", "Engaging")])

    def messages(self, lead):
        return self.env["mail.message"].search(
            [("model", "=", "crm.lead"), ("res_id", "=", lead.id)], order="id"
        )

    def stage_tracking(self, lead):
        return self.messages(lead).tracking_value_ids.filtered(
            lambda value: value.field_id == self.stage_field
        )

    def test_counts(self):
        self.assertEqual(
            self.counts,
            {
                "sales_teams": 3, "salespeople": 3, "customers": 2, "products": 3,
                "opportunities": 10, "won": 4, "lost": 3, "open": 3, "sale_orders": 4,
                "prospecting_left_out": 2,
            },
        )  # fmt: skip
        self.assertFalse(self.leads["P1"] or self.leads["P2"], "Prospecting deals are left out")
        for ref in ("W1", "W2", "W3", "W4", "L1", "L2", "L3", "O1", "O2", "O3"):
            self.assertEqual(len(self.leads[ref]), 1, ref)
        self.assertEqual(len(self.engaging), 1)
        self.assertEqual(
            self.env["ir.config_parameter"].get_param("crm.pls_start_date"), "2016-11-01"
        )

    def test_won_deal_recorded_as_action_set_won_on_its_close_date(self):
        lead = self.leads["W1"]
        self.assertTrue(lead.active)
        self.assertTrue(lead.stage_id.is_won)
        self.assertEqual(lead.won_status, "won")
        self.assertEqual(lead.probability, 100)
        self.assertEqual(lead.expected_revenue, 4500)
        self.assertEqual(lead.create_date, at("2017-01-05 09:00"))
        self.assertEqual(lead.date_open, at("2017-01-05 09:00"))
        self.assertEqual(lead.date_closed, at("2017-02-10 16:00"))
        self.assertEqual(lead.date_last_stage_update, at("2017-02-10 16:00"))
        self.assertEqual(lead.day_close, 36)
        self.assertEqual(lead.user_id.name, "Ann Alpha")
        self.assertEqual(lead.team_id.name, "Central")
        self.assertEqual(lead.partner_id.name, "Acme Test")
        self.assertFalse(lead.date_deadline, "the data has no expected closing date")
        # One stage change, from Engaging to the won stage, tracked on the close date.
        tracking = self.stage_tracking(lead)
        self.assertEqual(len(tracking), 1)
        self.assertEqual(tracking.old_value_integer, self.engaging.id)
        self.assertEqual(tracking.new_value_integer, lead.stage_id.id)
        self.assertEqual(tracking.mail_message_id.date, at("2017-02-10 16:00"))
        self.assertEqual(tracking.create_date, at("2017-02-10 16:00"))
        # The value entered as it was won: tracked with the stage change.
        revenue = tracking.mail_message_id.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "expected_revenue"
        )
        self.assertEqual((revenue.old_value_float, revenue.new_value_float), (4821, 4500))
        # Every message of the lead: at its creation or at its close, by its salesperson.
        messages = self.messages(lead)
        self.assertEqual(
            set(messages.mapped("date")), {at("2017-01-05 09:00"), at("2017-02-10 16:00")}
        )
        self.assertEqual(messages.author_id, lead.user_id.partner_id)

    def test_won_deal_has_a_confirmed_sale_order_on_its_close_date(self):
        for ref, value in (("W1", 4500), ("W2", 60), ("W3", 25000), ("W4", 4800)):
            lead = self.leads[ref]
            order = self.env["sale.order"].search([("opportunity_id", "=", lead.id)])
            self.assertEqual(len(order), 1, ref)
            self.assertEqual(order.state, "sale")
            self.assertEqual(order.date_order, lead.date_closed)
            self.assertEqual(order.create_date, lead.date_closed)
            self.assertEqual(order.partner_id, lead.partner_id)
            self.assertEqual(order.user_id, lead.user_id)
            self.assertEqual(order.amount_untaxed, value)
            self.assertEqual(order.amount_total, value, "no tax: the order is the deal's value")
            self.assertEqual(lead.expected_revenue, value)
            self.assertEqual(
                set(
                    self.env["mail.message"]
                    .search([("model", "=", "sale.order"), ("res_id", "=", order.id)])
                    .mapped("date")
                ),
                {lead.date_closed},
            )
        self.assertEqual(
            self.env["sale.order"].search([("opportunity_id", "=", self.leads["W1"].id)])
            .order_line.product_id.name,
            "GTX Pro",
        )  # fmt: skip

    def test_dates_in_either_format_and_same_day_close(self):
        self.assertEqual(self.leads["W3"].create_date, at("2016-11-01 09:00"))
        self.assertEqual(self.leads["W3"].date_closed, at("2017-03-31 16:00"))
        self.assertEqual(self.leads["W2"].create_date, at("2017-01-20 09:00"))
        self.assertEqual(self.leads["W2"].date_closed, at("2017-01-20 16:00"))
        self.assertEqual(self.leads["W2"].day_close, 0)

    def test_lost_deal_recorded_as_action_set_lost_on_its_close_date(self):
        for ref, closed, price in (
            ("L1", "2017-02-28 16:00", 4821),
            ("L2", "2017-03-05 16:00", 55),
            ("L3", "2017-01-15 16:00", 26768),
        ):
            lead = self.leads[ref]
            self.assertFalse(lead.active, ref)
            self.assertEqual(lead.probability, 0)
            self.assertEqual(lead.won_status, "lost")
            self.assertEqual(lead.stage_id, self.engaging, "lost without a stage change")
            self.assertEqual(lead.expected_revenue, price, "the product's list price")
            self.assertEqual(lead.date_closed, at(closed))
            self.assertEqual(lead.date_last_stage_update, lead.create_date)
            self.assertFalse(self.stage_tracking(lead), "no stage change tracked")
            archived = self.messages(lead).tracking_value_ids.filtered(
                lambda value: value.field_id.name == "active"
            )
            self.assertEqual(len(archived), 1)
            self.assertEqual(archived.mail_message_id.date, at(closed))
            self.assertFalse(self.env["sale.order"].search([("opportunity_id", "=", lead.id)]))

    def test_open_deals_stay_open_at_list_price(self):
        for ref, created, price in (
            ("O1", "2017-03-10 09:00", 55),
            ("O2", "2017-04-01 09:00", 4821),
            ("O3", "2017-02-15 09:00", 26768),
        ):
            lead = self.leads[ref]
            self.assertTrue(lead.active)
            self.assertEqual(lead.won_status, "pending")
            self.assertEqual(lead.stage_id, self.engaging)
            self.assertFalse(lead.date_closed)
            self.assertEqual(lead.create_date, at(created))
            self.assertEqual(lead.date_last_stage_update, at(created))
            self.assertEqual(lead.expected_revenue, price)
            self.assertFalse(self.stage_tracking(lead))
            self.assertEqual(set(self.messages(lead).mapped("date")), {at(created)})
        self.assertFalse(self.leads["O2"].partner_id, "a deal without account has no customer")

    def test_master_data(self):
        ann = self.leads["W1"].user_id
        self.assertEqual(ann.login, "ann.alpha@maven.example.com")
        self.assertTrue(ann.has_group("sales_team.group_sale_salesman"))
        self.assertIn(ann, self.leads["W1"].team_id.member_ids)
        west = self.env["crm.team"].search([("name", "=", "West")])
        self.assertEqual(west.member_ids.mapped("name"), ["Cy Gamma"])
        acme = self.leads["W1"].partner_id
        self.assertTrue(acme.is_company)
        self.assertEqual(acme.country_id.code, "US")
        self.assertEqual(acme.industry_id.name, "Technology")
        self.assertEqual(acme.create_date, at("2016-11-01 09:00"), "from its first deal on")
        self.assertEqual(self.leads["W4"].partner_id.country_id.code, "KE")
        product = (
            self.env["sale.order"]
            .search([("opportunity_id", "=", self.leads["W3"].id)])
            .order_line.product_id
        )
        self.assertEqual(
            (product.name, product.lst_price, product.type), ("GTK 500", 26768, "service")
        )

    def test_second_load_is_refused(self):
        with self.assertRaisesRegex(maven.LoadError, "already holds the Maven pipeline"):
            maven.load(self.env, self.folder)
        self.assertEqual(
            self.env["crm.lead"]
            .with_context(active_test=False)
            .search_count([("name", "=like", "% (W1)")]),
            1,
        )

    def test_backtest_runner_counts_the_recorded_truth(self):
        """At the start of 1 February 2017 W1, W3 and L1 are open (W4 is created that day);
        W1 and W3 are won by the end of April (4,500 + 25,000); the base rate is W2 won, L3
        lost: 0.5, so its Brier score on W1, W3 and L1 is 0.25. On 1 March: W3, W4 and O3
        (L1 closed on 28 February), two won by the end of April (25,000 + 4,800)."""
        company = self.env.company
        truth = backtest_public.truth
        self.assertEqual(
            truth(self.env, company, date(2017, 2, 1), date(2017, 4, 30)), (3, 2, 29500, 0.25)
        )
        self.assertEqual(
            truth(self.env, company, date(2017, 3, 1), date(2017, 4, 30)), (3, 2, 29800, 0.25)
        )
        # By the end of February only W1 is won.
        self.assertEqual(
            truth(self.env, company, date(2017, 2, 1), date(2017, 2, 28))[1:3], (1, 4500)
        )


def test_month_ends():
    assert backtest_public.month_ends(date(2016, 11, 1), date(2017, 2, 3)) == [
        date(2016, 11, 30), date(2016, 12, 31), date(2017, 1, 31), date(2017, 2, 28)
    ]  # fmt: skip


def test_backtest_row_figures():
    row = {"lowest": 0.031, "highest": 0.87, "p10": 90.0, "p90": 150.0, "actual": 160.0,
           "hits": 2, "periods": [{}, {}, {}], "end": "2017-06-30"}  # fmt: skip
    assert backtest_public.derived(row) == {"p_range": "3%..87%", "hit": False, "months_in": "2/3"}
    assert backtest_public.derived({**row, "actual": 150.0})["hit"] is True
    assert backtest_public.derived({}) == {}
    cutoff = date(2017, 4, 1)
    assert backtest_public.window_end(row, cutoff, 91) == date(2017, 6, 30)
    assert backtest_public.window_end({}, cutoff, 91) == date(2017, 6, 30)


class TestPublicLoaderBadInput(RepositoryCase):
    """Files that cannot be loaded are refused with the file, line and reason, before any
    write."""

    def refused(self, pattern, **tables):
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder)
        write_files(folder, **tables)
        before = self.env["crm.lead"].with_context(active_test=False).search_count([])
        with self.assertRaisesRegex(maven.LoadError, pattern):
            maven.load(self.env, folder)
        self.assertEqual(
            self.env["crm.lead"].with_context(active_test=False).search_count([]), before
        )

    def test_bad_files_are_refused(self):
        self.refused("line 2: '2017-13-01' is not a date", sales_pipeline=(
            ("X1", "Ann Alpha", "GTXPro", "Acme Test", "Won", "2017-13-01", "2017-02-10", "1"),
        ))  # fmt: skip
        self.refused("sales agent 'Nobody' not in sales_teams.csv", sales_pipeline=(
            ("X1", "Nobody", "GTXPro", "Acme Test", "Won", "2017-01-01", "2017-02-10", "1"),
        ))  # fmt: skip
        self.refused("close_date 2017-01-01 is before engage_date", sales_pipeline=(
            ("X1", "Ann Alpha", "GTXPro", "Acme Test", "Lost", "2017-02-01", "2017-01-01", "0"),
        ))  # fmt: skip
        self.refused("unknown deal_stage 'Maybe'", sales_pipeline=(
            ("X1", "Ann Alpha", "GTXPro", "Acme Test", "Maybe", "2017-02-01", "", ""),
        ))  # fmt: skip
        self.refused("no Engaging, Won or Lost deal", sales_pipeline=PIPELINE[-2:])

    def test_missing_file_or_column_is_refused(self):
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder)
        write_files(folder)
        with open(os.path.join(folder, "products.csv"), "w") as file:
            file.write("product,sales_price\nGTX Pro,4821\n")
        with self.assertRaisesRegex(maven.LoadError, "products.csv: missing column.s. series"):
            maven.load(self.env, folder)
        os.remove(os.path.join(folder, "accounts.csv"))
        with self.assertRaisesRegex(maven.LoadError, "accounts.csv: not found"):
            maven.load(self.env, folder)


def test_command_line_refuses_missing_files_without_traceback(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        maven.main(["-c", "unused.conf", "-d", "unused", "--csv", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "sales_pipeline.csv: not found" in capsys.readouterr().err
