"""Roles and business data for the access invariant suite (tests/test_access_invariant.py).

Everything is made as superuser through the ORM, the way users make it: two companies, two
sales teams, salespeople with their own documents and one reading all of them, customers with
confirmed orders of different salespeople, posted invoices and a credit note, deliveries,
opportunities won and open, e-mails on orders and on the customer, an internal note, a chat
message on a discuss channel, a call, a public and a private meeting, tickets, agents, an
article, a segment and targets; then the profiles are recomputed and a forecast is taken in
both companies, so that every model of the addons has rows.
"""

from dataclasses import dataclass
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import new_test_user

# label: (groups, company key); None: Odoo's own public user (the anonymous visitor).
ROLES = {
    "public visitor": (None, "a"),
    "portal customer": ("base.group_portal", "a"),
    "internal user": ("base.group_user", "a"),
    "own-documents salesman": ("sales_team.group_sale_salesman", "a"),
    "all-documents salesman": ("sales_team.group_sale_salesman_all_leads", "a"),
    "sales manager": ("sales_team.group_sale_manager", "a"),
    "helpdesk agent": ("helpdesk_mgmt.group_helpdesk_user_own", "a"),
    "helpdesk manager": ("helpdesk_mgmt.group_helpdesk_manager", "a"),
    # The widest rights, in the other company only: only record rules keep it out.
    "other company": ("sales_team.group_sale_manager,helpdesk_mgmt.group_helpdesk_manager", "b"),
}
# The roles that must never read an internal score or figure.
OUTSIDERS = ("public visitor", "portal customer", "internal user")


@dataclass(frozen=True)
class Role:
    label: str
    user: object
    company: object


def _user(env, login, groups, company, **values):
    return new_test_user(
        env,
        login=login,
        groups=groups,
        company_id=company.id,
        company_ids=[Command.set(company.ids)],
        **values,
    )


def build_roles(case, roles, prefix, company_b_name, portal_partner):
    """The shared role and company fixture of the repository suites: ``case.company_a`` (the
    main company), ``case.company_b`` (a new one named ``company_b_name``) and
    ``case.roles``, ``{label: Role}`` with one user per role of ``roles`` (``{label: (groups,
    company key "a" or "b")}``, groups None for Odoo's public user), logged in as
    ``<prefix>_<number>``; the portal user is the contact ``portal_partner``."""
    env = case.env
    case.company_a = env.ref("base.main_company")
    case.company_b = env["res.company"].create({"name": company_b_name})
    companies = {"a": case.company_a, "b": case.company_b}
    case.roles = {}
    for number, (label, (groups, key)) in enumerate(roles.items()):
        company = companies[key]
        if groups is None:
            user = env.ref("base.public_user")
        else:
            extra = {"partner_id": portal_partner.id} if groups == "base.group_portal" else {}
            user = _user(env, f"{prefix}_{number}", groups, company, **extra)
        case.roles[label] = Role(label, user, company)
    return companies


def build(case):
    """Fill ``case`` (a test class, as superuser) with the roles and the business data."""
    env = case.env
    today = fields.Date.context_today(env["res.partner"])
    case.today = today
    Partner = env["res.partner"]
    case.customer = Partner.create({"name": "Invariant Trading", "is_company": True})
    case.contact = Partner.create({"name": "Invariant Buyer", "parent_id": case.customer.id})
    case.colleague = Partner.create({"name": "Invariant Clerk", "parent_id": case.customer.id})
    case.customer_2 = Partner.create({"name": "Invariant Retail", "is_company": True})
    case.customers = case.customer | case.customer_2

    build_roles(case, ROLES, "invariant", "Invariant Company B", case.contact)
    # A second own-documents salesperson whose documents the first must not see.
    case.rep_b = _user(env, "invariant_rep_b", "sales_team.group_sale_salesman", case.company_a)
    _sales(case, today)
    _opportunities(case, today)
    _conversations(case, fields.Datetime.now())
    _service(case)
    _jobs(case, today)


