"""Scores of a batch of customers, from what is known of each and the population figures.

Pure numpy: the profile job (``crm.relational.run``) reads the facts of a batch of customers as
column arrays and the population figures of its run, calls ``score_customers`` once, and
writes the returned columns. Nothing here reads or writes the database.

Facts (one entry per customer, see ``crm.relational.run._facts_query``): ``partner_id``,
``first_day``, ``last_day``, ``order_count``, ``purchase_days``, ``revenue``, ``margin``,
``repeat_value``, ``recent_revenue``, ``previous_revenue``, ``interactions``, ``inbound``,
``outbound``, ``positive``, ``negative``, ``paid_invoices``, ``overdue_invoices``,
``last_contact``, ``first_day_known``, ``previous_stage``, ``previous_stage_date``,
``type_override`` and ``share_before``.
"""

import logging

import numpy as np

from . import clv, relationship, rfm, stage

_logger = logging.getLogger(__name__)

DAYS_PER_WEEK = 7.0
WEEKS_PER_MONTH = 52.0 / 12.0
# Below this many repeat buyers a lifetime-value model is not worth fitting.
MIN_REPEAT_BUYERS = 10
# Why a customer's lifetime value is unknown (``crm.relational.profile.clv_unknown_reason``):
# no order yet, or no model of the company's buyers to estimate it with.
UNKNOWN_NO_ORDERS = "no_orders"
UNKNOWN_NO_MODEL = "no_model"


def lifetime_inputs(today, first_day, last_day, purchase_days, repeat_value):
    """(x, t_x, T, m) in weeks for the lifetime-value models, from the purchase history."""
    now = np.datetime64(today, "D")
    first = np.asarray(first_day, dtype="datetime64[D]")
    last = np.asarray(last_day, dtype="datetime64[D]")
    x = np.asarray(purchase_days, dtype=float) - 1
    t_x = (last - first).astype(float) / DAYS_PER_WEEK
    # Observed until the end of today, so a first purchase today has an age of one day.
    age = ((now - first).astype(float) + 1) / DAYS_PER_WEEK
    # Repeat purchases netted to nothing or less by refunds carry no spend information: the
    # spend model sees them at a token positive value (their expected value shrinks to the
    # population's).
    m = np.asarray(repeat_value, dtype=float)
    return x, t_x, age, np.where(m > 0, m, 0.01)


def fit_lifetime(today, first_day, last_day, purchase_days, repeat_value, previous=None):
    """BG/NBD and Gamma-Gamma parameters (JSON-able) fitted on the given buyers, or None when
    there are too few repeat buyers or the fit fails.

    `previous` (optional): parameters of an earlier fit (as returned here), where the
    optimiser starts: from one day to the next they barely move, and it converges in a few
    steps. A fit that fails from there is started again from the default point."""
    x, t_x, age, m = lifetime_inputs(today, first_day, last_day, purchase_days, repeat_value)
    repeat = (x > 0) & (m > 0)
    if repeat.sum() < MIN_REPEAT_BUYERS:
        return None
    starts = [None]
    if previous:
        starts.insert(0, previous)
    for start in starts:
        try:
            bgnbd = clv.fit_bgnbd(
                x, t_x, age, initial=start and [start["bgnbd"][k] for k in clv.BGNBD_PARAMETERS]
            )
            gamma_gamma = clv.fit_gamma_gamma(
                x[repeat],
                m[repeat],
                initial=start and [start["gamma_gamma"][k] for k in clv.GAMMA_GAMMA_PARAMETERS],
            )
        except ValueError as error:
            _logger.info("No lifetime value%s: %s", " from the last fit" if start else "", error)
            continue
        return {
            "bgnbd": {key: float(bgnbd[key]) for key in clv.BGNBD_PARAMETERS},
            "gamma_gamma": {key: float(gamma_gamma[key]) for key in clv.GAMMA_GAMMA_PARAMETERS},
        }
    return None


