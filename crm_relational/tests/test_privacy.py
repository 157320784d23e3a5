"""Privacy a data-protection officer would sign (issue #12, item 4) and the superuser writes
that now check the caller's write right first (item 3).

Real users with real groups, real recomputes, real HTTP for the export: nothing mocked.
"""

import json
from datetime import timedelta

import numpy as np

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged
from odoo.tools import SQL

from ..models.crm_relational_run import FACTS


class PrivacyCase(TransactionCase):
    """Two companies; a sales manager, a salesman, an internal user without the relational
    group, a relational user who may not edit contacts, a sales manager of the other company.
    A customer with two contact persons, Pat and Quinn, who buys, writes, is written to and
    meets us."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        cls.other_company = cls.env["res.company"].create({"name": "Privacy Other Company"})
        cls.today = fields.Date.context_today(cls.env["res.partner"])

        def user(login, groups, company=cls.company):
            return new_test_user(
                cls.env, login=login, groups=groups, company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )  # fmt: skip

        cls.manager = user("privacy_manager", "sales_team.group_sale_manager")
        cls.salesman = user("privacy_salesman", "sales_team.group_sale_salesman")
        cls.plain = user("privacy_plain", "base.group_user")
        cls.reader = user("privacy_reader", "crm_relational.group_user")
        cls.other_manager = user(
            "privacy_other_manager", "sales_team.group_sale_manager", cls.other_company
        )
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create(
            {"name": "Privacy Buyer Ltd", "is_company": True, "email": "buyer@privacy.example",
             "user_id": cls.salesman.id}
        )  # fmt: skip
        cls.pat = Partner.create({"name": "Pat Privacy", "parent_id": cls.customer.id})
        cls.quinn = Partner.create({"name": "Quinn Privacy", "parent_id": cls.customer.id})
        cls.product = cls.env["product.product"].create(
            {"name": "Privacy Widget", "type": "consu", "list_price": 100.0}
        )
        cls.order = cls.sell(cls.customer, cls.company)
        cls.sell(cls.customer, cls.other_company)
        comment = {"message_type": "email", "subtype_xmlid": "mail.mt_comment"}
        cls.customer.message_post(body="Pat asks for a quote", author_id=cls.pat.id, **comment)
        cls.customer.message_post(body="Quinn asks for a quote", author_id=cls.quinn.id, **comment)
        cls.customer.with_user(cls.manager).message_post(
            body="Here is your quote, Quinn", message_type="comment",
            subtype_xmlid="mail.mt_comment", partner_ids=cls.quinn.ids,
        )  # fmt: skip
        cls.env["calendar.event"].create(
            {"name": "Privacy review", "start": fields.Datetime.now(),
             "stop": fields.Datetime.now() + timedelta(hours=1), "user_id": cls.manager.id,
             "partner_ids": [Command.set((cls.quinn | cls.manager.partner_id).ids)]}
        )  # fmt: skip
        cls.Profile = cls.env["crm.relational.profile"]
        cls.recompute()

    @classmethod
    def sell(cls, partner, company):
        order = cls.env["sale.order"].with_company(company).create(
            {"partner_id": partner.id, "company_id": company.id,
             "order_line": [Command.create({"product_id": cls.product.id, "product_uom_qty": 1,
                                            "price_unit": 100, "tax_ids": [Command.clear()]})]}
        )  # fmt: skip
        order.action_confirm()
        return order

    @classmethod
    def recompute(cls):
        cls.Profile._recompute(cls.company | cls.other_company, cls.today)

    def profiles(self, partner=None):
        return self.Profile.search([("partner_id", "=", (partner or self.customer).id)])

    def profile(self, company=None):
        return self.profiles().filtered(lambda p: p.company_id == (company or self.company))


@tagged("post_install", "-at_install")
class TestContactOptOut(PrivacyCase):
    def test_a_contacts_no_profiling_withdraws_their_conversations(self):
        """Quinn's e-mail, the message sent to Quinn and the meeting Quinn attends count for
        the company's profile until Quinn opts out; Pat's e-mail and the order still count."""
        profile = self.profile()
        # The order, three e-mails (Pat's, Quinn's, ours to Quinn) and the meeting.
        self.assertEqual(profile.interaction_count, 5)
        self.assertEqual(profile.last_contact_date, self.today)
        self.quinn.with_user(self.salesman).relational_no_profiling = True
        self.recompute()
        profile = self.profile()
        self.assertEqual(profile.interaction_count, 2)  # the order and Pat's e-mail
        self.assertFalse(profile.last_contact_date)  # both our contacts were with Quinn
        # The other company's profile never counted the conversations (no company, ours).
        self.assertTrue(self.profile(self.other_company))

    def test_an_incremental_run_sees_the_opt_out(self):
        """A contact's opt-out is a change of the customer: the next incremental run redoes
        it, and withdraws Quinn's conversations too."""
        self.env["crm.relational.run"].search([]).write(
            {"started_at": fields.Datetime.now() - timedelta(hours=1)}
        )
        self.quinn.with_user(self.salesman).relational_no_profiling = True
        self.Profile._recompute(self.company, self.today, incremental=True)
        self.assertEqual(self.profile().interaction_count, 2)


