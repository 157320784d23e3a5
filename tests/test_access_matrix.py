"""The access matrix of the three addons, generated from their own security files.

For every model the addons define (and ``helpdesk.ticket``, whose portal rules they rely on)
and every role, real ORM operations are attempted as the user (``with_user``, never ``sudo``):
search and read, write of a harmless field, create of a copy-like record and unlink. Each must
succeed exactly when the access rights say so. The expectation comes from the addons'
``security/ir.model.access.csv`` files, checked first against ``ir.model.access`` in the
database.

Record rules are exercised too: the manager of another company sees none of the first
company's records (and the stock lookup only its own warehouses), own-documents salespeople
see their own targets and forecast lines only, portal customers their own company's
tickets only.
"""

import csv
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from access_roles import build_roles
from repository_case import RepositoryCase

from odoo.exceptions import AccessError
from odoo.modules.module import get_module_path
from odoo.tests import new_test_user
from odoo.tools import SQL

ADDONS = ["crm_relational", "crm_relational_sfa", "crm_relational_service"]
# helpdesk_mgmt grants the rights on helpdesk.ticket, whose portal rules the service addon uses.
SECURITY_MODULES = [*ADDONS, "helpdesk_mgmt"]
MODES = ("read", "write", "create", "unlink")
Q1 = {"date_from": date(2026, 1, 1), "date_to": date(2026, 3, 31)}
Q2 = {"date_from": date(2026, 4, 1), "date_to": date(2026, 6, 30)}
BODY = "<p>Matrix</p>"

# label: (groups, company), company "a" being the main company and "b" another one. The user of
# another company has the widest internal rights, so that only record rules keep it out.
ROLES = {
    "portal customer": ("base.group_portal", "a"),
    "salesman": ("sales_team.group_sale_salesman", "a"),
    "sales manager": ("sales_team.group_sale_manager", "a"),
    "helpdesk agent": ("helpdesk_mgmt.group_helpdesk_user_own", "a"),
    "helpdesk manager": ("helpdesk_mgmt.group_helpdesk_manager", "a"),
    "other company": (
        "sales_team.group_sale_manager,helpdesk_mgmt.group_helpdesk_manager",
        "b",
    ),
}


@dataclass(frozen=True)
class Spec:
    """How to exercise one model.

    ``make(case, role)`` creates, as superuser, a record in the role's company that the role's
    record rules let it see (its own target, a ticket it is the customer of, ...);
    ``field``/``value`` is a harmless write; ``copy(case, role, record)`` the values of a
    copy-like record the role tries to create.
    """

    make: Callable
    field: str
    value: object
    copy: Callable


def _customer(case, role):
    return case.env["res.partner"].create({"name": f"Matrix customer ({role.label})"})


def _opportunity(case, role):
    return case.env["crm.lead"].create(
        {
            "name": f"Matrix opportunity ({role.label})",
            "type": "opportunity",
            "partner_id": _customer(case, role).id,
            "user_id": role.user.id,
            "company_id": role.company.id,
        }
    )


def _ticket_values(role, name):
    # The role's own partner is the customer: portal and internal users see such tickets.
    return {
        "name": name,
        "description": BODY,
        "partner_id": role.user.partner_id.id,
        "company_id": role.company.id,
    }


def _make_profile(case, role):
    return case.env["crm.relational.profile"].create(
        {"partner_id": _customer(case, role).id, "company_id": role.company.id}
    )


def _make_stage_history(case, role):
    profile = _make_profile(case, role)
    return case.env["crm.relational.stage.history"].create(
        {
            "profile_id": profile.id,
            "partner_id": profile.partner_id.id,
            "company_id": role.company.id,
            "stage_to": "new",
            "date": date(2026, 1, 1),
        }
    )


def _make_timeline(case, role):
    # A row of a document the role reads (the timeline follows the documents' rules): its own
    # opportunity, or its own ticket for roles that read no opportunities (helpdesk).
    if case.env["crm.lead"].with_user(role.user).has_access("read"):
        document, kind = _opportunity(case, role), "opportunity"
    else:
        document, kind = case.env["helpdesk.ticket"].create(
            {**_ticket_values(role, "Matrix timeline ticket"), "user_id": role.user.id}
        ), "ticket"  # fmt: skip
    case.env.flush_all()
    return case.env["crm.relational.timeline"].search(
        [("res_model", "=", document._name), ("res_id", "=", document.id), ("kind", "=", kind)]
    )


