"""The three addons install on a database that already has years of business, upgrade from
the previous release and from themselves, uninstall and reinstall cleanly, with no warning in
the log."""

import ast
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

import pytest
from odoo_process import (
    ADDONS,
    ROOT,
    database_copy,
    drop_database,
    new_database,
    odoo_conf,
    odoo_shell,
    problems,
    query,
    run_odoo,
)

pytestmark = pytest.mark.slow

# What each addon adds to the database, that must go away with it.
OWN_TABLES = {
    "crm_relational": ["crm_relational_segment"],
    "crm_relational_sfa": ["crm_relational_sales_target"],
    "crm_relational_service": ["crm_relational_skill"],
}
OWN_COMPANY_COLUMNS = {
    "crm_relational": ["relational_tier_a_share", "relational_clv_horizon_months"],
    "crm_relational_sfa": ["sfa_forecast_period"],
    "crm_relational_service": ["service_calendar_id"],
}
DEPENDENTS = {
    "crm_relational": ADDONS,
    "crm_relational_sfa": ["crm_relational_sfa"],
    "crm_relational_service": ["crm_relational_service"],
}


def module_states(db):
    return dict(
        query(db, "SELECT name, state FROM ir_module_module WHERE name = ANY(%s)", (ADDONS,))
    )


def test_upgrade_runs_without_errors_or_warnings():
    with database_copy("crm_relational_lifecycle_upgrade") as db:
        code, log = run_odoo(
            "-c", odoo_conf(), "-d", db, "-u", ",".join(ADDONS), "--stop-after-init"
        )
        assert code == 0, log[-3000:]
        assert problems(log) == []
        assert set(module_states(db).values()) == {"installed"}


@pytest.mark.parametrize("addon", ADDONS)
def test_uninstall_leaves_nothing_and_reinstall_works(addon):
    with database_copy(f"crm_relational_lifecycle_{addon}") as db:
        code, log = run_odoo("module", "uninstall", "-c", odoo_conf(), "-d", db, addon)
        assert code == 0, log[-3000:]
        assert problems(log) == []
        removed = DEPENDENTS[addon]
        states = module_states(db)
        assert {name: states[name] for name in removed} == dict.fromkeys(removed, "uninstalled")
        kept = [name for name in ADDONS if name not in removed]
        assert {name: states[name] for name in kept} == dict.fromkeys(kept, "installed")

        for name in removed:
            assert query(db, "SELECT count(*) FROM ir_model_data WHERE module = %s", (name,)) == [
                (0,)
            ]
            for table in OWN_TABLES[name]:
                assert query(db, "SELECT to_regclass(%s)", (table,)) == [(None,)]
            columns = query(
                db,
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'res_company' AND column_name = ANY(%s)",
                (OWN_COMPANY_COLUMNS[name],),
            )
            assert columns == []
        # No view, menu or scheduled action is left pointing at what was removed.
        assert query(
            db,
            "SELECT count(*) FROM ir_ui_view WHERE arch_db::text ~ %s",
            ("|".join(c for name in removed for c in OWN_COMPANY_COLUMNS[name]),),
        ) == [(0,)]
        assert query(
            db,
            "SELECT count(*) FROM ir_act_window WHERE res_model LIKE 'crm.relational.%'"
            " AND res_model NOT IN (SELECT model FROM ir_model)",
        ) == [(0,)]

        code, log = run_odoo("module", "install", "-c", odoo_conf(), "-d", db, *removed)
        assert code == 0, log[-3000:]
        assert problems(log) == []
        assert set(module_states(db).values()) == {"installed"}


# ---------------------------------------------------------------------------------------------
# Installing on a database with years of business, and upgrading from the previous release