def _sales(case, today):
    """Teams, confirmed orders of three salespeople and of the other company, a quotation, a
    delivery, posted invoices and a credit note."""
    env = case.env
    rep_a = case.roles["own-documents salesman"].user
    rep_all = case.roles["all-documents salesman"].user
    other = case.roles["other company"].user
    rep_b = case.rep_b

    Team = env["crm.team"]
    case.team_1 = Team.create(
        {"name": "Invariant North", "company_id": case.company_a.id,
         "member_ids": [Command.set((rep_a | rep_all).ids)]}
    )  # fmt: skip
    case.team_2 = Team.create(
        {"name": "Invariant South", "company_id": case.company_a.id,
         "member_ids": [Command.set(rep_b.ids)]}
    )  # fmt: skip
    case.team_b = Team.create(
        {"name": "Invariant Abroad", "company_id": case.company_b.id,
         "member_ids": [Command.set(other.ids)]}
    )  # fmt: skip
    case.product = env["product.product"].create(
        {"name": "Invariant Lamp", "type": "consu", "list_price": 100.0, "sale_ok": True}
    )

    def order(partner, user, team, quantity, company=case.company_a, confirm=True):
        record = env["sale.order"].create(
            {
                "partner_id": partner.id,
                "user_id": user.id,
                "team_id": team.id,
                "company_id": company.id,
                "order_line": [
                    Command.create({"product_id": case.product.id, "product_uom_qty": quantity})
                ],
            }
        )
        if confirm:
            record.with_company(company).action_confirm()
        return record

    case.order_a = order(case.customer, rep_a, case.team_1, 2)
    case.order_b = order(case.customer, rep_b, case.team_2, 3)
    case.order_b2 = order(case.customer_2, rep_b, case.team_2, 1)
    case.order_all = order(case.customer, rep_all, case.team_1, 4)
    case.quotation_b = order(case.customer, rep_b, case.team_2, 5, confirm=False)
    case.order_other = order(case.customer, other, case.team_b, 6, company=case.company_b)
    case.orders = (
        case.order_a | case.order_b | case.order_b2 | case.order_all | case.quotation_b
    ) | case.order_other
    # Rep A's delivery is done; the others wait.
    picking = case.order_a.picking_ids
    picking.move_ids.quantity = 2
    picking.button_validate()
    case.invoice_a = case.order_a._create_invoices()
    case.invoice_a.action_post()
    case.invoice_b = case.order_b._create_invoices()
    case.invoice_b.action_post()
    case.refund_b = env["account.move"].create(
        {
            "move_type": "out_refund",
            "partner_id": case.customer.id,
            "invoice_user_id": rep_b.id,
            "company_id": case.company_a.id,
            "invoice_date": today,
            "invoice_line_ids": [
                Command.create({"product_id": case.product.id, "quantity": 1, "price_unit": 100})
            ],
        }
    )
    case.refund_b.action_post()


def _opportunities(case, today):
    """Open opportunities (commit, best case) and won ones of both reps and of the other
    company."""
    env = case.env
    rep_a = case.roles["own-documents salesman"].user
    other = case.roles["other company"].user
    rep_b = case.rep_b
    # No lost opportunity in the first company (the demo data has some): no win probability
    # model can be learned, so the forecast uses Odoo's probabilities and expected closing
    # dates, which the suite recomputes by hand.
    env["crm.lead"].with_context(active_test=False).search(
        [("company_id", "=", case.company_a.id), ("won_status", "=", "lost")]
    ).unlink()
    deadline = min(today + timedelta(days=1), today.replace(day=28))

    def lead(name, partner, user, team, amount, company=case.company_a, **values):
        return env["crm.lead"].create(
            {
                "name": name,
                "type": "opportunity",
                "partner_id": partner.id,
                "user_id": user.id,
                "team_id": team.id,
                "company_id": company.id,
                "expected_revenue": amount,
                "date_deadline": deadline,
                **values,
            }
        )

    case.lead_a = lead("Invariant lamps A", case.customer, rep_a, case.team_1, 1000,
                       forecast_category="commit")  # fmt: skip
    case.lead_b = lead("Invariant lamps B", case.customer, rep_b, case.team_2, 2000,
                       forecast_category="commit")  # fmt: skip
    case.lead_b_best = lead("Invariant retail B", case.customer_2, rep_b, case.team_2, 700,
                            forecast_category="best_case")  # fmt: skip
    case.won_a = lead("Invariant won A", case.customer, rep_a, case.team_1, 500)
    case.won_b = lead("Invariant won B", case.customer, rep_b, case.team_2, 800)
    (case.won_a | case.won_b).action_set_won()
    case.lead_other = lead("Invariant abroad", case.customer, other, case.team_b, 900,
                           company=case.company_b, forecast_category="commit")  # fmt: skip
    env["crm.relational.lead.line"].create(
        {"lead_id": case.lead_b.id, "product_id": case.product.id, "quantity": 2,
         "uom_id": case.product.uom_id.id}
    )  # fmt: skip
    case.leads = (case.lead_a | case.lead_b | case.lead_b_best | case.won_a | case.won_b) | (
        case.lead_other
    )


