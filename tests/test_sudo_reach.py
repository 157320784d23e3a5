"""One test per ``sudo()`` in the addons' code: what a user can reach through it.

Each ``sudo()`` carries a comment saying why it is there and what it exposes; each test here,
named after the method that holds it, shows a normal user gets nothing more through it: not
another company's records, not records they cannot read, not a write they are not allowed to
start. ``test_every_sudo_has_its_test`` keeps the list complete: a new ``sudo()`` without a
comment, or without a test here, fails it.
"""

import json
import os
import re
from datetime import date, datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time
from repository_case import RepositoryCase

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.service.model import get_public_method
from odoo.tests import HttpCase, new_test_user

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDONS = ["crm_relational", "crm_relational_sfa", "crm_relational_service"]
NOTIFY = "crm_relational.recompute_notify_user_ids"
# (file, method holding the sudo) -> number of sudo() calls in it; each has a test below.
SUDOS = {
    ("crm_relational/wizard/crm_relational_type_override.py", "action_apply"): 1,
    ("crm_relational/models/crm_relational_profile.py", "action_recompute_background"): 2,
    ("crm_relational/models/crm_relational_run.py", "_notify_recompute_done"): 1,
    ("crm_relational/models/crm_relational_job.py", "_batch_size"): 1,
    ("crm_relational/models/crm_relational_run.py", "_workers"): 1,
    ("crm_relational/models/crm_relational_run.py", "_start_run"): 1,
    ("crm_relational/models/crm_relational_run.py", "_cron_recompute"): 1,
    ("crm_relational/models/crm_relational_segment.py", "unlink"): 1,
    ("crm_relational/models/crm_relational_segment.py", "_sync_mailing_filter"): 2,
    ("crm_relational/models/res_partner.py", "write"): 1,
    ("crm_relational/models/res_partner.py", "_relational_forget"): 1,
    ("crm_relational_service/controllers/portal.py", "_faq"): 1,
    ("crm_relational_service/models/helpdesk_ticket.py", "_message_post_after_hook"): 1,
    ("crm_relational_service/models/crm_relational_routing.py", "_choose_agent"): 1,
    ("crm_relational_service/models/helpdesk_ticket.py", "_get_sla_ticket_domain"): 1,
    ("crm_relational_service/models/helpdesk_ticket.py", "_relational_check_close"): 1,
    ("crm_relational_sfa/models/crm_relational_forecast.py", "action_take_now"): 1,
    ("crm_relational_sfa/models/res_partner.py", "_compute_relational_credit"): 1,
    ("crm_relational_sfa/models/crm_lead.py", "_compute_duplicate_effort"): 1,
    ("crm_relational_sfa/models/crm_relational_forecast_model.py", "_fit"): 1,
    ("crm_relational_sfa/models/crm_relational_forecast_model.py", "_score_open"): 1,
    ("crm_relational_sfa/models/crm_relational_forecast_backtest.py", "action_start"): 1,
    ("crm_relational_service/models/crm_relational_routing_run.py", "_start"): 1,
    (
        "crm_relational_service/models/helpdesk_ticket_team.py",
        "_relational_start_agent_challenge",
    ): 1,
}
DEF = re.compile(r"^\s*def (\w+)\(")


def _sudo_calls():
    """{(file, enclosing method): [(line, comment above or on the line)]} of ``.sudo()``."""
    found = {}
    for addon in ADDONS:
        for folder, _dirs, files in os.walk(os.path.join(ROOT, addon)):
            if "/tests" in folder or folder.endswith("tests"):
                continue
            for name in files:
                if not name.endswith(".py"):
                    continue
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as file:
                    lines = file.read().splitlines()
                method = None
                for number, line in enumerate(lines):
                    if match := DEF.match(line):
                        method = match.group(1)
                    if ".sudo()" in line:
                        # The comment that justifies it: the method's text up to the call.
                        start = max(i for i, text in enumerate(lines[: number + 1])
                                    if DEF.match(text))  # fmt: skip
                        above = "\n".join(lines[start : number + 1])
                        key = (os.path.relpath(path, ROOT), method)
                        found.setdefault(key, []).append((number + 1, above))
    return found


