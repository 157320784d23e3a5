from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import SQL

from ..system_fields import check_system_fields, system_env


class HelpdeskTicket(models.Model):
    """Tickets tied to the back office (order, delivery, invoice, product, serial), routed by
    skills, measured against service levels and fed back into the customer's profile."""

    _inherit = "helpdesk.ticket"

    # The incremental profile recompute finds the tickets changed since its last run
    # (crm.relational.profile._touched_queries): an index range scan, not the whole table.
    _write_date_idx = models.Index("(write_date)")
    # Indexed: the customer timeline finds a customer's tickets by partner.
    partner_id = fields.Many2one(index=True)
    sale_order_id = fields.Many2one(
        "sale.order",
        index="btree_not_null",
        help="The customer's confirmed order the ticket is about; its delivery and invoice are "
        "filled in when there is only one.",
        domain="[('partner_id', 'child_of', commercial_partner_id), ('state', '=', 'sale')]",
    )
    picking_id = fields.Many2one(
        "stock.picking",
        string="Delivery",
        index="btree_not_null",
        help="The delivery the ticket is about; once done, Start a Return opens its return.",
        domain="[('partner_id', 'child_of', commercial_partner_id),"
        " ('picking_type_code', '=', 'outgoing')]",
    )
    invoice_id = fields.Many2one(
        "account.move",
        index="btree_not_null",
        help="The posted customer invoice or credit note the ticket is about.",
        domain="[('partner_id', 'child_of', commercial_partner_id),"
        " ('move_type', 'in', ('out_invoice', 'out_refund')), ('state', '=', 'posted')]",
    )
    lot_id = fields.Many2one(
        "stock.lot",
        string="Lot/Serial Number",
        index="btree_not_null",
        help="The serial number of the faulty item; it sets the ticket's product.",
        domain="[('product_id', '=?', product_id)]",
    )
    # The customer's internal figures, for relational users only: a related field is read as
    # superuser, so without ``groups`` a portal customer or any internal user who can read the
    # ticket would read them over RPC.
    relational_value_tier = fields.Selection(
        string="Customer Tier",
        related="commercial_partner_id.relational_value_tier",
        groups="crm_relational.group_user",
    )
    relational_stage = fields.Selection(
        string="Relationship Stage",
        related="commercial_partner_id.relational_stage",
        groups="crm_relational.group_user",
    )
    relational_health_score = fields.Integer(
        string="Customer Health",
        related="commercial_partner_id.relational_health_score",
        groups="crm_relational.group_user",
    )
    relational_churn_risk = fields.Boolean(
        string="Churn Risk",
        related="commercial_partner_id.relational_churn_risk",
        groups="crm_relational.group_user",
    )
    relational_required_skill_ids = fields.Many2many(
        "crm.relational.skill",
        string="Required Skills",
        compute="_compute_relational_required_skill_ids",
        groups="crm_relational_service.group_user",
        help="From the category, the product's category, the customer's language and the channel.",
    )
    relational_routing_note = fields.Text(
        string="Routing",
        readonly=True,
        copy=False,
        groups="crm_relational.group_user",
        help="Why the ticket went to whom (agents' loads and capacities: internal).",
    )
    relational_first_response_date = fields.Datetime(
        string="First Reply", readonly=True, copy=False, help="When an agent first wrote."
    )
    relational_reopen_count = fields.Integer(
        string="Reopened", readonly=True, copy=False, help="Times the ticket was reopened."
    )
    relational_suggested_article_ids = fields.Many2many(
        "crm.relational.kb.article",
        string="Suggested Articles",
        compute="_compute_relational_suggested_article_ids",
        groups="crm_relational_service.group_user",
        help="Knowledge base articles matching the subject and description, best first.",
    )
    relational_solution_article_id = fields.Many2one(
        "crm.relational.kb.article",
        string="Solved By Article",
        index="btree_not_null",
        help="The article that solved the ticket: it rises in the suggestions.",
    )
    relational_used_article_ids = fields.Many2many(
        "crm.relational.kb.article",
        "helpdesk_ticket_kb_article_used_rel",
        "ticket_id",
        "article_id",
        string="Articles Used",
        readonly=True,
        copy=False,
        help="Knowledge base articles an agent answered this ticket with (the Use button of the "
        "suggestions beside the description).",
    )
    relational_lead_id = fields.Many2one(
        "crm.lead",
        string="Opportunity",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The sales opportunity an agent raised from this ticket.",
    )

    # An agent's open tickets in a company, counted by an index-only scan by agent, company and
    # stage: when an agent is created, at upgrade, and for the agents' Open Tickets figure
    # (routing itself reads the load the database keeps, see crm.relational.agent.init).
    _relational_open_load_company_idx = models.Index(
        "(user_id, company_id, stage_id) WHERE active AND user_id IS NOT NULL"
    )

    def init(self):
        result = super().init()
        # The open-load index of earlier versions counted every company's tickets; the one
        # above, by company, replaces it.
        self.env.cr.execute(
            SQL(
                "DROP INDEX IF EXISTS %s",
                SQL.identifier("helpdesk_ticket_relational_open_load_idx"),
            )
        )
        return result

    @api.depends("name", "description", "partner_id.lang", "company_id")
    def _compute_relational_suggested_article_ids(self):
        Article = self.env["crm.relational.kb.article"]
        for ticket in self:
            matches = Article._relational_matches(
                f"{ticket.name or ''} {ticket.description or ''}",
                self._relational_article_domain(ticket.partner_id.lang, ticket.company_id),
                match_any=True,
            )
            ticket.relational_suggested_article_ids = Article.browse([m["id"] for m in matches])

    @api.model
    def message_new(self, msg, custom_values=None):
        """Tickets from the mail gateway are e-mail tickets, whatever fetched them."""
        custom_values = dict(custom_values or {})
        channel = self.env.ref(
            "helpdesk_mgmt.helpdesk_ticket_channel_email", raise_if_not_found=False
        )
        if channel:
            custom_values.setdefault("channel_id", channel.id)
        return super().message_new(msg, custom_values=custom_values)

    # ------------------------------------------------------------------ knowledge

    @api.model
    @api.readonly
    def relational_article_suggestions(
        self, subject, description, partner_id=False, company_id=False
    ):
        """The knowledge base articles to show beside a ticket's description while it is being
        written: for the subject and description typed so far, the customer's language and
        the ticket's company, best first, with an excerpt around the matched words and a
        relevance from 0 to 100. Only published articles the user may read. One query for the
        articles, one for the customer's language."""
        for value in (subject, description):
            if value not in (False, None) and not isinstance(value, str):
                raise UserError(self.env._("The subject and description must be text."))
        for value in (partner_id, company_id):
            if value not in (False, None) and type(value) is not int:
                raise UserError(self.env._("The customer and company must be record ids."))
        lang = False
        if partner_id:
            partner = self.env["res.partner"].search_fetch([("id", "=", partner_id)], ["lang"])
            lang = partner.lang
        company = self.env["res.company"].browse(company_id or self.env.company.id)
        return self.env["crm.relational.kb.article"]._relational_matches(
            f"{subject or ''} {description or ''}",
            self._relational_article_domain(lang, company),
            match_any=True,
            excerpt=True,
        )

    @api.model
    def _relational_article_domain(self, lang, company):
        """Articles that may be suggested on a ticket: published, of the ticket's company or
        shared, in the customer's language if known (the user's access rules come on top)."""
        domain = Domain("state", "=", "published") & Domain(
            "company_id", "in", [False, *company.ids]
        )
        if lang:
            domain &= Domain("lang", "=", lang)
        return domain

    def action_relational_use_article(self, article_id):
        """Answer the ticket with a suggested article: it is recorded as used on the ticket (and
        as its solution if it has none yet), and the reply composer opens with the article's
        answer, and a link to it on the portal FAQ if it is public."""
        self.ensure_one()
        if isinstance(article_id, bool) or not isinstance(article_id, int):
            raise UserError(self.env._("Choose an article to answer with."))
        article = self.env["crm.relational.kb.article"].search(
            Domain("id", "=", article_id) & self._relational_article_domain(False, self.company_id)
        )
        if not article:
            raise UserError(
                self.env._("This article is not published or not available to this ticket.")
            )
        values = {"relational_used_article_ids": [fields.Command.link(article.id)]}
        if not self.relational_solution_article_id:
            values["relational_solution_article_id"] = article.id
        # The articles used are the system's record of the answer (read-only on the form).
        system_env(self).write(values)
        body = Markup(article.body or "")
        if article.is_public:
            url = f"{self.get_base_url()}/my/faq/{article.id}"
            body += Markup('<p><a href="%s">%s</a></p>') % (
                url,
                self.env._("Read “%(title)s” on your customer portal", title=article.name),
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reply with “%(title)s”", title=article.name),
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_composition_mode": "comment",
                "default_subtype_xmlid": "mail.mt_comment",
                "default_partner_ids": self.partner_id.ids,
                "default_body": body,
                "mail_post_autofollow": True,
            },
        }

    # ------------------------------------------------------------------ back office

    @api.onchange("sale_order_id")
    def _onchange_relational_sale_order(self):
        order = self.sale_order_id
        if order:
            self.partner_id = self.partner_id or order.partner_id
            deliveries = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
            if len(deliveries) == 1:
                self.picking_id = deliveries
            invoices = order.invoice_ids.filtered(lambda m: m.state == "posted")
            if len(invoices) == 1:
                self.invoice_id = invoices

    @api.onchange("lot_id")
    def _onchange_relational_lot(self):
        if self.lot_id:
            self.product_id = self.lot_id.product_id

    def action_relational_return(self):
        """Start a return of the ticket's delivery (Odoo's return wizard)."""
        self.ensure_one()
        if not self.picking_id or self.picking_id.state != "done":
            raise UserError(self.env._("Only a done delivery can be returned."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Return of %(delivery)s", delivery=self.picking_id.name),
            "res_model": "stock.return.picking",
            "view_mode": "form",
            "target": "new",
            "context": {"active_id": self.picking_id.id, "active_ids": self.picking_id.ids,
                        "active_model": "stock.picking"},
        }  # fmt: skip

    def action_relational_opportunity(self):
        """Turn the ticket into an opportunity for the customer's salesperson, with the
        ticket's context in its description."""
        self.ensure_one()
        if self.relational_lead_id:
            lead = self.relational_lead_id
        else:
            customer = self.commercial_partner_id
            lead = self.env["crm.lead"].create(
                {
                    "name": self.env._("From ticket %(number)s: %(name)s",
                                       number=self.number, name=self.name),
                    "type": "opportunity",
                    "partner_id": self.partner_id.id,
                    "user_id": customer.user_id.id or self.env.user.id,
                    "company_id": self.company_id.id,
                    "description": Markup("<p>%s</p>%s") % (
                        self.env._("Raised by %(agent)s on ticket %(number)s.",
                                   agent=self.env.user.name, number=self.number),
                        self.description or "",
                    ),
                }
            )  # fmt: skip
            system_env(self).relational_lead_id = lead
            self.message_post(
                body=Markup("%s %s") % (self.env._("Opportunity created:"), lead._get_html_link()),
                subtype_xmlid="mail.mt_note",
            )
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lead",
            "res_id": lead.id,
            "view_mode": "form",
        }

    @api.model
    def _relational_counts(self, field, records):
        """{record: number of tickets} of ``records`` through the ticket's ``field``."""
        return dict(self._read_group([(field, "in", records.ids)], [field], ["__count"]))

    @api.model
    def _relational_tickets_action(self, domain, context):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "helpdesk_mgmt.helpdesk_ticket_action"
        )
        action.update({"domain": domain, "context": context})
        return action

    # ------------------------------------------------------------------ service levels

    def _get_sla_ticket_domain(self):
        domain = super()._get_sla_ticket_domain()
        # sudo: the customer's tier (relational users only) picks the service levels of a
        # ticket whoever changes it (a portal customer, an agent); it is used in the domain of
        # service levels only, never returned.
        tier = self.sudo().relational_value_tier or False
        return (
            domain
            & Domain("relational_priority", "in", [False, self.priority])
            & Domain("relational_value_tier", "in", [False, tier])
        )

    def refresh_sla(self):
        """OCA's Set SLA button: the ticket's service levels are the system's to create, for
        whoever may write on the ticket."""
        self.check_access("write")
        return super(HelpdeskTicket, system_env(self)).refresh_sla()

    def _message_post_after_hook(self, message, msg_vals):
        result = super()._message_post_after_hook(message, msg_vals)
        author = message.author_id
        is_reply = (
            message.message_type in ("comment", "email_outgoing")
            and not message.subtype_id.internal
            and author
            and any(not user.share for user in author.user_ids)
            and author != self.partner_id
        )
        if is_reply and not self.relational_first_response_date:
            # Judged before the reply is recorded, on the levels' state until now.
            system_env(self.ticket_sla_ids)._relational_replied(message.date)
            # sudo: the first reply is a fact of the ticket, whoever may write on it
            self.sudo().relational_first_response_date = message.date
        return result

    def write(self, vals):
        check_system_fields(self, vals)
        reopening = self.browse()
        if "stage_id" in vals:
            stage = self.env["helpdesk.ticket.stage"].browse(vals["stage_id"])
            if not stage.closed:
                reopening = self.filtered("closed")
        # The service levels a stage change recomputes are the system's to write.
        result = super(HelpdeskTicket, system_env(self)).write(vals)
        for ticket in system_env(reopening):
            ticket.relational_reopen_count += 1
        return result

    # ------------------------------------------------------------------ portal close

    def _relational_check_close(self, stage):
        """Refuse closing the ticket in ``stage`` unless the user may: they have write access
        on the ticket (its agents, by the helpdesk rules) or are its customer (the ticket's
        contact is of their company, as the portal shows it to them: a mere follower is
        not), and ``stage`` is a closing stage the customer may choose (closed, offered on the
        portal) that the ticket's team uses (a stage of that team or of every team, of the
        ticket's company or shared). Raises ``AccessError`` or ``UserError``; writes
        nothing."""
        self.ensure_one()
        customer = self.env.user.commercial_partner_id
        is_customer = bool(self.commercial_partner_id) and self.commercial_partner_id == customer
        if not is_customer and not self.has_access("write"):
            raise AccessError(
                self.env._(
                    "Only the customer of ticket %(number)s or its agents may close it.",
                    number=self.number,
                )
            )
        # sudo: the stage's configuration (closed, offered on the portal, its teams and
        # company) decides; a portal customer cannot read the teams that are not shown on the
        # portal, and would take a stage of such a team for a stage of every team. Nothing of
        # it is returned.
        stage = stage.sudo().exists()
        team = self.team_id
        closing = (
            stage
            and stage.active
            and stage.closed
            and stage.close_from_portal
            and (not stage.team_ids or team in stage.team_ids)
            and (not stage.company_id or stage.company_id == self.company_id)
        )
        if not closing:
            raise UserError(
                self.env._(
                    "Ticket %(number)s cannot be closed in this stage: choose one of the "
                    "closing stages offered for its team.",
                    number=self.number,
                )
            )

    # ------------------------------------------------------------------ routing

    @api.depends("category_id", "product_id", "partner_id.lang", "channel_id", "company_id")
    def _compute_relational_required_skill_ids(self):
        for ticket in self:
            ticket.relational_required_skill_ids = self._relational_required_skills(
                ticket.category_id, ticket.product_id, ticket.partner_id, ticket.channel_id,
                ticket.company_id,
            )  # fmt: skip

    def action_relational_route_background(self):
        """Route the selected tickets in the background (helpdesk managers): the unassigned
        open ones of routing teams go to agents as new tickets would; the user is told when it
        has finished, with what became of them."""
        return self.env["crm.relational.routing.run"]._start(self)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_system_fields(self, vals)
        # Routed before the insert: each ticket of a routing team is inserted once, with its
        # agent and its routing note (the caller's values are left as they were given).
        vals_list = [dict(vals) for vals in vals_list]
        outcomes = self.env["crm.relational.routing"]._route_values(vals_list)
        # The service levels of the new tickets are the system's to create. Routed tickets
        # are assigned as Odoo's own lead assignment does (crm.team._allocate_leads): the
        # agent follows the ticket and finds it in their queue, without a "You have been
        # assigned" e-mail per routed ticket; a ticket given to an agent by hand still tells
        # them.
        routed = [outcome == "routed" for outcome in outcomes]
        creator = super(HelpdeskTicket, system_env(self))
        if all(routed):
            tickets = creator.with_context(mail_auto_subscribe_no_notify=True).create(vals_list)
        elif not any(routed):
            tickets = creator.create(vals_list)
        else:
            quiet = creator.with_context(mail_auto_subscribe_no_notify=True).create(
                [vals for vals, done in zip(vals_list, routed, strict=True) if done]
            )
            told = creator.create(
                [vals for vals, done in zip(vals_list, routed, strict=True) if not done]
            )
            ids, quiet_ids, told_ids = [], iter(quiet.ids), iter(told.ids)
            for done in routed:
                ids.append(next(quiet_ids) if done else next(told_ids))
            tickets = self.browse(ids)
        # Tickets whose team came otherwise (a default, the agent's team) are routed now if
        # they need it.
        undecided = tickets.browse(
            ticket.id
            for ticket, outcome in zip(tickets, outcomes, strict=True)
            if outcome is None and not ticket.user_id
        )
        if undecided:
            self.env["crm.relational.routing"]._route(system_env(undecided))
        return tickets.with_env(self.env)

    @api.model
    def _relational_required_skills(self, category, product, partner, channel, company):
        """The active skills a ticket of ``category`` about ``product`` from ``partner``
        (their language) arriving through ``channel`` in ``company`` requires: its
        category's, then those its language, channel or product's category call for. The
        skills are matched from routing's kept rules (``_skill_rules``): no skill is read."""
        Routing = self.env["crm.relational.routing"]
        rules = Routing._skill_rules()
        active = {rule.id for rule in rules}
        ids = [skill_id for skill_id in category.relational_skill_ids.ids if skill_id in active]
        lang = partner.lang
        ids += [
            rule.id for rule in rules
            if rule.id not in ids and Routing._requires(rule, company, lang, channel, product)
        ]  # fmt: skip
        return self.env["crm.relational.skill"].browse(ids)
