"""The access invariant: through the addons nobody sees more than Odoo lets them read.

Not a hand-listed matrix: the models and fields under test are enumerated from ``ir.model`` and
``ir.model.fields`` (those of the three addons), the methods from the registry's classes, so a
new model, field or action is checked the day it is added. For every role (public visitor,
portal customer, plain internal user, own-documents and all-documents salesmen, sales manager,
helpdesk agent and manager, a user of another company), on the data of ``access_roles.build``:

a) rows -> documents: every row of our models a role can search points only to records that
   role can read (many2one, x2many and ``res_model``/``res_id`` references), and so do the
   lists our addons compute on Odoo's records (call sheet, suggestions, ...);
b) every field our addons define is classified in exactly one of SCORES, FIGURES or PLAIN
   (an unclassified field fails, with what to do); scores are unreadable to public, portal
   and plain internal users; figures are, for every role that reads them, what that role's
   own documents add up to (recomputed from what ``search`` returns for it), and those no
   recompute vouches for are hidden from outsiders like scores;
c) every public method of our classes, called by a role without the right to change its model,
   is refused (AccessError/UserError) or changes nothing in the database.

Failures are reported per (role, model, field or method) as subtests: each one is a leak.
"""

import inspect
from collections import defaultdict
from datetime import timedelta

from access_roles import OUTSIDERS, build
from repository_case import RepositoryCase

from odoo import models
from odoo.exceptions import AccessError, UserError
from odoo.service.model import get_public_method
from odoo.tools import SQL

ADDONS = ("crm_relational", "crm_relational_sfa", "crm_relational_service")
ONE_DAY = timedelta(days=1)
# The Python package of our addons' classes (odoo.addons.crm_relational, ..._sfa, ..._service).
OUR_PACKAGE = "odoo.addons.crm_relational"

# Targets whose records are configuration or people, not documents: a row may name them even
# when the role cannot open them (Odoo's own documents do: an order names its salesperson,
# company, currency and unit whatever the reader's rights on those models).
ALLOWED_TARGETS = {
    "res.users",  # salespeople, agents: names of colleagues, shown by Odoo's documents too
    "res.company",  # the company of a row; the multi-company rules filter the rows themselves
    "res.currency",
    "res.country",
    "uom.uom",
    "product.product",  # the catalogue, sold to and read by every internal user
    "product.category",
    "crm.team",  # sales teams, named on every order and opportunity
    "helpdesk.ticket.team",
    "helpdesk.ticket.category",
    "helpdesk.ticket.channel",
    "stock.warehouse",
    "resource.calendar",
    "mailing.filter",  # the favourite filter a segment offers to Email Marketing
}

# ---------------------------------------------------------------------------- classification
# Every field our addons define, on our models and on Odoo's (``model.field``), is in exactly
# one of the three sets. Fields Odoo adds to every model (id, create_uid, display_name...) and
# fields of Odoo's mixins (mail.thread, activities) are Odoo's and keep Odoo's rules. Fields of
# res.users inherited from res.partner are classified as the partner's.
#
# SCORES: internal judgements about a customer or a deal (tiers, RFM, lifetime value, health,
# stage, type, learned probabilities). Portal, public and internal users without the
# relational groups never read them: carried by groups= on Odoo's models, by the access
# rights (or groups=) on ours.
SCORES = {
    # crm_relational: res.partner
    "res.partner.relational_profile_id",
    "res.partner.relational_profile_ids",
    "res.partner.relational_value_tier",
    "res.partner.relational_rfm_segment",
    "res.partner.relational_stage",
    "res.partner.relational_clv",
    "res.partner.relational_clv_unknown_reason",
    "res.partner.relational_currency_id",
    "res.partner.relational_stage_history_ids",
    "res.partner.relational_relationship_type_id",
    "res.partner.relational_health_score",
    "res.partner.relational_churn_risk",
    "res.partner.relational_neglected",
    "res.partner.relational_segment_ids",
    # crm_relational: the profile's scores
    "crm.relational.profile.rfm_recency_score",
    "crm.relational.profile.rfm_frequency_score",
    "crm.relational.profile.rfm_monetary_score",
    "crm.relational.profile.rfm_segment",
    "crm.relational.profile.value_tier",
    "crm.relational.profile.probability_alive",
    "crm.relational.profile.expected_orders",
    "crm.relational.profile.expected_order_value",
    "crm.relational.profile.clv",
    "crm.relational.profile.clv_unknown_reason",
    "crm.relational.profile.stage",
    "crm.relational.profile.stage_date",
    "crm.relational.profile.stage_history_ids",
    "crm.relational.profile.valence",
    "crm.relational.profile.intensity",
    "crm.relational.profile.reciprocity",
    "crm.relational.profile.relationship_type_suggested_id",
    "crm.relational.profile.relationship_type_override_id",
    "crm.relational.profile.relationship_type_override_reason",
    "crm.relational.profile.relationship_type_id",
    "crm.relational.profile.health_score",
    "crm.relational.profile.health_activity",
    "crm.relational.profile.health_trend",
    "crm.relational.profile.health_sentiment",
    "crm.relational.profile.health_engagement",
    "crm.relational.profile.health_payment",
    "crm.relational.profile.churn_risk",
    "crm.relational.profile.neglected",
    "crm.relational.stage.history.stage_from",
    "crm.relational.stage.history.stage_to",
    # crm_relational_sfa: learned scores on the opportunity
    "crm.lead.relational_win_probability",
    "crm.lead.relational_close_date",
    "crm.lead.relational_weighted_revenue",
    # crm_relational_service: the customer's scores shown on the ticket, the routing reason
    "helpdesk.ticket.relational_value_tier",
    "helpdesk.ticket.relational_stage",
    "helpdesk.ticket.relational_health_score",
    "helpdesk.ticket.relational_churn_risk",
    "helpdesk.ticket.relational_routing_note",
    # the win probability model's learning (company-wide)
    "crm.relational.forecast.model.parameters",
    "crm.relational.forecast.model.calibration",
    "crm.relational.forecast.model.calibration_html",
    "crm.relational.forecast.model.horizon_html",
    "crm.relational.forecast.model.brier",
    "crm.relational.forecast.model.brier_baseline",
    "crm.relational.forecast.model.brier_base_rate",
    "crm.relational.forecast.model.won_rate",
}

