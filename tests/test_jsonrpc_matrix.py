"""The external methods of the three addons, called over real JSON-RPC as each role.

Every public method the addons add (the ones a script, a softphone or the web client can call:
``/json/2/<model>/<method>`` with an API key, as Odoo 19's external API does) is called over
HTTP by each of the six roles of the access matrix (``test_access_matrix.ROLES``). One test per
(role, method), generated from ``ROWS``: an allowed call answers 200 with the data the role may
see; a refused one answers a JSON error naming ``AccessError`` or ``UserError`` (never a 500
traceback) and writes nothing. Private methods (``init``, ``_relational_search``) cannot be
called at all.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import test_access_matrix as matrix
from access_roles import build_roles
from repository_case import RepositoryCase

from odoo import Command
from odoo.exceptions import AccessError
from odoo.service.model import get_public_method
from odoo.tests import HttpCase
from odoo.tools import SQL

OK, ACCESS, USER = "ok", "AccessError", "UserError"
ADDONS = ("crm_relational", "crm_relational_sfa", "crm_relational_service")
# Odoo's own public methods that the addons override (the ORM's, the mail gateway's): who may
# call them stays Odoo's rule (the CRUD rights are test_access_matrix's). A new override must
# be listed here on purpose, with a row in ROWS if it changes who may do what.
OVERRIDES = {
    ("crm.lead", "create"),
    ("crm.lead", "write"),
    ("crm.relational.kb.article", "create"),
    ("crm.relational.kb.article", "write"),
    ("crm.relational.lead.line", "create"),
    ("crm.relational.lead.line", "write"),
    ("crm.relational.forecast", "unlink"),
    ("crm.relational.forecast.submission", "create"),
    ("crm.relational.forecast.submission", "write"),
    ("crm.relational.segment", "create"),
    ("crm.relational.segment", "unlink"),
    ("crm.relational.segment", "write"),
    # Changing a skill forgets the skills routing keeps; who may change them is the ACL's.
    ("crm.relational.skill", "create"),
    ("crm.relational.skill", "unlink"),
    ("crm.relational.skill", "write"),
    ("crm.relational.sales.target", "create"),
    ("crm.relational.sales.target", "write"),
    ("helpdesk.ticket", "create"),
    ("helpdesk.ticket", "message_new"),
    ("helpdesk.ticket", "refresh_sla"),
    ("helpdesk.ticket", "write"),
    ("helpdesk.ticket.sla", "create"),
    ("helpdesk.ticket.sla", "write"),
    ("helpdesk.ticket.team", "create"),
    ("mail.thread", "message_parse"),
    ("res.partner", "write"),
    # Changing working hours forgets the hours routing keeps; who may change them is Odoo's.
    ("resource.calendar", "unlink"),
    ("resource.calendar", "write"),
    ("resource.calendar.attendance", "create"),
    ("resource.calendar.attendance", "unlink"),
    ("resource.calendar.attendance", "write"),
}
ROLE_KEYS = {
    "portal customer": "portal",
    "salesman": "salesman",
    "sales manager": "sales_manager",
    "helpdesk agent": "agent",
    "helpdesk manager": "helpdesk_manager",
    "other company": "other_company",
}
# What a refused call must not have changed, counted before and after it.
WRITTEN = SQL(
    """
    SELECT (SELECT count(*) FROM crm_relational_forecast),
           (SELECT count(*) FROM crm_relational_forecast_model),
           (SELECT count(*) FROM crm_relational_run),
           (SELECT count(*) FROM mailing_filter),
           (SELECT count(*) FROM crm_lead),
           (SELECT count(*) FROM helpdesk_ticket),
           (SELECT count(*) FROM ir_attachment WHERE res_model = 'res.partner'),
           (SELECT count(*) FROM crm_relational_profile
             WHERE relationship_type_override_reason IS NOT NULL),
           (SELECT count(*) FROM helpdesk_ticket WHERE relational_solution_article_id IS NOT NULL),
           (SELECT value FROM ir_config_parameter
             WHERE key = 'crm_relational.recompute_notify_user_ids'),
           (SELECT count(*) FROM helpdesk_ticket_kb_article_used_rel),
           (SELECT count(*) FROM helpdesk_ticket WHERE user_id IS NOT NULL),
           (SELECT count(*) FROM crm_relational_routing_run),
           (SELECT count(*) FROM crm_relational_forecast_backtest),
           (SELECT count(*) FROM ir_cron_trigger),
           (SELECT count(*) FROM crm_relational_erasure),
           (SELECT count(*) FROM res_partner WHERE relational_forgotten),
           (SELECT count(*) FROM mail_activity)
    """
)


@dataclass(frozen=True)
class Row:
    """One external method: its expected outcome per role, in ``ROLE_KEYS`` order.

    ``ids(case, role)`` the records it is called on (none for ``@api.model`` methods),
    ``kwargs(case, role)`` its arguments, ``check(case, role, result)`` what an allowed call
    must answer.
    """

    model: str
    method: str
    expected: tuple
    ids: Callable = lambda case, role: []
    kwargs: Callable = lambda case, role: {}
    context: Callable = lambda case, role: {}
    check: Callable = lambda case, role, result: None
    note: str = field(default="")


def _action_on(model):
    def check(case, role, result):
        case.assertEqual(result["type"], "ir.actions.act_window")
        case.assertEqual(result["res_model"], model)

    return check


def _check_lookup(case, role, result):
    (product,) = result
    case.assertEqual(product["default_code"], "RPC-LAMP")
    warehouses = {warehouse["warehouse_id"] for warehouse in product["warehouses"]}
    # Only the warehouses of the role's own company, whatever it asks.
    own = case.env["stock.warehouse"].search([("company_id", "=", role.company.id)])
    case.assertEqual(warehouses, set(own.ids))


def _check_override(case, role, result):
    case.assertEqual(result, {"type": "ir.actions.act_window_close"})
    case.profile.invalidate_recordset()
    case.assertEqual(case.profile.relationship_type_override_id, case.other_type)
    case.assertEqual(case.profile.relationship_type_override_reason, "Said on the phone")


def _check_recompute(case, role, result):
    case.assertEqual(result["params"]["type"], "success")
    runs = case.env["crm.relational.run"].search([("company_id", "=", role.company.id)])
    case.assertIn("full", runs.mapped("mode"))
    # Another company's profiles are not the caller's to recompute.
    other = case.company_b if role.company == case.company_a else case.company_a
    case.assertEqual(
        case.env["crm.relational.run"].search_count([("company_id", "=", other.id)]),
        case.runs_before[other],
    )


def _check_background(case, role, result):
    case.assertEqual(result["params"]["type"], "info")
    waiting = case.env["ir.config_parameter"].get_param("crm_relational.recompute_notify_user_ids")
    case.assertEqual(json.loads(waiting), [role.user.id])


def _check_mailing(case, role, result):
    case.assertEqual(result["res_model"], "mailing.mailing")
    case.segment.invalidate_recordset()
    mailing_filter = case.segment.mailing_filter_id
    case.assertEqual(result["context"]["default_mailing_filter_id"], mailing_filter.id)
    case.assertEqual(mailing_filter.name, "Segment: RPC Segment")


def _check_export(case, role, result):
    # Streamed by its own route to the requester, stored nowhere (test_privacy downloads it).
    case.assertEqual(result["url"], f"/crm_relational/profile_export/{case.customer.id}")
    case.assertFalse(
        case.env["ir.attachment"].search_count([("name", "=like", "relational-profile-%")])
    )
    _name, content = case.customer.with_user(role.user)._relational_export_file()
    data = json.loads(content)
    case.assertEqual(data["customer"]["id"], case.customer.id)
    # The profiles of the role's companies only.
    case.assertEqual({p["company_id"][0] for p in data["profiles"]}, {role.company.id})


def _check_forget(case, role, result):
    case.assertEqual(result["params"]["type"], "success")
    case.customer.invalidate_recordset()
    case.assertTrue(case.customer.relational_forgotten)
    case.assertFalse(
        case.env["crm.relational.profile"].search([("partner_id", "=", case.customer.id)])
    )
    erasure = case.env["crm.relational.erasure"].search([("partner_ref", "=", case.customer.id)])
    case.assertEqual((erasure.user_id, erasure.company_id), (role.user, role.company))


def _check_retention(case, role, result):
    case.assertEqual(result["params"]["type"], "success")
    activity = case.customer.activity_ids
    case.assertEqual(len(activity), 1)
    case.assertEqual(activity.user_id, role.user)  # the customer has no salesperson


def _check_take_now(case, role, result):
    case.assertEqual(result["res_model"], "crm.relational.forecast.line")
    forecast = case.env["crm.relational.forecast"].browse(result["domain"][0][2])
    case.assertEqual(forecast.company_id, role.company)
    case.assertEqual(forecast.kind, "manual")


def _check_fit(case, role, result):
    model = case.env["crm.relational.forecast.model"].browse(result["res_id"])
    case.assertEqual(model.company_id, role.company)
    case.assertGreater(model.lead_count, 0)


def _check_solves(case, role, result):
    case.assertIs(result, True)
    case.ticket.invalidate_recordset()
    case.assertEqual(case.ticket.relational_solution_article_id, case.article)


def _check_opportunity(case, role, result):
    lead = case.env["crm.lead"].browse(result["res_id"])
    case.assertEqual(lead.partner_id, case.ticket.partner_id)
    case.assertEqual(lead.company_id, case.ticket.company_id)


def _check_suggestions(case, role, result):
    (ticket,) = result
    case.assertEqual(ticket["relational_suggested_article_ids"], case.article.ids)


def _check_article_suggestions(case, role, result):
    # Published articles of the caller's company or shared: never a draft, never another
    # company's, whatever the words match.
    found = case.env["crm.relational.kb.article"].browse([row["id"] for row in result])
    kettles = case.kettles
    expected = kettles["shared"] | (
        kettles["ours"] if role.company == case.company_a else kettles["theirs"]
    )
    case.assertEqual(found & sum(kettles.values(), found.browse()), expected)
    case.assertEqual(set(found.mapped("state")), {"published"})
    case.assertLessEqual(set(found.company_id.ids), set(role.company.ids))
    best = result[0]
    case.assertTrue(0 <= best["relevance"] <= 100)
    case.assertIn(["kettle", True], [[text.lower(), hit] for text, hit in best["excerpt"]])


def _check_use_article(case, role, result):
    case.assertEqual(result["res_model"], "mail.compose.message")
    case.assertIn("Hold the dimmer button ten seconds.", result["context"]["default_body"])
    case.assertIn(f"/my/faq/{case.article.id}", result["context"]["default_body"])
    case.assertEqual(result["context"]["default_res_ids"], case.ticket.ids)
    case.ticket.invalidate_recordset()
    case.assertEqual(case.ticket.relational_used_article_ids, case.article)
    case.assertEqual(case.ticket.relational_solution_article_id, case.article)


def _new_routing_run(case, role, result):
    """The run a bulk routing started: queued, by the caller, with the job triggered."""
    case.assertEqual(result["params"]["type"], "info")
    run = case.env["crm.relational.routing.run"].browse(result["params"]["next"]["res_id"])
    case.assertEqual(run.state, "queued")
    case.assertEqual(run.company_id, role.company)
    case.assertEqual(run.user_id, role.user)
    # Only the open unassigned tickets: not the one an agent already has.
    case.assertEqual(run.ticket_ids, case.queued)
    case.assertEqual(run.total_count, len(case.queued))
    triggers = case.env["ir.cron.trigger"].search([("id", ">", case.last_trigger.id)])
    case.assertEqual(triggers.cron_id, case.env.ref("crm_relational_service.ir_cron_route_tickets"))
    return run


def _check_route_background(case, role, result):
    case.assertFalse(_new_routing_run(case, role, result).team_id)


def _check_route_unassigned(case, role, result):
    case.assertEqual(_new_routing_run(case, role, result).team_id, case.routing_team)


def _check_routing_runs(case, role, result):
    # Each manager sees their own company's runs only.
    mine = case.runs[role.company]
    case.assertIn(mine.id, [run["id"] for run in result])
    case.assertEqual({run["company_id"][0] for run in result}, set(role.company.ids))


def _check_routing_run_create(case, role, result):
    (run,) = case.env["crm.relational.routing.run"].browse(result)
    case.assertEqual(run.company_id, case.company_a)
    case.assertEqual(run.ticket_ids, case.queued)
    case.assertEqual(run.user_id, role.user)


def _check_routing_run_unlink(case, role, result):
    case.assertIs(result, True)
    case.assertFalse(case.runs[case.company_a].exists())
    case.assertTrue(case.runs[case.company_b].exists())


def _check_open_by_team(case, role, result):
    case.assertEqual(result["type"], "ir.actions.act_window")
    case.assertEqual(result["res_model"], "crm.relational.forecast.line")
    # The latest forecast of the caller's company, never the other company's.
    case.assertEqual(result["domain"], [["forecast_id", "=", case.forecasts[role.company].id]])


def _check_backtest(case, role, result):
    case.assertEqual(result["res_model"], "crm.relational.forecast.backtest")
    run = case.env["crm.relational.forecast.backtest"].browse(result["res_id"])
    case.assertEqual(run.company_id, role.company)
    case.assertEqual(run.user_id, role.user)
    case.assertEqual(run.state, "queued")
    triggers = case.env["ir.cron.trigger"].search([("id", ">", case.last_trigger.id)])
    case.assertEqual(triggers.cron_id, case.env.ref("crm_relational_sfa.ir_cron_forecast_backtest"))


def _check_grid(case, role, result):
    rows = [row for team in result["teams"] for row in team["rows"]]
    case.assertEqual(result["company"]["id"], role.company.id)
    if role.user.has_group("crm_relational_sfa.group_manager"):
        case.assertIsNotNone(result["total"])
    else:
        # An own-documents salesman: his own row only, no team or company sums.
        case.assertIsNone(result["total"])
        case.assertEqual({row["user_id"] for row in rows} - {role.user.id}, set())
        case.assertTrue(all(team["figures"] is None for team in result["teams"]))


def _check_grid_documents(case, role, result):
    case.assertEqual(result["res_model"], "crm.lead")
    case.assertIn(["company_id", "=", role.company.id], result["domain"])


def _roles(*outcomes):
    assert len(outcomes) == len(ROLE_KEYS)
    return outcomes


_customer = lambda case, role: case.customer.ids  # noqa: E731
_ticket = lambda case, role: case.ticket.ids  # noqa: E731

# fmt: off
#                    portal  salesman sales mgr agent  helpdesk mgr other company
ROWS = [
    Row("crm.relational.stock.lookup", "lookup", _roles(ACCESS, OK, OK, ACCESS, ACCESS, OK),
        kwargs=lambda case, role: {"query": "RPC-LAMP", "quantity": 2},
        check=_check_lookup),
    Row("crm.relational.stock.lookup", "lookup", _roles(ACCESS, OK, OK, ACCESS, ACCESS, OK),
        note="first_company_warehouses",
        kwargs=lambda case, role: {"query": "RPC-LAMP",
                                   "warehouse_ids": case.warehouses_a.ids},
        check=lambda case, role, result: case.assertEqual(
            bool(result[0]["warehouses"]), role.company == case.company_a)),
    Row("crm.relational.type.override", "action_apply",
        _roles(ACCESS, OK, OK, ACCESS, ACCESS, ACCESS),
        ids=lambda case, role: case.override_wizards[role.label].ids,
        check=_check_override),
    Row("crm.relational.profile", "action_recompute",
        _roles(ACCESS, ACCESS, OK, ACCESS, ACCESS, OK),
        check=_check_recompute),
    Row("crm.relational.profile", "action_recompute_background",
        _roles(ACCESS, ACCESS, OK, ACCESS, ACCESS, OK),
        check=_check_background),
    Row("crm.relational.segment", "action_view_partners", _roles(ACCESS, OK, OK, OK, OK, ACCESS),
        ids=lambda case, role: case.segment.ids, check=_action_on("res.partner")),
    Row("crm.relational.segment", "action_send_mailing", _roles(ACCESS, OK, OK, OK, OK, ACCESS),
        ids=lambda case, role: case.segment.ids, check=_check_mailing),
    Row("crm.relational.relationship.type", "action_view_profiles",
        _roles(ACCESS, OK, OK, OK, OK, OK),
        ids=lambda case, role: case.other_type.ids, check=_action_on("crm.relational.profile")),
    # The salesman's opportunity: helpdesk roles, who read no opportunities, see no row of it.
    Row("crm.relational.timeline", "action_open_document",
        _roles(ACCESS, OK, OK, ACCESS, ACCESS, ACCESS),
        ids=lambda case, role: case.timeline.ids, check=_action_on("crm.lead")),
    Row("crm.relational.timeline", "init", _roles(ACCESS, ACCESS, ACCESS, ACCESS, ACCESS, ACCESS)),
    Row("res.partner", "action_view_relational_timeline", _roles(ACCESS, OK, OK, OK, OK, OK),
        ids=_customer, check=_action_on("crm.relational.timeline")),
    Row("res.partner", "action_relational_set_type", _roles(ACCESS, OK, OK, OK, OK, OK),
        ids=_customer, check=_action_on("crm.relational.type.override")),
    # Any relational user who reads the customer (helpdesk agents are, for the ticket badges)
    # may export it: the file holds what that user may read, and is streamed to them only.
    Row("res.partner", "action_export_relational_profile",
        _roles(ACCESS, OK, OK, OK, OK, OK),
        ids=_customer, check=_check_export),
    # Forget this customer: relationship administrators (sales managers) only; the customer
    # is shared, so the other company's administrator may honour the request too.
    Row("res.partner", "action_relational_forget", _roles(ACCESS, ACCESS, OK, ACCESS, ACCESS, OK),
        ids=_customer, check=_check_forget),
    Row("crm.relational.retention", "action_apply",
        _roles(ACCESS, ACCESS, OK, ACCESS, ACCESS, OK),
        ids=lambda case, role: case.retention_wizards[role.label].ids, check=_check_retention),
    Row("res.partner", "action_relational_call_sheet", _roles(ACCESS, OK, OK, OK, OK, OK),
        ids=_customer, check=_action_on("res.partner")),
    Row("res.partner", "action_relational_ticket_from_call", _roles(OK, OK, OK, OK, OK, OK),
        ids=_customer, check=_action_on("helpdesk.ticket")),
    Row("crm.lead", "action_relational_call_sheet", _roles(ACCESS, OK, OK, ACCESS, ACCESS, ACCESS),
        ids=lambda case, role: case.lead.ids, check=_action_on("res.partner")),
    Row("crm.relational.forecast", "action_take_now",
        _roles(ACCESS, ACCESS, OK, ACCESS, ACCESS, OK),
        check=_check_take_now),
    Row("crm.relational.forecast.model", "action_fit_now",
        _roles(ACCESS, ACCESS, OK, ACCESS, ACCESS, USER),
        check=_check_fit),
    Row("crm.relational.forecast", "action_open_by_team",
        _roles(ACCESS, OK, OK, ACCESS, ACCESS, OK),
        check=_check_open_by_team),
    # The forecast grid: sales users, each seeing what their documents add up to.
    Row("crm.relational.forecast.grid", "grid", _roles(ACCESS, OK, OK, ACCESS, ACCESS, OK),
        kwargs=lambda case, role: {"date_from": "2026-10-15"}, check=_check_grid),
    Row("crm.relational.forecast.grid", "action_open_documents",
        _roles(ACCESS, OK, OK, ACCESS, ACCESS, OK),
        kwargs=lambda case, role: {"figure": "pipeline", "date_from": "2026-10-01",
                                   "date_to": "2026-12-31", "team_id": 0},
        check=_check_grid_documents),
    Row("crm.relational.forecast.backtest", "action_start",
        _roles(ACCESS, ACCESS, OK, ACCESS, ACCESS, OK),
        check=_check_backtest),
    Row("crm.relational.forecast.model", "action_backtest",
        _roles(ACCESS, ACCESS, OK, ACCESS, ACCESS, OK),
        check=_check_backtest),
    # The forecast's manager-only fields and computed figures: sales managers only, on create
    # and write alike (issue 12, server-side authority).
    Row("crm.lead", "write", _roles(ACCESS, ACCESS, OK, ACCESS, ACCESS, ACCESS),
        note="manager_fields", ids=lambda case, role: case.lead.ids,
        kwargs=lambda case, role: {"vals": {"forecast_manager_category": "commit",
                                            "forecast_manager_amount": 9e9}},
        check=lambda case, role, result: case.assertEqual(
            case.lead.forecast_effective_amount, 9e9)),
    Row("crm.lead", "create", _roles(ACCESS, ACCESS, OK, ACCESS, ACCESS, OK),
        note="manager_fields",
        kwargs=lambda case, role: {"vals_list": [{"name": "RPC Inflated", "type": "opportunity",
                                                  "forecast_manager_category": "commit",
                                                  "forecast_manager_amount": 9e9}]}),
    Row("crm.lead", "write", _roles(ACCESS, ACCESS, OK, ACCESS, ACCESS, ACCESS),
        note="forecast_figures", ids=lambda case, role: case.lead.ids,
        kwargs=lambda case, role: {"vals": {"relational_win_probability": 99.0,
                                            "forecast_effective_category": "commit"}}),
    # The internal figures of the sales force addon: sales users only (field privacy).
    Row("crm.lead", "read", _roles(ACCESS, OK, OK, ACCESS, ACCESS, ACCESS),
        note="scores", ids=lambda case, role: case.lead.ids,
        kwargs=lambda case, role: {"fields": ["relational_win_probability",
                                              "relational_close_date"]}),
    Row("res.partner", "read", _roles(ACCESS, OK, OK, ACCESS, ACCESS, OK),
        note="credit_figures", ids=_customer,
        kwargs=lambda case, role: {"fields": ["relational_credit_exposure",
                                              "relational_open_opportunity_ids"]}),
    Row("helpdesk.ticket", "action_relational_return", _roles(USER, ACCESS, ACCESS, USER, USER,
                                                              ACCESS),
        ids=_ticket),
    Row("helpdesk.ticket", "action_relational_opportunity",
        _roles(ACCESS, ACCESS, ACCESS, ACCESS, ACCESS, ACCESS), ids=_ticket),
    Row("helpdesk.ticket", "read", _roles(ACCESS, ACCESS, ACCESS, OK, OK, ACCESS),
        note="suggested_articles", ids=_ticket,
        kwargs=lambda case, role: {"fields": ["relational_suggested_article_ids"]},
        check=_check_suggestions),
    Row("helpdesk.ticket", "relational_article_suggestions",
        _roles(ACCESS, ACCESS, ACCESS, OK, OK, OK),
        kwargs=lambda case, role: {"subject": "Kettle descaling",
                                   "description": "<p>How do I descale my kettle?</p>"},
        check=_check_article_suggestions),
    Row("helpdesk.ticket", "action_relational_use_article",
        _roles(ACCESS, ACCESS, ACCESS, OK, OK, ACCESS), ids=_ticket,
        kwargs=lambda case, role: {"article_id": case.article.id},
        check=_check_use_article),
    Row("helpdesk.ticket", "action_relational_use_article",
        _roles(ACCESS, ACCESS, ACCESS, USER, USER, ACCESS), ids=_ticket,
        note="draft_article",
        kwargs=lambda case, role: {"article_id": case.kettles["draft"].id}),
    Row("helpdesk.ticket", "action_relational_use_article",
        _roles(ACCESS, ACCESS, ACCESS, USER, USER, ACCESS), ids=_ticket,
        note="other_company_article",
        kwargs=lambda case, role: {"article_id": case.kettles["theirs"].id}),
    # Checked before anything is read: the same answer for everyone.
    Row("helpdesk.ticket", "action_relational_use_article",
        _roles(USER, USER, USER, USER, USER, USER), ids=_ticket,
        note="not_an_id", kwargs=lambda case, role: {"article_id": "1; DROP TABLE"}),
    # The customer's figures on tickets: relational users only (issue 12, field privacy).
    Row("helpdesk.ticket", "read", _roles(ACCESS, ACCESS, ACCESS, OK, OK, ACCESS),
        note="customer_figures", ids=_ticket,
        kwargs=lambda case, role: {"fields": ["relational_value_tier", "relational_churn_risk",
                                              "relational_routing_note"]}),
    # What the system keeps (first reply, reopenings, routing note): managers only by hand.
    Row("helpdesk.ticket", "write", _roles(ACCESS, ACCESS, ACCESS, ACCESS, OK, ACCESS),
        note="system_fields", ids=_ticket,
        kwargs=lambda case, role: {"vals": {"relational_reopen_count": 7,
                                            "relational_first_response_date": False}},
        check=lambda case, role, result: case.assertEqual(
            case.ticket.relational_reopen_count, 7)),
    # Publishing to the portal FAQ: knowledge managers (helpdesk managers imply it) only.
    Row("crm.relational.kb.article", "write", _roles(ACCESS, ACCESS, ACCESS, ACCESS, OK, ACCESS),
        note="publish", ids=lambda case, role: case.kettles["draft"].ids,
        kwargs=lambda case, role: {"vals": {"state": "published", "is_public": True}},
        check=lambda case, role, result: case.assertEqual(
            case.kettles["draft"].state, "published")),
    # Bulk routing: helpdesk managers only, their own company's tickets only.
    Row("helpdesk.ticket", "action_relational_route_background",
        _roles(ACCESS, ACCESS, ACCESS, ACCESS, OK, USER),
        ids=lambda case, role: (case.queued | case.assigned).ids,
        check=_check_route_background),
    Row("helpdesk.ticket.team", "action_relational_route_unassigned",
        _roles(ACCESS, ACCESS, ACCESS, ACCESS, OK, ACCESS),
        ids=lambda case, role: case.routing_team.ids,
        check=_check_route_unassigned),
    Row("crm.relational.routing.run", "search_read",
        _roles(ACCESS, ACCESS, ACCESS, ACCESS, OK, OK),
        kwargs=lambda case, role: {"domain": [], "fields": ["company_id", "ticket_ids"]},
        check=_check_routing_runs),
    Row("crm.relational.routing.run", "create",
        _roles(ACCESS, ACCESS, ACCESS, ACCESS, OK, ACCESS),
        kwargs=lambda case, role: {"vals_list": [
            {"company_id": case.company_a.id,
             "ticket_ids": [Command.set(case.queued.ids)], "total_count": 2}]},
        check=_check_routing_run_create),
    Row("crm.relational.routing.run", "unlink",
        _roles(ACCESS, ACCESS, ACCESS, ACCESS, OK, ACCESS),
        ids=lambda case, role: case.runs[case.company_a].ids,
        check=_check_routing_run_unlink),
    Row("crm.relational.kb.article", "action_relational_solves_ticket",
        _roles(ACCESS, ACCESS, ACCESS, OK, OK, ACCESS),
        ids=lambda case, role: case.article.ids,
        context=lambda case, role: {"relational_ticket_id": case.ticket.id},
        check=_check_solves),
    Row("crm.relational.kb.article", "_relational_search",
        _roles(ACCESS, ACCESS, ACCESS, ACCESS, ACCESS, ACCESS),
        kwargs=lambda case, role: {"text": "dimmer"}),
    Row("crm.relational.kb.article", "init",
        _roles(ACCESS, ACCESS, ACCESS, ACCESS, ACCESS, ACCESS)),
    Row("sale.order", "action_relational_tickets", _roles(ACCESS, OK, OK, ACCESS, ACCESS, ACCESS),
        ids=lambda case, role: case.order.ids, check=_action_on("helpdesk.ticket")),
    Row("stock.picking", "action_relational_tickets",
        _roles(ACCESS, OK, OK, ACCESS, ACCESS, ACCESS),
        ids=lambda case, role: case.picking.ids, check=_action_on("helpdesk.ticket")),
]
# fmt: on


class TestJsonRpcMatrix(HttpCase):
    test_tags = {"standard", "post_install"}
    test_module = "crm_relational"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        customer_company = cls.env["res.partner"].create(
            {"name": "RPC Portal Company", "is_company": True}
        )
        contact = cls.env["res.partner"].create(
            {"name": "RPC Portal Contact", "parent_id": customer_company.id}
        )
        companies = build_roles(cls, matrix.ROLES, "rpc", "RPC Other Company", contact)
        cls.keys = {}
        for label, role in cls.roles.items():
            user = role.user
            # sudo: a key without expiry, which only a system user may generate
            cls.keys[label] = (
                cls.env["res.users.apikeys"].with_user(user).sudo()._generate(None, "RPC", None)
            )
        salesman = cls.roles["salesman"].user
        agent = cls.roles["helpdesk agent"].user
        portal = cls.roles["portal customer"].user
        cls.customer = cls.env["res.partner"].create({"name": "RPC Customer", "is_company": True})
        cls.profile = cls.env["crm.relational.profile"].create(
            {"partner_id": cls.customer.id, "company_id": cls.company_a.id}
        )
        cls.env["crm.relational.profile"].create(
            {"partner_id": cls.customer.id, "company_id": cls.company_b.id}
        )
        cls.other_type = cls.env["crm.relational.relationship.type"].create(
            {"name": "RPC Partner Type"}
        )
        cls.segment = cls.env["crm.relational.segment"].create(
            {"name": "RPC Segment", "company_id": cls.company_a.id,
             "domain": repr([("id", "=", cls.customer.id)])}
        )  # fmt: skip
        cls.lead = cls.env["crm.lead"].create(
            {"name": "RPC Opportunity", "type": "opportunity", "partner_id": cls.customer.id,
             "user_id": salesman.id, "company_id": cls.company_a.id}
        )  # fmt: skip
        cls.env.flush_all()
        cls.timeline = cls.env["crm.relational.timeline"].search(
            [("res_model", "=", "crm.lead"), ("res_id", "=", cls.lead.id)]
        )
        cls.article = cls.env["crm.relational.kb.article"].create(
            {"name": "Reset the dimmer", "body": "<p>Hold the dimmer button ten seconds.</p>",
             "lang": "en_US", "is_public": True, "company_id": cls.company_a.id}
        )  # fmt: skip
        cls.ticket = cls.env["helpdesk.ticket"].create(
            {"name": "Dimmer broken", "description": "<p>The dimmer flickers.</p>",
             "partner_id": portal.partner_id.id, "user_id": agent.id,
             "company_id": cls.company_a.id}
        )  # fmt: skip
        Article = cls.env["crm.relational.kb.article"]
        kettle = {"body": "<p>Fill the kettle with vinegar to descale it.</p>", "lang": "en_US"}
        cls.kettles = {
            "ours": Article.create(
                {**kettle, "name": "RPC Descale the kettle", "company_id": cls.company_a.id}
            ),
            "draft": Article.create(
                {**kettle, "name": "RPC Kettle draft", "state": "draft",
                 "company_id": cls.company_a.id}
            ),
            "theirs": Article.create(
                {**kettle, "name": "RPC Kettle theirs", "company_id": cls.company_b.id}
            ),
            "shared": Article.create({**kettle, "name": "RPC Kettle shared", "company_id": False}),
        }  # fmt: skip
        # Bulk routing: a routing team with two unassigned tickets (no agent has the skills, so
        # they stay in its queue) and one an agent already has; a finished run per company.
        cls.routing_team = cls.env["helpdesk.ticket.team"].create(
            {"name": "RPC Routing", "relational_routing": True, "company_id": cls.company_a.id}
        )
        Ticket = cls.env["helpdesk.ticket"]
        cls.queued = Ticket.create(
            [{"name": f"RPC queued {n}", "description": "<p>Queued</p>",
              "team_id": cls.routing_team.id, "company_id": cls.company_a.id} for n in (1, 2)]
        )  # fmt: skip
        cls.assigned = Ticket.create(
            {"name": "RPC assigned", "description": "<p>Taken</p>", "user_id": agent.id,
             "team_id": cls.routing_team.id, "company_id": cls.company_a.id}
        )  # fmt: skip
        cls.runs = {
            company: cls.env["crm.relational.routing.run"].create(
                {"company_id": company.id, "state": "done", "total_count": 0}
            )
            for company in companies.values()
        }
        Forecast = cls.env["crm.relational.forecast"]
        cls.forecasts = {
            company: Forecast.with_company(company)._take(company) for company in companies.values()
        }
        cls.last_trigger = cls.env["ir.cron.trigger"].search([], order="id desc", limit=1)
        cls.product = cls.env["product.product"].create(
            {"name": "RPC Lamp", "default_code": "RPC-LAMP", "is_storable": True, "sale_ok": True}
        )
        cls.warehouses_a = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company_a.id)]
        )
        cls.order = cls.env["sale.order"].create(
            {"partner_id": cls.customer.id, "company_id": cls.company_a.id,
             "user_id": salesman.id,
             "order_line": [Command.create({"product_id": cls.product.id})]}
        )  # fmt: skip
        cls.picking = cls.env["stock.picking"].create(
            {"partner_id": cls.customer.id,
             "picking_type_id": cls.warehouses_a[:1].out_type_id.id}
        )  # fmt: skip
        cls.override_wizards, cls.retention_wizards = {}, {}
        for label in cls.roles:
            cls.override_wizards[label] = cls.env["crm.relational.type.override"].create(
                {"profile_id": cls.profile.id, "relationship_type_id": cls.other_type.id,
                 "reason": "Said on the phone"}
            )  # fmt: skip
            cls.retention_wizards[label] = cls.env["crm.relational.retention"].create(
                {"operation": "reengage", "partner_ids": [Command.set(cls.customer.ids)]}
            )
        # A wizard's records are its user's own (record rules): each role's were made by it.
        cls.env.flush_all()
        for label, role in cls.roles.items():
            wizards = (cls.override_wizards[label], cls.retention_wizards[label])
            for wizard in wizards:
                cls.env.cr.execute(
                    SQL("UPDATE %s SET create_uid = %s WHERE id = %s",
                        SQL.identifier(wizard._table), role.user.id, wizard.id)
                )  # fmt: skip
        cls.env.invalidate_all()
        cls.runs_before = {
            company: cls.env["crm.relational.run"].search_count([("company_id", "=", company.id)])
            for company in companies.values()
        }

    def _call(self, role, row):
        """POST /json/2/<model>/<method> with the role's API key: (status, decoded body)."""
        body = {
            "ids": row.ids(self, role),
            "context": {"allowed_company_ids": role.company.ids, **row.context(self, role)},
            **row.kwargs(self, role),
        }
        response = self.url_open(
            f"/json/2/{row.model}/{row.method}",
            json=body,
            headers={"Authorization": f"bearer {self.keys[role.label]}"},
            timeout=120,
        )
        return response.status_code, response.json()

    def _written(self):
        self.env.flush_all()
        self.env.cr.execute(WRITTEN)
        return self.env.cr.fetchone()

    def _run_row(self, label, row, expected):
        role = self.roles[label]
        before = self._written()
        status, body = self._call(role, row)
        self.env.invalidate_all()
        if expected == OK:
            self.assertEqual(status, 200, body)
            row.check(self, role, body)
        else:
            # A refusal is a client error naming the exception, never a server error.
            self.assertIn(status, (403, 422), body)
            self.assertEqual(body["name"], f"odoo.exceptions.{expected}", body)
            self.assertTrue(body["message"])
            self.assertNotIn("Traceback", body["message"])
            self.assertEqual(self._written(), before, "a refused call wrote something")