# The applications a company runs before it adds ours.
HOST_MODULES = "sale_stock,crm,helpdesk_mgmt"
# The previous release of the three addons: the upgrade test starts from the newest commit whose
# manifests carry these versions. A release that bumps the versions moves these to its own.
PREVIOUS_RELEASE = {
    "crm_relational": "19.0.1.1.0",
    "crm_relational_sfa": "19.0.1.1.0",
    "crm_relational_service": "19.0.1.0.0",
}
# The modules the current release depends on that the previous one did not: the upgrade installs
# them.
NEW_DEPENDENCIES = ["helpdesk_mgmt_sla", "helpdesk_mgmt_rating", "helpdesk_product", "gamification"]
# The cached host database: its name's prefix, and the data generated into it.
HOST_PREFIX = "crm_relational_lifecycle_host_"
GENERATED = ("--size", "small", "--seed", "42")
RESULT = "RESULT "  # a shell script prints its JSON result on a line starting with this

# Confirmed orders per customer (commercial entity), as the profiles count them.
ORDERS_BY_CUSTOMER = """
    SELECT p.commercial_partner_id, count(*)::int
      FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
     WHERE so.state = 'sale' AND so.date_order::date <= CURRENT_DATE
     GROUP BY p.commercial_partner_id
"""
# The business documents of each customer that the timeline must show: (model, id, customer).
EXISTING_DOCUMENTS = """
    SELECT 'sale.order', so.id, p.commercial_partner_id
      FROM sale_order so JOIN res_partner p ON p.id = so.partner_id WHERE so.state = 'sale'
     UNION ALL
    SELECT 'account.move', am.id, p.commercial_partner_id
      FROM account_move am JOIN res_partner p ON p.id = am.partner_id
     WHERE am.move_type IN ('out_invoice', 'out_refund') AND am.state = 'posted'
     UNION ALL
    SELECT 'account.payment', ap.id, p.commercial_partner_id
      FROM account_payment ap JOIN res_partner p ON p.id = ap.partner_id
     WHERE ap.partner_type = 'customer' AND ap.payment_type = 'inbound'
       AND ap.state IN ('in_process', 'paid')
     UNION ALL
    SELECT 'stock.picking', sp.id, p.commercial_partner_id
      FROM stock_picking sp JOIN res_partner p ON p.id = sp.partner_id
      JOIN stock_picking_type spt ON spt.id = sp.picking_type_id
     WHERE spt.code = 'outgoing' AND sp.state = 'done'
     UNION ALL
    SELECT 'crm.lead', l.id, p.commercial_partner_id
      FROM crm_lead l JOIN res_partner p ON p.id = l.partner_id WHERE l.type = 'opportunity'
     UNION ALL
    SELECT 'helpdesk.ticket', t.id, p.commercial_partner_id
      FROM helpdesk_ticket t JOIN res_partner p ON p.id = t.partner_id
"""
TIMELINE_DOCUMENTS = """
    SELECT res_model, res_id, partner_id FROM crm_relational_timeline
     WHERE kind IN ('sale_order', 'invoice', 'refund', 'payment', 'delivery', 'opportunity',
                    'ticket')
"""

# After the install: the scheduler's first run of the profile job (due at once), then the
# existing tickets as an agent sees them, a service level applied to them, a link to an order.
FIRST_RUN_ON_EXISTING_BUSINESS = """
import json
from odoo import fields
cron = env.ref("crm_relational.ir_cron_recompute_profiles")
due = cron.active and cron.nextcall <= fields.Datetime.now()
cron.method_direct_trigger()
env.cr.commit()  # a new transaction, that sees what the job committed
env.invalidate_all()
tickets = env["helpdesk.ticket"].search([])
badges = {
    ticket.id: [ticket.commercial_partner_id.id, ticket.relational_value_tier or None,
                ticket.relational_stage or None, ticket.relational_reopen_count,
                bool(ticket.relational_first_response_date), bool(ticket.ticket_sla_ids)]
    for ticket in tickets
}
team = tickets.team_id
team.use_sla = True
env["helpdesk.sla"].create({
    "name": "Solved in two working days", "team_ids": [(6, 0, team.ids)], "hours": 16,
    "stage_id": env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done").id,
})
open_tickets = tickets.filtered(lambda ticket: not ticket.closed)
for ticket in open_tickets:
    ticket.refresh_sla()
ticket = tickets[:1]
order = env["sale.order"].search(
    [("partner_id", "child_of", ticket.commercial_partner_id.id), ("state", "=", "sale")],
    limit=1,
)
ticket.sale_order_id = order
print("RESULT " + json.dumps({
    "due": due,
    "badges": badges,
    "open_tickets": len(open_tickets),
    "deadlines": sum(bool(t.sla_deadline and t.sla_deadline > t.create_date) for t in open_tickets),
    "team_calendar": team.resource_calendar_id.id,
    "company_calendar": env.company.resource_calendar_id.id,
    "order_tickets": order.relational_ticket_count,
}))
"""