# FIGURES: amounts, counts and lists that add up other documents. The value names the
# recompute (``_recompute_<name>`` below) that compares the figure, for every role that reads
# it, outsiders included, with what the role's own readable documents add up to. A figure
# without a recompute (None) must be hidden from outsiders like a score: nothing shows it is
# right for them.
FIGURES = {
    # crm_relational: document aggregates of the profile
    "crm.relational.profile.revenue": "profile",
    "crm.relational.profile.order_count": "profile",
    "crm.relational.profile.margin": None,
    "crm.relational.profile.average_order_value": None,
    "crm.relational.profile.first_order_date": None,
    "crm.relational.profile.last_order_date": None,
    "crm.relational.profile.recency_days": None,
    "crm.relational.profile.tenure_days": None,
    "crm.relational.profile.margin_share_before": None,
    "crm.relational.profile.interaction_count": None,
    "crm.relational.profile.positive_signal_count": None,
    "crm.relational.profile.negative_signal_count": None,
    "crm.relational.profile.last_contact_date": None,
    "crm.relational.profile.days_without_contact": None,
    "crm.relational.run.parameters": None,  # population percentiles of revenue, recomputes
    # the retention policy's view of a customer, read past the documents' rules on purpose
    # (every company), for relational administrators only
    "res.partner.relational_last_activity_date": None,
    "res.partner.relational_inactive": None,
    "crm.relational.timeline.amount": "timeline",
    "crm.relational.relationship.type.profile_count": "counts",
    "crm.relational.segment.partner_count": "counts",
    "res.partner.relational_interaction_count": "timeline",
    "res.partner.relational_purchase_trend": "purchase_trend",
    "res.partner.relational_purchase_direction": "purchase_trend",
    # crm_relational_sfa: credit exposure and the call sheet's lists
    "res.partner.relational_credit_outstanding": "credit",
    "res.partner.relational_credit_overdue": "credit",
    "res.partner.relational_credit_to_invoice": "credit",
    "res.partner.relational_credit_exposure": "credit",
    "res.partner.relational_credit_available": "credit",
    "res.partner.relational_credit_blocked": "credit",
    "res.partner.relational_open_opportunity_ids": "call_sheet",
    "res.partner.relational_quotation_ids": "call_sheet",
    "res.partner.relational_recent_order_ids": "call_sheet",
    "res.partner.relational_recent_picking_ids": "call_sheet",
    "res.partner.relational_recent_interaction_ids": "call_sheet",
    # the duplicate-effort guard: who else works the customer, how many similar deals
    "crm.lead.other_salesperson_ids": None,
    "crm.lead.similar_opportunity_ids": "call_sheet",
    "crm.lead.similar_opportunity_count": None,
    # forecasts
    "crm.relational.forecast.line.closed": "forecast",
    "crm.relational.forecast.line.commit": "forecast",
    "crm.relational.forecast.line.best_case": "forecast",
    "crm.relational.forecast.line.weighted": None,
    "crm.relational.forecast.line.odoo_weighted": None,
    "crm.relational.forecast.line.repeat": None,
    "crm.relational.forecast.line.p10": None,
    "crm.relational.forecast.line.p50": None,
    "crm.relational.forecast.line.p90": None,
    "crm.relational.forecast.line.actual": None,
    "crm.relational.forecast.line.error": None,
    "crm.relational.forecast.line.odoo_error": None,
    "crm.relational.forecast.line.attainment": None,
    "crm.relational.forecast.line.forecast_attainment": None,
    "crm.relational.forecast.line.previous_p50": None,
    "crm.relational.forecast.line.previous_commit": None,
    "crm.relational.forecast.line.previous_best_case": None,
    "crm.relational.forecast.line.previous_weighted": None,
    "crm.relational.forecast.line.p50_change": None,
    "crm.relational.forecast.line.commit_change": None,
    "crm.relational.forecast.line.best_case_change": None,
    "crm.relational.forecast.line.weighted_change": None,
    "crm.relational.forecast.line.p50_change_pct": None,
    "crm.relational.forecast.line.commit_change_pct": None,
    "crm.relational.forecast.line.best_case_change_pct": None,
    "crm.relational.forecast.line.weighted_change_pct": None,
    "crm.relational.forecast.model.example_count": None,
    "crm.relational.forecast.model.holdout_count": None,
    "crm.relational.forecast.model.lead_count": None,
    "crm.relational.forecast.model.scored_count": None,
    "crm.relational.forecast.backtest.brier": None,
    "crm.relational.forecast.backtest.brier_odoo": None,
    "crm.relational.forecast.backtest.brier_base": None,
    "crm.relational.forecast.backtest.coverage": None,
    "crm.relational.forecast.backtest.mae": None,
    "crm.relational.forecast.backtest.mae_odoo": None,
    "crm.relational.forecast.backtest.rows": None,
    "crm.relational.forecast.backtest.rows_html": None,
    # crm_relational_service: ticket counts
    "sale.order.relational_ticket_count": "counts",
    "stock.picking.relational_ticket_count": "counts",
    "crm.relational.agent.open_ticket_count": "counts",
    "crm.relational.kb.article.solved_ticket_count": "counts",
    # anonymised ticket trends per product, for sales (counts only, no customer)
    "crm.relational.product.ticket.report.ticket_count": None,
    "crm.relational.product.ticket.report.complaint_count": None,
    "crm.relational.product.ticket.report.reopened_count": None,
    "crm.relational.product.ticket.report.breached_count": None,
    "crm.relational.product.ticket.report.rating_avg": None,
}

