import logging
from datetime import timedelta

import numpy as np

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..analytics import clv, rfm, stage

_logger = logging.getLogger(__name__)

DAYS_PER_WEEK = 7.0
WEEKS_PER_MONTH = 52.0 / 12.0
# Below this many repeat buyers a lifetime-value model is not worth fitting.
MIN_REPEAT_BUYERS = 10
WRITE_BATCH = 20000
HALF_YEAR_DAYS = 182


class CrmRelationalProfile(models.Model):
    """What a customer is worth to one company: value, lifetime value and RFM position.

    One row per commercial partner and company, written in bulk by ``_recompute`` from the
    confirmed sale orders and posted credit notes, never edited by hand.
    """

    _name = "crm.relational.profile"
    _description = "Customer Relational Profile"
    _order = "margin desc, id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, index=True, ondelete="cascade")
    currency_id = fields.Many2one(related="company_id.currency_id")
    computed_at = fields.Datetime(string="Computed On", readonly=True)

    first_order_date = fields.Date(readonly=True)
    last_order_date = fields.Date(readonly=True)
    order_count = fields.Integer(string="Orders", readonly=True)
    recency_days = fields.Integer(string="Days Since Last Order", readonly=True, aggregator="avg")
    revenue = fields.Monetary(
        string="Revenue to Date",
        readonly=True,
        help="Untaxed amount of the confirmed orders, less posted credit notes.",
    )
    margin = fields.Monetary(
        string="Margin to Date",
        readonly=True,
        help="Margin of the confirmed orders, less the share of margin in posted credit notes.",
    )
    average_order_value = fields.Monetary(readonly=True, aggregator="avg")

    rfm_recency_score = fields.Integer(
        string="Recency Score", readonly=True, aggregator="avg",
        help="1 to 5, by quintile of days since the last order (5: most recent).",
    )  # fmt: skip
    rfm_frequency_score = fields.Integer(
        string="Frequency Score", readonly=True, aggregator="avg",
        help="1 to 5, by quintile of the number of orders (5: most orders).",
    )  # fmt: skip
    rfm_monetary_score = fields.Integer(
        string="Monetary Score", readonly=True, aggregator="avg",
        help="1 to 5, by quintile of revenue to date (5: highest).",
    )  # fmt: skip
    rfm_segment = fields.Selection(
        [(code, label) for code, label, _r, _f in rfm.SEGMENTS],
        string="RFM Segment",
        readonly=True,
    )
    value_tier = fields.Selection(
        [("A", "A"), ("B", "B"), ("C", "C")],
        readonly=True,
        help="A: the largest customers who together bring the company's tier A share of the "
        "margin; B: the next ones up to the tier B share; C: everyone else.",
    )
    margin_share_before = fields.Float(
        string="Cumulative Margin Share (%)",
        readonly=True,
        aggregator=None,
        help="Share of the company's margin brought by the customers larger than this one.",
    )

    probability_alive = fields.Float(
        string="Probability Active",
        readonly=True,
        aggregator="avg",
        help="Probability that the customer still buys from us (BG/NBD model).",
    )
    expected_orders = fields.Float(
        readonly=True,
        help="Orders expected over the lifetime value horizon (BG/NBD model).",
    )
    expected_order_value = fields.Monetary(
        readonly=True, aggregator="avg", help="Expected value of a future order (Gamma-Gamma)."
    )
    clv = fields.Monetary(
        string="Lifetime Value",
        readonly=True,
        help="Discounted value of the orders expected over the horizon set in the settings.",
    )

    stage = fields.Selection(
        stage.STAGES,
        string="Relationship Stage",
        readonly=True,
        help="Where the relationship is heading, from tenure, the customer's own order cadence, "
        "the revenue trend and the probability of being active.",
    )
    stage_date = fields.Date(string="In Stage Since", readonly=True)
    stage_history_ids = fields.One2many("crm.relational.stage.history", "profile_id", readonly=True)

    _unique_partner_company = models.Constraint(
        "UNIQUE(partner_id, company_id)", "A customer has one profile per company."
    )

    # ------------------------------------------------------------------ actions
    @api.model
    def action_recompute(self):
        """Recompute the profiles of every company the user works in, now."""
        if not self.env.user.has_group("crm_relational.group_manager"):
            raise AccessError(self.env._("Only relationship administrators recompute profiles."))
        self._recompute(self.env.companies)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("The customer profiles are up to date."),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _cron_recompute(self):
        self._recompute(self.env["res.company"].search([("active", "=", True)]))

    # ------------------------------------------------------------------ computation
    @api.model
    def _recompute(self, companies, today=None):
        """Recompute every profile of `companies` as of `today` (default: today).

        Per company: one query gathers the purchase history of all its customers, the engine
        scores them all at once, and the profiles are written in batches of set-based upserts.
        Customers who no longer have confirmed orders lose their profile.
        """
        today = today or fields.Date.context_today(self)
        for company in companies:
            self._recompute_company(company, today)

    def _recompute_company(self, company, today):
        history = self._purchase_history(company, today)
        if not history:
            self.env.cr.execute(
                SQL("DELETE FROM crm_relational_profile WHERE company_id = %s", company.id)
            )
            return
        columns = list(zip(*history, strict=True))
        partner_ids = np.array(columns[0], dtype=np.int64)
        first_day = np.array(columns[1], dtype="datetime64[D]")
        last_day = np.array(columns[2], dtype="datetime64[D]")
        order_count = np.array(columns[3], dtype=float)
        purchase_days = np.array(columns[4], dtype=float)
        revenue = np.array(columns[5], dtype=float)
        margin = np.array(columns[6], dtype=float)
        repeat_value = np.array(columns[7], dtype=float)
        recent_revenue = np.array(columns[8], dtype=float)
        previous_revenue = np.array(columns[9], dtype=float)

        now = np.datetime64(today, "D")
        recency = (now - last_day).astype(int)
        scores = {
            "rfm_recency_score": rfm.quintile_scores(recency, higher_is_better=False),
            "rfm_frequency_score": rfm.quintile_scores(order_count),
            "rfm_monetary_score": rfm.quintile_scores(revenue),
        }
        segment = rfm.segments(scores["rfm_recency_score"], scores["rfm_frequency_score"])
        tiers, share_before = rfm.value_tiers(
            margin, company.relational_tier_a_share, company.relational_tier_b_share
        )
        lifetime = self._lifetime_values(
            company,
            x=purchase_days - 1,
            t_x=(last_day - first_day).astype(float) / DAYS_PER_WEEK,
            # Observed until the end of today, so a first purchase today has an age of one day.
            T=((now - first_day).astype(float) + 1) / DAYS_PER_WEEK,
            m=repeat_value,
        )
        previous_stage, stage_date = self._previous_stages(company, partner_ids)
        days_in_stage = np.array(
            [(today - day).days if day else 0 for day in stage_date], dtype=float
        )
        new_stage = stage.stages(
            tenure_days=(now - first_day).astype(float),
            recency_days=recency.astype(float),
            purchase_days=purchase_days,
            recent_revenue=recent_revenue,
            previous_revenue=previous_revenue,
            probability_alive=np.array(
                [np.nan if p is None else p for p in lifetime["probability_alive"]], dtype=float
            ),
            previous_stage=previous_stage,
            days_in_stage=days_in_stage,
        )
        changed = new_stage != previous_stage
        stage_date[changed] = today
        values = {
            "partner_id": partner_ids,
            "first_order_date": first_day.astype(object),
            "last_order_date": last_day.astype(object),
            "order_count": order_count.astype(int),
            "recency_days": recency,
            "revenue": revenue,
            "margin": margin,
            "average_order_value": revenue / order_count,
            **scores,
            "rfm_segment": segment,
            "value_tier": tiers,
            "margin_share_before": share_before,
            **lifetime,
            "stage": new_stage,
            "stage_date": stage_date,
        }
        self._write_profiles(company, values)
        self._log_stage_changes(
            company, partner_ids[changed], previous_stage[changed], new_stage[changed], today
        )

    def _purchase_history(self, company, today):
        """Per customer of `company`: first and last order day, orders, purchase days, net
        revenue and margin, the mean value of the repeat purchase days, and the revenue of the
        last half-year and of the half-year before."""
        self.env.flush_all()
        rate = SQL("COALESCE(NULLIF(so.currency_rate, 0), 1)::numeric")
        self.env.cr.execute(
            SQL(
                """
                WITH orders AS (
                    SELECT p.commercial_partner_id AS partner_id,
                           so.date_order::date AS day,
                           so.amount_untaxed / %(rate)s AS amount,
                           COALESCE(so.margin, 0) / %(rate)s AS margin
                      FROM sale_order so
                      JOIN res_partner p ON p.id = so.partner_id
                     WHERE so.state = 'sale'
                       AND so.company_id = %(company)s
                       AND so.date_order::date <= %(today)s
                ), days AS (
                    SELECT partner_id, day, count(*) AS orders,
                           sum(amount) AS amount, sum(margin) AS margin,
                           row_number() OVER (PARTITION BY partner_id ORDER BY day) AS nth
                      FROM orders
                     GROUP BY partner_id, day
                ), refunds AS (
                    SELECT am.commercial_partner_id AS partner_id,
                           sum(am.amount_untaxed_signed) AS amount
                      FROM account_move am
                     WHERE am.move_type = 'out_refund'
                       AND am.state = 'posted'
                       AND am.company_id = %(company)s
                       AND am.invoice_date <= %(today)s
                     GROUP BY am.commercial_partner_id
                )
                SELECT d.partner_id,
                       min(d.day), max(d.day),
                       sum(d.orders)::int,
                       count(*)::int,
                       sum(d.amount) + COALESCE(max(r.amount), 0),
                       sum(d.margin) * CASE WHEN sum(d.amount) > 0
                           THEN 1 + COALESCE(max(r.amount), 0) / sum(d.amount) ELSE 1 END,
                       COALESCE(avg(d.amount) FILTER (WHERE d.nth > 1), 0),
                       COALESCE(sum(d.amount) FILTER (WHERE d.day > %(half_year)s), 0),
                       COALESCE(sum(d.amount) FILTER (
                           WHERE d.day <= %(half_year)s AND d.day > %(year)s), 0)
                  FROM days d
                  JOIN res_partner partner ON partner.id = d.partner_id
                  LEFT JOIN refunds r ON r.partner_id = d.partner_id
                 WHERE partner.active
                 GROUP BY d.partner_id
                 ORDER BY d.partner_id
                """,
                rate=rate,
                company=company.id,
                today=today,
                half_year=today - timedelta(days=HALF_YEAR_DAYS),
                year=today - timedelta(days=2 * HALF_YEAR_DAYS),
            )
        )
        return self.env.cr.fetchall()

    def _sql_array_type(self, name):
        """The PostgreSQL array type of the column of field `name`."""
        field = self._fields[name]
        return {
            "many2one": "int4[]",
            "integer": "int4[]",
            "float": "float8[]",
            "monetary": "numeric[]",
            "date": "date[]",
            "selection": "varchar[]",
        }[field.type]

    def _previous_stages(self, company, partner_ids):
        """The stage each customer had after the last run, and since when (arrays)."""
        self.env.cr.execute(
            SQL(
                "SELECT partner_id, stage, stage_date FROM crm_relational_profile"
                " WHERE company_id = %s AND stage IS NOT NULL",
                company.id,
            )
        )
        known = {partner: (code, day) for partner, code, day in self.env.cr.fetchall()}
        previous = [known.get(partner, ("", None)) for partner in partner_ids.tolist()]
        return (
            np.array([code for code, _day in previous], dtype=object),
            np.array([day for _code, day in previous], dtype=object),
        )

    def _log_stage_changes(self, company, partner_ids, old_stages, new_stages, today):
        """Record each stage change in the history, in one statement."""
        if not len(partner_ids):
            return
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_relational_stage_history
                       (profile_id, partner_id, company_id, stage_from, stage_to, date,
                        create_uid, create_date, write_uid, write_date)
                SELECT p.id, p.partner_id, p.company_id, NULLIF(c.old, ''), c.new, %(today)s,
                       %(uid)s, now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC'
                  FROM unnest(%(partners)s::int[], %(old)s::varchar[], %(new)s::varchar[])
                       AS c(partner_id, old, new)
                  JOIN crm_relational_profile p
                    ON p.partner_id = c.partner_id AND p.company_id = %(company)s
                """,
                today=today,
                uid=self.env.uid,
                partners=partner_ids.tolist(),
                old=old_stages.tolist(),
                new=new_stages.tolist(),
                company=company.id,
            )
        )

    def _lifetime_values(self, company, x, t_x, T, m):
        """BG/NBD and Gamma-Gamma, fitted on the company's customers, then applied to each.

        Time is counted in weeks. With too few repeat buyers to fit, the fields stay empty.
        """
        empty = {
            "probability_alive": np.full(x.shape, None, dtype=object),
            "expected_orders": np.full(x.shape, None, dtype=object),
            "expected_order_value": np.full(x.shape, None, dtype=object),
            "clv": np.full(x.shape, None, dtype=object),
        }
        repeat = (x > 0) & (m > 0)
        if repeat.sum() < MIN_REPEAT_BUYERS:
            return empty
        horizon = company.relational_clv_horizon_months * WEEKS_PER_MONTH
        weekly_rate = clv.discount_rate_per(1.0, company.relational_clv_discount_rate / 100.0)
        # Repeat purchases netted to nothing or less by refunds carry no spend information: the
        # spend model sees them at a token positive value (their expected value shrinks to the
        # population's).
        m = np.where(m > 0, m, 0.01)
        try:
            bgnbd = clv.fit_bgnbd(x, t_x, T)
            gamma_gamma = clv.fit_gamma_gamma(x[repeat], m[repeat])
            model = {k: bgnbd[k] for k in ("r", "alpha", "a", "b")}
            spend = {k: gamma_gamma[k] for k in ("p", "q", "gamma")}
            return {
                "probability_alive": clv.probability_alive(x=x, t_x=t_x, T=T, **model),
                "expected_orders": clv.expected_purchases(horizon, x=x, t_x=t_x, T=T, **model),
                "expected_order_value": clv.expected_average_value(x=x, m=m, **spend),
                "clv": clv.customer_lifetime_value(
                    model, spend, x, t_x, T, m, horizon=horizon, discount_rate=weekly_rate
                ),
            }
        except ValueError as error:
            _logger.info("No lifetime value for %s: %s", company.name, error)
            return empty

    def _write_profiles(self, company, values):
        """Upsert the profiles of `company` from column arrays, in batches; drop the others.

        Each batch is one ``INSERT ... SELECT FROM unnest(<one array per column>)``.
        """
        names = list(values)
        set_columns = [*names, "computed_at", "write_uid", "write_date"]
        for start in range(0, len(values["partner_id"]), WRITE_BATCH):
            arrays = [
                SQL("%s::%s", values[name][start : start + WRITE_BATCH].tolist(),
                    SQL(self._sql_array_type(name)))
                for name in names
            ]  # fmt: skip
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO crm_relational_profile
                           (company_id, computed_at, create_uid, create_date, write_uid,
                            write_date, %(columns)s)
                    SELECT %(company)s, %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s, *
                      FROM unnest(%(arrays)s)
                    ON CONFLICT (partner_id, company_id) DO UPDATE SET %(updates)s
                    """,
                    columns=SQL(", ").join(SQL.identifier(name) for name in names),
                    company=company.id,
                    now=fields.Datetime.now(),
                    uid=self.env.uid,
                    arrays=SQL(", ").join(arrays),
                    updates=SQL(", ").join(
                        SQL("%s = EXCLUDED.%s", SQL.identifier(c), SQL.identifier(c))
                        for c in set_columns
                        if c != "partner_id"
                    ),
                )
            )
        self.env.cr.execute(
            SQL(
                "DELETE FROM crm_relational_profile"
                " WHERE company_id = %s AND partner_id != ALL(%s)",
                company.id,
                values["partner_id"].tolist(),
            )
        )
        self.invalidate_model()