# With the previous release: profiles computed, settings changed from their defaults, sales
# targets for this month, a relationship type set by hand, service skills.
BEFORE_UPGRADE = """
import json
from datetime import timedelta
from odoo import fields
env.ref("crm_relational.ir_cron_recompute_profiles").method_direct_trigger()
env.cr.commit()  # a new transaction, that sees what the job committed
env.invalidate_all()
calendar = env["resource.calendar"].create({
    "name": "Around the clock", "tz": "UTC",
    "attendance_ids": [(0, 0, {"name": f"Day {day}", "dayofweek": str(day), "hour_from": 0,
                               "hour_to": 24, "day_period": "morning"}) for day in range(7)],
})
env["res.config.settings"].create({
    "relational_tier_a_share": 70.0, "relational_clv_horizon_months": 18,
    "relational_neglect_days_a": 21, "sfa_forecast_period": "month", "sfa_idle_days": 9,
    "sfa_followup_activity": True, "service_calendar_id": calendar.id,
}).execute()
start = fields.Date.today().replace(day=1)
end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
rep = env["res.users"].search([("login", "=", "crm_rep_1")])
team = env["crm.team"].search([("name", "=", "Middle East")], limit=1)
env["crm.relational.sales.target"].create([
    {"user_id": rep.id, "date_from": start, "date_to": end, "amount": 12000.0},
    {"team_id": team.id, "date_from": start, "date_to": end, "amount": 50000.0},
])
profile = env["crm.relational.profile"].search([("order_count", ">", 0)], order="partner_id",
                                               limit=1)
friend = env.ref("crm_relational.relationship_type_friend")
env["crm.relational.type.override"].create({
    "profile_id": profile.id, "relationship_type_id": friend.id,
    "reason": "Known them for twenty years",
}).action_apply()
env["crm.relational.skill"].create([
    {"name": "English", "skill_type": "language", "lang": "en_US"},
    {"name": "Phone", "skill_type": "channel",
     "channel_id": env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone").id},
])
env.cr.commit()
print("RESULT " + json.dumps({
    "rep": rep.id, "calendar": calendar.id, "override_partner": profile.partner_id.id,
    "friend": friend.id,
}))
"""

# With the current release: a forecast from the old targets and settings, a ticket routed by
# the old skills, and the profile job of the new release.
AFTER_UPGRADE = """
import json
from odoo import fields
today = fields.Date.today()
forecast = env["crm.relational.forecast"]._take(env.company)
current = forecast.line_ids.filtered(lambda line: line.date_from <= today <= line.date_to)
rep = env["res.users"].search([("login", "=", "crm_rep_1")])
rep_line = current.filtered(lambda line: line.level == "salesperson" and line.user_id == rep)
company_line = current.filtered(lambda line: line.level == "company")
agent = env["res.users"].create({
    "name": "Lina Haddad", "login": "lifecycle_agent",
    "group_ids": [(4, env.ref("helpdesk_mgmt.group_helpdesk_user_own").id)],
})
skills = env["crm.relational.skill"].search([])
env["crm.relational.agent"].create({
    "user_id": agent.id, "capacity": 3,
    "skill_ids": [(0, 0, {"skill_id": skill.id, "level": 3}) for skill in skills],
})
team = env["helpdesk.ticket.team"].create({
    "name": "Routed Care", "relational_routing": True, "user_ids": [(6, 0, agent.ids)],
})
customer = env["crm.relational.profile"].search(
    [("order_count", ">", 0), ("partner_id.lang", "=", "en_US")], limit=1
).partner_id
ticket = env["helpdesk.ticket"].create({
    "name": "Parcel missing", "description": "<p>One box of three arrived.</p>",
    "team_id": team.id, "partner_id": customer.id,
    "channel_id": env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone").id,
})
env.cr.commit()  # the job runs in a transaction of its own
env.ref("crm_relational.ir_cron_recompute_profiles").method_direct_trigger()
print("RESULT " + json.dumps({
    "period_type": forecast.period_type,
    "model": bool(forecast.model_id),
    "lines": len(forecast.line_ids),
    "ordered": all(line.p10 <= line.p50 <= line.p90 for line in forecast.line_ids),
    "rep_target": rep_line.target,
    "company_target": company_line.target,
    "team_calendar": team.resource_calendar_id.id,
    "required_skills": sorted(ticket.relational_required_skill_ids.mapped("name")),
    "agent": agent.id,
    "routed_to": ticket.user_id.id,
}))
"""