class SudoCase(RepositoryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.ref("base.main_company")
        cls.company_b = cls.env["res.company"].create({"name": "Sudo Other Company"})

        def user(login, groups, company):
            return new_test_user(
                cls.env, login=login, groups=groups, company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )  # fmt: skip

        cls.salesman = user("sudo_salesman", "sales_team.group_sale_salesman", cls.company_a)
        cls.manager = user("sudo_manager", "sales_team.group_sale_manager", cls.company_a)
        cls.agent = user("sudo_agent", "helpdesk_mgmt.group_helpdesk_user_own", cls.company_a)
        cls.other = user(
            "sudo_other",
            "sales_team.group_sale_manager,helpdesk_mgmt.group_helpdesk_manager",
            cls.company_b,
        )
        cls.portal = user("sudo_portal", "base.group_portal", cls.company_a)
        cls.customer = cls.env["res.partner"].create({"name": "Sudo Customer", "is_company": True})
        Profile = cls.env["crm.relational.profile"]
        cls.profile_a = Profile.create(
            {"partner_id": cls.customer.id, "company_id": cls.company_a.id}
        )
        cls.profile_b = Profile.create(
            {"partner_id": cls.customer.id, "company_id": cls.company_b.id}
        )
        cls.partner_type = cls.env["crm.relational.relationship.type"].create(
            {"name": "Sudo Partner Type"}
        )


class TestSudoReach(SudoCase):
    def test_every_sudo_has_its_test(self):
        calls = _sudo_calls()
        self.assertEqual(
            {key: len(lines) for key, lines in calls.items()},
            SUDOS,
            "a sudo() was added, moved or removed: give it a justifying comment and a test here",
        )
        for key, lines in calls.items():
            for number, text in lines:
                with self.subTest(f"{key[0]}:{number}"):
                    self.assertRegex(text, r"sudo[:\s]", "a sudo() without a comment saying why")
        tests = {
            name
            for case in (TestSudoReach, TestSudoReachPortal)
            for name in dir(case)
            if name.startswith("test_")
        }
        for _path, method in SUDOS:
            self.assertTrue(
                any(method.strip("_") in name for name in tests), f"no test for {method}"
            )

    # ------------------------------------------------------------ crm_relational

    def test_action_apply_type_override(self):
        """The wizard's sudo write reaches only profiles the user can read, and only the
        override fields."""
        Wizard = self.env["crm.relational.type.override"].with_user(self.salesman)
        values = {"relationship_type_id": self.partner_type.id, "reason": "Asked on the phone"}
        # Another company's profile: refused, untouched.
        wizard = Wizard.create({"profile_id": self.profile_b.id, **values})
        with self.assertRaises(AccessError):
            wizard.action_apply()
        self.assertFalse(self.profile_b.relationship_type_override_id)
        # Its own company's: only the override fields change.
        before = self.profile_a.read(["health_score", "value_tier", "company_id", "partner_id"])
        Wizard.create({"profile_id": self.profile_a.id, **values}).action_apply()
        self.assertEqual(self.profile_a.relationship_type_override_id, self.partner_type)
        self.assertEqual(self.profile_a.relationship_type_id, self.partner_type)
        self.assertEqual(self.profile_a.relationship_type_override_reason, "Asked on the phone")
        after = self.profile_a.read(["health_score", "value_tier", "company_id", "partner_id"])
        self.assertEqual(after, before)
        # The profile itself stays read-only to the salesman, and the portal has no wizard.
        with self.assertRaises(AccessError):
            self.profile_a.with_user(self.salesman).write({"relationship_type_id": False})
        with self.assertRaises(AccessError):
            self.env["crm.relational.type.override"].with_user(self.portal).create(
                {"profile_id": self.profile_a.id, **values}
            )

    def test_action_recompute_background(self):
        """Its two sudo (the waiting list, the job's trigger) are reached only by relationship
        administrators, and add the caller alone to the list, the recompute job alone."""
        Param = self.env["ir.config_parameter"]
        Param.set_param(NOTIFY, json.dumps([self.manager.id]))
        cron = self.env.ref("crm_relational.ir_cron_recompute_profiles")
        Trigger = self.env["ir.cron.trigger"]
        triggers = Trigger.search([])
        for user in (self.salesman, self.agent, self.portal):
            with self.assertRaises(AccessError):
                self.env["crm.relational.profile"].with_user(user).action_recompute_background()
        self.assertEqual(json.loads(Param.get_param(NOTIFY)), [self.manager.id])
        self.assertEqual(Trigger.search([]), triggers)
        self.env["crm.relational.profile"].with_user(self.other).action_recompute_background()
        self.assertEqual(json.loads(Param.get_param(NOTIFY)), sorted([self.manager.id,
                                                                      self.other.id]))  # fmt: skip
        self.assertEqual((Trigger.search([]) - triggers).cron_id, cron)
        # The managers themselves may not write the job or the parameters.
        with self.assertRaises(AccessError):
            cron.with_user(self.manager).write({"active": False})
        with self.assertRaises(AccessError):
            Param.with_user(self.manager).set_param(NOTIFY, "[]")

    def test_notify_recompute_done(self):
        """Private: no client calls it; it tells the waiting users only and empties the list."""
        Profile = self.env["crm.relational.run"]
        with self.assertRaises(AccessError):
            get_public_method(Profile, "_notify_recompute_done")
        Param = self.env["ir.config_parameter"]
        Param.set_param(NOTIFY, json.dumps([self.manager.id, 999999999]))
        sent = []
        original = type(self.env["res.users"])._bus_send

        def spy(users, *args, **kwargs):
            sent.extend(users.ids)
            return original(users, *args, **kwargs)

        with patch.object(type(self.env["res.users"]), "_bus_send", spy):
            Profile.with_user(self.salesman)._notify_recompute_done()
        self.assertEqual(sent, [self.manager.id])
        self.assertEqual(Param.get_param(NOTIFY), "[]")

    def test_batch_size(self):
        """The engine reads one technical number through sudo; the user cannot read the
        parameters, and gets a bounded number, whatever is stored."""
        Param = self.env["ir.config_parameter"]
        Profile = self.env["crm.relational.run"].with_user(self.salesman)
        with self.assertRaises(AccessError):
            Param.with_user(self.salesman).get_param("crm_relational.batch_size")
        with self.assertRaises(AccessError):
            get_public_method(Profile, "_batch_size")
        Param.set_param("crm_relational.batch_size", "-5")
        self.assertEqual(Profile._batch_size(), 1)
        Param.set_param("crm_relational.batch_size", "db password")
        self.assertEqual(Profile._batch_size(), 20000)

    def test_workers(self):
        """The job reads how many workers share a recompute through sudo: one bounded
        number; the user can neither read the parameter nor call the method."""
        Param = self.env["ir.config_parameter"]
        Run = self.env["crm.relational.run"].with_user(self.salesman)
        with self.assertRaises(AccessError):
            Param.with_user(self.salesman).get_param("crm_relational.recompute_workers")
        with self.assertRaises(AccessError):
            get_public_method(Run, "_workers")
        Param.set_param("crm_relational.recompute_workers", "3")
        self.assertEqual(Run._workers(), 3)
        Param.set_param("crm_relational.recompute_workers", "-2")
        self.assertEqual(Run._workers(), 1)
        Param.set_param("crm_relational.recompute_workers", "db password")
        self.assertEqual(Run._workers(), 1)

    def test_cron_recompute(self):
        """The job keeps the companies it has left through sudo: a user can neither read nor
        set that note, nor call the job; the job carries on with the noted companies only,
        then clears the note."""
        Param = self.env["ir.config_parameter"]
        Run = self.env["crm.relational.run"]
        key = "crm_relational.recompute_pending_company_ids.full"
        with self.assertRaises(AccessError):
            Param.with_user(self.manager).get_param(key)
        with self.assertRaises(AccessError):
            Param.with_user(self.manager).set_param(key, json.dumps(self.company_a.ids))
        with self.assertRaises(AccessError):
            get_public_method(Run, "_cron_recompute")
        Param.set_param(key, json.dumps(self.company_b.ids))
        before = {c: Run.search_count([("company_id", "=", c.id)]) for c in
                  (self.company_a, self.company_b)}  # fmt: skip
        Run._cron_recompute()
        self.assertEqual(Run.search_count([("company_id", "=", self.company_a.id)]),
                         before[self.company_a])  # fmt: skip
        self.assertEqual(Run.search_count([("company_id", "=", self.company_b.id)]),
                         before[self.company_b] + 1)  # fmt: skip
        self.assertFalse(Param.get_param(key))

    def test_start_run(self):
        """Runs are written through sudo only once the recompute's caller is checked: a
        salesman starts none, a manager of another company only their company's."""
        Run = self.env["crm.relational.run"]
        counts = {c: Run.search_count([("company_id", "=", c.id)]) for c in
                  (self.company_a, self.company_b)}  # fmt: skip
        with self.assertRaises(AccessError):
            self.env["crm.relational.profile"].with_user(self.salesman).action_recompute()
        with self.assertRaises(AccessError):
            Run.with_user(self.manager).create({"company_id": self.company_a.id,
                                                "date": date(2026, 1, 1)})  # fmt: skip
        self.assertEqual(Run.search_count([("company_id", "=", self.company_a.id)]),
                         counts[self.company_a])  # fmt: skip
        self.env["crm.relational.profile"].with_user(self.other).action_recompute()
        self.assertEqual(Run.search_count([("company_id", "=", self.company_a.id)]),
                         counts[self.company_a])  # fmt: skip
        self.assertEqual(Run.search_count([("company_id", "=", self.company_b.id)]),
                         counts[self.company_b] + 1)  # fmt: skip
        # Nor can the other company's manager ask for the first company through the context.
        with self.assertRaises(AccessError):
            self.env["crm.relational.profile"].with_user(self.other).with_context(
                allowed_company_ids=self.company_a.ids
            ).action_recompute()

    def test_unlink_segment(self):
        """Deleting a segment deletes its own filter only, and only for those who may delete
        segments."""
        Segment = self.env["crm.relational.segment"]
        first = Segment.create({"name": "Sudo First", "domain": "[('is_company', '=', True)]"})
        second = Segment.create({"name": "Sudo Second", "domain": "[]"})
        unrelated = self.env["mailing.filter"].create(
            {"name": "Someone's filter", "mailing_domain": "[]",
             "mailing_model_id": self.env["ir.model"]._get_id("res.partner")}
        )  # fmt: skip
        filters = first.mailing_filter_id | second.mailing_filter_id
        self.assertEqual(len(filters), 2)
        with self.assertRaises(AccessError):
            first.with_user(self.salesman).unlink()
        self.assertTrue(filters.exists() == filters)
        first.with_user(self.manager).unlink()
        self.assertEqual(filters.exists(), second.mailing_filter_id)
        self.assertTrue(unrelated.exists())

    def test_sync_mailing_filter(self):
        """Through sudo a segment keeps its own filter, holding its own name and customer
        domain: a salesman (segments read-only) cannot put anything else in it, and nobody
        reaches another company's segment."""
        Segment = self.env["crm.relational.segment"]
        segment = Segment.create(
            {"name": "Sudo Buyers", "company_id": self.company_a.id,
             "domain": repr([("id", "=", self.customer.id)])}
        )  # fmt: skip
        theirs = Segment.create({"name": "Sudo Theirs", "company_id": self.company_b.id})
        segment.mailing_filter_id.unlink()
        Filter = self.env["mailing.filter"]
        others = Filter.search([])
        # A salesman may only read segments: nothing is written as superuser for him.
        action = segment.with_user(self.salesman).action_send_mailing()
        self.assertFalse(action["context"]["default_mailing_filter_id"])
        self.assertEqual(Filter.search([]), others)
        # An administrator (who may write the segment) gets the filter refreshed.
        action = segment.with_user(self.manager).action_send_mailing()
        mailing_filter = segment.mailing_filter_id
        self.assertEqual(action["context"]["default_mailing_filter_id"], mailing_filter.id)
        self.assertEqual(mailing_filter.name, "Segment: Sudo Buyers")
        self.assertEqual(mailing_filter.mailing_domain, repr(segment._partner_domain()))
        self.assertEqual(Filter.search([]) - others, mailing_filter)
        with self.assertRaises(AccessError):
            segment.with_user(self.salesman).write({"domain": "[]"})
        with self.assertRaises(AccessError):
            theirs.with_user(self.manager).action_send_mailing()
        with self.assertRaises(AccessError):
            segment.with_user(self.portal).action_send_mailing()

    def test_write_no_profiling(self):
        """Withdrawing from profiling deletes the customer's profiles in every company, and
        nothing else; a user who may not write the customer deletes nothing."""
        neighbour = self.env["res.partner"].create({"name": "Sudo Neighbour", "is_company": True})
        kept = self.env["crm.relational.profile"].create(
            {"partner_id": neighbour.id, "company_id": self.company_b.id}
        )
        secret = self.env["res.partner"].create(
            {"name": "Sudo Secret", "is_company": True, "company_id": self.company_b.id}
        )
        secret_profile = self.env["crm.relational.profile"].create(
            {"partner_id": secret.id, "company_id": self.company_b.id}
        )
        with self.assertRaises(AccessError):
            secret.with_user(self.salesman).write({"relational_no_profiling": True})
        with self.assertRaises(AccessError):
            self.customer.with_user(self.portal).write({"relational_no_profiling": True})
        self.customer.with_user(self.salesman).write({"comment": "<p>Called</p>"})
        self.assertTrue((self.profile_a | self.profile_b | secret_profile).exists())
        self.customer.with_user(self.salesman).write({"relational_no_profiling": True})
        self.assertFalse((self.profile_a | self.profile_b).exists())
        self.assertTrue((kept | secret_profile).exists() == (kept | secret_profile))

    def test_relational_forget(self):
        """Forget's sudo erases the relational records of the customers it is given only, for
        relationship administrators who may write them; nothing is returned but a count."""
        neighbour = self.env["res.partner"].create({"name": "Sudo Neighbour", "is_company": True})
        kept = self.env["crm.relational.profile"].create(
            {"partner_id": neighbour.id, "company_id": self.company_b.id}
        )
        secret = self.env["res.partner"].create(
            {"name": "Sudo Secret", "is_company": True, "company_id": self.company_b.id}
        )
        secret_profile = self.env["crm.relational.profile"].create(
            {"partner_id": secret.id, "company_id": self.company_b.id}
        )
        Erasure = self.env["crm.relational.erasure"]
        for user in (self.salesman, self.agent, self.portal):
            with self.assertRaises(AccessError):
                self.customer.with_user(user).action_relational_forget()
        # An administrator of the first company cannot reach the other company's customer.
        with self.assertRaises(AccessError):
            secret.with_user(self.manager).action_relational_forget()
        with self.assertRaises(AccessError):
            get_public_method(self.customer, "_relational_forget")
        self.assertTrue((self.profile_a | self.profile_b | secret_profile).exists())
        self.assertFalse(Erasure.search([]))
        action = self.customer.with_user(self.manager).action_relational_forget()
        self.assertNotIn("Sudo Customer", json.dumps(action))
        self.assertFalse((self.profile_a | self.profile_b).exists())
        self.assertEqual((kept | secret_profile).exists(), kept | secret_profile)
        self.assertFalse(neighbour.relational_forgotten or secret.relational_forgotten)
        self.assertEqual(Erasure.search([]).partner_id, self.customer)

    # ------------------------------------------------------------ crm_relational_service

    def test_message_post_after_hook_first_response(self):
        """The first reply's date is written through sudo on the ticket replied to only, only
        for an agent's reply, and nothing else of the ticket changes."""
        ticket = self.env["helpdesk.ticket"].create(
            {"name": "Sudo flicker", "description": "<p>Flickers</p>",
             "partner_id": self.portal.partner_id.id, "user_id": self.agent.id}
        )  # fmt: skip
        other = ticket.copy({"name": "Sudo other"})
        ticket.with_user(self.portal).message_post(
            body="Any news?", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.assertFalse(ticket.relational_first_response_date)
        before = ticket.read(["name", "stage_id", "user_id", "priority"])
        ticket.with_user(self.agent).message_post(
            body="On it.", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.assertTrue(ticket.relational_first_response_date)
        self.assertEqual(ticket.read(["name", "stage_id", "user_id", "priority"]), before)
        self.assertFalse(other.relational_first_response_date)
        # The agent may not set it by hand (the field is a fact, read-only in the views).
        with self.assertRaises(AccessError):
            ticket.with_user(self.portal).write({"relational_first_response_date": False})

    def test_get_sla_ticket_domain_reads_the_tier_only_for_the_domain(self):
        """The customer's tier is read through sudo to pick a ticket's service levels: a user
        without the relational group gets levels chosen by it, and still reads no tier."""
        self.profile_a.value_tier = "A"
        ticket = self.env["helpdesk.ticket"].create(
            {"name": "Sudo tier", "description": "<p>x</p>", "partner_id": self.customer.id}
        )
        domain = ticket.with_user(self.portal)._get_sla_ticket_domain()
        self.assertIn("'A'", str(domain))
        for user in (self.portal, self.salesman):
            with self.assertRaises(AccessError):
                ticket.with_user(user).read(["relational_value_tier"])

    def test_relational_check_close_reads_the_stage_setup_only(self):
        """Closing reads the stage's teams through sudo: a portal customer who cannot read a
        team hidden from the portal is still refused its closing stage, and a follower who is
        not the customer is refused whatever the stage; nothing is written."""
        hidden_team = self.env["helpdesk.ticket.team"].create(
            {"name": "Sudo back room", "show_in_portal": False}
        )
        closing = self.env["helpdesk.ticket.stage"].create(
            {"name": "Sudo closed by back room", "closed": True, "close_from_portal": True,
             "team_ids": [Command.set(hidden_team.ids)]}
        )  # fmt: skip
        done = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        ticket = self.env["helpdesk.ticket"].create(
            {"name": "Sudo close", "description": "<p>x</p>",
             "partner_id": self.portal.partner_id.id}
        )  # fmt: skip
        stage = ticket.stage_id
        mine = ticket.with_user(self.portal)
        self.assertFalse(hidden_team.with_user(self.portal).has_access("read"))
        with self.assertRaisesRegex(UserError, "cannot be closed in this stage"):
            mine._relational_check_close(closing.with_user(self.portal))
        mine._relational_check_close(done.with_user(self.portal))  # allowed: no error
        ticket.message_subscribe(partner_ids=self.salesman.partner_id.ids)
        with self.assertRaisesRegex(AccessError, "Only the customer"):
            ticket.with_user(self.salesman)._relational_check_close(done)
        self.assertEqual(ticket.stage_id, stage)

    def test_choose_agent(self):
        """Routing reads the team's agents and their working hours through sudo, of the
        ticket's company only: a team member who is an agent of another company never gets
        the ticket, and the routing note names the chosen agent only, never their hours."""
        colleague = new_test_user(
            self.env, login="sudo_agent_b", groups="helpdesk_mgmt.group_helpdesk_user_own",
            company_id=self.company_b.id, company_ids=[Command.set(self.company_b.ids)],
        )  # fmt: skip
        team = self.env["helpdesk.ticket.team"].create(
            {"name": "Sudo Routing", "relational_routing": True, "resource_calendar_id": False,
             "user_ids": [Command.set((self.agent | colleague).ids)]}
        )  # fmt: skip
        Agent = self.env["crm.relational.agent"]
        Agent.create({"user_id": colleague.id, "company_id": self.company_b.id, "capacity": 50})
        Agent.create({"user_id": self.agent.id, "company_id": self.company_a.id, "capacity": 1})
        # The ticket's creator sees neither agent record.
        self.assertFalse(Agent.with_user(self.portal).has_access("read"))
        # The agent works the hours of a resource of company B, back from time off half a
        # minute into the moment: the ticket's creator (of company A) may read neither, yet
        # routing knows the agent works now, as Odoo's intervals of that resource say.
        hours = self.env["resource.calendar"].create(
            {"name": "Sudo round the clock", "company_id": self.company_b.id, "tz": "UTC",
             "attendance_ids": [Command.create({"name": f"Day {day}", "dayofweek": str(day),
                                                "hour_from": 0, "hour_to": 24,
                                                "day_period": "morning"})
                                for day in range(7)]}
        )  # fmt: skip
        resource = self.env["resource.resource"].create(
            {"name": "Sudo agent", "user_id": self.agent.id, "calendar_id": hours.id,
             "tz": "UTC", "company_id": self.company_b.id}
        )  # fmt: skip
        moment = datetime(2026, 11, 25, 10, 0)
        leave = self.env["resource.calendar.leaves"].create(
            {"name": "Sudo dentist", "resource_id": resource.id, "calendar_id": hours.id,
             "date_from": moment - timedelta(hours=1), "date_to": moment + timedelta(seconds=30)}
        )  # fmt: skip
        for record in (resource, leave):
            self.assertFalse(record.with_user(self.agent).has_access("read"))
        self.env.invalidate_all()  # nothing read above is at hand for the creator
        with freeze_time(moment):
            tickets = self.env["helpdesk.ticket"].with_user(self.agent).create(
                [{"name": f"Sudo routed {n}", "description": "<p>x</p>", "team_id": team.id,
                  "company_id": self.company_a.id} for n in range(2)]
            )  # fmt: skip
        self.assertEqual(tickets[0].user_id, self.agent)
        self.assertNotIn(colleague.name, tickets[0].relational_routing_note)
        self.assertNotIn(hours.name, tickets[0].relational_routing_note)
        # The agent of company A is full: the ticket stays in the queue, not with company B.
        self.assertFalse(tickets[1].user_id)
        self.assertNotIn(colleague.name, tickets[1].relational_routing_note)

    # ------------------------------------------------------------ crm_relational_sfa

    def test_action_take_now(self):
        """The snapshot is written through sudo for the caller's current company only, and
        only by sales managers: not by a salesman, a portal user or a helpdesk agent, not for
        a company the caller does not work in."""
        Forecast = self.env["crm.relational.forecast"]
        count = Forecast.search_count([])
        for user in (self.portal, self.agent, self.salesman):
            with self.assertRaises(AccessError):
                Forecast.with_user(user).action_take_now()
        with self.assertRaises(AccessError):
            Forecast.with_user(self.manager).with_context(
                allowed_company_ids=self.company_b.ids
            ).action_take_now()
        self.assertEqual(Forecast.search_count([]), count)
        action = Forecast.with_user(self.manager).action_take_now()
        taken = Forecast.search([], order="id desc", limit=1)
        self.assertEqual(Forecast.search_count([]), count + 1)
        self.assertEqual(taken.company_id, self.company_a)
        self.assertEqual(action["domain"], [("forecast_id", "=", taken.id)])
        # The salesman reads their own lines of it only (record rules, not sudo).
        lines = (
            self.env["crm.relational.forecast.line"]
            .with_user(self.salesman)
            .search([("forecast_id", "=", taken.id), ("level", "=", "salesperson")])
        )
        self.assertLessEqual(set(lines.user_id.ids), {self.salesman.id})

    def _fit_history(self, company):
        """Two won and two lost opportunities of ``company``, closed last year."""
        Lead = self.env["crm.lead"].with_company(company)
        won_stage = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        for n in range(4):
            lead = Lead.create(
                {"name": f"Sudo history {n}", "type": "opportunity", "expected_revenue": 1000,
                 "company_id": company.id, "partner_id": self.customer.id}
            )  # fmt: skip
            if n % 2:
                lead.stage_id = won_stage
            else:
                lead.action_set_lost()
        self.env.flush_all()

    def test_fit(self):
        """The model is created through sudo only for sales managers, of their current
        company."""
        Model = self.env["crm.relational.forecast.model"]
        count = Model.search_count([])
        for user in (self.salesman, self.agent, self.portal):
            with self.assertRaises(AccessError):
                Model.with_user(user).action_fit_now()
        with self.assertRaises(AccessError):
            Model.with_user(self.manager).with_context(
                allowed_company_ids=self.company_b.ids
            ).action_fit_now()
        self.assertEqual(Model.search_count([]), count)
        self._fit_history(self.company_a)
        action = Model.with_user(self.manager).action_fit_now()
        fitted = Model.browse(action["res_id"])
        self.assertEqual(fitted.company_id, self.company_a)
        self.assertEqual(Model.search_count([]), count + 1)
        with self.assertRaises(AccessError):
            Model.with_user(self.salesman).create({"company_id": self.company_a.id,
                                                   "date": datetime(2026, 1, 5)})  # fmt: skip

    def test_score_open(self):
        """The scored count is written through sudo on the fitted model alone; the rescoring
        touches the model's company's open opportunities only."""
        self._fit_history(self.company_a)
        theirs = self.env["crm.lead"].create(
            {"name": "Sudo B open", "type": "opportunity", "company_id": self.company_b.id,
             "expected_revenue": 500}
        )  # fmt: skip
        ours = self.env["crm.lead"].create(
            {"name": "Sudo A open", "type": "opportunity", "company_id": self.company_a.id,
             "expected_revenue": 500, "user_id": self.salesman.id}
        )  # fmt: skip
        self.env.flush_all()
        before = theirs.relational_win_probability
        Model = self.env["crm.relational.forecast.model"]
        previous = Model.search([])
        action = Model.with_user(self.manager).action_fit_now()
        fitted = Model.browse(action["res_id"])
        self.assertGreater(fitted.scored_count, 0)
        self.assertEqual((Model.search([]) - previous), fitted)
        self.assertEqual(previous.mapped("scored_count"), previous.mapped("scored_count"))
        theirs.invalidate_recordset()
        ours.invalidate_recordset()
        self.assertEqual(theirs.relational_win_probability, before)
        self.assertTrue(ours.relational_win_probability)
        with self.assertRaises(AccessError):
            fitted.with_user(self.salesman).write({"scored_count": 0})

    def _credit_fixtures(self):
        customer = self.env["res.partner"].create(
            {"name": "Sudo Credit", "is_company": True, "credit_limit": 1000,
             "use_partner_credit_limit": True}
        )  # fmt: skip
        invoice = self.env["account.move"].create(
            {"move_type": "out_invoice", "partner_id": customer.id,
             "company_id": self.company_a.id, "invoice_date": date.today() - timedelta(days=40),
             "invoice_date_due": date.today() - timedelta(days=10),
             "invoice_line_ids": [Command.create({"name": "Lamps", "quantity": 3,
                                                  "price_unit": 100,
                                                  "tax_ids": [Command.clear()]})]}
        )  # fmt: skip
        invoice.action_post()
        product = self.env["product.product"].create(
            {"name": "Sudo Lamp", "type": "consu", "invoice_policy": "order", "list_price": 150}
        )
        order = self.env["sale.order"].create(
            {"partner_id": customer.id, "company_id": self.company_a.id,
             "user_id": self.manager.id,
             "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 2,
                                            "price_unit": 150, "tax_ids": [Command.clear()]})]}
        )  # fmt: skip
        order.action_confirm()
        secret = self.env["res.partner"].create(
            {"name": "Sudo Credit B", "is_company": True, "company_id": self.company_b.id}
        )
        return customer, invoice, order, secret

    def test_compute_relational_credit(self):
        """One sudo (the credit limit) gives a salesman the applicable limit of customers he
        can read, and nothing else: the sums come from the documents he may read (not a
        colleague's invoice or order), not another company's, not a customer he cannot
        read."""
        customer, invoice, order, secret = self._credit_fixtures()
        seen = customer.with_user(self.salesman)
        self.assertAlmostEqual(seen.relational_credit_outstanding, 0)
        self.assertAlmostEqual(seen.relational_credit_overdue, 0)
        self.assertAlmostEqual(seen.relational_credit_to_invoice, 0)
        self.assertAlmostEqual(seen.relational_credit_limit, 1000)
        with self.assertRaises(AccessError):
            seen.read(["use_partner_credit_limit"])
        # The documents behind the sums are out of his reach, so they are not counted; the
        # manager, who reads them, gets the sums.
        self.assertFalse(order.with_user(self.salesman).has_access("read"))
        self.assertFalse(invoice.line_ids.with_user(self.salesman).has_access("read"))
        managed = customer.with_user(self.manager)
        self.assertAlmostEqual(managed.relational_credit_outstanding, 300)
        self.assertAlmostEqual(managed.relational_credit_overdue, 300)
        self.assertAlmostEqual(managed.relational_credit_to_invoice, 300)
        # The other company's user reads the same customer: its own company's sums, zero.
        theirs = customer.with_user(self.other).with_company(self.company_b)
        self.assertEqual(theirs.relational_credit_outstanding, 0)
        self.assertEqual(theirs.relational_credit_to_invoice, 0)
        self.assertEqual(theirs.relational_credit_currency_id, self.company_b.currency_id)
        # A customer of another company: no sums, no limit, nothing at all.
        with self.assertRaises(AccessError):
            secret.with_user(self.salesman).read(["relational_credit_outstanding"])
        with self.assertRaises(AccessError):
            customer.with_user(self.salesman).with_context(
                allowed_company_ids=self.company_b.ids
            ).read(["relational_credit_exposure"])

    def test_compute_duplicate_effort(self):
        """The duplicate-effort search runs as superuser so an own-documents salesman is
        warned, but only the other salespeople and a count leave it: not the other deals
        (names, amounts), not another company's."""
        Lead = self.env["crm.lead"]
        mine = Lead.create(
            {"name": "Sudo office lamps", "type": "opportunity", "partner_id": self.customer.id,
             "user_id": self.salesman.id, "company_id": self.company_a.id}
        )  # fmt: skip
        theirs = Lead.create(
            {"name": "Sudo new office lamps", "type": "opportunity",
             "partner_id": self.customer.id, "user_id": self.manager.id,
             "company_id": self.company_a.id, "expected_revenue": 123456}
        )  # fmt: skip
        Lead.create(
            {"name": "Sudo office lamps abroad", "type": "opportunity",
             "partner_id": self.customer.id, "user_id": self.other.id,
             "company_id": self.company_b.id}
        )  # fmt: skip
        seen = mine.with_user(self.salesman)
        self.assertFalse(theirs.with_user(self.salesman).has_access("read"))
        self.assertEqual(seen.other_salesperson_ids, self.manager)
        self.assertEqual(seen.similar_opportunity_count, 1)
        self.assertFalse(seen.similar_opportunity_ids)
        values = seen.read(["other_salesperson_ids", "similar_opportunity_ids"])[0]
        self.assertNotIn("123456", str(values))
        self.assertNotIn(theirs.id, values["similar_opportunity_ids"])
        # The portal user reads no opportunity at all.
        with self.assertRaises(AccessError):
            mine.with_user(self.portal).read(["other_salesperson_ids"])

    def _new_triggers(self, triggers):
        return self.env["ir.cron.trigger"].search([("id", "not in", triggers.ids)])

    def test_forecast_backtest_action_start(self):
        """The backtest job is triggered through sudo by sales managers only, and it alone."""
        Backtest = self.env["crm.relational.forecast.backtest"]
        triggers = self.env["ir.cron.trigger"].search([])
        for user in (self.salesman, self.agent, self.portal):
            with self.assertRaises(AccessError):
                Backtest.with_user(user).action_start()
        self.assertFalse(self._new_triggers(triggers))
        Backtest.with_user(self.manager).action_start()
        self.assertEqual(
            self._new_triggers(triggers).cron_id,
            self.env.ref("crm_relational_sfa.ir_cron_forecast_backtest"),
        )

    def _routing_tickets(self):
        team = self.env["helpdesk.ticket.team"].create(
            {"name": "Sudo Bulk Routing", "relational_routing": True}
        )
        return self.env["helpdesk.ticket"].create(
            [{"name": f"Sudo queued {n}", "description": "<p>x</p>", "team_id": team.id,
              "company_id": self.company_a.id} for n in range(2)]
        )  # fmt: skip

    def test_routing_run_start(self):
        """The routing job is triggered through sudo by helpdesk managers only, for their
        company's tickets only, and it alone."""
        tickets = self._routing_tickets()
        Run = self.env["crm.relational.routing.run"]
        triggers = self.env["ir.cron.trigger"].search([])
        for user in (self.agent, self.salesman, self.portal):
            with self.assertRaises(AccessError):
                Run.with_user(user)._start(tickets)
        with self.assertRaises(UserError):
            Run.with_user(self.other)._start(tickets)  # the first company's tickets
        self.assertFalse(self._new_triggers(triggers))
        leader = new_test_user(
            self.env, login="sudo_leader", groups="helpdesk_mgmt.group_helpdesk_manager",
            company_id=self.company_a.id, company_ids=[Command.set(self.company_a.ids)],
        )  # fmt: skip
        Run.with_user(leader)._start(tickets)
        self.assertEqual(
            self._new_triggers(triggers).cron_id,
            self.env.ref("crm_relational_service.ir_cron_route_tickets"),
        )
        self.assertEqual(Run.search([], order="id desc", limit=1).ticket_ids, tickets)

    def test_routing_run_batch_size(self):
        """The job reads one technical number through sudo; the user cannot read the
        parameters, and gets a bounded number whatever is stored."""
        Param = self.env["ir.config_parameter"]
        Run = self.env["crm.relational.routing.run"].with_user(self.agent)
        with self.assertRaises(AccessError):
            Param.with_user(self.agent).get_param("crm_relational_service.routing_batch_size")
        with self.assertRaises(AccessError):
            get_public_method(Run, "_batch_size")
        Param.set_param("crm_relational_service.routing_batch_size", "0")
        self.assertEqual(Run._batch_size(), 1)
        Param.set_param("crm_relational_service.routing_batch_size", "db password")
        self.assertEqual(Run._batch_size(), 50)

    def test_relational_start_agent_challenge(self):
        """A helpdesk manager's new team starts the shipped agent challenge through sudo, and
        only it, only while it is a draft that never ran: he still cannot start, stop or edit
        a challenge himself, an agent cannot create a team, and a challenge that ran and was
        stopped by hand stays stopped."""
        challenge = self.env.ref("crm_relational_service.challenge_service_month")
        other = challenge.copy({"name": "Sudo other challenge"})
        self.env["gamification.goal"].search([("challenge_id", "=", challenge.id)]).unlink()
        challenge.state = "draft"
        leader = new_test_user(
            self.env, login="sudo_team_leader", groups="helpdesk_mgmt.group_helpdesk_manager",
            company_id=self.company_a.id, company_ids=[Command.set(self.company_a.ids)],
        )  # fmt: skip
        Team = self.env["helpdesk.ticket.team"]
        with self.assertRaises(AccessError):
            Team.with_user(self.agent).create({"name": "Sudo agent team"})
        self.assertEqual(challenge.state, "draft")
        with self.assertRaises(AccessError):
            challenge.with_user(leader).action_start()
        with self.assertRaises(AccessError):
            get_public_method(Team.with_user(leader), "_relational_start_agent_challenge")
        Team.with_user(leader).create({"name": "Sudo leader team"})
        self.assertEqual(challenge.state, "inprogress")
        self.assertEqual(other.state, "draft")
        with self.assertRaises(AccessError):
            challenge.with_user(leader).write({"state": "done"})
        # Stopped by hand after it ran: a further team does not restart it.
        challenge.state = "done"
        Team.with_user(leader).create({"name": "Sudo second team"})
        self.assertEqual(challenge.state, "done")