# PLAIN: configuration, names, links and dates of the record itself; not derived from other
# people's documents. Their records' own rules apply (and a) checks where links point).
PLAIN = {
    # crm_relational
    "res.partner.relational_no_profiling",
    "res.partner.relational_forgotten",
    "crm.relational.profile.partner_id",
    "crm.relational.profile.company_id",
    "crm.relational.profile.currency_id",
    "crm.relational.profile.user_id",
    "crm.relational.profile.computed_at",
    "crm.relational.stage.history.profile_id",
    "crm.relational.stage.history.partner_id",
    "crm.relational.stage.history.company_id",
    "crm.relational.stage.history.date",
    "crm.relational.relationship.type.name",
    "crm.relational.relationship.type.sequence",
    "crm.relational.relationship.type.active",
    "crm.relational.relationship.type.color",
    "crm.relational.relationship.type.description",
    "crm.relational.relationship.type.advice",
    "crm.relational.relationship.type.valence_min",
    "crm.relational.relationship.type.valence_max",
    "crm.relational.relationship.type.intensity_min",
    "crm.relational.relationship.type.intensity_max",
    "crm.relational.relationship.type.reciprocity_min",
    "crm.relational.relationship.type.reciprocity_max",
    "crm.relational.relationship.type.tenure_min_days",
    "crm.relational.run.company_id",
    "crm.relational.run.customer_count",
    "crm.relational.run.date",
    "crm.relational.run.done_count",
    "crm.relational.run.duration",
    "crm.relational.run.finished_at",
    "crm.relational.run.last_partner_id",
    "crm.relational.run.mode",
    "crm.relational.run.progress",
    "crm.relational.run.since",
    "crm.relational.run.started_at",
    "crm.relational.run.state",
    "crm.relational.run.user_id",
    "crm.relational.run.parallel",
    "crm.relational.run.partition_ids",
    "crm.relational.run.partition.run_id",
    "crm.relational.run.partition.company_id",
    "crm.relational.run.partition.partner_from",
    "crm.relational.run.partition.partner_to",
    "crm.relational.run.partition.state",
    "crm.relational.run.partition.worker",
    "crm.relational.run.partition.customer_count",
    "crm.relational.run.partition.done_count",
    "crm.relational.run.partition.last_partner_id",
    "crm.relational.run.partition.started_at",
    "crm.relational.run.partition.finished_at",
    "crm.relational.segment.active",
    "crm.relational.segment.color",
    "crm.relational.segment.company_id",
    "crm.relational.segment.description",
    "crm.relational.segment.domain",
    "crm.relational.segment.mailing_filter_id",
    "crm.relational.segment.name",
    "crm.relational.segment.sequence",
    "crm.relational.timeline.date",
    "crm.relational.timeline.partner_id",
    "crm.relational.timeline.company_id",
    "crm.relational.timeline.user_id",
    "crm.relational.timeline.kind",
    "crm.relational.timeline.channel",
    "crm.relational.timeline.direction",
    "crm.relational.timeline.outcome",
    "crm.relational.timeline.name",
    "crm.relational.timeline.currency_id",
    "crm.relational.timeline.res_model",
    "crm.relational.timeline.res_id",
    "res.company.relational_tier_a_share",
    "res.company.relational_tier_b_share",
    "res.company.relational_clv_horizon_months",
    "res.company.relational_clv_discount_rate",
    "res.company.relational_new_days",
    "res.company.relational_lost_days",
    "res.company.relational_dormant_factor",
    "res.company.relational_trend_threshold",
    "res.company.relational_churn_threshold",
    "res.company.relational_neglect_days_a",
    "res.company.relational_neglect_days_b",
    "res.company.relational_neglect_days_c",
    "res.company.relational_profile_archived",
    "res.company.relational_profile_blacklisted",
    "res.company.relational_retention_months",
    # the log of erasures: who forgot which customer when (relational administrators only)
    "crm.relational.erasure.company_id",
    "crm.relational.erasure.date",
    "crm.relational.erasure.partner_id",
    "crm.relational.erasure.partner_ref",
    "crm.relational.erasure.user_id",
    # crm_relational_sfa
    "res.company.sfa_forecast_period",
    "res.company.sfa_idle_days",
    "res.company.sfa_followup_activity",
    # the customer's own credit limit (or the company's default) and the company's currency
    "res.partner.relational_credit_limit",
    "res.partner.relational_credit_currency_id",
    # the salesperson's and the manager's own input on the opportunity, and what follows from
    # it and from the opportunity's own lines and activities
    "crm.lead.forecast_category",
    "crm.lead.forecast_manager_category",
    "crm.lead.forecast_manager_amount",
    "crm.lead.forecast_effective_category",
    "crm.lead.forecast_effective_amount",
    "crm.lead.followup_needed",
    "crm.lead.relational_line_ids",
    "crm.lead.relational_lines_amount",
    "crm.relational.lead.line.lead_id",
    "crm.relational.lead.line.company_id",
    "crm.relational.lead.line.currency_id",
    "crm.relational.lead.line.product_id",
    "crm.relational.lead.line.quantity",
    "crm.relational.lead.line.uom_id",
    "crm.relational.lead.line.price_unit",
    "crm.relational.lead.line.price_subtotal",
    "crm.relational.lead.line.sequence",
    "crm.relational.lead.line.free_qty",  # the company's stock, read by every salesperson
    "crm.relational.lead.line.promise_date",
    "crm.relational.sales.target.amount",
    "crm.relational.sales.target.company_id",
    "crm.relational.sales.target.currency_id",
    "crm.relational.sales.target.date_from",
    "crm.relational.sales.target.date_to",
    "crm.relational.sales.target.team_id",
    "crm.relational.sales.target.user_id",
    "crm.relational.forecast.company_id",
    "crm.relational.forecast.date",
    "crm.relational.forecast.kind",
    "crm.relational.forecast.period_type",
    "crm.relational.forecast.model_id",
    "crm.relational.forecast.line_ids",
    "crm.relational.forecast.currency_id",
    "crm.relational.forecast.line.forecast_id",
    "crm.relational.forecast.line.forecast_date",
    "crm.relational.forecast.line.forecast_kind",
    "crm.relational.forecast.line.company_id",
    "crm.relational.forecast.line.currency_id",
    "crm.relational.forecast.line.level",
    "crm.relational.forecast.line.user_id",
    "crm.relational.forecast.line.team_id",
    "crm.relational.forecast.line.date_from",
    "crm.relational.forecast.line.date_to",
    "crm.relational.forecast.line.target",  # the targets managers set, prorated
    "crm.relational.forecast.line.previous_forecast_id",
    "crm.relational.forecast.line.movement",
    "crm.relational.forecast.model.company_id",
    "crm.relational.forecast.model.date",
    "crm.relational.forecast.model.closed_before",
    "crm.relational.forecast.backtest.as_of",
    "crm.relational.forecast.backtest.company_id",
    "crm.relational.forecast.backtest.currency_id",
    "crm.relational.forecast.backtest.done_count",
    "crm.relational.forecast.backtest.finished_at",
    "crm.relational.forecast.backtest.message",
    "crm.relational.forecast.backtest.period_count",
    "crm.relational.forecast.backtest.period_type",
    "crm.relational.forecast.backtest.progress",
    "crm.relational.forecast.backtest.replayed_count",
    "crm.relational.forecast.backtest.requested_at",
    "crm.relational.forecast.backtest.started_at",
    "crm.relational.forecast.backtest.state",
    "crm.relational.forecast.backtest.user_id",
    # the calls salespeople submit and managers adjust: their own input, read by the rules
    # (own, teams led, all)
    "crm.relational.forecast.submission.company_id",
    "crm.relational.forecast.submission.currency_id",
    "crm.relational.forecast.submission.user_id",
    "crm.relational.forecast.submission.team_id",
    "crm.relational.forecast.submission.date_from",
    "crm.relational.forecast.submission.date_to",
    "crm.relational.forecast.submission.kind",
    "crm.relational.forecast.submission.commit",
    "crm.relational.forecast.submission.best_case",
    "crm.relational.forecast.submission.comment",
    "crm.relational.forecast.submission.reason",
    "crm.relational.forecast.submission.submitted_by_id",
    "crm.relational.forecast.submission.submitted_on",
    # crm_relational_service
    "res.company.service_calendar_id",
    "helpdesk.sla.relational_target",
    "helpdesk.sla.relational_priority",
    "helpdesk.sla.relational_value_tier",
    "helpdesk.sla.relational_escalation",
    "helpdesk.ticket.sale_order_id",
    "helpdesk.ticket.picking_id",
    "helpdesk.ticket.invoice_id",
    "helpdesk.ticket.lot_id",
    "helpdesk.ticket.relational_required_skill_ids",
    "helpdesk.ticket.relational_first_response_date",
    "helpdesk.ticket.relational_reopen_count",
    "helpdesk.ticket.relational_suggested_article_ids",
    "helpdesk.ticket.relational_solution_article_id",
    "helpdesk.ticket.relational_used_article_ids",
    "helpdesk.ticket.relational_lead_id",
    "helpdesk.ticket.category.relational_skill_ids",
    "helpdesk.ticket.category.relational_complaint",
    "helpdesk.ticket.sla.relational_escalated",
    "helpdesk.ticket.team.relational_routing",
    "sale.order.relational_ticket_ids",
    "stock.picking.relational_ticket_ids",
    "crm.relational.agent.active",
    "crm.relational.agent.capacity",
    "crm.relational.agent.company_id",
    "crm.relational.agent.user_id",
    "crm.relational.agent.skill_ids",
    "crm.relational.agent.last_assigned_at",
    "crm.relational.agent.skill.agent_id",
    "crm.relational.agent.skill.company_id",
    "crm.relational.agent.skill.level",
    "crm.relational.agent.skill.skill_id",
    "crm.relational.skill.active",
    "crm.relational.skill.channel_id",
    "crm.relational.skill.company_id",
    "crm.relational.skill.lang",
    "crm.relational.skill.min_level",
    "crm.relational.skill.name",
    "crm.relational.skill.product_category_id",
    "crm.relational.skill.skill_type",
    "crm.relational.kb.article.active",
    "crm.relational.kb.article.body",
    "crm.relational.kb.article.category_id",
    "crm.relational.kb.article.company_id",
    "crm.relational.kb.article.is_public",
    "crm.relational.kb.article.lang",
    "crm.relational.kb.article.name",
    "crm.relational.kb.article.product_category_id",
    "crm.relational.kb.article.state",
    "crm.relational.kb.article.solved_ticket_ids",
    "crm.relational.kb.article.used_ticket_ids",
    "crm.relational.routing.run.company_id",
    "crm.relational.routing.run.done_count",
    "crm.relational.routing.run.finished_at",
    "crm.relational.routing.run.full_count",
    "crm.relational.routing.run.last_ticket_id",
    "crm.relational.routing.run.no_skills_count",
    "crm.relational.routing.run.not_working_count",
    "crm.relational.routing.run.progress",
    "crm.relational.routing.run.routed_count",
    "crm.relational.routing.run.skipped_count",
    "crm.relational.routing.run.started_at",
    "crm.relational.routing.run.state",
    "crm.relational.routing.run.summary",
    "crm.relational.routing.run.team_id",
    "crm.relational.routing.run.ticket_ids",
    "crm.relational.routing.run.total_count",
    "crm.relational.routing.run.user_id",
    "crm.relational.product.ticket.report.product_id",
    "crm.relational.product.ticket.report.product_category_id",
    "crm.relational.product.ticket.report.category_id",
    "crm.relational.product.ticket.report.company_id",
    "crm.relational.product.ticket.report.month",
}