# What the upgrade must keep, table by table.
KEPT = {
    "profiles": """SELECT partner_id, company_id, order_count, revenue, value_tier, stage,
                          stage_date, rfm_segment, clv, health_score, relationship_type_id,
                          relationship_type_override_id, relationship_type_override_reason,
                          computed_at
                     FROM crm_relational_profile ORDER BY partner_id, company_id""",
    "stage history": """SELECT id, profile_id, partner_id, company_id, stage_from, stage_to, date
                          FROM crm_relational_stage_history ORDER BY id""",
    "targets": """SELECT id, user_id, team_id, date_from, date_to, amount, company_id
                    FROM crm_relational_sales_target ORDER BY id""",
    "settings": """SELECT id, relational_tier_a_share, relational_clv_horizon_months,
                          relational_neglect_days_a, sfa_forecast_period, sfa_idle_days,
                          sfa_followup_activity, service_calendar_id
                     FROM res_company ORDER BY id""",
    "skills": """SELECT id, name, skill_type, lang, channel_id, active, company_id
                   FROM crm_relational_skill ORDER BY id""",
    "tickets": """SELECT id, number, name, partner_id, team_id, user_id, stage_id, category_id,
                         create_date
                    FROM helpdesk_ticket ORDER BY id""",
}


def shell(db, script, *args):
    """Run `script` in ``odoo shell`` on `db`; its JSON result, once the log is found clean."""
    code, output, log = odoo_shell(db, script, *args)
    assert code == 0, log[-3000:]
    assert problems(log) == []
    results = [line for line in output.splitlines() if line.startswith(RESULT)]
    assert results, output[-2000:]
    return json.loads(results[-1][len(RESULT) :])


def odoo(db, *args):
    """Install or upgrade modules with Odoo's command line; the log must be clean."""
    code, log = run_odoo("-c", odoo_conf(), "-d", db, *args, "--stop-after-init")
    assert code == 0, log[-3000:]
    assert problems(log) == []


def module_versions(db, names):
    return dict(
        query(
            db,
            "SELECT name, latest_version FROM ir_module_module"
            " WHERE name = ANY(%s) AND state = 'installed'",
            (list(names),),
        )
    )


def git(*args, text=True):
    return subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=text, check=False)


def manifest_versions(commit=None):
    """{addon: version} of the manifests at `commit`, or in the working tree."""
    versions = {}
    for addon in ADDONS:
        path = f"{addon}/__manifest__.py"
        if commit:
            shown = git("show", f"{commit}:{path}")
            text = shown.stdout if shown.returncode == 0 else "{'version': None}"
        else:
            with open(f"{ROOT}/{path}", encoding="utf-8") as manifest:
                text = manifest.read()
        versions[addon] = ast.literal_eval(text)["version"]
    return versions