def _make_ticket_report(case, role):
    case.env["helpdesk.ticket"].create(
        {**_ticket_values(role, "Matrix product ticket"), "product_id": case.product.id}
    )
    case.env.flush_all()
    return case.env["crm.relational.product.ticket.report"].search(
        [("product_id", "=", case.product.id), ("company_id", "=", role.company.id)]
    )


def _make_forecast(case, role):
    return case.env["crm.relational.forecast"].create(
        {
            "company_id": role.company.id,
            "date": datetime(2026, 1, 5),
            "kind": "manual",
            "period_type": "month",
        }
    )


def _make_submission(case, role):
    # The role leads a sales team of its company: it may submit its own call there.
    team = case.env["crm.team"].create(
        {"name": f"Matrix calls ({role.label})", "company_id": role.company.id,
         "user_id": role.user.id}
    )  # fmt: skip
    return case.env["crm.relational.forecast.submission"].create(
        {"user_id": role.user.id, "team_id": team.id, "company_id": role.company.id,
         "commit": 100, "best_case": 200, **Q1}
    )  # fmt: skip


def _make_agent(case, role):
    return case.env["crm.relational.agent"].create(
        {"user_id": role.user.id, "company_id": role.company.id}
    )


def _skill(case, company):
    return case.env["crm.relational.skill"].create(
        {"name": "Matrix language", "lang": "en_US", "company_id": company.id}
    )


def _view_copy(case, role, record):
    # Rows of an SQL view cannot be created: every role must be refused by the access rights,
    # which the ORM checks before anything reaches the database.
    return {}