def _conversations(case, now):
    """E-mails, an internal note, a chat message, a call and two meetings."""
    env = case.env
    rep_a = case.roles["own-documents salesman"].user
    rep_b = case.rep_b
    # Conversations: the customer writes, each rep answers on their order, rep B leaves an
    # internal note; the customer's buyer chats on a discuss channel (not a customer document).
    case.customer.message_post(
        body="Invariant: do you have it in blue?", message_type="email",
        author_id=case.contact.id, subtype_xmlid="mail.mt_comment",
    )  # fmt: skip
    case.order_a.with_user(rep_a).message_post(
        body="Invariant: shipping today.", message_type="comment", subtype_xmlid="mail.mt_comment"
    )
    case.order_b.with_user(rep_b).message_post(
        body="Invariant: your discount is approved.",
        message_type="comment",
        subtype_xmlid="mail.mt_comment",
    )
    case.order_b.with_user(rep_b).message_post(
        body="Invariant: internal, customer is touchy.",
        message_type="comment",
        subtype_xmlid="mail.mt_note",
    )
    case.channel = env["discuss.channel"].create({"name": "Invariant private chat"})
    case.channel.message_post(
        body="Invariant: a word in private.", message_type="comment",
        author_id=case.contact.id, subtype_xmlid="mail.mt_comment",
    )  # fmt: skip
    # A call on rep B's opportunity, its feedback an internal note.
    activity = case.lead_b.activity_schedule("mail.mail_activity_data_call", user_id=rep_b.id)
    activity.with_user(rep_b).action_feedback(feedback="Invariant: internal call notes")
    Event = env["calendar.event"]
    attendees = Command.set((case.contact | case.customer | rep_b.partner_id).ids)
    case.meeting = Event.create(
        {"name": "Invariant review", "start": now, "stop": now + timedelta(hours=1),
         "user_id": rep_b.id, "partner_ids": [attendees]}
    )  # fmt: skip
    case.private_meeting = Event.create(
        {"name": "Invariant private lunch", "start": now, "stop": now + timedelta(hours=1),
         "user_id": rep_b.id, "privacy": "private", "partner_ids": [attendees]}
    )  # fmt: skip


def _service(case):
    """A helpdesk team, two agents, tickets of both companies, an article that solved one."""
    env = case.env
    agent = case.roles["helpdesk agent"].user
    helpdesk_manager = case.roles["helpdesk manager"].user
    other = case.roles["other company"].user
    case.helpdesk_team = env["helpdesk.ticket.team"].create(
        {"name": "Invariant Support", "company_id": case.company_a.id,
         "user_ids": [Command.set((agent | helpdesk_manager).ids)]}
    )  # fmt: skip
    Agent = env["crm.relational.agent"]
    case.agents = Agent.create(
        [
            {"user_id": agent.id, "company_id": case.company_a.id},
            {"user_id": helpdesk_manager.id, "company_id": case.company_a.id},
        ]
    )
    Ticket = env["helpdesk.ticket"]
    case.ticket_agent = Ticket.create(
        {"name": "Invariant lamp flickers", "description": "<p>It flickers.</p>",
         "partner_id": case.contact.id, "company_id": case.company_a.id,
         "team_id": case.helpdesk_team.id, "user_id": agent.id,
         "sale_order_id": case.order_a.id, "product_id": case.product.id}
    )  # fmt: skip
    case.ticket_manager = Ticket.create(
        {"name": "Invariant lamp broken", "description": "<p>Broken.</p>",
         "partner_id": case.customer_2.id, "company_id": case.company_a.id,
         "team_id": case.helpdesk_team.id, "user_id": helpdesk_manager.id,
         "sale_order_id": case.order_b2.id, "product_id": case.product.id}
    )  # fmt: skip
    case.ticket_other = Ticket.create(
        {"name": "Invariant abroad ticket", "description": "<p>Abroad.</p>",
         "partner_id": case.customer.id, "company_id": case.company_b.id,
         "user_id": other.id}
    )  # fmt: skip
    case.tickets = case.ticket_agent | case.ticket_manager | case.ticket_other
    case.article = env["crm.relational.kb.article"].create(
        {"name": "Invariant: replacing a lamp", "body": "<p>Unscrew it.</p>",
         "lang": "en_US", "company_id": case.company_a.id}
    )  # fmt: skip
    case.ticket_manager.relational_solution_article_id = case.article
    skill = env["crm.relational.skill"].create(
        {"name": "Invariant English", "skill_type": "language", "lang": "en_US",
         "company_id": case.company_a.id}
    )  # fmt: skip
    env["crm.relational.agent.skill"].create(
        {"agent_id": case.agents[0].id, "skill_id": skill.id, "level": 3}
    )