def release_commit(release):
    """The newest commit whose manifests carry the versions of `release` (the one before the
    next commit that changed a manifest)."""
    if git("rev-parse", "--git-dir").returncode != 0:
        pytest.fail(
            f"The upgrade test takes the previous release from the git history, and {ROOT} is "
            "not a git clone: run it in a clone of the repository."
        )
    manifests = [f"{addon}/__manifest__.py" for addon in ADDONS]
    newer = None
    for commit in git("log", "--format=%H", "--", *manifests).stdout.split():
        if manifest_versions(commit) == release:
            found = git("rev-parse", f"{newer}^").stdout.strip() if newer else commit
            assert manifest_versions(found) == release
            return found
        newer = commit
    pytest.fail(
        f"No commit of the git history has the manifest versions {release}: a shallow clone? "
        "Fetch the whole history (git fetch --unshallow)."
    )


def extract_addons(commit, folder):
    """The three addons as they were at `commit`, into `folder`."""
    archive = git("archive", "--format=tar", commit, *ADDONS, text=False)
    assert archive.returncode == 0, archive.stderr
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        # Our own history; the "data" filter where Python has it (3.10.12, 3.11.4 and later).
        tar.extractall(folder, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))


def host_database_name():
    """The cached host database's name, from what it is made of: the host modules, Odoo's
    version and the generator's code."""
    from odoo.release import version

    digest = hashlib.sha256(f"{HOST_MODULES} {version} {GENERATED}".encode())
    for folder, dirs, files in os.walk(os.path.join(ROOT, "data")):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            path = os.path.join(folder, name)
            digest.update(os.path.relpath(path, ROOT).encode())
            with open(path, "rb") as content:
                digest.update(content.read())
    return f"{HOST_PREFIX}{digest.hexdigest()[:12]}"