@tagged("post_install", "-at_install")
class TestRunningRecompute(PrivacyCase):
    def _score_customer_with_stale_facts(self, withdraw):
        """Run a recompute up to the facts, let `withdraw` act on the customer (another
        user), then score and write the customer from the facts read before."""
        Run = self.env["crm.relational.run"]
        run = Run._start_run(self.company, self.today, False)
        Run._build_facts(self.company, self.today)
        run.parameters = Run._population(self.company, self.today)
        withdraw()
        self.env.cr.execute(SQL("SELECT * FROM %s WHERE partner_id = %s", FACTS, self.customer.id))
        names = [column.name for column in self.env.cr.description]
        rows = self.env.cr.fetchall()
        self.assertEqual(len(rows), 1, "the customer was in the facts before it withdrew")
        facts = {
            name: np.array(column)
            for name, column in zip(names, zip(*rows, strict=True), strict=True)
        }
        rules = self.env["crm.relational.relationship.type"]._rules()
        run._score_batch(facts, rules, Run._scoring_settings(self.company))

    def test_a_running_recompute_cannot_recreate_an_opted_out_profile(self):
        self.assertTrue(self.profile())
        self._score_customer_with_stale_facts(
            lambda: self.customer.with_user(self.salesman).write({"relational_no_profiling": True})
        )
        self.assertFalse(self.profiles())
        self.assertFalse(
            self.env["crm.relational.stage.history"].search([("partner_id", "=", self.customer.id)])
        )

    def test_a_running_recompute_cannot_recreate_a_forgotten_profile(self):
        self._score_customer_with_stale_facts(
            lambda: self.customer.with_user(self.manager).action_relational_forget()
        )
        self.assertFalse(self.profiles())

    def test_a_customer_still_profiled_is_written(self):
        """The same path without a withdrawal writes the profile (the test above can fail)."""
        self.profile().unlink()
        self._score_customer_with_stale_facts(lambda: None)
        self.assertEqual(self.profile().order_count, 1)