class TestSudoReachPortal(HttpCase):
    test_tags = {"standard", "post_install"}
    test_module = "crm_relational"

    def test_faq(self):
        """The FAQ controller's sudo shows a portal customer the public, published, active
        articles of their company or shared, in the list, the search and by id; never an
        internal, draft, archived or other company's article: neither in their language nor
        when the FAQ falls back to every language (a customer whose language has none)."""
        company_b = self.env["res.company"].create({"name": "Sudo FAQ Other Company"})
        self.env["res.lang"]._activate_lang("fr_FR")
        new_test_user(self.env, login="sudo_faq", password="sudo_faq_pw!",
                      groups="base.group_portal")  # fmt: skip
        new_test_user(self.env, login="sudo_faq_fr", password="sudo_faq_fr_pw!",
                      groups="base.group_portal", lang="fr_FR")  # fmt: skip
        Article = self.env["crm.relational.kb.article"]
        base = {"lang": "en_US", "body": "<p>Hold the kettle button ten seconds.</p>"}
        shown = {
            "ours": Article.create({**base, "name": "Kettle ours", "is_public": True}),
            "shared": Article.create(
                {**base, "name": "Kettle shared", "is_public": True, "company_id": False}
            ),
        }
        hidden = {
            "internal": Article.create({**base, "name": "Kettle internal"}),
            "other company": Article.create(
                {**base, "name": "Kettle theirs", "is_public": True, "company_id": company_b.id}
            ),
            "archived": Article.create(
                {**base, "name": "Kettle archived", "is_public": True, "active": False}
            ),
        }
        if "state" in Article._fields:
            hidden["draft"] = Article.create(
                {**base, "name": "Kettle draft", "is_public": True, "state": "draft"}
            )
        for login in ("sudo_faq", "sudo_faq_fr", None):  # None: an anonymous visitor
            self.authenticate(login, login and f"{login}_pw!")
            for url in ("/my/faq", "/my/faq?search=kettle"):
                page = self.url_open(url)
                self.assertEqual(page.status_code, 200)
                for key, article in shown.items():
                    self.assertIn(article.name, page.text, f"{login} {url}: {key}")
                for key, article in hidden.items():
                    self.assertNotIn(article.name, page.text, f"{login} {url}: {key}")
        for key, article in shown.items():
            self.assertEqual(self.url_open(f"/my/faq/{article.id}").status_code, 200, key)
        for key, article in hidden.items():
            response = self.url_open(f"/my/faq/{article.id}")
            self.assertEqual(response.status_code, 404, key)
            self.assertNotIn(article.name, response.text, key)