def lifetime_values(model, x, t_x, T, m, horizon_months, discount_rate):
    """P(alive), expected orders and order value, and CLV of each customer (NaN without a
    fitted `model`); `discount_rate` is the yearly rate in percent."""
    if not model:
        nothing = np.full(x.shape, np.nan)
        return {
            "probability_alive": nothing,
            "expected_orders": nothing,
            "expected_order_value": nothing,
            "clv": nothing,
        }
    horizon = horizon_months * WEEKS_PER_MONTH
    weekly_rate = clv.discount_rate_per(1.0, discount_rate / 100.0)
    bgnbd, spend = model["bgnbd"], model["gamma_gamma"]
    return {
        "probability_alive": clv.probability_alive(x=x, t_x=t_x, T=T, **bgnbd),
        "expected_orders": clv.expected_purchases(horizon, x=x, t_x=t_x, T=T, **bgnbd),
        "expected_order_value": clv.expected_average_value(x=x, m=m, **spend),
        "clv": clv.customer_lifetime_value(
            bgnbd, spend, x, t_x, T, m, horizon=horizon, discount_rate=weekly_rate
        ),
    }


def score_customers(facts, figures, today, settings, rules, full):
    """Score columns of one batch of customers: ``(columns, changed)``.

    `facts`: column arrays (see the module's docstring); `figures`: the run's population
    figures; `settings`: the company's ``tier_a_share``, ``tier_b_share``,
    ``clv_horizon_months``, ``clv_discount_rate`` (yearly, percent), ``churn_threshold``,
    ``stage_thresholds`` (see ``stage.stages``) and ``neglect_days`` (by tier); `rules`: the
    relationship types' rules (see ``relationship.relationship_types``); `full`: a full run,
    which ranks tiers by the margin share of larger customers (an incremental one by the full
    run's margin cutoffs) and writes that share. `changed` marks the customers whose stage
    changes; the columns are named after the profile's fields (``partner_id`` included).
    """
    n = len(facts["partner_id"])
    buyer = facts["order_count"] > 0

    def spread(values, empty=None):
        """Values of the buyers, placed in a full-batch column (`empty` elsewhere)."""
        column = np.full(n, empty, dtype=object)
        column[buyer] = list(values)
        return column

    value = _value_scores({k: v[buyer] for k, v in facts.items()}, figures, today, settings, full)
    previous_stage = facts["previous_stage"].astype(object)
    new_stage = np.full(n, "prospect", dtype=object)
    new_stage[buyer] = value["stage"]
    changed = new_stage != previous_stage
    stage_date = facts["previous_stage_date"].astype(object)
    stage_date[changed] = today
    everyone, buyers = _relationship_scores(facts, figures, today, settings, rules, buyer, value)
    columns = {
        "partner_id": facts["partner_id"],
        "order_count": facts["order_count"],
        "revenue": facts["revenue"],
        "margin": facts["margin"],
        **{name: spread(column) for name, column in value.items()},
        **{name: spread(column) for name, column in buyers.items()},
        "churn_risk": spread(buyers["churn_risk"], empty=False),
        "clv_unknown_reason": spread(value["clv_unknown_reason"], empty=UNKNOWN_NO_ORDERS),
        "stage": new_stage,
        "stage_date": stage_date,
        "interaction_count": facts["interactions"],
        "positive_signal_count": facts["positive"],
        "negative_signal_count": facts["negative"],
        "last_contact_date": facts["last_contact"],
        **everyone,
    }
    if full:
        columns["margin_share_before"] = facts["share_before"]
    return columns, changed