SPECS = {
    "crm.relational.segment": Spec(
        make=lambda case, role: case.env["crm.relational.segment"].create(
            {"name": f"Matrix segment ({role.label})", "company_id": role.company.id}
        ),
        field="color",
        value=3,
        copy=lambda case, role, record: {
            "name": "Matrix segment copy",
            "company_id": record.company_id.id,
        },
    ),
    "crm.relational.timeline": Spec(
        make=_make_timeline, field="name", value="Renamed", copy=_view_copy
    ),
    "crm.relational.profile": Spec(
        make=_make_profile,
        field="relationship_type_override_reason",
        value="Set by hand",
        copy=lambda case, role, record: {
            "partner_id": _customer(case, role).id,
            "company_id": record.company_id.id,
        },
    ),
    "crm.relational.stage.history": Spec(
        make=_make_stage_history,
        field="date",
        value=date(2026, 2, 1),
        copy=lambda case, role, record: {
            "profile_id": record.profile_id.id,
            "partner_id": record.partner_id.id,
            "company_id": record.company_id.id,
            "stage_to": "growing",
            "date": date(2026, 3, 1),
        },
    ),
    "crm.relational.relationship.type": Spec(
        make=lambda case, role: case.env["crm.relational.relationship.type"].create(
            {"name": f"Matrix type ({role.label})"}
        ),
        field="color",
        value=4,
        copy=lambda case, role, record: {"name": "Matrix type copy"},
    ),
    "crm.relational.run": Spec(
        make=lambda case, role: case.env["crm.relational.run"].create(
            {"company_id": role.company.id, "date": date(2026, 1, 1), "state": "done"}
        ),
        field="done_count",
        value=1,
        copy=lambda case, role, record: {
            "company_id": record.company_id.id,
            "date": record.date,
            "state": "done",
        },
    ),
    "crm.relational.run.partition": Spec(
        make=lambda case, role: case.env["crm.relational.run.partition"].create(
            {
                "run_id": case.env["crm.relational.run"]
                .create({"company_id": role.company.id, "date": date(2026, 1, 1), "state": "done"})
                .id,
                "partner_from": 1,
                "partner_to": 2,
                "state": "done",
            }
        ),
        field="done_count",
        value=1,
        copy=lambda case, role, record: {
            "run_id": record.run_id.id,
            "partner_from": 1,
            "partner_to": 2,
        },
    ),
    "crm.relational.type.override": Spec(
        make=lambda case, role: case.env["crm.relational.type.override"].create(
            {"profile_id": _make_profile(case, role).id, "reason": "Matrix"}
        ),
        field="reason",
        value="Another reason",
        copy=lambda case, role, record: {
            "profile_id": record.profile_id.id,
            "reason": "Matrix copy",
        },
    ),
    "crm.relational.sales.target": Spec(
        make=lambda case, role: case.env["crm.relational.sales.target"].create(
            {"user_id": role.user.id, "amount": 1000, "company_id": role.company.id, **Q1}
        ),
        field="amount",
        value=2000,
        copy=lambda case, role, record: {
            "user_id": record.user_id.id,
            "amount": 1000,
            "company_id": record.company_id.id,
            **Q2,
        },
    ),
    "crm.relational.lead.line": Spec(
        # uom_id is given: it is computed from the product, but required and not precomputed,
        # so a line created without it breaks the NOT NULL constraint (the form fills it in).
        make=lambda case, role: case.env["crm.relational.lead.line"].create(
            {
                "lead_id": _opportunity(case, role).id,
                "product_id": case.product.id,
                "uom_id": case.product.uom_id.id,
            }
        ),
        field="quantity",
        value=3.0,
        copy=lambda case, role, record: {
            "lead_id": record.lead_id.id,
            "product_id": record.product_id.id,
            "uom_id": record.uom_id.id,
            "quantity": 2.0,
        },
    ),
    "crm.relational.forecast.model": Spec(
        make=lambda case, role: case.env["crm.relational.forecast.model"].create(
            {"company_id": role.company.id, "date": datetime(2026, 1, 5)}
        ),
        field="lead_count",
        value=1,
        copy=lambda case, role, record: {
            "company_id": record.company_id.id,
            "date": record.date,
        },
    ),
    "crm.relational.forecast.backtest": Spec(
        make=lambda case, role: case.env["crm.relational.forecast.backtest"].create(
            {"company_id": role.company.id, "state": "done"}
        ),
        field="message",
        value="Matrix",
        copy=lambda case, role, record: {"company_id": record.company_id.id, "state": "done"},
    ),
    "crm.relational.forecast": Spec(
        make=_make_forecast,
        field="kind",
        value="weekly",
        copy=lambda case, role, record: {
            "company_id": record.company_id.id,
            "date": record.date,
            "kind": "manual",
            "period_type": "quarter",
        },
    ),
    "crm.relational.forecast.line": Spec(
        make=lambda case, role: case.env["crm.relational.forecast.line"].create(
            {
                "forecast_id": _make_forecast(case, role).id,
                "level": "salesperson",
                "user_id": role.user.id,
                **Q1,
            }
        ),
        field="commit",
        value=1.0,
        copy=lambda case, role, record: {
            "forecast_id": record.forecast_id.id,
            "level": "salesperson",
            "user_id": record.user_id.id,
            **Q2,
        },
    ),
    "crm.relational.forecast.submission": Spec(
        make=_make_submission,
        field="commit",
        value=150,
        copy=lambda case, role, record: {
            "user_id": record.user_id.id,
            "team_id": record.team_id.id,
            "company_id": record.company_id.id,
            "commit": 300,
            "best_case": 400,
            **Q1,
        },
    ),
    "crm.relational.skill": Spec(
        make=lambda case, role: case.env["crm.relational.skill"].create(
            {
                "name": f"Matrix skill ({role.label})",
                "skill_type": "language",
                "lang": "en_US",
                "company_id": role.company.id,
            }
        ),
        field="min_level",
        value=2,
        copy=lambda case, role, record: {
            "name": "Matrix skill copy",
            "skill_type": "language",
            "lang": "en_US",
            "company_id": record.company_id.id,
        },
    ),
    "crm.relational.agent": Spec(
        make=_make_agent,
        field="capacity",
        value=5,
        # Another user: an agent is unique per user and company.
        copy=lambda case, role, record: {
            "user_id": case.spare[record.company_id].id,
            "company_id": record.company_id.id,
        },
    ),
    "crm.relational.agent.skill": Spec(
        # The agent of a helper user: the roles' own agents may be deleted by the matrix.
        make=lambda case, role: case.env["crm.relational.agent.skill"].create(
            {
                "agent_id": case.skilled[role.company].id,
                "skill_id": _skill(case, role.company).id,
            }
        ),
        field="level",
        value=4,
        copy=lambda case, role, record: {
            "agent_id": record.agent_id.id,
            "skill_id": _skill(case, record.company_id).id,
        },
    ),
    "crm.relational.routing.run": Spec(
        make=lambda case, role: case.env["crm.relational.routing.run"].create(
            {"company_id": role.company.id, "user_id": role.user.id, "state": "done"}
        ),
        field="done_count",
        value=1,
        copy=lambda case, role, record: {
            "company_id": record.company_id.id,
            "user_id": record.user_id.id,
            "state": "done",
        },
    ),
    "crm.relational.kb.article": Spec(
        make=lambda case, role: case.env["crm.relational.kb.article"].create(
            {
                "name": f"Matrix article ({role.label})",
                "body": BODY,
                "lang": "en_US",
                "company_id": role.company.id,
                # A draft: preparing it for the portal is an agent's; publishing is not.
                "state": "draft",
            }
        ),
        field="is_public",
        value=True,
        copy=lambda case, role, record: {
            "name": "Matrix article copy",
            "body": record.body,
            "lang": record.lang,
            "company_id": record.company_id.id,
        },
    ),
    "crm.relational.product.ticket.report": Spec(
        make=_make_ticket_report, field="ticket_count", value=0, copy=_view_copy
    ),
    "crm.relational.erasure": Spec(
        make=lambda case, role: case.env["crm.relational.erasure"].create(
            {
                "partner_id": _customer(case, role).id,
                "partner_ref": 1,
                "company_id": role.company.id,
                "user_id": role.user.id,
            }
        ),
        field="date",
        value=datetime(2026, 1, 1),
        copy=lambda case, role, record: {
            "partner_ref": 2,
            "company_id": record.company_id.id,
            "user_id": record.user_id.id,
        },
    ),
    "crm.relational.retention": Spec(
        make=lambda case, role: case.env["crm.relational.retention"].create(
            {"operation": "reengage", "partner_ids": [(4, _customer(case, role).id)]}
        ),
        field="operation",
        value="forget",
        copy=lambda case, role, record: {"operation": "reengage"},
    ),
    "helpdesk.ticket": Spec(
        make=lambda case, role: case.env["helpdesk.ticket"].create(
            _ticket_values(role, f"Matrix ticket ({role.label})")
        ),
        field="name",
        value="Matrix ticket renamed",
        copy=lambda case, role, record: _ticket_values(role, "Matrix ticket copy"),
    ),
}