# The methods whose right is a group rather than write access on their model (the model's rows
# are written by the engine only, nobody has the write right on them): the roles with the
# group may call them; every other role must be refused or change nothing.
AUTHORITY = {
    ("crm.relational.profile", "action_recompute"): "crm_relational.group_manager",
    ("crm.relational.profile", "action_recompute_background"): "crm_relational.group_manager",
}
# Methods that change another model than their own: the right that counts is on that model.
WRITE_TARGET = {
    ("crm.relational.type.override", "action_apply"): "res.partner",
    ("crm.relational.retention", "action_apply"): "res.partner",
    ("crm.relational.kb.article", "action_relational_solves_ticket"): "helpdesk.ticket",
}
# Arguments and context of the methods that need some (a new method with required arguments
# must be given its own here).
ARGUMENTS = {
    ("crm.relational.stock.lookup", "lookup"): lambda case: {"query": "Invariant Lamp"},
    ("helpdesk.ticket", "relational_article_suggestions"): lambda case: {
        "subject": "Invariant lamp",
        "description": "<p>How do I replace a lamp?</p>",
    },
    ("helpdesk.ticket", "action_relational_use_article"): lambda case: {
        "article_id": case.article.id
    },
}
# The values of a wizard each role opens for itself (wizards are their creator's own).
WIZARDS = {
    "crm.relational.type.override": lambda case: {
        "profile_id": case.env["crm.relational.profile"]
        .search([("partner_id", "=", case.customer.id), ("company_id", "=", case.company_a.id)])
        .id,
        "relationship_type_id": case.env["crm.relational.relationship.type"].search([], limit=1).id,
        "reason": "Invariant: set by hand",
    },
    "crm.relational.retention": lambda case: {
        "partner_ids": [(6, 0, case.customer_2.ids)],
        "operation": "forget",
    },
}
CONTEXTS = {
    ("crm.relational.kb.article", "action_relational_solves_ticket"): lambda case: {
        "relational_ticket_id": case.ticket_agent.id
    },
}


def _is_ours(field):
    """Whether our addons define ``field`` (not only redefine an attribute of Odoo's field)."""
    if field.inherited:
        return _is_ours(field.related_field)
    return bool(field._modules) and field._modules[0] in ADDONS


def _key(field):
    """The classification key of ``field``: res.users' inherited fields are the partner's."""
    if field.inherited:
        return _key(field.related_field)
    return f"{field.model_name}.{field.name}"


def _api_model(method):
    return getattr(method, "_api_model", False) or getattr(method, "_api", None) == "model"


