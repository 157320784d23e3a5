"""Relationship dimensions, relationship type, health score, churn risk and neglect.

Pure numpy: one entry per customer of one company, every score on a 0-100 scale.

Dimensions (over the last twelve months of the customer's timeline):

- **valence**: how the relationship feels, from the share of positive signals (invoices paid,
  deliveries on time, opportunities won, good ratings) among all signals, negative ones being
  overdue invoices, late deliveries, credit notes (returns), lost opportunities, complaints.
  Smoothed towards neutral: ``100 * (positive + 1) / (positive + negative + 2)``, so a customer
  with no signal scores 50;
- **intensity**: how often we interact, as the percentile of the customer's number of
  interactions among the company's customers (0 for no interaction at all);
- **reciprocity**: whether both sides start conversations (e-mails, calls, meetings, tickets):
  100 when half come from the customer, 0 when all come from one side or there are none;
- **tenure**: days since the first order (or first interaction of a prospect).

The relationship type is the first rule (in sequence order) whose ranges hold all four.

Health is the weighted mean of five factors, each 0-100 (``HEALTH_WEIGHTS``): activity (the
probability that the customer is still buying, else its recency score), trend (last half-year
of revenue against the one before), sentiment (valence), engagement (intensity) and payment
(share of the last year's due invoices paid). Churn risk: health below the company's threshold
for a customer who is not already lost.
"""

import numpy as np

from . import rfm

HEALTH_WEIGHTS = {
    "activity": 35,
    "trend": 20,
    "sentiment": 20,
    "engagement": 15,
    "payment": 10,
}


def valence(positive, negative):
    """Smoothed share of positive signals, 0-100 (50 without any signal)."""
    positive = np.asarray(positive, dtype=float)
    negative = np.asarray(negative, dtype=float)
    if np.any(positive < 0) or np.any(negative < 0):
        raise ValueError("signal counts cannot be negative")
    return 100.0 * (positive + 1.0) / (positive + negative + 2.0)


def intensity(interactions, reference=None):
    """Percentile (0-100) of each interaction count in the population; 0 for no interaction.

    The population is `reference` (its sorted order statistics, see ``rfm.grid_fractions``) or,
    by default, the counts themselves."""
    interactions = np.asarray(interactions, dtype=float)
    grid = np.sort(interactions) if reference is None else np.asarray(reference, dtype=float)
    if grid.size == 0:
        return np.zeros(interactions.shape)
    return np.where(interactions > 0, 100.0 * rfm.percentiles(interactions, grid), 0.0)


def reciprocity(inbound, outbound):
    """100 when conversations are started as often by the customer as by us, 0 when one-sided."""
    inbound = np.asarray(inbound, dtype=float)
    outbound = np.asarray(outbound, dtype=float)
    total = inbound + outbound
    share = np.divide(inbound, total, out=np.zeros(total.shape), where=total > 0)
    return np.where(total > 0, 100.0 - np.abs(share - 0.5) * 200.0, 0.0)


def relationship_types(valence, intensity, reciprocity, tenure_days, rules):
    """The id of the first matching rule for each customer (0 when none matches).

    `rules`: dicts with ``id`` and the bounds ``valence_min``, ``valence_max``,
    ``intensity_min``, ``intensity_max``, ``reciprocity_min``, ``reciprocity_max`` (0-100,
    inclusive) and ``tenure_min_days``, in priority order.
    """
    dimensions = {
        "valence": np.asarray(valence, dtype=float),
        "intensity": np.asarray(intensity, dtype=float),
        "reciprocity": np.asarray(reciprocity, dtype=float),
    }
    tenure = np.asarray(tenure_days, dtype=float)
    result = np.zeros(tenure.shape, dtype=np.int64)
    for rule in rules:
        match = (result == 0) & (tenure >= rule["tenure_min_days"])
        for name, values in dimensions.items():
            match &= (values >= rule[f"{name}_min"]) & (values <= rule[f"{name}_max"])
        result[match] = rule["id"]
    return result


def health_factors(
    probability_alive, recency_score, recent_revenue, previous_revenue, valence, intensity,
    paid_invoices, overdue_invoices,
):  # fmt: skip
    """The five health factors (dict of arrays, 0-100); NaN P(alive) falls back on recency."""
    alive = np.asarray(probability_alive, dtype=float)
    recency = np.asarray(recency_score, dtype=float)
    recent = np.asarray(recent_revenue, dtype=float)
    previous = np.asarray(previous_revenue, dtype=float)
    total = np.clip(recent, 0, None) + np.clip(previous, 0, None)
    trend = np.divide(
        np.clip(recent, 0, None) - np.clip(previous, 0, None),
        total,
        out=np.full(total.shape, -1.0),
        where=total > 0,
    )
    paid = np.asarray(paid_invoices, dtype=float)
    overdue = np.asarray(overdue_invoices, dtype=float)
    due = paid + overdue
    return {
        "activity": np.where(np.isnan(alive), (recency - 1.0) * 25.0, alive * 100.0),
        "trend": 50.0 + 50.0 * trend,
        "sentiment": np.asarray(valence, dtype=float),
        "engagement": np.asarray(intensity, dtype=float),
        "payment": np.divide(100.0 * paid, due, out=np.full(due.shape, 100.0), where=due > 0),
    }


def health_score(factors, weights=None):
    """Weighted mean of the factors, 0-100, rounded."""
    weights = weights or HEALTH_WEIGHTS
    total = sum(weights.values())
    score = sum(np.asarray(factors[name], dtype=float) * weight for name, weight in weights.items())
    return np.clip(np.rint(score / total), 0, 100).astype(int)


def churn_risk(health, stages, threshold):
    """Customers whose health is below `threshold` and who are neither lost nor prospects."""
    stages = np.asarray(stages, dtype=object)
    return (np.asarray(health) < threshold) & ~np.isin(stages, ["lost", "prospect"])


def neglected(tiers, at_risk, days_without_contact, allowed_days):
    """High-value (tier A or B) or at-risk customers not contacted for longer than their tier
    allows. `allowed_days` maps a tier to its limit in days (0: that tier is not watched);
    `days_without_contact` is NaN for a customer never contacted."""
    tiers = np.asarray(tiers, dtype=object)
    silence = np.asarray(days_without_contact, dtype=float)
    allowed = np.array([allowed_days.get(tier, 0) or 0 for tier in tiers], dtype=float)
    watched = (np.isin(tiers, ["A", "B"]) | np.asarray(at_risk, dtype=bool)) & (allowed > 0)
    return watched & (np.isnan(silence) | (silence > allowed))