# Models without a company: shared by every company by design.
COMPANYLESS = {"crm.relational.relationship.type"}
# Wizards: each user's records are their own (see test_wizards_of_another_company).
TRANSIENT = {
    "crm.relational.type.override",
    "crm.relational.retention",
}


def _security_rows(env):
    """``{model: [(group, {mode: bool})]}`` from the modules' ir.model.access.csv files."""
    rows = {}
    for module in SECURITY_MODULES:
        path = os.path.join(get_module_path(module), "security", "ir.model.access.csv")
        with open(path, encoding="utf-8") as file:
            for row in csv.DictReader(file):
                model_xmlid, group_xmlid = row["model_id:id"], row["group_id:id"]
                model = env.ref(model_xmlid if "." in model_xmlid else f"{module}.{model_xmlid}")
                group = group_xmlid if "." in group_xmlid else f"{module}.{group_xmlid}"
                perms = {mode: row[f"perm_{mode}"] == "1" for mode in MODES}
                rows.setdefault(model.model, []).append((group, perms))
    return rows


class TestAccessMatrix(RepositoryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        customer = cls.env["res.partner"].create({"name": "Matrix Customer", "is_company": True})
        contact = cls.env["res.partner"].create(
            {"name": "Matrix Portal Contact", "parent_id": customer.id}
        )
        companies = build_roles(cls, ROLES, "matrix", "Matrix Other Company", contact)
        cls.spare = {
            company: new_test_user(
                cls.env,
                login=f"matrix_spare_{key}",
                company_id=company.id,
                company_ids=[(6, 0, company.ids)],
            )
            for key, company in companies.items()
        }
        cls.skilled = {
            company: cls.env["crm.relational.agent"].create(
                {
                    "user_id": new_test_user(
                        cls.env,
                        login=f"matrix_skilled_{key}",
                        company_id=company.id,
                        company_ids=[(6, 0, company.ids)],
                    ).id,
                    "company_id": company.id,
                }
            )
            for key, company in companies.items()
        }
        cls.product = cls.env["product.product"].create(
            {
                "name": "Matrix Lamp",
                "default_code": "MTX-LAMP",
                "is_storable": True,
                "sale_ok": True,
            }
        )
        cls.records = {
            (label, model): spec.make(cls, role)
            for label, role in cls.roles.items()
            for model, spec in SPECS.items()
        }
        # A wizard's records are its user's own (record rules): each role's were made by it.
        cls.env.flush_all()
        for (label, model), record in cls.records.items():
            if model in TRANSIENT:
                cls.env.cr.execute(
                    SQL(
                        "UPDATE %s SET create_uid = %s WHERE id = %s",
                        SQL.identifier(cls.env[model]._table),
                        cls.roles[label].user.id,
                        record.id,
                    )
                )
        cls.env.invalidate_all()

    def _attempt(self, label, allowed, operation):
        """Run ``operation`` in a savepoint: it must succeed if ``allowed``, else be refused."""
        with self.subTest(label):
            if allowed:
                with self.env.cr.savepoint():
                    operation()
            else:
                with self.assertRaises(AccessError), self.env.cr.savepoint():
                    operation()
        self.checks += 1

    def test_security_files_are_the_access_rights_in_the_database(self):
        models = self.env["ir.model"].search(
            [("model", "=like", "crm.relational.%"), ("abstract", "=", False)]
        )
        # The matrix covers every model of the addons, and the stock lookup its own test.
        self.assertEqual(set(models.mapped("model")) | {"helpdesk.ticket"}, set(SPECS))
        rows = _security_rows(self.env)
        self.assertLessEqual(set(SPECS), set(rows), "a model without access rights")
        Access = self.env["ir.model.access"]
        for role in self.roles.values():
            for model in SPECS:
                for mode in MODES:
                    intended = any(
                        perms[mode] and role.user.has_group(group) for group, perms in rows[model]
                    )
                    with self.subTest(f"{role.label} / {model} / {mode}: ir.model.access"):
                        self.assertEqual(
                            Access.with_user(role.user).check(model, mode, raise_exception=False),
                            intended,
                        )

    def test_access_matrix(self):
        self.checks = 0
        Access = self.env["ir.model.access"]
        for label, role in self.roles.items():
            for model, spec in SPECS.items():
                record = self.records[label, model]
                self.assertEqual(len(record), 1, f"{label} / {model}: no record to work on")
                may = {
                    mode: Access.with_user(role.user).check(model, mode, raise_exception=False)
                    for mode in MODES
                }
                Model = self.env[model].with_user(role.user)
                prefix = f"{label} / {model}"

                def read(Model=Model, record=record, spec=spec):
                    found = Model.search([("id", "=", record.id)])
                    self.assertEqual(found.ids, record.ids, "its own record is not visible")
                    self.assertIn(spec.field, found.read([spec.field])[0])

                def write(Model=Model, record=record, spec=spec):
                    Model.browse(record.id).write({spec.field: spec.value})

                def create(Model=Model, record=record, spec=spec, role=role):
                    values = spec.copy(self, role, record)
                    self.assertTrue(Model.create(values).exists())

                def unlink(Model=Model, record=record):
                    Model.browse(record.id).unlink()
                    self.assertFalse(record.exists())

                self._attempt(f"{prefix} / search+read", may["read"], read)
                self._attempt(f"{prefix} / write", may["write"], write)
                self._attempt(f"{prefix} / create", may["create"], create)
                self._attempt(f"{prefix} / unlink", may["unlink"], unlink)
        self.assertEqual(self.checks, len(ROLES) * len(SPECS) * 4)

    def test_other_company_sees_none_of_the_first_company_records(self):
        other = self.roles["other company"].user
        isolated = set(SPECS) - COMPANYLESS - TRANSIENT
        for model in sorted(isolated):
            records = self.env[model].browse(
                self.records[label, model].id
                for label, role in self.roles.items()
                if role.company == self.company_a
            )
            self.assertEqual(set(records.mapped("company_id")), {self.company_a}, model)
            Model = self.env[model].with_user(other)
            self.assertTrue(Model.has_access("read"), model)
            with self.subTest(f"other company / {model} / search"):
                self.assertFalse(Model.search([("id", "in", records.ids)]))
                self.assertFalse(Model.search_count([("company_id", "=", self.company_a.id)]))
            for mode in ("read", "write", "unlink"):
                with self.subTest(f"other company / {model} / {mode} by id"):
                    self.assertFalse(Model.browse(records.ids).has_access(mode))
            with self.subTest(f"other company / {model} / read by id"):
                with self.assertRaises(AccessError):
                    Model.browse(records[:1].id).read([SPECS[model].field])
            # Its own company's record stays in sight.
            own = self.records["other company", model]
            with self.subTest(f"other company / {model} / own company"):
                self.assertEqual(Model.search([("id", "=", own.id)]), own)

    def test_wizards_of_another_company(self):
        """Odoo 19 does not keep transient records to their creator (whatever TransientModel's
        docstring says): the wizards' own-records rules must keep a user of another company
        from the first company's stock lookups (warehouses, quantities) and relationship type
        overrides (customer, reason)."""
        other = self.roles["other company"].user
        for model in sorted(TRANSIENT):
            record = self.records["sales manager", model]
            with self.subTest(model):
                self.assertFalse(self.env[model].with_user(other).search([("id", "=", record.id)]))
                self.assertFalse(record.with_user(other).has_access("write"))

    def test_lead_lines_follow_their_opportunity(self):
        """A salesman sees only their own opportunities (crm's Personal Leads rule), and so
        only their products: not a colleague's, to read, rewrite, add or delete."""
        salesman = self.roles["salesman"].user
        colleague = self.roles["sales manager"]
        line = self.records["sales manager", "crm.relational.lead.line"]
        self.assertEqual(line.lead_id.user_id, colleague.user)
        self.assertFalse(line.lead_id.with_user(salesman).has_access("read"))
        Line = self.env["crm.relational.lead.line"].with_user(salesman)
        values = SPECS["crm.relational.lead.line"].copy(self, colleague, line)
        for mode, operation in (
            ("read", lambda: Line.browse(line.id).read(["price_unit"])),
            ("write", lambda: Line.browse(line.id).write({"price_unit": 1.0})),
            ("create", lambda: Line.create(values)),
            ("unlink", lambda: Line.browse(line.id).unlink()),
        ):
            with self.subTest(f"salesman / colleague's lead line / {mode}"):
                with self.assertRaises(AccessError), self.env.cr.savepoint():
                    operation()

    def test_salespeople_see_own_targets_and_forecast_lines(self):
        """Own-documents salespeople: their own target and line only; a team's or the
        company's sums colleagues' deals (issue 12). Managers read all of their company."""
        salesman = self.roles["salesman"].user
        manager = self.roles["sales manager"].user
        colleague = self.spare[self.company_a]
        team = self.env["crm.team"].create(
            {"name": "Matrix Team", "member_ids": [(6, 0, salesman.ids)]}
        )
        other_team = self.env["crm.team"].create({"name": "Matrix Other Team"})
        Target = self.env["crm.relational.sales.target"]
        targets = {
            "own": Target.create({"user_id": salesman.id, "amount": 1, **Q2}),
            "own team": Target.create({"team_id": team.id, "amount": 1, **Q2}),
            "colleague": Target.create({"user_id": colleague.id, "amount": 1, **Q2}),
            "colleague in own team": Target.create(
                {"user_id": colleague.id, "team_id": team.id, "amount": 1, **Q1}
            ),
            "other team": Target.create({"team_id": other_team.id, "amount": 1, **Q2}),
        }
        forecast = _make_forecast(self, self.roles["sales manager"])
        Line = self.env["crm.relational.forecast.line"]
        base = {"forecast_id": forecast.id, **Q2}
        lines = {
            "own": Line.create({**base, "level": "salesperson", "user_id": salesman.id}),
            "own team": Line.create({**base, "level": "team", "team_id": team.id}),
            "colleague": Line.create({**base, "level": "salesperson", "user_id": colleague.id}),
            "other team": Line.create({**base, "level": "team", "team_id": other_team.id}),
            "company": Line.create({**base, "level": "company"}),
        }
        for name, Model, records in (
            ("sales target", Target, targets),
            ("forecast line", Line, lines),
        ):
            everything = Model.browse(record.id for record in records.values())
            for key, record in records.items():
                visible = key == "own"
                with self.subTest(f"salesman / {name} / {key}"):
                    self.assertEqual(record.with_user(salesman).has_access("read"), visible)
                    if not visible:
                        with self.assertRaises(AccessError):
                            record.with_user(salesman).read(["date_from"])
            with self.subTest(f"salesman / {name} / search"):
                seen = everything.with_user(salesman).search([("id", "in", everything.ids)])
                self.assertEqual(set(seen.ids), {records["own"].id})
            with self.subTest(f"sales manager / {name} / search"):
                seen = everything.with_user(manager).search([("id", "in", everything.ids)])
                self.assertEqual(set(seen.ids), set(everything.ids))
            with self.subTest(f"other company / {name} / search"):
                other = self.roles["other company"].user
                self.assertFalse(everything.with_user(other).search([("id", "in", everything.ids)]))

    def test_portal_customer_sees_own_company_tickets_only(self):
        portal = self.roles["portal customer"].user
        Ticket = self.env["helpdesk.ticket"]
        commercial = portal.partner_id.commercial_partner_id
        colleague = self.env["res.partner"].create(
            {"name": "Matrix Portal Colleague", "parent_id": commercial.id}
        )
        stranger = self.env["res.partner"].create({"name": "Matrix Stranger"})
        tickets = {
            "own": self.records["portal customer", "helpdesk.ticket"],
            "colleague's": Ticket.create({"name": "Colleague", "description": BODY,
                                          "partner_id": colleague.id}),
            "stranger's": Ticket.create({"name": "Stranger", "description": BODY,
                                         "partner_id": stranger.id}),
        }  # fmt: skip
        everything = Ticket.browse(ticket.id for ticket in tickets.values())
        seen = Ticket.with_user(portal).search([("id", "in", everything.ids)])
        with self.subTest("portal / tickets / search"):
            self.assertEqual(set(seen.ids), {tickets["own"].id, tickets["colleague's"].id})
        with self.subTest("portal / stranger's ticket / read by id"):
            with self.assertRaises(AccessError):
                tickets["stranger's"].with_user(portal).read(["name"])
        for key, ticket in tickets.items():
            with self.subTest(f"portal / {key} ticket / write"), self.assertRaises(AccessError):
                ticket.with_user(portal).write({"name": "Portal was here"})
        # A ticket of the first company whose customer is the other company's user.
        other = self.roles["other company"].user
        theirs = Ticket.create(
            {"name": "Theirs", "description": BODY, "partner_id": other.partner_id.id}
        )
        with self.subTest("other company / ticket of the first company they are customer of"):
            self.assertFalse(Ticket.with_user(other).search([("id", "=", theirs.id)]))

    def test_stock_lookup_stays_within_the_user_companies(self):
        Lookup = self.env["crm.relational.stock.lookup"]
        Warehouse = self.env["stock.warehouse"]
        warehouses_a = Warehouse.search([("company_id", "=", self.company_a.id)])
        warehouses_b = Warehouse.search([("company_id", "=", self.company_b.id)])
        self.assertTrue(warehouses_a and warehouses_b)
        other = self.roles["other company"].user
        with self.subTest("other company / lookup"):
            (result,) = Lookup.with_user(other).lookup("MTX-LAMP")
            found = {warehouse["warehouse_id"] for warehouse in result["warehouses"]}
            self.assertEqual(found, set(warehouses_b.ids))
        with self.subTest("other company / lookup in the first company's warehouses"):
            (result,) = Lookup.with_user(other).lookup("MTX-LAMP", warehouse_ids=warehouses_a.ids)
            self.assertEqual(result["warehouses"], [])
        with self.subTest("salesman / lookup"):
            (result,) = Lookup.with_user(self.roles["salesman"].user).lookup("MTX-LAMP")
            found = {warehouse["warehouse_id"] for warehouse in result["warehouses"]}
            self.assertEqual(found, set(warehouses_a.ids))
        with self.subTest("portal / lookup"), self.assertRaises(AccessError):
            Lookup.with_user(self.roles["portal customer"].user).lookup("MTX-LAMP")