@tagged("post_install", "-at_install")
class TestForget(PrivacyCase):
    def test_forget_erases_everything_relational_and_logs_it(self):
        # A relationship type set by hand (its reason on the profile and in the chatter), a
        # stage change, and an export stored the way the previous version did.
        friend = self.env.ref("crm_relational.relationship_type_friend")
        self.env["crm.relational.type.override"].with_user(self.salesman).create(
            {"profile_id": self.profile().id, "relationship_type_id": friend.id,
             "reason": "Quinn is a childhood friend"}
        ).action_apply()  # fmt: skip
        subtype = self.env.ref("crm_relational.mt_relationship_type_override")
        notes = self.customer.message_ids.filtered(lambda m: m.subtype_id == subtype)
        self.assertEqual(len(notes), 1)
        self.assertTrue(
            self.env["crm.relational.stage.history"].search([("partner_id", "=", self.customer.id)])
        )
        old_export = self.env["ir.attachment"].create(
            {"name": f"relational-profile-{self.customer.id}.json", "res_model": "res.partner",
             "res_id": self.customer.id, "raw": b"{}"}
        )  # fmt: skip
        neighbour = self.env["res.partner"].create(
            {"name": "Privacy Neighbour", "is_company": True}
        )
        self.sell(neighbour, self.company)
        self.recompute()
        self.assertEqual(len(self.profiles()), 2)  # both companies

        action = self.customer.with_user(self.manager).action_relational_forget()
        self.assertEqual(action["params"]["type"], "success")
        self.assertFalse(self.profiles())
        self.assertFalse(
            self.env["crm.relational.stage.history"].search([("partner_id", "=", self.customer.id)])
        )
        self.assertFalse(notes.exists())
        self.assertFalse(old_export.exists())
        self.assertTrue(self.customer.relational_forgotten)
        self.assertTrue(self.customer.relational_no_profiling)
        # Nothing of the neighbour is touched.
        self.assertTrue(self.profiles(neighbour))
        # The log: who, when, in which company; the chatter note names no personal data.
        erasure = self.env["crm.relational.erasure"].search(
            [("partner_ref", "=", self.customer.id)]
        )
        self.assertEqual(len(erasure), 1)
        self.assertEqual(
            (erasure.partner_id, erasure.user_id, erasure.company_id),
            (self.customer, self.manager, self.company),
        )
        self.assertLessEqual(erasure.date, fields.Datetime.now())
        note = self.customer.message_ids[0]
        self.assertIn("right to erasure", note.body)
        for private in ("Privacy Buyer", "buyer@privacy.example", "Quinn", "friend"):
            self.assertNotIn(private, note.body)
        # No recompute brings it back, not even if someone clears No Profiling.
        self.recompute()
        self.assertFalse(self.profiles())
        self.customer.with_user(self.manager).relational_no_profiling = False
        self.recompute()
        self.assertFalse(self.profiles())
        # Forgotten is set by Forget only: not cleared by hand.
        with self.assertRaises(AccessError):
            self.customer.with_user(self.manager).write({"relational_forgotten": False})

    def test_forget_is_for_relationship_administrators(self):
        for user in (self.salesman, self.plain, self.reader):
            with self.subTest(user.login), self.assertRaises(AccessError):
                self.customer.with_user(user).action_relational_forget()
            with self.subTest(user.login), self.assertRaises(AccessError):
                self.customer.with_user(user).write({"relational_forgotten": True})
        self.assertEqual(len(self.profiles()), 2)
        self.assertFalse(self.customer.relational_forgotten)
        self.assertFalse(
            self.env["crm.relational.erasure"].search([("partner_ref", "=", self.customer.id)])
        )

    def test_exports_stored_by_earlier_versions_are_purged(self):
        """Upgrading deletes the exports earlier versions stored on customers, nothing else."""
        Attachment = self.env["ir.attachment"]
        stored = Attachment.create(
            {"name": f"relational-profile-{self.customer.id}.json", "res_model": "res.partner",
             "res_id": self.customer.id, "raw": b'{"revenue": 1}'}
        )  # fmt: skip
        contract = Attachment.create(
            {"name": "contract.pdf", "res_model": "res.partner", "res_id": self.customer.id,
             "raw": b"%PDF"}
        )  # fmt: skip
        self.env["res.partner"]._relational_purge_stored_exports()
        self.assertFalse(stored.exists())
        self.assertTrue(contract.exists())

    def test_a_contact_forgets_its_commercial_entity(self):
        self.quinn.with_user(self.manager).action_relational_forget()
        self.assertTrue(self.customer.relational_forgotten)
        self.assertFalse(self.profiles())

    def test_the_erasure_log_is_for_administrators_and_never_deleted(self):
        self.customer.with_user(self.manager).action_relational_forget()
        Erasure = self.env["crm.relational.erasure"]
        erasure = Erasure.search([("partner_ref", "=", self.customer.id)])
        self.assertEqual(Erasure.with_user(self.manager).search([("id", "=", erasure.id)]), erasure)
        for user in (self.salesman, self.plain):
            with self.subTest(user.login), self.assertRaises(AccessError):
                Erasure.with_user(user).search([])
        # Another company's administrator does not see this company's log.
        self.assertFalse(Erasure.with_user(self.other_manager).search([("id", "=", erasure.id)]))
        with self.assertRaises(AccessError):
            erasure.with_user(self.manager).unlink()
        with self.assertRaises(AccessError):
            erasure.with_user(self.manager).write({"user_id": self.salesman.id})
        with self.assertRaises(AccessError):
            Erasure.with_user(self.manager).create(
                {"partner_ref": 1, "company_id": self.company.id, "user_id": self.manager.id}
            )
        with self.assertRaises(UserError):
            erasure.unlink()  # not even the superuser
        # Deleting the contact keeps the log, with the customer's id.
        gone = self.env["res.partner"].create({"name": "Privacy Gone", "is_company": True})
        gone.with_user(self.manager).action_relational_forget()
        erasure = Erasure.search([("partner_ref", "=", gone.id)])
        gone.unlink()
        self.assertTrue(erasure.exists())
        self.assertFalse(erasure.partner_id)
        self.assertTrue(erasure.partner_ref)