class TestAccessInvariant(RepositoryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        build(cls)
        Model = cls.env["ir.model"]
        cls.ir_models = Model.search([("transient", "=", False)]).filtered(
            lambda model: set(ADDONS) & set((model.modules or "").replace(" ", "").split(","))
        )
        # Our models: every module that defines them is one of ours; the others are Odoo's.
        cls.our_models = [
            model.model
            for model in cls.ir_models
            if model.model in cls.env
            and not cls.env[model.model]._abstract
            and set((model.modules or "").replace(" ", "").split(",")) <= set(ADDONS)
        ]
        IrFields = cls.env["ir.model.fields"]
        cls.fields = []
        for row in IrFields.search([("model_id", "in", cls.ir_models.ids)]):
            if not set(ADDONS) & set((row.modules or "").replace(" ", "").split(",")):
                continue
            Records = cls.env.get(row.model)
            field = Records._fields.get(row.name) if Records is not None else None
            if field is None or Records._transient or Records._abstract:
                continue
            if field.name in models.MAGIC_COLUMNS or field.name == "display_name":
                continue
            if _is_ours(field):
                cls.fields.append(field)

    # ------------------------------------------------------------------ helpers
    def _env(self, role):
        """The role's environment, on a fresh cache: computed fields are cached per record,
        not per user, and each request of a real user starts with an empty cache."""
        self.env.invalidate_all()
        return self.env(user=role.user, context={"allowed_company_ids": role.company.ids})

    def _can_read_model(self, role, model):
        return self.env["ir.model.access"].with_user(role.user).check(model, "read", False)

    def _readable(self, role, model, ids):
        """The ids of ``model`` among ``ids`` that ``role`` may read (rights and rules)."""
        if not ids:
            return set()
        Records = self._env(role)[model]
        if not self._can_read_model(role, model):
            return set()
        return set(Records.browse(ids)._filtered_access("read").ids)

    def _search(self, role, model, domain, **kwargs):
        """``search`` as ``role``; nothing when it may not read the model at all."""
        if not self._can_read_model(role, model):
            return self.env[model].browse()
        return self._env(role)[model].search(domain, **kwargs)

    def _pointer_fields(self, role, Model):
        """Relational fields of ``Model`` the role may read, with the model they point to."""
        pointers = {}
        for name, field in Model._fields.items():
            if not Model._has_field_access(field, "read"):
                continue
            if field.type in ("many2one", "one2many", "many2many"):
                if field.comodel_name not in ALLOWED_TARGETS:
                    pointers[name] = field
            elif field.type == "many2one_reference":
                pointers[name] = field
        return pointers

    def _check_pointers(self, role, records, pointers):
        """Read ``pointers`` of ``records`` as the role: each value must be readable by it."""
        if not records or not pointers:
            return
        names = list(pointers)
        for field in pointers.values():
            if field.type == "many2one_reference":
                names.append(field.model_field)
        try:
            rows = records.read(list(dict.fromkeys(names)), load=None)
        except AccessError as error:
            self.fail(f"its searchable rows cannot be read: {error}")
        targets = defaultdict(set)
        where = defaultdict(list)
        for row in rows:
            for name, field in pointers.items():
                value = row[name]
                if field.type == "many2one_reference":
                    model = row[field.model_field]
                    ids = [value] if model and value else []
                else:
                    model = field.comodel_name
                    ids = value if isinstance(value, list) else [value] if value else []
                for target in ids:
                    targets[model].add(target)
                    where[model, target].append(f"{records._name}({row['id']}).{name}")
        problems = []
        for model, ids in targets.items():
            if model not in self.env:
                continue
            existing = set(self.env[model].browse(ids).exists().ids)
            unreadable = existing - self._readable(role, model, list(existing))
            problems += [f"{model}({i}) from {where[model, i][0]}" for i in sorted(unreadable)]
        self.assertFalse(problems, "points to records the role cannot read: " + ", ".join(problems))

    # ------------------------------------------------------------------ a) rows -> documents
    def test_enumeration_sees_the_addons(self):
        """The enumeration finds what it must: a new model or field cannot hide from it."""
        self.assertIn("crm.relational.timeline", self.our_models)
        self.assertIn("crm.relational.forecast.line", self.our_models)
        self.assertIn("crm.relational.kb.article", self.our_models)
        self.assertNotIn("res.partner", self.our_models)
        keys = {_key(field) for field in self.fields}
        for key in (
            "res.partner.relational_value_tier",
            "helpdesk.ticket.relational_health_score",
            "crm.lead.relational_win_probability",
            "crm.relational.profile.revenue",
        ):
            self.assertIn(key, keys)
        # Odoo's fields our addons only redefine are Odoo's (account.payment's partner index).
        self.assertNotIn("account.payment.partner_id", keys)

    def test_the_checks_can_fail(self):
        """The data holds what each check must catch, and the checks catch it: rep B's order
        and credit note and the chat message are in the timeline, the own-documents salesman
        cannot read them, and the pointer check and the profile recompute fail when the rows
        or the figure are read past his rights (as superuser)."""
        rep = self.roles["own-documents salesman"]
        rows = self.env["crm.relational.timeline"].search([("partner_id", "=", self.customer.id)])
        documents = {(row.res_model, row.res_id) for row in rows}
        self.assertIn(("sale.order", self.order_b.id), documents)
        self.assertIn(("account.move", self.refund_b.id), documents)
        self.assertFalse(self.order_b.with_user(rep.user).has_access("read"))
        self.assertTrue(self.order_a.with_user(rep.user).has_access("read"))
        pointers = {"res_id": rows._fields["res_id"], "partner_id": rows._fields["partner_id"]}
        with self.assertRaisesRegex(AssertionError, rf"sale.order\({self.order_b.id}\)"):
            self._check_pointers(rep, rows, pointers)
        # The action check sees a call's writes: a sales manager's type set by hand writes the
        # profile.
        manager = self.roles["sales manager"]
        wizard = self._wizard("crm.relational.type.override", manager)
        outcome, changed = self._attempt(manager, wizard, "action_apply", {}, {})
        self.assertEqual(outcome, "done")
        self.assertIn("crm_relational_profile", changed)
        # ... and a refusal: the portal customer may not recompute the profiles.
        Profile = self.env["crm.relational.profile"]
        portal = self.roles["portal customer"]
        outcome, changed = self._attempt(portal, Profile, "action_recompute", {}, {})
        self.assertEqual((outcome, changed), ("refused (AccessError)", []))
        profile = self.env["crm.relational.profile"].search(
            [("partner_id", "=", self.customer.id), ("company_id", "=", self.company_a.id)]
        )
        mine = self._search(rep, "sale.order", [("partner_id", "child_of", self.customer.id),
                                                ("state", "=", "sale")])  # fmt: skip
        self.assertEqual(mine, self.order_a)
        self.assertEqual(profile.order_count, 3)
        self.assertGreater(profile.revenue, self.order_a.amount_untaxed)

    def test_every_model_has_rows(self):
        """The data reaches every model of the addons: no invariant holds vacuously."""
        empty = [
            model
            for model in self.our_models
            if not self.env[model].with_context(active_test=False).search_count([], limit=1)
        ]
        self.assertFalse(empty, "models without rows in the invariant's data")

    def test_rows_point_to_readable_documents(self):
        for label, role in self.roles.items():
            for model in self.our_models:
                if not self._can_read_model(role, model):
                    continue
                Model = self._env(role)[model]
                with self.subTest(role=label, model=model):
                    try:
                        records = Model.with_context(active_test=False).search([])
                    except AccessError as error:
                        self.fail(f"search raised although the rights allow it: {error}")
                    self._check_pointers(role, records, self._pointer_fields(role, Model))

    def test_computed_lists_on_odoo_records_point_to_readable_documents(self):
        """The lists our addons compute on Odoo's records (the call sheet, suggestions,
        duplicate effort, profile and segments of a customer) name only what the role may
        read; stored links a user chose (a ticket's order) are Odoo's many2one and keep
        Odoo's rules."""
        samples = {
            "res.partner": self.customers | self.contact,
            "crm.lead": self.leads,
            "helpdesk.ticket": self.tickets,
            "sale.order": self.orders,
            "stock.picking": self.orders.picking_ids,
        }
        by_model = defaultdict(dict)
        for field in self.fields:
            if field.model_name in samples and not field.store and field.relational:
                by_model[field.model_name][field.name] = field
        self.assertIn("relational_recent_order_ids", by_model["res.partner"])
        for label, role in self.roles.items():
            for model, candidates in by_model.items():
                Model = self._env(role)[model]
                records = Model.browse(self._readable(role, model, samples[model].ids))
                pointers = {
                    name: field
                    for name, field in candidates.items()
                    if Model._has_field_access(field, "read")
                    and field.comodel_name not in ALLOWED_TARGETS
                }
                with self.subTest(role=label, model=model):
                    self._check_pointers(role, records.sorted("id"), pointers)

    # ------------------------------------------------------------------ b) classification
    def test_every_field_is_classified(self):
        sets = {"SCORES": SCORES, "FIGURES": set(FIGURES), "PLAIN": PLAIN}
        for field in self.fields:
            key = _key(field)
            found = [name for name, keys in sets.items() if key in keys]
            with self.subTest(field=key):
                self.assertEqual(
                    len(found),
                    1,
                    f"{key} is in {found or 'no list'}: classify it in exactly one of SCORES "
                    "(an internal score: give it groups= that portal, public and plain "
                    "internal users lack), FIGURES (an amount, count or list adding up other "
                    "documents: groups= and a recompute from what the user may search) or "
                    "PLAIN (configuration, names, dates of the record itself), in "
                    "tests/test_access_invariant.py",
                )
        known = {_key(field) for field in self.fields}
        for name, keys in sets.items():
            with self.subTest(list=name):
                self.assertFalse(set(keys) - known, f"{name} lists fields that do not exist")

    def test_scores_and_figures_are_unreadable_to_outsiders(self):
        """Scores, and figures no recompute vouches for, are hidden from public, portal and
        plain internal users: by groups= on Odoo's models, by the rights or groups= on ours."""
        Access = self.env["ir.model.access"]
        for field in self.fields:
            key = _key(field)
            if key not in SCORES and not (key in FIGURES and FIGURES[key] is None):
                continue
            ours = field.model_name in self.our_models
            for label in OUTSIDERS:
                role = self.roles[label]
                Model = self._env(role)[field.model_name]
                with self.subTest(role=label, field=f"{field.model_name}.{field.name}"):
                    model_denied = not Access.with_user(role.user).check(
                        field.model_name, "read", False
                    )
                    field_denied = not Model._has_field_access(field, "read")
                    if ours:
                        self.assertTrue(
                            model_denied or field_denied,
                            "readable: neither the access rights nor groups= keep it out",
                        )
                    else:
                        # On Odoo's shared models the field itself must say who reads it.
                        self.assertTrue(
                            field.groups and field_denied,
                            f"groups={field.groups!r} lets this role read it",
                        )
                    if model_denied:
                        continue
                    records = Model.search([], limit=1)
                    if records:
                        with self.assertRaises(AccessError), self.env.cr.savepoint():
                            records.read([field.name])
                        with self.assertRaises(AccessError), self.env.cr.savepoint():
                            Model.search_read([("id", "=", records.id)], [field.name])

    def _readers(self, model, names):
        """The roles that may read ``names`` of ``model`` (rights and groups)."""
        for label, role in self.roles.items():
            Model = self._env(role)[model]
            if not self._can_read_model(role, model):
                continue
            if all(Model._has_field_access(Model._fields[name], "read") for name in names):
                yield label, role

    def test_figures_have_their_recompute(self):
        """Every recomputed figure names a recompute this suite has."""
        for key, recompute in FIGURES.items():
            if recompute:
                with self.subTest(field=key):
                    self.assertTrue(hasattr(self, f"_recompute_{recompute}"), recompute)

    def test_figures_are_what_the_readable_documents_add_up_to(self):
        for recompute in sorted({name for name in FIGURES.values() if name}):
            self.compared = []
            getattr(self, f"_recompute_{recompute}")()
            # Not vacuous: some role read the figure, and some expected value was not zero.
            with self.subTest(recompute=recompute):
                self.assertTrue(any(self.compared), "compared nothing but zeros and blanks")

    def _same(self, got, expected):
        """The figure a role read equals the recompute (to the cent for amounts)."""
        self.compared.append(bool(expected))
        if isinstance(expected, float) or isinstance(got, float):
            self.assertAlmostEqual(got, expected, places=2)
        else:
            self.assertEqual(got, expected)

    # ------------------------------------------------------------------ b) the recomputes
    def _recompute_profile(self):
        """Revenue and order count of each profile the role reads: its confirmed orders (and
        posted credit notes) in the profile's company that the role may search."""
        Profile = self.env["crm.relational.profile"]
        profiles = Profile.search([("partner_id", "in", self.customers.ids)])
        self.assertTrue(profiles)
        for label, role in self._readers(Profile._name, ["revenue", "order_count"]):
            seen = self._env(role)[Profile._name].search([("id", "in", profiles.ids)])
            for profile in seen:
                family = [("partner_id", "child_of", profile.partner_id.id)]
                orders = self._search(
                    role, "sale.order",
                    [*family, ("state", "=", "sale"), ("company_id", "=", profile.company_id.id),
                     ("date_order", "<=", profile.computed_at)],
                )  # fmt: skip
                refunds = self._search(
                    role, "account.move",
                    [*family, ("move_type", "=", "out_refund"), ("state", "=", "posted"),
                     ("company_id", "=", profile.company_id.id)],
                )  # fmt: skip
                revenue = sum(
                    order.amount_untaxed / (order.currency_rate or 1.0) for order in orders.sudo()
                ) + sum(refunds.sudo().mapped("amount_untaxed_signed"))
                (values,) = profile.read(["revenue", "order_count"])
                with self.subTest(role=label, field="profile.order_count", profile=profile.id):
                    self._same(values["order_count"], len(orders))
                with self.subTest(role=label, field="profile.revenue", profile=profile.id):
                    self._same(values["revenue"], revenue)

    def _timeline_expected(self, role, partners=None):
        """The timeline rows of ``partners`` (all rows without) whose document the role may
        read, in its companies (or of no company): what the role's timeline must hold."""
        Timeline = self.env["crm.relational.timeline"]
        rows = Timeline.search([("partner_id", "in", partners.ids)] if partners else [])
        readable = {}
        for model, group in rows.grouped("res_model").items():
            if model in self.env:
                readable[model] = self._readable(role, model, group.mapped("res_id"))
        return rows.filtered(
            lambda row: (
                row.res_id in readable.get(row.res_model, ())
                and (not row.company_id or row.company_id in role.user.company_ids)
            )
        )

    def _recompute_timeline(self):
        """Amounts by kind of the timeline and the interaction count of the customer."""
        Timeline = self.env["crm.relational.timeline"]
        for label, role in self._readers(Timeline._name, ["amount"]):
            expected_rows = self._timeline_expected(role, self.customers)
            expected = defaultdict(float)
            for row in expected_rows:
                expected[row.kind] += row.amount or 0.0
            groups = self._env(role)[Timeline._name]._read_group(
                [("partner_id", "in", self.customers.ids)], ["kind"], ["amount:sum"]
            )
            got = {kind: amount or 0.0 for kind, amount in groups}
            for kind in sorted(set(expected) | set(got)):
                with self.subTest(role=label, field="timeline.amount", kind=kind):
                    self._same(got.get(kind, 0.0), expected.get(kind, 0.0))
            # The manager's view: the whole timeline, no customer chosen.
            expected_count = defaultdict(int)
            for row in self._timeline_expected(role):
                expected_count[row.kind] += 1
            got_count = dict(self._env(role)[Timeline._name]._read_group([], ["kind"], ["__count"]))
            with self.subTest(role=label, field="timeline (whole)"):
                self.assertEqual(got_count, dict(expected_count))
        Partner = self.env["res.partner"]
        for label, role in self._readers(Partner._name, ["relational_interaction_count"]):
            if not self._can_read_model(role, Timeline._name):
                continue
            customer = self._env(role)[Partner._name].browse(self.customer.id)
            expected = len(self._timeline_expected(role, self.customer))
            with self.subTest(role=label, field="res.partner.relational_interaction_count"):
                self._same(customer.relational_interaction_count, expected)

    def _recompute_purchase_trend(self):
        """The purchase trend: per month, the confirmed orders of the customer in the user's
        company that the user may search."""
        Partner = self.env["res.partner"]
        for label, role in self._readers(Partner._name, ["relational_purchase_trend"]):
            customer = self._env(role)[Partner._name].browse(self.customer.id)
            trend = customer.relational_purchase_trend or {}
            orders = self._search(
                role, "sale.order",
                [("partner_id", "child_of", self.customer.id), ("state", "=", "sale"),
                 ("company_id", "=", role.company.id)],
            )  # fmt: skip
            expected = defaultdict(float)
            for order in orders.sudo():
                month = order.date_order.date().replace(day=1).isoformat()
                expected[month] += order.amount_untaxed / (order.currency_rate or 1.0)
            got = dict(zip(trend.get("months", []), trend.get("amounts", []), strict=True))
            for month in sorted(set(expected) | {m for m, a in got.items() if a}):
                with self.subTest(role=label, field="res.partner.relational_purchase_trend",
                                  month=month):  # fmt: skip
                    self._same(got.get(month, 0.0), expected[month])

    def _recompute_credit(self):
        """Credit exposure: unpaid posted invoices (less credit notes) and confirmed orders
        still to invoice, of the customer in the user's company, that the user may search."""
        Partner = self.env["res.partner"]
        names = [
            "relational_credit_outstanding",
            "relational_credit_overdue",
            "relational_credit_to_invoice",
            "relational_credit_exposure",
        ]
        for label, role in self._readers(Partner._name, names):
            family = [("partner_id", "child_of", self.customer.id)]
            moves = self._search(
                role, "account.move",
                [*family, ("move_type", "in", ("out_invoice", "out_refund")),
                 ("state", "=", "posted"), ("company_id", "=", role.company.id)],
            ).sudo()  # fmt: skip
            outstanding = sum(moves.mapped("amount_residual_signed"))
            overdue = sum(
                move.amount_residual_signed
                for move in moves
                if move.invoice_date_due and move.invoice_date_due < self.today
            )
            orders = self._search(
                role, "sale.order",
                [("partner_invoice_id", "child_of", self.customer.id), ("state", "=", "sale"),
                 ("company_id", "=", role.company.id)],
            ).sudo()  # fmt: skip
            to_invoice = sum(orders.order_line.mapped("amount_to_invoice"))  # tax included
            (values,) = self._env(role)[Partner._name].browse(self.customer.id).read(names)
            expected = {
                "relational_credit_outstanding": outstanding,
                "relational_credit_overdue": overdue,
                "relational_credit_to_invoice": to_invoice,
                "relational_credit_exposure": outstanding + to_invoice,
            }
            for name, amount in expected.items():
                with self.subTest(role=label, field=f"res.partner.{name}"):
                    self._same(values[name], amount)

    def _recompute_call_sheet(self):
        """The call sheet's lists and the similar opportunities: lists of documents, checked
        by the pointer invariant (test_computed_lists_on_odoo_records_point_to_readable_
        documents); here, the open opportunities listed are all those the user may search."""
        Partner = self.env["res.partner"]
        for label, role in self._readers(Partner._name, ["relational_open_opportunity_ids"]):
            customer = self._env(role)[Partner._name].browse(self.customer.id)
            leads = self._search(
                role, "crm.lead",
                [("partner_id", "child_of", self.customer.id), ("type", "=", "opportunity"),
                 ("won_status", "=", "pending")],
            )  # fmt: skip
            with self.subTest(role=label, field="res.partner.relational_open_opportunity_ids"):
                self._same(set(customer.relational_open_opportunity_ids.ids), set(leads.ids))

    def _recompute_forecast(self):
        """Closed, commit and best case of each forecast line the role reads: the won
        opportunities and the confirmed orders without opportunity of the period, and the open
        opportunities expected to close in it, that the role may search, of the line's
        salesperson, team or whole company."""
        Line = self.env["crm.relational.forecast.line"]
        lines = Line.search([("forecast_id", "in", self.forecasts.ids)])
        self.assertTrue(lines)
        for forecast in self.forecasts:
            self.assertFalse(forecast.model_id, "the forecast must use Odoo's probabilities")
        for label, role in self._readers(Line._name, ["closed", "commit", "best_case"]):
            seen = self._env(role)[Line._name].search([("id", "in", lines.ids)])
            for line in seen:
                moment = line.forecast_date
                end = min(line.date_to, moment.date())
                company = [("company_id", "=", line.company_id.id)]
                won = self._search(
                    role, "crm.lead",
                    [*company, ("type", "=", "opportunity"), ("won_status", "=", "won"),
                     ("date_closed", ">=", line.date_from),
                     ("date_closed", "<", end + ONE_DAY)],
                ).sudo()  # fmt: skip
                orders = self._search(
                    role, "sale.order",
                    [*company, ("state", "=", "sale"), ("opportunity_id", "=", False),
                     ("date_order", ">=", line.date_from),
                     ("date_order", "<", end + ONE_DAY)],
                ).sudo()  # fmt: skip
                open_leads = self._search(
                    role, "crm.lead",
                    [*company, ("type", "=", "opportunity"), ("won_status", "=", "pending"),
                     ("create_date", "<=", moment)],
                ).sudo()  # fmt: skip
                day = moment.date()
                open_leads = open_leads.filtered(
                    lambda lead, line=line, day=day: (
                        line.date_from <= max(lead.date_deadline or day, day) <= line.date_to
                    )
                )

                def owned(records, line=line):
                    if line.level == "salesperson":
                        return records.filtered(lambda r: r.user_id == line.user_id)
                    if line.level == "team":
                        return records.filtered(lambda r: r.team_id == line.team_id)
                    return records

                closed = sum(owned(won).mapped("expected_revenue")) + sum(
                    order.amount_untaxed / (order.currency_rate or 1.0) for order in owned(orders)
                )
                pipeline = owned(open_leads)
                commit = sum(
                    pipeline.filtered(
                        lambda lead: lead.forecast_effective_category == "commit"
                    ).mapped("forecast_effective_amount")
                )
                best_case = sum(
                    pipeline.filtered(
                        lambda lead: lead.forecast_effective_category in ("commit", "best_case")
                    ).mapped("forecast_effective_amount")
                )
                (values,) = line.read(["closed", "commit", "best_case"])
                owner = line.user_id.name or line.team_id.name or line.level
                for name, amount in (
                    ("closed", closed),
                    ("commit", commit),
                    ("best_case", best_case),
                ):
                    with self.subTest(role=label, field=f"forecast.line.{name}",
                                      line=f"{line.level} {owner} {line.date_from}"):  # fmt: skip
                        self._same(values[name], amount)

    def _recompute_counts(self):
        """Counts of documents: tickets of an order, a delivery, an agent and an article,
        profiles of a type, customers of a segment; each what the role may search."""
        checks = [
            ("sale.order", "relational_ticket_count", self.orders,
             lambda record: ("helpdesk.ticket", [("sale_order_id", "=", record.id)])),
            ("stock.picking", "relational_ticket_count", self.orders.picking_ids,
             lambda record: ("helpdesk.ticket", [("picking_id", "=", record.id)])),
            ("crm.relational.agent", "open_ticket_count", self.agents,
             lambda record: ("helpdesk.ticket", [("user_id", "=", record.user_id.id),
                                                 ("company_id", "=", record.company_id.id),
                                                 ("stage_id.closed", "=", False)])),
            ("crm.relational.kb.article", "solved_ticket_count", self.article,
             lambda record: ("helpdesk.ticket",
                             [("relational_solution_article_id", "=", record.id)])),
            ("crm.relational.relationship.type", "profile_count",
             self.env["crm.relational.relationship.type"].search([]),
             lambda record: ("crm.relational.profile",
                             [("relationship_type_id", "=", record.id)])),
            ("crm.relational.segment", "partner_count", self.segment,
             lambda record: ("res.partner", record._partner_domain())),
        ]  # fmt: skip
        for model, name, records, source in checks:
            for label, role in self._readers(model, [name]):
                for record in self._env(role)[model].browse(
                    self._readable(role, model, records.ids)
                ):
                    source_model, domain = source(record)
                    expected = (
                        self._env(role)[source_model].search_count(domain)
                        if self._can_read_model(role, source_model)
                        else 0
                    )
                    with self.subTest(role=label, field=f"{model}.{name}", record=record.id):
                        self._same(record[name], expected)

    # ------------------------------------------------------------------ c) methods
    def _public_methods(self):
        """{(model, method): function} of the public methods our classes add (not Odoo's
        methods they override: who may call those stays Odoo's rule and the access matrix's)."""
        found = {}
        for name in self.env.registry:
            Model = self.env[name]
            if Model._abstract and name != "crm.relational.stock.lookup":
                continue
            classes = type(Model).__mro__
            ours = [
                cls for cls in classes if cls.__module__.startswith("odoo.addons.crm_relational")
            ]
            theirs = [cls for cls in classes if cls not in ours]
            for cls in ours:
                for method, value in vars(cls).items():
                    if method.startswith("_") or not callable(value):
                        continue
                    if any(method in vars(other) for other in theirs):
                        continue
                    try:
                        get_public_method(Model, method)
                    except AccessError:
                        continue
                    found[name, method] = value
        return found

    def _sample(self, model):
        """A record to call a method on: the first company's, made by build() if it can."""
        samples = {
            "res.partner": self.customer,
            "crm.lead": self.lead_b,
            "helpdesk.ticket": self.ticket_agent,
            "helpdesk.ticket.team": self.helpdesk_team,
            "sale.order": self.order_b,
            "stock.picking": self.order_b.picking_ids[:1],
            "crm.relational.kb.article": self.article,
            "crm.relational.segment": self.segment,
        }
        if model in samples:
            return samples[model]
        Model = self.env[model].with_context(active_test=False)
        if "company_id" in Model._fields and Model._fields["company_id"].store:
            record = Model.search([("company_id", "=", self.company_a.id)], limit=1)
            if record:
                return record
        return Model.search([], limit=1)

    def _wizard(self, model, role):
        """A wizard of ``model`` as ``role`` opened it (its creator: the role)."""
        wizard = self.env[model].create(WIZARDS[model](self))
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET create_uid = %s WHERE id = %s",
                SQL.identifier(wizard._table),
                role.user.id,
                wizard.id,
            )
        )
        self.env.invalidate_all()
        return wizard

    def _fingerprint(self):
        """{table: rows inserted, updated or deleted so far in this transaction}, for every
        table of the database (PostgreSQL's own counters: a write anywhere shows, even one
        undone later by a savepoint)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del"
                "  FROM pg_stat_xact_user_tables WHERE n_tup_ins + n_tup_upd + n_tup_del > 0"
            )
        )
        return dict(self.env.cr.fetchall())

    def test_methods_refuse_roles_without_write_access(self):
        methods = self._public_methods()
        self.assertIn(("crm.relational.profile", "action_recompute"), methods)
        self.assertIn(("res.partner", "action_export_relational_profile"), methods)
        Access = self.env["ir.model.access"]
        for (model, method), function in sorted(methods.items()):
            Model = self.env[model]
            target = WRITE_TARGET.get((model, method), model)
            if Model._transient and (model, method) not in WRITE_TARGET:
                # A wizard writes its own records, then its target: name the target above.
                with self.subTest(model=model, method=method):
                    self.fail("a wizard action: name the model it changes in WRITE_TARGET")
                continue
            required = [
                parameter.name
                for parameter in list(inspect.signature(function).parameters.values())[1:]
                if parameter.default is inspect.Parameter.empty
                and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
            ]
            if required and (model, method) not in ARGUMENTS:
                with self.subTest(model=model, method=method):
                    self.fail(f"give the arguments {required} in ARGUMENTS")
                continue
            if Model._transient and model not in WIZARDS:
                with self.subTest(model=model, method=method):
                    self.fail("a wizard: give the values of one in WIZARDS")
                continue
            record = Model.browse() if _api_model(function) else self._sample(model)
            if not _api_model(function) and not record and not Model._transient:
                with self.subTest(model=model, method=method):
                    self.fail("no record to call it on: make one in access_roles.build")
                continue
            kwargs = ARGUMENTS.get((model, method), lambda case: {})(self)
            context = CONTEXTS.get((model, method), lambda case: {})(self)
            authority = AUTHORITY.get((model, method))
            for label, role in self.roles.items():
                rights = Access.with_user(role.user)
                if rights.check(target, "write", False) or rights.check(target, "create", False):
                    continue
                if authority and role.user.has_group(authority):
                    continue
                if Model._transient:
                    record = self._wizard(model, role)
                self._call_as(role, record, method, kwargs, context, label)

    def _attempt(self, role, record, method, kwargs, context):
        """Call ``method`` as the role, then undo it: ``(outcome, tables it wrote to)``."""
        before = self._fingerprint()
        outcome, changed = None, []
        try:
            with self.env.cr.savepoint():
                bound = record.with_env(self._env(role)).with_context(**context)
                try:
                    getattr(bound, method)(**kwargs)
                    outcome = "done"
                except (AccessError, UserError) as error:
                    outcome = f"refused ({type(error).__name__})"
                # Writes made before a refusal count too: flushed, then counted.
                after = self._fingerprint()
                changed = sorted(t for t in after if after[t] != before.get(t, 0))
                raise _RollBack()
        except _RollBack:
            pass
        except Exception as error:  # any other error is a crash, reported
            outcome = f"crashed: {type(error).__name__}: {error}"
        finally:
            self.env.invalidate_all()
        return outcome, changed

    def _call_as(self, role, record, method, kwargs, context, label):
        """Call ``method`` as the role: refused or harmless, never a write, never a crash."""
        with self.subTest(role=label, model=record._name, method=method):
            outcome, changed = self._attempt(role, record, method, kwargs, context)
            self.assertFalse(outcome.startswith("crashed"), outcome)
            self.assertFalse(
                changed,
                f"without write access on its model, the call ({outcome}) changed {changed}",
            )


class _RollBack(Exception):
    """Leaves a savepoint, undoing what a call did."""
