"""The read paths of the three addons run on a read-only cursor (issue #17).

Odoo 19 serves a request on a read-only cursor, on the replica when one is configured
(``db_replica_host``), when its route says ``readonly=True`` or, for ``/web/dataset/call_kw``
and ``/json/2/<model>/<method>``, when the method is marked ``@api.readonly``. Each of these
read paths is marked so, and runs to its answer inside a transaction set ``READ ONLY`` (Odoo's
own read-only cursor: ``SET TRANSACTION READ ONLY``), where any write, even one flushed at
the end, fails:

- the stock lookup (the dialog and the external ``lookup``);
- the timeline (its list and grouped reads, the button that opens it, a row's document) and
  the purchase trend on the customer;
- the call sheet (its button, and the customer's figures the sheet shows);
- the knowledge base articles suggested beside a ticket's description;
- the public FAQ pages;
- the forecast grid and the documents behind one of its figures, where it is installed.

Over HTTP, as a sales rep with a session, with an API key, and as an anonymous visitor, the
same paths answer without Odoo falling back to a read/write cursor (it logs "retrying with a
read/write cursor" when a read-only request writes), and with the record rules of issue 8:
an own-documents salesman sees no other salesman's order; a visitor no internal article.
"""

from contextlib import contextmanager

import psycopg2
from lxml import etree

from odoo import Command, api
from odoo.tests import HttpCase, new_test_user

# (model, method) the web client or an external client calls over RPC on a read path.
READ_METHODS = [
    ("crm.relational.stock.lookup", "lookup"),
    ("crm.relational.timeline", "web_search_read"),
    ("crm.relational.timeline", "formatted_read_group"),
    ("crm.relational.timeline", "action_open_document"),
    ("res.partner", "action_view_relational_timeline"),
    ("res.partner", "action_relational_call_sheet"),
    ("crm.lead", "action_relational_call_sheet"),
    ("res.partner", "web_read"),
    ("helpdesk.ticket", "relational_article_suggestions"),
]
READ_ROUTES = ["/my/faq", "/my/faq/1"]


def _marked_read_only(model_class, method_name):
    """Whether ``/web/dataset/call_kw`` and ``/json/2`` give `method_name` a read-only cursor:
    the first class of the model's MRO that marks the method decides, as Odoo does
    (``DataSet._call_kw_readonly``, ``WebJson2Controller._web_json_2_rpc_readonly``)."""
    for cls in model_class.mro():
        method = getattr(cls, method_name, None)
        if method is not None and hasattr(method, "_readonly"):
            return method._readonly
    return False