@tagged("post_install", "-at_install")
class TestRetention(PrivacyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.dormant = Partner.create(
            {"name": "Privacy Dormant Ltd", "is_company": True, "user_id": cls.salesman.id}
        )
        cls.quiet = Partner.create({"name": "Privacy Quiet Ltd", "is_company": True})
        cls.newcomer = Partner.create({"name": "Privacy Newcomer Ltd", "is_company": True})
        old_order = cls.sell(cls.dormant, cls.company)
        cls.old_date = fields.Datetime.now().replace(microsecond=0) - timedelta(days=800)
        old_order.date_order = cls.old_date
        cls.quiet.customer_rank = 1
        cls.newcomer.customer_rank = 1
        cls.env.flush_all()
        # Known for three years (but the newcomer); the customer with the order of today too.
        cls.env.cr.execute(
            "UPDATE res_partner SET create_date = now() - interval '3 years' WHERE id = ANY(%s)",
            [(cls.dormant | cls.quiet | cls.customer).ids],
        )
        cls.env.invalidate_all()
        cls.company.relational_retention_months = 12

    def inactive(self, user=None):
        Partner = self.env["res.partner"].with_user(user or self.manager)
        found = Partner.search([("relational_inactive", "=", True)])
        return found & (self.dormant | self.quiet | self.newcomer | self.customer)

    def test_inactive_customers_are_listed_for_administrators(self):
        self.assertEqual(self.inactive(), self.dormant | self.quiet)
        dormant = self.dormant.with_user(self.manager)
        self.assertEqual(dormant.relational_last_activity_date, self.old_date)
        self.assertTrue(dormant.relational_inactive)
        self.assertFalse(self.customer.with_user(self.manager).relational_inactive)
        self.assertFalse(self.quiet.with_user(self.manager).relational_last_activity_date)
        not_inactive = (
            self.env["res.partner"]
            .with_user(self.manager)
            .search(
                [
                    ("relational_inactive", "=", False),
                    ("id", "in", (self.dormant | self.customer).ids),
                ]
            )
        )
        self.assertEqual(not_inactive, self.customer)
        # The period comes from the settings: 30 months keep the dormant one, 0 lists nobody.
        self.company.relational_retention_months = 30
        self.assertEqual(self.inactive(), self.quiet)
        self.company.relational_retention_months = 0
        self.assertFalse(self.inactive())
        # Salespeople and others read neither the list nor the dates.
        for user in (self.salesman, self.plain):
            with self.subTest(user.login), self.assertRaises(AccessError):
                self.dormant.with_user(user).read(["relational_last_activity_date"])
            with self.subTest(user.login), self.assertRaises(AccessError):
                self.inactive(user)

    def test_retention_period_is_validated(self):
        settings = self.env["res.config.settings"].create({"relational_retention_months": 6})
        settings.execute()
        self.assertEqual(self.company.relational_retention_months, 6)
        with self.assertRaises(UserError):
            self.company.relational_retention_months = -1

    def test_reengage_in_bulk(self):
        Wizard = self.env["crm.relational.retention"].with_user(self.manager)
        wizard = Wizard.with_context(
            active_model="res.partner", active_ids=(self.dormant | self.quiet).ids
        ).create({"operation": "reengage", "note": "Offer the new catalogue"})
        self.assertEqual(wizard.partner_count, 2)
        action = wizard.action_apply()
        self.assertIn("2 customer(s)", action["params"]["message"])
        activity = self.dormant.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.salesman)  # its salesperson
        self.assertEqual(activity.summary, "Re-engage this inactive customer")
        self.assertEqual(activity.date_deadline, self.today + timedelta(days=7))
        self.assertEqual(self.quiet.activity_ids.user_id, self.manager)  # none: the caller
        # Again: nobody gets a second to-do.
        action = Wizard.create(
            {"operation": "reengage", "partner_ids": [Command.set(self.dormant.ids)]}
        ).action_apply()
        self.assertIn("1 already had one", action["params"]["message"])
        self.assertEqual(len(self.dormant.activity_ids), 1)

    def test_anonymise_in_bulk(self):
        self.recompute()
        self.assertTrue(self.profiles(self.dormant))
        wizard = (
            self.env["crm.relational.retention"]
            .with_user(self.manager)
            .create(
                {
                    "operation": "forget",
                    "partner_ids": [Command.set((self.dormant | self.quiet).ids)],
                }
            )
        )
        action = wizard.action_apply()
        self.assertIn("2 customer(s) forgotten", action["params"]["message"])
        self.assertFalse(self.profiles(self.dormant))
        self.assertEqual((self.dormant | self.quiet).mapped("relational_forgotten"), [True, True])
        self.assertEqual(
            self.env["crm.relational.erasure"].search_count(
                [("partner_ref", "in", (self.dormant | self.quiet).ids)]
            ),
            2,
        )
        # Forgotten customers leave the list.
        self.assertFalse(self.inactive())

    def test_bulk_actions_are_for_administrators(self):
        for user in (self.salesman, self.plain, self.reader):
            with self.subTest(user.login), self.assertRaises(AccessError):
                self.env["crm.relational.retention"].with_user(user).create(
                    {"operation": "forget", "partner_ids": [Command.set(self.dormant.ids)]}
                )
        # A wizard is its creator's own: another administrator cannot run it.
        wizard = (
            self.env["crm.relational.retention"]
            .with_user(self.manager)
            .create({"operation": "forget", "partner_ids": [Command.set(self.dormant.ids)]})
        )
        other_admin = new_test_user(
            self.env, login="privacy_admin_2", groups="sales_team.group_sale_manager"
        )
        with self.assertRaises(AccessError):
            wizard.with_user(other_admin).action_apply()
        self.assertFalse(self.dormant.relational_forgotten)