def _test_name(label, row):
    parts = [ROLE_KEYS[label], row.model.replace(".", "_"), row.method.strip("_")]
    if row.note:
        parts.append(row.note)
    return "test_" + "__".join(parts)


def _make_test(label, row, expected):
    def test(self):
        self._run_row(label, row, expected)

    test.__doc__ = f"{label}: {row.model}.{row.method} -> {expected}"
    return test


for _row in ROWS:
    for _label, _expected in zip(ROLE_KEYS, _row.expected, strict=True):
        _name = _test_name(_label, _row)
        assert not hasattr(TestJsonRpcMatrix, _name), _name
        setattr(TestJsonRpcMatrix, _name, _make_test(_label, _row, _expected))


def _addon_of(cls):
    """The addon whose file defines ``cls`` (``odoo.addons.<addon>.models...``), if any."""
    parts = cls.__module__.split(".")
    return parts[2] if parts[:2] == ["odoo", "addons"] and len(parts) > 2 else None


def public_methods(env):
    """{(model, method): overrides Odoo's} for every method the addons' model classes define
    that a client may call (``get_public_method``), under the model the defining class
    extends."""
    found = {}
    for name in env.registry:
        Model = env[name]
        classes = type(Model).__mro__
        ours = [cls for cls in classes if _addon_of(cls) in ADDONS]
        theirs = [cls for cls in classes if cls not in ours]
        for cls in ours:
            for method, value in vars(cls).items():
                if method.startswith("_") or not callable(value):
                    continue
                try:
                    get_public_method(Model, method)
                except AccessError:
                    continue
                found[cls._name, method] = any(method in vars(other) for other in theirs)
    return found


class TestJsonRpcMatrixCovers(RepositoryCase):
    def test_every_public_method_has_a_row(self):
        """Every method the addons add that a client can call is called by each role above;
        Odoo's methods they override are the listed ones."""
        methods = public_methods(self.env)
        # The discovery sees what it must: an action, an @api.model method, a mixin override.
        self.assertIs(methods["helpdesk.ticket", "relational_article_suggestions"], False)
        self.assertIs(methods["helpdesk.ticket.team", "action_relational_route_unassigned"],
                      False)  # fmt: skip
        self.assertIs(methods["mail.thread", "message_parse"], True)
        self.assertNotIn(("crm.relational.kb.article", "init"), methods)
        rows = {(row.model, row.method) for row in ROWS}
        added = {key for key, override in methods.items() if not override}
        self.assertEqual(added - rows, set(), "public methods without a row in ROWS")
        self.assertEqual(
            {key for key, override in methods.items() if override},
            OVERRIDES,
            "an override of a public Odoo method was added or removed: list it in OVERRIDES",
        )