@pytest.fixture(scope="module")
def host_database():
    """A company's database before it adds our addons: Odoo's sales with stock, CRM and OCA's
    helpdesk, and two years of business from the repository's generator (small size: 36
    customers, about 150 orders with deliveries, invoices and payments, about 60 opportunities,
    15 tickets, as of the day it is built). Tests copy it. Building it takes minutes, so it is
    kept between runs, as ``make test`` keeps its template, and rebuilt when the generator or
    Odoo changes."""
    name = host_database_name()
    others = query(
        "postgres",
        "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname != %s",
        (HOST_PREFIX.replace("_", r"\_") + "%", name),
    )
    if query("postgres", "SELECT 1 FROM pg_database WHERE datname = %s", (name,)):
        return name
    for (other,) in others:
        drop_database(other)
    with new_database(f"{name}_new") as db:
        odoo(db, "-i", HOST_MODULES)
        generator = subprocess.run(
            [sys.executable, "-m", "data.generator", "-c", odoo_conf(), "-d", db, *GENERATED],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert generator.returncode == 0, generator.stderr[-3000:]
        assert problems(generator.stderr) == []
        # Complete only now: an interrupted build leaves no database that looks cached.
        query("postgres", f'ALTER DATABASE "{db}" RENAME TO "{name}"')
    return name


def test_install_on_a_database_with_existing_business(host_database):
    with new_database("crm_relational_lifecycle_existing", template=host_database) as db:
        odoo(db, "-i", ",".join(ADDONS))
        assert set(module_states(db).values()) == {"installed"}
        result = shell(db, FIRST_RUN_ON_EXISTING_BUSINESS)
        assert result["due"], "the profile job must run at the first start after the install"

        # Every customer who bought has a profile, with their orders counted.
        orders = dict(query(db, ORDERS_BY_CUSTOMER))
        assert len(orders) >= 30
        profiles = {
            row[0]: row[1:]
            for row in query(
                db,
                "SELECT partner_id, order_count, value_tier, stage, rfm_segment, clv,"
                " health_score, relationship_type_id FROM crm_relational_profile",
            )
        }
        assert {partner: profiles[partner][0] for partner in orders if partner in profiles} == (
            orders
        )
        assert all(None not in profiles[partner] for partner in orders)
        prospects = {
            row[0]
            for row in query(
                db,
                "SELECT p.commercial_partner_id FROM crm_lead l"
                " JOIN res_partner p ON p.id = l.partner_id WHERE l.type = 'opportunity'",
            )
        }
        assert set(profiles) <= set(orders) | prospects

        # The timeline shows every existing document of every customer.
        existing = set(query(db, EXISTING_DOCUMENTS))
        assert {model for model, _id, _partner in existing} == {
            "sale.order", "account.move", "account.payment", "stock.picking", "crm.lead",
            "helpdesk.ticket",
        }  # fmt: skip
        assert set(query(db, TIMELINE_DOCUMENTS)) == existing

        # The existing tickets show their customer's relationship, and nothing invented.
        tickets = {str(row[0]) for row in query(db, "SELECT id FROM helpdesk_ticket")}
        assert len(tickets) >= 10
        assert set(result["badges"]) == tickets
        for partner, tier, stage, reopened, replied, levels in result["badges"].values():
            assert (tier, stage) == tuple(profiles[partner][1:3])
            assert (reopened, replied, levels) == (0, False, False)
        # A service level turned on afterwards applies to the open ones, in working hours.
        assert result["open_tickets"] > 0
        assert result["deadlines"] == result["open_tickets"]
        assert result["team_calendar"] == result["company_calendar"]
        # An existing ticket links to an existing order.
        assert result["order_tickets"] == 1


def test_upgrade_from_the_previous_release(host_database, tmp_path):
    current = manifest_versions()
    assert current != PREVIOUS_RELEASE
    extract_addons(release_commit(PREVIOUS_RELEASE), tmp_path)
    previous = ["--addons-path", str(tmp_path)]
    with new_database("crm_relational_lifecycle_previous", template=host_database) as db:
        odoo(db, *previous, "-i", ",".join(ADDONS))
        assert module_versions(db, ADDONS) == PREVIOUS_RELEASE
        before = shell(db, BEFORE_UPGRADE, *previous)
        kept = {name: query(db, sql) for name, sql in KEPT.items()}
        # The stock lookup dialog of the first versions: its tables go with it at the upgrade.
        dialog = ("crm_relational_stock_lookup_wizard", "crm_relational_stock_lookup_line")
        assert all(query(db, "SELECT to_regclass(%s)", (t,)) != [(None,)] for t in dialog)

        odoo(db, "-u", ",".join(ADDONS))
        assert module_versions(db, ADDONS) == current
        assert all(query(db, "SELECT to_regclass(%s)", (t,)) == [(None,)] for t in dialog)
        assert set(module_versions(db, NEW_DEPENDENCIES)) == set(NEW_DEPENDENCIES)
        assert {name: query(db, sql) for name, sql in KEPT.items()} == kept
        # The settings are the ones set with the previous release, not the defaults.
        assert kept["settings"][0][1:] == (70.0, 18, 21, "month", 9, True, before["calendar"])
        assert len(kept["targets"]) == 2
        assert len(kept["profiles"]) >= 30
        # Skills of the previous release get the default minimum level of the new one.
        assert query(db, "SELECT DISTINCT min_level FROM crm_relational_skill") == [(1,)]

        after = shell(db, AFTER_UPGRADE)
        # The forecast is taken by month, with the targets set before the upgrade.
        assert after["period_type"] == "month"
        assert after["model"] and after["lines"] > 0 and after["ordered"]
        assert (after["rep_target"], after["company_target"]) == (12000.0, 50000.0)
        # A new team counts in the service hours set before; a new ticket is routed by skills.
        assert after["team_calendar"] == before["calendar"]
        assert after["required_skills"] == ["English", "Phone"]
        assert after["routed_to"] == after["agent"]
        # The new release's profile job keeps the type set by hand and counts the same orders.
        assert query(
            db,
            "SELECT relationship_type_id, relationship_type_override_id FROM"
            " crm_relational_profile WHERE partner_id = %s",
            (before["override_partner"],),
        ) == [(before["friend"], before["friend"])]
        orders = dict(query(db, ORDERS_BY_CUSTOMER))
        assert dict(
            query(db, "SELECT partner_id, order_count FROM crm_relational_profile"
                      " WHERE order_count > 0")
        ) == orders  # fmt: skip