@tagged("post_install", "-at_install")
class TestSuperuserWrites(PrivacyCase):
    def test_type_override_needs_write_access_to_the_customer(self):
        """A relational user who may read the profile but not edit the customer cannot set
        its type through the wizard's superuser write."""
        friend = self.env.ref("crm_relational.relationship_type_friend")
        profile = self.profile()
        values = {"profile_id": profile.id, "relationship_type_id": friend.id, "reason": "Hunch"}
        self.assertTrue(profile.with_user(self.reader).has_access("read"))
        self.assertFalse(self.customer.with_user(self.reader).has_access("write"))
        wizard = self.env["crm.relational.type.override"].with_user(self.reader).create(values)
        with self.assertRaises(AccessError):
            wizard.action_apply()
        self.assertFalse(profile.relationship_type_override_id)
        # A salesman may edit the customer: the override goes through.
        self.env["crm.relational.type.override"].with_user(self.salesman).create(
            values
        ).action_apply()
        self.assertEqual(profile.relationship_type_override_id, friend)

    def test_send_a_mailing_writes_nothing_for_readers(self):
        """A salesman (segments read-only) gets the mailing on the segment's customers, and
        nothing is written as superuser for him; an administrator refreshes the filter."""
        segment = self.env["crm.relational.segment"].create(
            {"name": "Privacy Buyers", "domain": repr([("id", "=", self.customer.id)])}
        )
        segment.mailing_filter_id.unlink()
        Filter = self.env["mailing.filter"]
        filters = Filter.search([])
        action = segment.with_user(self.salesman).action_send_mailing()
        self.assertEqual(
            action["context"]["default_mailing_domain"], repr(segment._partner_domain())
        )
        self.assertFalse(action["context"]["default_mailing_filter_id"])
        self.assertFalse(segment.mailing_filter_id)
        self.assertEqual(Filter.search([]), filters)
        action = segment.with_user(self.manager).action_send_mailing()
        self.assertTrue(segment.mailing_filter_id)
        self.assertEqual(
            action["context"]["default_mailing_filter_id"], segment.mailing_filter_id.id
        )