class TestReadOnlyPaths(HttpCase):
    test_tags = {"standard", "post_install"}
    test_module = "crm_relational"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.rep = new_test_user(
            env, login="ro_rep", password="ro_rep_pass1", groups="sales_team.group_sale_salesman"
        )
        cls.other_rep = new_test_user(
            env, login="ro_other_rep", groups="sales_team.group_sale_salesman"
        )
        cls.agent = new_test_user(
            env, login="ro_agent", groups="helpdesk_mgmt.group_helpdesk_user_own"
        )
        cls.customer = env["res.partner"].create({"name": "Qasr Lighting", "is_company": True})
        cls.warehouse = env.ref("stock.warehouse0")
        cls.lamp = env["product.product"].create(
            {"name": "Readonly Brass Lamp", "default_code": "RO-LAMP", "is_storable": True}
        )
        env["stock.quant"]._update_available_quantity(cls.lamp, cls.warehouse.lot_stock_id, 12)
        cls.own_order = cls._order(cls.rep, 2)
        cls.other_order = cls._order(cls.other_rep, 1)
        cls.lead = env["crm.lead"].create(
            {"name": "Qasr lobby chandeliers", "type": "opportunity", "user_id": cls.rep.id,
             "partner_id": cls.customer.id, "expected_revenue": 9000}
        )  # fmt: skip
        Article = env["crm.relational.kb.article"]
        cls.public_article = Article.create(
            {"name": "Readonly dimmer flickers", "is_public": True, "lang": "en_US",
             "state": "published", "body": "<p>Replace the dimmer capacitor.</p>"}
        )  # fmt: skip
        cls.internal_article = Article.create(
            {"name": "Readonly dimmer supplier escalation", "lang": "en_US",
             "state": "published", "body": "<p>Call the dimmer supplier.</p>"}
        )  # fmt: skip
        cls.key = env["res.users.apikeys"].with_user(cls.rep).sudo()._generate(None, "RO", None)

    @classmethod
    def _order(cls, user, quantity):
        order = cls.env["sale.order"].create(
            {"partner_id": cls.customer.id, "user_id": user.id,
             "order_line": [Command.create({"product_id": cls.lamp.id,
                                            "product_uom_qty": quantity})]}
        )  # fmt: skip
        order.action_confirm()
        return order

    @contextmanager
    def _read_only(self, user):
        """An environment of `user` on Odoo's read-only cursor: the transaction is ``READ
        ONLY``, a write fails, and the cursor's flush at the end fails on a pending write."""
        self.env.flush_all()
        with self.registry.cursor(readonly=True) as cr:
            env = api.Environment(cr, user.id, {})
            cr.execute("SELECT 1")  # the test cursor sets its transaction read-only lazily
            cr.execute("SHOW transaction_read_only")
            self.assertEqual(cr.fetchone()[0], "on")
            yield env
            env.flush_all()

    # ------------------------------------------------------------------ the marks

    def test_read_paths_are_marked_read_only(self):
        for model, method in READ_METHODS:
            with self.subTest(model=model, method=method):
                self.assertTrue(_marked_read_only(self.registry[model], method))
        adapter = self.env["ir.http"].routing_map().bind("localhost")
        for path in READ_ROUTES:
            with self.subTest(path=path):
                rule, _args = adapter.match(path, return_rule=True)
                self.assertIs(rule.endpoint.routing["readonly"], True)

    def test_a_write_fails_on_the_read_only_cursor(self):
        # The harness of the tests below: what they run would fail here if it wrote.
        with self.assertRaises(psycopg2.errors.ReadOnlySqlTransaction):
            with self._read_only(self.rep) as env:
                env["res.partner"].browse(self.customer.id).sudo().write({"ref": "RO-1"})

    # ------------------------------------------------------------------ the paths

    def test_stock_lookup(self):
        with self._read_only(self.rep) as env:
            (result,) = env["crm.relational.stock.lookup"].lookup("RO-LAMP", quantity=2)
            main = next(w for w in result["warehouses"] if w["warehouse_id"] == self.warehouse.id)
            # 12 on hand, 3 reserved by the two confirmed orders.
            self.assertEqual((main["on_hand"], main["reserved"], main["free"]), (12, 3, 9))

    def test_timeline_and_purchase_trend(self):
        with self._read_only(self.rep) as env:
            partner = env["res.partner"].browse(self.customer.id)
            action = partner.action_view_relational_timeline()
            Timeline = env["crm.relational.timeline"]
            rows = Timeline.web_search_read(
                action["domain"], {"name": {}, "kind": {}, "res_id": {}}
            )["records"]
            orders = {row["res_id"] for row in rows if row["kind"] == "sale_order"}
            # An own-documents salesman: his order, not his colleague's (issue 8).
            self.assertEqual(orders, {self.own_order.id})
            groups = Timeline.formatted_read_group(
                action["domain"], ["kind", "date:month"], ["__count"]
            )
            self.assertIn("sale_order", {group["kind"] for group in groups})
            own_row = next(row for row in rows if row["kind"] == "sale_order")
            document = Timeline.browse(own_row["id"]).action_open_document()
            self.assertEqual((document["res_model"], document["res_id"]),
                             ("sale.order", self.own_order.id))  # fmt: skip
            (read,) = partner.web_read({"relational_purchase_trend": {}})
            trend = read["relational_purchase_trend"]
            self.assertEqual(len(trend["amounts"]), len(trend["months"]))
            self.assertEqual(trend["amounts"][-1], self.own_order.amount_untaxed)

    def test_call_sheet(self):
        with self._read_only(self.rep) as env:
            partner = env["res.partner"].browse(self.customer.id)
            action = partner.action_relational_call_sheet()
            self.assertEqual(
                action, env["crm.lead"].browse(self.lead.id).action_relational_call_sheet()
            )
            views = partner.get_views(action["views"])
            names = {
                node.get("name")
                for node in etree.fromstring(views["views"]["form"]["arch"]).iter("field")
            }
            fields_ = views["models"]["res.partner"]["fields"]
            (sheet,) = partner.web_read({name: {} for name in names if name in fields_})
            self.assertEqual(sheet["relational_recent_order_ids"], [self.own_order.id])
            self.assertEqual(sheet["relational_open_opportunity_ids"], [self.lead.id])
            self.assertGreater(sheet["relational_credit_to_invoice"], 0)

    def test_article_suggestions(self):
        with self._read_only(self.agent) as env:
            suggestions = env["helpdesk.ticket"].relational_article_suggestions(
                "dimmer flickers", "", self.customer.id, self.env.company.id
            )
            self.assertIn(self.public_article.id, [s["id"] for s in suggestions])

    def test_forecast_grid(self):
        # The forecast grid (issue #16) marks its reads itself; this runs them once it is here.
        if "crm.relational.forecast.grid" not in self.env:
            self.skipTest("no forecast grid in this version")
        Grid = self.registry["crm.relational.forecast.grid"]
        for method in ("grid", "action_open_documents"):
            self.assertTrue(_marked_read_only(Grid, method), method)
        with self._read_only(self.rep) as env:
            grid = env["crm.relational.forecast.grid"].grid()
            period = grid["period"]
            action = env["crm.relational.forecast.grid"].action_open_documents(
                "pipeline", period["date_from"], period["date_to"], user_id=self.rep.id
            )
            self.assertEqual(action["type"], "ir.actions.act_window")

    # ------------------------------------------------------------------ over HTTP

    def test_over_http_no_fallback_to_read_write(self):
        """Each path over the web client's JSON-RPC, over /json/2 with an API key and as an
        anonymous visitor: answered on the read-only cursor, with the user's record rules. A
        read-only request that writes is retried by Odoo on a read/write cursor with a warning
        ("..., retrying with a read/write cursor"): none may be logged."""
        with self.assertNoLogs("odoo.http", level="WARNING"):
            # The web client (session) and an external client (API key): the same lookup.
            self.authenticate("ro_rep", "ro_rep_pass1")
            (by_session,) = self.make_jsonrpc_request(
                "/web/dataset/call_kw/crm.relational.stock.lookup/lookup",
                {"model": "crm.relational.stock.lookup", "method": "lookup",
                 "args": ["RO-LAMP"], "kwargs": {"quantity": 2}},
            )  # fmt: skip
            response = self.url_open(
                "/json/2/crm.relational.stock.lookup/lookup",
                json={"query": "RO-LAMP", "quantity": 2},
                headers={"Authorization": f"bearer {self.key}"},
            )
            self.assertEqual(response.status_code, 200, response.text)
            (by_key,) = response.json()
            self.assertEqual(by_key, by_session)
            self.assertEqual(by_key["free"], 9)
            timeline = self.make_jsonrpc_request(
                "/web/dataset/call_kw/crm.relational.timeline/web_search_read",
                {"model": "crm.relational.timeline", "method": "web_search_read",
                 "args": [[("partner_id", "=", self.customer.id), ("kind", "=", "sale_order")],
                          {"res_id": {}}],
                 "kwargs": {}},
            )  # fmt: skip
            self.assertEqual([row["res_id"] for row in timeline["records"]], [self.own_order.id])
            response = self.url_open(
                "/json/2/res.partner/web_read",
                json={"ids": [self.customer.id],
                      "specification": {"relational_recent_order_ids": {},
                                        "relational_purchase_trend": {}}},
                headers={"Authorization": f"bearer {self.key}"},
            )  # fmt: skip
            self.assertEqual(response.status_code, 200, response.text)
            self.assertEqual(response.json()[0]["relational_recent_order_ids"], [self.own_order.id])
            # The anonymous visitor's FAQ: the public article, never the internal one.
            self.authenticate(None, None)
            page = self.url_open("/my/faq?search=dimmer")
            self.assertEqual(page.status_code, 200)
            self.assertIn("Readonly dimmer flickers", page.text)
            self.assertNotIn("supplier escalation", page.text)
            article = self.url_open(f"/my/faq/{self.public_article.id}")
            self.assertIn("Replace the dimmer capacitor", article.text)
            hidden = self.url_open(f"/my/faq/{self.internal_article.id}")
            self.assertEqual(hidden.status_code, 404)