def _value_scores(facts, figures, today, settings, full):
    """Value, RFM, tier, lifetime value and stage of buyers (facts of buyers only)."""
    now = np.datetime64(today, "D")
    first = facts["first_day"].astype("datetime64[D]")
    last = facts["last_day"].astype("datetime64[D]")
    recency = (now - last).astype(int)
    order_count = facts["order_count"].astype(float)
    revenue = facts["revenue"].astype(float)
    margin = facts["margin"].astype(float)
    scores = {
        "rfm_recency_score": rfm.quintile_scores(
            recency, higher_is_better=False, reference=figures["recency"]
        ),
        "rfm_frequency_score": rfm.quintile_scores(order_count, reference=figures["orders"]),
        "rfm_monetary_score": rfm.quintile_scores(revenue, reference=figures["revenue"]),
    }
    if full:
        tiers = rfm.tiers_from_shares(
            margin,
            facts["share_before"].astype(float),
            settings["tier_a_share"],
            settings["tier_b_share"],
        )
    else:
        tiers = rfm.tiers_from_cutoffs(margin, figures["tier_a_margin"], figures["tier_b_margin"])
    x, t_x, age, m = lifetime_inputs(
        today, first, last, facts["purchase_days"], facts["repeat_value"]
    )
    lifetime = lifetime_values(
        figures["lifetime"],
        x,
        t_x,
        age,
        m,
        settings["clv_horizon_months"],
        settings["clv_discount_rate"],
    )
    days_in_stage = [(today - day).days if day else 0 for day in facts["previous_stage_date"]]
    stages = stage.stages(
        tenure_days=(now - first).astype(float),
        recency_days=recency.astype(float),
        purchase_days=facts["purchase_days"].astype(float),
        recent_revenue=facts["recent_revenue"].astype(float),
        previous_revenue=facts["previous_revenue"].astype(float),
        probability_alive=lifetime["probability_alive"],
        previous_stage=facts["previous_stage"].astype(object),
        days_in_stage=np.array(days_in_stage, dtype=float),
        **settings["stage_thresholds"],
    )
    return {
        "first_order_date": first.astype(object),
        "last_order_date": last.astype(object),
        "recency_days": recency,
        "average_order_value": revenue / order_count,
        **scores,
        "rfm_segment": rfm.segments(scores["rfm_recency_score"], scores["rfm_frequency_score"]),
        "value_tier": tiers,
        **{name: nan_to_none(column) for name, column in lifetime.items()},
        # Unknown is not zero: an empty lifetime value says why it is empty.
        "clv_unknown_reason": np.where(
            np.isnan(np.asarray(lifetime["clv"], dtype=float)), UNKNOWN_NO_MODEL, None
        ).astype(object),
        "stage": stages,
    }


def _relationship_scores(facts, figures, today, settings, rules, buyer, value):
    """Dimensions, type and neglect of every customer of the batch, and health and churn
    risk of its buyers (`value`: their value scores): ``(batch columns, buyer columns)``."""
    tenure = [(today - day).days if day else 0 for day in facts["first_day_known"]]
    tenure = np.array(tenure, dtype=float)
    valence = relationship.valence(facts["positive"], facts["negative"])
    intensity = relationship.intensity(facts["interactions"], figures["interactions"])
    reciprocity = relationship.reciprocity(facts["inbound"], facts["outbound"])
    suggested = relationship.relationship_types(valence, intensity, reciprocity, tenure, rules)
    override = np.array([value or 0 for value in facts["type_override"]], dtype=np.int64)
    factors = relationship.health_factors(
        probability_alive=np.array(value["probability_alive"], dtype=float),
        recency_score=value["rfm_recency_score"],
        recent_revenue=facts["recent_revenue"][buyer].astype(float),
        previous_revenue=facts["previous_revenue"][buyer].astype(float),
        valence=valence[buyer],
        intensity=intensity[buyer],
        paid_invoices=facts["paid_invoices"][buyer],
        overdue_invoices=facts["overdue_invoices"][buyer],
    )
    health = relationship.health_score(factors)
    at_risk = relationship.churn_risk(health, value["stage"], settings["churn_threshold"])
    silence = [(today - day).days if day else np.nan for day in facts["last_contact"]]
    silence = np.array(silence, dtype=float)
    neglected = np.zeros(len(tenure), dtype=bool)
    neglected[buyer] = relationship.neglected(
        value["value_tier"], at_risk, silence[buyer], settings["neglect_days"]
    )
    everyone = {
        "valence": np.rint(valence).astype(int),
        "intensity": np.rint(intensity).astype(int),
        "reciprocity": np.rint(reciprocity).astype(int),
        "tenure_days": tenure.astype(int),
        "relationship_type_suggested_id": zero_to_none(suggested),
        "relationship_type_id": zero_to_none(np.where(override > 0, override, suggested)),
        "days_without_contact": nan_to_none(silence),
        "neglected": neglected,
    }
    buyers = {
        "churn_risk": at_risk,
        "health_score": health,
        **{f"health_{name}": np.rint(column).astype(int) for name, column in factors.items()},
    }
    return everyone, buyers


def nan_to_none(values):
    """NaN as None (an empty field), as an object column."""
    values = np.asarray(values, dtype=float)
    return np.where(np.isnan(values), None, values.astype(object))


def zero_to_none(values):
    """Ids with 0 as None (no record), as an object column."""
    values = np.asarray(values)
    return np.where(values > 0, values.astype(object), None)