@tagged("post_install", "-at_install")
class TestPrivateExport(HttpCase, PrivacyCase):
    """The export is streamed to its requester and stored nowhere."""

    def _attachments(self):
        return self.env["ir.attachment"].search_count(
            [("name", "=like", "relational-profile-%.json")]
        )

    def _download(self, user, partner=None):
        self.authenticate(user.login, user.login)
        return self.url_open(f"/crm_relational/profile_export/{(partner or self.customer).id}")

    def test_the_export_is_private_to_its_requester(self):
        before = self._attachments()
        action = self.customer.with_user(self.manager).action_export_relational_profile()
        self.assertEqual(action["url"], f"/crm_relational/profile_export/{self.customer.id}")
        # From a contact: the customer's export.
        action = self.quinn.with_user(self.manager).action_export_relational_profile()
        self.assertEqual(action["url"], f"/crm_relational/profile_export/{self.customer.id}")
        response = self._download(self.manager)
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment", response.headers["Content-Disposition"])
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        data = json.loads(response.content)
        self.assertEqual(data["customer"]["id"], self.customer.id)
        # The manager's company only: not the other company's figures.
        self.assertEqual({p["company_id"][0] for p in data["profiles"]}, {self.company.id})
        self.assertEqual(data["profiles"][0]["order_count"], 1)
        # Nothing was stored for anybody else to fetch.
        self.assertEqual(self._attachments(), before)

    def test_others_cannot_get_it(self):
        # An internal user without the relational group: refused, by the action and the URL.
        with self.assertRaises(AccessError):
            self.customer.with_user(self.plain).action_export_relational_profile()
        self.assertEqual(self._download(self.plain).status_code, 403)
        # Another company's administrator gets their own company's profile only ...
        data = json.loads(self._download(self.other_manager).content)
        self.assertEqual({p["company_id"][0] for p in data["profiles"]}, {self.other_company.id})
        self.assertEqual(
            [
                row
                for row in data["timeline"]
                if row["company_id"] and row["company_id"][0] == self.company.id
            ],
            [],
        )
        # ... and nothing of a customer of the first company.
        private = self.env["res.partner"].create(
            {"name": "Privacy Local Ltd", "is_company": True, "company_id": self.company.id}
        )
        self.assertEqual(self._download(self.other_manager, private).status_code, 403)
        with self.assertRaises(AccessError):
            private.with_user(self.other_manager).action_export_relational_profile()
        # Logged out: the login page, never the file.
        self.logout()
        response = self.url_open(f"/crm_relational/profile_export/{self.customer.id}")
        self.assertNotIn(b"order_count", response.content)

    def test_the_export_holds_only_what_the_user_may_read(self):
        data = json.loads(self._download(self.salesman).content)
        Profile = self.env["crm.relational.profile"].with_user(self.salesman)
        Timeline = self.env["crm.relational.timeline"].with_user(self.salesman)
        for profile in data["profiles"]:
            for name in profile:
                if name != "id":
                    self.assertTrue(Profile._has_field_access(Profile._fields[name], "read"), name)
        self.assertEqual(
            len(data["timeline"]), Timeline.search_count([("partner_id", "=", self.customer.id)])
        )
        self.assertEqual(
            sorted(row["id"] for row in data["timeline"]),
            sorted(Timeline.search([("partner_id", "=", self.customer.id)]).ids),
        )
