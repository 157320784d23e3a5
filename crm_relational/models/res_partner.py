import json
from datetime import datetime, time

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain
from odoo.tools import SQL

TREND_MONTHS = 12
# A quarter's purchases within this share of the quarter before are steady.
TREND_FLAT_SHARE = 0.1


class ResPartner(models.Model):
    _inherit = "res.partner"

    # The incremental profile recompute finds the customers changed since its last run
    # (crm.relational.profile._touched_queries): an index range scan, not the whole table.
    _write_date_idx = models.Index("(write_date)")
    # The few who refused profiling, whose conversations every recompute leaves out
    # (crm.relational.profile._withdrawn_conversations): found without reading every partner.
    _no_profiling_idx = models.Index("(id) WHERE relational_no_profiling")

    relational_profile_ids = fields.One2many(
        "crm.relational.profile",
        "partner_id",
        string="Profiles per Company",
        groups="crm_relational.group_user",
    )
    relational_profile_id = fields.Many2one(
        "crm.relational.profile",
        string="Profile in This Company",
        compute="_compute_relational_profile_id",
        search="_search_relational_profile_id",
        help="The customer's profile in the current company.",
        groups="crm_relational.group_user",
    )
    relational_value_tier = fields.Selection(
        related="relational_profile_id.value_tier",
        string="Value Tier",
        groups="crm_relational.group_user",
    )
    relational_rfm_segment = fields.Selection(
        related="relational_profile_id.rfm_segment",
        string="RFM Segment",
        groups="crm_relational.group_user",
    )
    relational_stage = fields.Selection(
        related="relational_profile_id.stage",
        string="Relationship Stage",
        groups="crm_relational.group_user",
    )
    relational_clv = fields.Monetary(
        related="relational_profile_id.clv",
        string="Lifetime Value",
        currency_field="relational_currency_id",
        groups="crm_relational.group_user",
    )
    relational_clv_unknown_reason = fields.Selection(
        related="relational_profile_id.clv_unknown_reason",
        string="Why No Lifetime Value",
        groups="crm_relational.group_user",
    )
    relational_currency_id = fields.Many2one(
        related="relational_profile_id.currency_id",
        string="Profile Currency",
        groups="crm_relational.group_user",
    )
    relational_stage_history_ids = fields.One2many(
        related="relational_profile_id.stage_history_ids",
        string="Stage History",
        groups="crm_relational.group_user",
    )
    relational_relationship_type_id = fields.Many2one(
        related="relational_profile_id.relationship_type_id",
        string="Relationship Type",
        groups="crm_relational.group_user",
    )
    relational_health_score = fields.Integer(
        related="relational_profile_id.health_score",
        string="Health",
        groups="crm_relational.group_user",
    )
    relational_churn_risk = fields.Boolean(
        related="relational_profile_id.churn_risk",
        string="Churn Risk",
        groups="crm_relational.group_user",
    )
    relational_neglected = fields.Boolean(
        related="relational_profile_id.neglected",
        string="Neglected",
        groups="crm_relational.group_user",
    )
    relational_forgotten = fields.Boolean(
        string="Forgotten",
        readonly=True,
        copy=False,
        index=True,
        groups="crm_relational.group_user",
        help="Erased at the customer's request: its profiles, scores, stage history and exports "
        "were deleted, and it no longer appears in the timeline nor in learning.",
    )
    relational_no_profiling = fields.Boolean(
        string="No Profiling",
        tracking=True,
        help="The customer does not want to be profiled: no scores are computed for it, it "
        "belongs to no segment and no relationship automation acts on it.",
    )
    relational_segment_ids = fields.Many2many(
        "crm.relational.segment",
        string="Segments",
        compute="_compute_relational_segment_ids",
        search="_search_relational_segment_ids",
        help="The saved segments the customer belongs to.",
        groups="crm_relational.group_user",
    )
    relational_interaction_count = fields.Integer(
        string="Interactions",
        compute="_compute_relational_interaction_count",
        help="All entries of the customer's timeline: orders, invoices, payments, deliveries, "
        "opportunities, e-mails, calls and meetings.",
        groups="crm_relational.group_user",
    )
    relational_purchase_trend = fields.Json(
        string="Purchases, Last 12 Months",
        compute="_compute_relational_purchase_trend",
        groups="crm_relational.group_user",
        help="Confirmed sales to the customer in the current company, untaxed and in the "
        "company's currency, month by month over the last twelve months (this one included).",
    )
    relational_purchase_direction = fields.Selection(
        [("up", "Rising"), ("flat", "Steady"), ("down", "Falling")],
        string="Purchase Trend",
        compute="_compute_relational_purchase_trend",
        groups="crm_relational.group_user",
        help="The last three complete months of purchases against the three before: rising or "
        "falling by more than 10 %, else steady.",
    )
    relational_last_activity_date = fields.Datetime(
        string="Last Activity",
        compute="_compute_relational_last_activity_date",
        groups="crm_relational.group_manager",
        help="The customer's latest interaction in any company: order, invoice, payment, "
        "delivery, opportunity, e-mail, call, meeting or ticket.",
    )
    relational_inactive = fields.Boolean(
        string="Inactive Customer",
        compute="_compute_relational_inactive",
        search="_search_relational_inactive",
        groups="crm_relational.group_manager",
        help="No interaction for longer than the retention period set in the settings: the "
        "customer is due for re-engagement or for anonymisation.",
    )

    @api.depends_context("company")
    def _compute_relational_profile_id(self):
        # One search for the whole batch, over the commercial entities, in the current company.
        profiles = self.env["crm.relational.profile"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
            ]
        )
        by_partner = {profile.partner_id: profile for profile in profiles}
        for partner in self:
            partner.relational_profile_id = by_partner.get(partner.commercial_partner_id)

    def _compute_relational_segment_ids(self):
        # One search per segment (segments are few), restricted to this batch of partners.
        segments = self.env["crm.relational.segment"].search([("active", "=", True)])
        members = {
            segment: set(
                self.search(Domain(segment._partner_domain()) & Domain("id", "in", self.ids)).ids
            )
            for segment in segments
        }
        for partner in self:
            partner.relational_segment_ids = segments.filtered(
                lambda segment, partner=partner: partner.id in members[segment]
            )

    def _search_relational_segment_ids(self, operator, value):
        if operator not in ("in", "any"):
            return NotImplemented
        Segment = self.env["crm.relational.segment"]
        segments = Segment.search(Domain(value)) if operator == "any" else Segment.browse(value)
        return Domain.OR(Domain(segment._partner_domain()) for segment in segments.exists())

    def _search_relational_profile_id(self, operator, value):
        current = Domain("company_id", "=", self.env.company.id)
        if operator in ("any", "not any"):
            return [("relational_profile_ids", operator, current & Domain(value))]
        return [("relational_profile_ids", "any", current & Domain("id", operator, value))]

    @api.depends_context("uid")
    def _compute_relational_interaction_count(self):
        # One grouped query for the whole batch, over the commercial entities; the timeline's
        # search keeps the interactions whose document the user may read.
        counts = dict(
            self.env["crm.relational.timeline"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.relational_interaction_count = counts.get(partner.commercial_partner_id, 0)

    @api.depends_context("company", "uid")
    def _compute_relational_purchase_trend(self):
        # One grouped query for the whole batch (a kanban page, a list), over the commercial
        # entities; never for customers who chose no profiling.
        company = self.env.company
        # _origin: a form being edited computes on new records; the orders are the saved ones'.
        customers = self.commercial_partner_id._origin.filtered(
            lambda p: not p.relational_no_profiling
        )
        first_month = fields.Date.today().replace(day=1) - relativedelta(months=TREND_MONTHS - 1)
        months = [first_month + relativedelta(months=n) for n in range(TREND_MONTHS)]
        amounts = {}
        if customers:
            amounts = self._relational_monthly_purchases(
                customers, company, first_month, months[-1] + relativedelta(months=1)
            )
        for partner in self:
            per_month = amounts.get(partner.commercial_partner_id._origin.id)
            if not per_month:
                partner.relational_purchase_trend = False
                partner.relational_purchase_direction = False
                continue
            values = [company.currency_id.round(per_month.get(month, 0.0)) for month in months]
            direction = self._relational_trend_direction(values)
            partner.relational_purchase_trend = {
                "months": [fields.Date.to_string(month) for month in months],
                "amounts": values,
                "currency_id": company.currency_id.id,
                "direction": direction,
            }
            partner.relational_purchase_direction = direction

    def _compute_relational_last_activity_date(self):
        # One grouped query for the whole batch, over the commercial entities. Read past the
        # documents' rules on purpose: the retention policy needs the customer's last
        # interaction in every company, and only relational administrators read this date.
        last = self._relational_last_activity(self.commercial_partner_id._origin.ids)
        for partner in self:
            partner.relational_last_activity_date = last.get(
                partner.commercial_partner_id._origin.id
            )

    @api.depends_context("company")
    def _compute_relational_inactive(self):
        inactive = set(self.search([("id", "in", self._origin.ids),
                                    ("relational_inactive", "=", True)]).ids)  # fmt: skip
        for partner in self:
            partner.relational_inactive = partner._origin.id in inactive

    def _search_relational_inactive(self, operator, value):
        # Odoo checks a field's groups on the SQL it generates, which a search method
        # replaces: checked here, or anyone could list inactive customers.
        self._check_field_access(self._fields["relational_inactive"], "read")
        if operator not in ("in", "not in"):
            return NotImplemented
        wanted = set(value)
        if wanted >= {True, False}:
            return [] if operator == "in" else [(0, "=", 1)]
        positive = (operator == "in") == (True in wanted)
        query = self._relational_inactive_query()
        if query is None:
            return [(0, "=", 1)] if positive else []
        return [("id", "in" if positive else "not in", SQL("(%s)", query))]

    def write(self, vals):
        if "relational_forgotten" in vals and not self.env.su:
            raise AccessError(
                self.env._(
                    "A customer is forgotten with Forget This Customer, by a relationship "
                    "administrator; it cannot be set or cleared by hand."
                )
            )
        result = super().write(vals)
        if vals.get("relational_no_profiling"):
            # The customer withdrew from profiling: its scores go at once, in every company,
            # whoever made the change (sudo: profiles are written by the engine only).
            self.env["crm.relational.profile"].sudo().search(
                [("partner_id", "in", self.ids)]
            ).unlink()
        return result

    @api.readonly
    def action_view_relational_timeline(self):
        """The customer's timeline: every interaction with its commercial entity."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relational.action_crm_relational_timeline"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["name"] = self.env._("Timeline of %s", self.commercial_partner_id.display_name)
        return action

    def action_relational_set_type(self):
        """Open the dialog where a salesperson sets the relationship type by hand."""
        self.ensure_one()
        profile = self.commercial_partner_id.relational_profile_id
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Set the Relationship Type"),
            "res_model": "crm.relational.type.override",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_profile_id": profile.id,
                "default_relationship_type_id": profile.relationship_type_override_id.id
                or profile.relationship_type_id.id,
            },
        }

    def action_export_relational_profile(self):
        """Download everything the relational engine holds about the customer that the user
        may read, as JSON.

        Nothing is stored: the file is built for the requesting user when the browser asks
        for it (``/crm_relational/profile_export/<id>``, checked again there), so no other user
        can ever fetch it.
        """
        self.ensure_one()
        customer = self.commercial_partner_id
        customer._relational_check_export()
        return {
            "type": "ir.actions.act_url",
            "url": f"/crm_relational/profile_export/{customer.id}",
            "target": "self",
        }

    def action_relational_forget(self):
        """Forget this customer (right to erasure), for relationship administrators.

        Deletes, in every company, the customer's profiles with their scores, stage history,
        relationship type set by hand and its reasons, and the profile exports; marks the
        customer as forgotten and not to be profiled, so that no recompute, timeline or
        learning uses it again; and logs who did it and when (Erasure Log, and a note in the
        chatter holding no personal data).
        """
        if not self.env.user.has_group("crm_relational.group_manager"):
            raise AccessError(self.env._("Only relationship administrators may forget a customer."))
        customers = self.commercial_partner_id
        customers.check_access("write")
        customers._relational_forget()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "%(count)s customer(s) forgotten: their relational data are erased.",
                    count=len(customers),
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _relational_forget(self):
        """Erase the relational data of these commercial partners (see
        ``action_relational_forget``, which checks the caller)."""
        if not self:
            return
        # sudo: the erasure deletes the relational records of these customers only (profiles
        # with their scores and type override reasons, stage history, exports, override notes
        # in the chatter) in every company, which administrators may only read, sets the two
        # flags on them and writes the erasure log; nothing is read out of it.
        erase = self.sudo()
        env = erase.env
        env["crm.relational.stage.history"].search([("partner_id", "in", self.ids)]).unlink()
        env["crm.relational.profile"].search([("partner_id", "in", self.ids)]).unlink()
        erase._relational_purge_stored_exports()
        override_subtype = env.ref("crm_relational.mt_relationship_type_override")
        env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "in", self.ids),
             ("subtype_id", "=", override_subtype.id)]
        ).unlink()  # fmt: skip
        erase.write({"relational_no_profiling": True, "relational_forgotten": True})
        now = fields.Datetime.now()
        env["crm.relational.erasure"].create(
            [{"partner_id": customer.id, "partner_ref": customer.id,
              "company_id": self.env.company.id, "user_id": self.env.uid, "date": now}
             for customer in self]
        )  # fmt: skip
        body = self.env._(
            "Relational data erased at the customer's request (right to erasure) by %(user)s: "
            "profiles, scores, stage history and exports.",
            user=self.env.user.name,
        )
        for customer in erase:
            customer.message_post(body=body, message_type="notification",
                                  subtype_xmlid="mail.mt_note")  # fmt: skip

    @api.model
    def _relational_purge_stored_exports(self):
        """Delete the profile exports that earlier versions stored as attachments on the
        customer, where any user who could read the customer could download them: of these
        customers, or of every customer when called on none (at install and upgrade; exports
        are streamed and never stored now)."""
        domain = [("res_model", "=", "res.partner"), ("name", "=like", "relational-profile-%.json")]
        if self:
            domain.append(("res_id", "in", self.ids))
        self.env["ir.attachment"].search(domain).unlink()

    def _relational_check_export(self):
        """Raise AccessError unless the user may export this customer's relational profile:
        a relational user who can read the customer."""
        self.ensure_one()
        if not self.env.user.has_group("crm_relational.group_user"):
            raise AccessError(
                self.env._("Only relationship users may export a customer's relational profile.")
            )
        self.check_access("read")

    def _relational_profile_export(self):
        """The customer's profiles (every company the user may read), stage history and
        timeline, as plain data; what the user may not read stays out: records are searched
        as the user (record rules), fields the user lacks the groups for are left out."""
        self.ensure_one()
        Profile = self.env["crm.relational.profile"]
        History = self.env["crm.relational.stage.history"]
        Timeline = self.env["crm.relational.timeline"]
        skip = {"partner_id", "currency_id", "user_id", "stage_history_ids"}
        names = [
            name
            for name, field in Profile._fields.items()
            if field.store and not name.startswith(("message_", "activity_", "website_message"))
            and name not in skip and field.type not in ("one2many", "many2many")
            and Profile._has_field_access(field, "read")
        ]  # fmt: skip

        def readable(model, wanted):
            return [name for name in wanted if model._has_field_access(model._fields[name], "read")]

        profiles = Profile.search([("partner_id", "=", self.id)]).read(names, load="_classic_read")
        for profile in profiles:
            # Unknown is not zero: an estimate that could not be made is exported empty,
            # with its reason (clv_unknown_reason).
            if profile.get("clv_unknown_reason"):
                for name in ("clv", "probability_alive", "expected_orders", "expected_order_value"):
                    if name in profile:
                        profile[name] = None
        history = History.search([("partner_id", "=", self.id)])
        timeline = Timeline.search_read(
            [("partner_id", "=", self.id)],
            readable(Timeline, ["date", "company_id", "kind", "channel", "direction", "outcome",
                                "name", "amount"]),
        )  # fmt: skip
        return {
            "customer": {"id": self.id, "name": self.name, "email": self.email or None},
            "no_profiling": self.relational_no_profiling,
            "profiles": profiles,
            "stage_history": history.read(
                readable(History, ["date", "company_id", "stage_from", "stage_to"])
            ),
            "timeline": timeline,
        }

    def _relational_export_file(self):
        """``(file name, JSON bytes)`` of the export of this customer for the current user."""
        self._relational_check_export()
        data = self._relational_profile_export()
        content = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
        return f"relational-profile-{self.id}.json", content

    @api.model
    def _relational_last_activity(self, partner_ids):
        """``{commercial partner id: latest timeline date}`` for `partner_ids`, in one query
        over the timeline's SQL view (every company, past the documents' rules: see
        ``relational_last_activity_date``)."""
        if not partner_ids:
            return {}
        timeline = self.env["crm.relational.timeline"]
        self.env.flush_all()
        self.env.cr.execute(SQL("SET LOCAL jit = off"))
        self.env.cr.execute(
            SQL(
                "SELECT partner_id, max(date) FROM %s WHERE partner_id = ANY(%s)"
                " GROUP BY partner_id",
                SQL.identifier(timeline._table),
                list(partner_ids),
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _relational_inactive_query(self):
        """SQL selecting the customers inactive under the current company's retention period,
        or None when the company sets none.

        Inactive: a commercial entity that is not one of our users, not already forgotten,
        known for longer than the period, with no timeline entry in any company since its
        start, and either a customer (customer rank) or with older entries.
        """
        months = self.env.company.relational_retention_months
        if not months:
            return None
        cutoff = fields.Datetime.now() - relativedelta(months=months)
        timeline = SQL.identifier(self.env["crm.relational.timeline"]._table)
        self.env.flush_all()
        self.env.cr.execute(SQL("SET LOCAL jit = off"))
        return SQL(
            """SELECT p.id FROM res_partner p
                WHERE p.id = p.commercial_partner_id
                  AND p.active
                  AND p.create_date < %(cutoff)s
                  AND NOT COALESCE(p.relational_forgotten, FALSE)
                  AND NOT EXISTS (SELECT 1 FROM res_users u WHERE u.partner_id = p.id)
                  AND p.id NOT IN (SELECT t.partner_id FROM %(timeline)s t
                                    WHERE t.date >= %(cutoff)s AND t.partner_id IS NOT NULL)
                  AND (COALESCE(p.customer_rank, 0) > 0
                       OR EXISTS (SELECT 1 FROM %(timeline)s t WHERE t.partner_id = p.id))""",
            cutoff=cutoff,
            timeline=timeline,
        )

    def _relational_monthly_purchases(self, customers, company, start, end):
        """Confirmed sales of `customers` (commercial entities) in `company` from `start` to
        before `end` (dates), untaxed, in the company's currency, as
        {customer id: {first day of month: amount}}.

        The same orders and conversion as the relational profile's revenue: sale orders in
        state 'sale', amount_untaxed divided by the order's rate. One query for all customers,
        over the orders the current user may read only (the order's access rights and record
        rules: an own-documents salesperson sees the trend of his own orders).
        """
        Order = self.env["sale.order"]
        if not Order.has_access("read"):
            return {}
        start, end = datetime.combine(start, time.min), datetime.combine(end, time.min)
        # Built as the user: his record rules on sale orders restrict the sum.
        readable = Order._search(
            [
                ("partner_id.commercial_partner_id", "in", customers.ids),
                ("state", "=", "sale"),
                ("company_id", "=", company.id),
                ("date_order", ">=", start),
                ("date_order", "<", end),
            ]
        )
        if readable.is_empty():
            return {}
        Order.flush_model(
            ["partner_id", "state", "company_id", "date_order", "amount_untaxed", "currency_rate"]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT p.commercial_partner_id,
                       date_trunc('month', so.date_order)::date AS month,
                       sum(so.amount_untaxed
                           / COALESCE(NULLIF(so.currency_rate, 0), 1)::numeric)::float8
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE p.commercial_partner_id = ANY(%(customers)s)
                   AND so.state = 'sale'
                   AND so.company_id = %(company)s
                   AND so.date_order >= %(start)s
                   AND so.date_order < %(end)s
                   AND so.id IN %(readable)s
                 GROUP BY 1, 2
                """,
                customers=customers.ids,
                company=company.id,
                start=start,
                end=end,
                readable=readable.subselect(),
            )
        )
        amounts = {}
        for customer_id, month, amount in self.env.cr.fetchall():
            amounts.setdefault(customer_id, {})[month] = amount
        return amounts

    @staticmethod
    def _relational_trend_direction(amounts):
        """'up', 'flat' or 'down': the sum of the three complete months before the current one
        against the three before them; more than TREND_FLAT_SHARE apart is a move."""
        recent, previous = sum(amounts[-4:-1]), sum(amounts[-7:-4])
        if recent > previous * (1 + TREND_FLAT_SHARE):
            return "up"
        if recent < previous * (1 - TREND_FLAT_SHARE):
            return "down"
        return "flat"
