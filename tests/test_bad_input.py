"""Bad input at the boundaries: a clear UserError or a correct result, never a traceback, and
nothing half-written; SQL injection strings in every search and lookup input we expose."""

from psycopg2 import IntegrityError
from repository_case import RepositoryCase

from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user
from odoo.tools import mute_logger

INJECTIONS = [
    "'; DROP TABLE res_partner; --",
    "%' OR 1=1 --",
    "lamp') OR ('1'='1",
    "\\'; SELECT pg_sleep(5); --",
    "$$; DROP FUNCTION crm_relational_kb_fold(text); $$",
    "<script>alert(1)</script>",
    "& | ! : * <->",
    "\u202e\u0645\u0635\u0628\u0627\u062d\u202c OR 1",
    "%%s %(name)s {0}",
]


class TestBadInput(RepositoryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env, login="bad_input_rep", groups="sales_team.group_sale_salesman"
        )
        cls.lamp = cls.env["product.product"].create(
            {"name": "مصباح LED ٢٠ واط", "default_code": "BAD-LAMP", "is_storable": True}
        )
        cls.Lookup = cls.env["crm.relational.stock.lookup"].with_user(cls.salesman)
        cls.Article = cls.env["crm.relational.kb.article"]
        cls.env["res.lang"]._activate_lang("ar_001")
        cls.article = cls.Article.create(
            {"name": "تعويض المصباح LED", "lang": "ar_001", "is_public": True,
             "body": "<p>استبدل المصباح LED خلال ٣٠ يومًا.</p>"}
        )  # fmt: skip

    def _counts(self):
        self.env.cr.execute(
            "SELECT (SELECT count(*) FROM res_partner), (SELECT count(*) FROM product_product),"
            " (SELECT count(*) FROM crm_relational_kb_article)"
        )
        return self.env.cr.fetchone()

    def test_lookup_refuses_bad_arguments_clearly(self):
        bad_calls = [
            ((None,), {}),
            ((123,), {}),
            (("   ",), {}),
            (("x" * 5000,), {}),
            (("lamp",), {"quantity": "abc"}),
            (("lamp",), {"quantity": -1}),
            (("lamp",), {"quantity": 0}),
            (("lamp",), {"quantity": 1e30}),
            (("lamp",), {"quantity": float("nan")}),
            (("lamp",), {"uom_id": "kg"}),
            (("lamp",), {"uom_id": -5}),
            (("lamp",), {"uom_id": True}),
            (("lamp",), {"uom_id": 2_000_000_000}),
            (("lamp",), {"warehouse_ids": "1"}),
            (("lamp",), {"warehouse_ids": [True]}),
            (("lamp",), {"warehouse_ids": ["a"]}),
            (("lamp",), {"limit": "ten"}),
            (("lamp",), {"limit": -3}),
        ]
        for args, kwargs in bad_calls:
            with self.subTest(args=args, kwargs=kwargs), self.assertRaises(UserError):
                self.Lookup.lookup(*args, **kwargs)

    def test_mixed_direction_text_finds_the_product(self):
        for query in ("LED", "مصباح", "BAD-LAMP", " مصباح LED "):
            with self.subTest(query=query):
                found = self.Lookup.lookup(query, quantity=2)
                self.assertEqual([row["product_id"] for row in found], [self.lamp.id])
        self.assertEqual(self.Article._relational_search("LED"), self.article)
        self.assertEqual(self.Article._relational_search("المصباح"), self.article)

    def test_injection_strings_are_only_text(self):
        before = self._counts()
        for text in INJECTIONS:
            with self.subTest(text=text):
                self.assertEqual(self.Lookup.lookup(text), [])
                # Only the word wrapped in direction marks is a real word of an article.
                expected = self.article if "\u0645\u0635\u0628\u0627\u062d" in text else None
                self.assertEqual(
                    self.Article._relational_search(text), expected or self.Article.browse()
                )
                self.Article._relational_search(text, match_any=True)
                self.env["crm.relational.timeline"].search([("name", "ilike", text)], limit=5)
                self.env["res.partner"].search(
                    [("relational_segment_ids.name", "ilike", text)], limit=5
                )
                self.env["crm.lead"].search([("followup_needed", "=", True), ("name", "=", text)])
        self.assertEqual(self._counts(), before)
        # The search functions are intact.
        self.assertEqual(self.Article._relational_search("المصباح"), self.article)

    def test_wrong_settings_and_records_are_refused_whole(self):
        company = self.env.company
        stage_threshold = company.relational_clv_horizon_months
        with self.assertRaises(ValidationError):
            company.write({"relational_clv_horizon_months": 0, "sfa_idle_days": 3})
        self.assertEqual(company.relational_clv_horizon_months, stage_threshold)
        with self.assertRaises(ValidationError):
            company.sfa_idle_days = -1
        with self.assertRaises(UserError):
            self.env["crm.relational.skill"].create({"name": "", "skill_type": "language"})
        agent_count = self.env["crm.relational.agent"].search_count([])
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.env["crm.relational.agent"].create(
                [{"user_id": self.salesman.id, "capacity": 3},
                 {"user_id": self.salesman.id, "capacity": -1}]
            )  # fmt: skip
        self.assertEqual(self.env["crm.relational.agent"].search_count([]), agent_count)