def _jobs(case, today):
    """A segment and targets, then what the scheduled jobs write: profiles (and their stage
    history) and a forecast of each company."""
    env = case.env
    rep_a = case.roles["own-documents salesman"].user
    rep_b = case.rep_b
    case.segment = env["crm.relational.segment"].create(
        {"name": "Invariant segment", "company_id": case.company_a.id}
    )
    Target = env["crm.relational.sales.target"]
    month_start = today.replace(day=1)
    period = {"date_from": month_start, "date_to": month_start + timedelta(days=27)}
    Target.create(
        [
            {"user_id": rep_a.id, "amount": 1000, "company_id": case.company_a.id, **period},
            {"user_id": rep_b.id, "amount": 2000, "company_id": case.company_a.id, **period},
            {"team_id": case.team_2.id, "amount": 3000, "company_id": case.company_a.id,
             **period},
        ]
    )  # fmt: skip
    # Forecast calls: each salesperson's own, a manager's adjustment of one and of a team,
    # and the other company's.
    Call = env["crm.relational.forecast.submission"]
    calls = {"commit": 500, "best_case": 900, **period}
    Call.create(
        [
            {"user_id": rep_a.id, "team_id": case.team_1.id, "company_id": case.company_a.id,
             "comment": "Invariant call", **calls},
            {"user_id": rep_b.id, "team_id": case.team_2.id, "company_id": case.company_a.id,
             **calls},
            {"user_id": rep_b.id, "team_id": case.team_2.id, "company_id": case.company_a.id,
             "kind": "adjustment", "reason": "Invariant adjustment", **calls},
            {"team_id": case.team_2.id, "company_id": case.company_a.id, "kind": "adjustment",
             "reason": "Invariant team adjustment", **calls},
            {"user_id": case.roles["other company"].user.id, "team_id": case.team_b.id,
             "company_id": case.company_b.id, **calls},
        ]
    )  # fmt: skip
    # A customer erased at its request (the erasure log), a finished bulk routing and a
    # finished backtest, as their jobs leave them.
    forgotten = env["res.partner"].create({"name": "Invariant Forgotten", "is_company": True})
    forgotten._relational_forget()
    env["crm.relational.routing.run"].create(
        {"company_id": case.company_a.id, "user_id": case.roles["helpdesk manager"].user.id,
         "state": "done", "ticket_ids": [Command.set(case.tickets[:2].ids)]}
    )  # fmt: skip
    env["crm.relational.forecast.backtest"].create(
        {"company_id": case.company_a.id, "state": "done"}
    )
    env.flush_all()
    env["crm.relational.profile"]._recompute(case.company_a | case.company_b)
    # A share of a recompute split between workers, on the other company's run.
    env["crm.relational.run.partition"].create(
        {
            "run_id": env["crm.relational.run"]
            .search([("company_id", "=", case.company_b.id)], limit=1)
            .id,
            "partner_from": 1,
            "partner_to": 1,
            "state": "done",
        }
    )
    Forecast = env["crm.relational.forecast"]
    case.forecasts = Forecast.browse()
    for company in (case.company_a, case.company_b):
        case.forecasts |= Forecast.with_company(company)._take(company)
    # A win probability model of the other company (after its forecast, which stays Odoo's).
    env["crm.relational.forecast.model"].create(
        {"company_id": case.company_b.id, "date": fields.Datetime.now()}
    )
    env.flush_all()
    env.invalidate_all()
