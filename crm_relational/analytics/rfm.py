"""Recency, frequency and monetary scores, named RFM segments and Pareto value tiers.

Pure numpy: takes arrays (one entry per customer of one company), returns arrays.
"""

import numpy as np
from scipy.stats import rankdata

# Named segments on the (recency score, frequency score) grid, the map used by most RFM tools.
# Checked in order; the first match wins.
SEGMENTS = [
    ("champions", "Champions", (5, 5), (4, 5)),
    ("loyal", "Loyal", (3, 4), (4, 5)),
    ("cant_lose", "Can't Lose Them", (1, 2), (5, 5)),
    ("at_risk", "At Risk", (1, 2), (3, 4)),
    ("need_attention", "Need Attention", (3, 3), (3, 3)),
    ("potential_loyalist", "Potential Loyalist", (4, 5), (2, 3)),
    ("new", "New Customers", (5, 5), (1, 1)),
    ("promising", "Promising", (4, 4), (1, 1)),
    ("about_to_sleep", "About to Sleep", (3, 3), (1, 2)),
    ("lost", "Lost", (1, 1), (1, 1)),
    ("hibernating", "Hibernating", (1, 2), (1, 2)),
]


def quintile_scores(values, higher_is_better=True):
    """Scores 1-5 by quintile of `values` within the population; equal values score the same.

    A population of one customer scores 3 (no ranking is possible).
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return np.zeros(0, dtype=int)
    if not np.all(np.isfinite(values)):
        raise ValueError("RFM values must be finite numbers")
    if values.size == 1:
        return np.array([3])
    ranks = rankdata(values if higher_is_better else -values, method="average")
    percentile = (ranks - 0.5) / values.size  # in (0, 1)
    return np.clip(np.ceil(percentile * 5), 1, 5).astype(int)


def segments(recency_scores, frequency_scores):
    """The named segment code of each customer, from its recency and frequency scores."""
    r = np.asarray(recency_scores)
    f = np.asarray(frequency_scores)
    result = np.full(r.shape, "", dtype=object)
    for code, _label, (r_low, r_high), (f_low, f_high) in SEGMENTS:
        match = (result == "") & (r >= r_low) & (r <= r_high) & (f >= f_low) & (f <= f_high)
        result[match] = code
    return result


def value_tiers(margins, a_share, b_share):
    """Pareto tiers 'A', 'B', 'C' by cumulative share of the total positive margin.

    Customers are taken largest margin first: those needed to reach `a_share` percent of the
    margin are tier A (the customer who crosses the threshold included), the next up to
    `b_share` percent tier B, everyone else (and every customer with no positive margin) C.
    Returns ``(tiers, cumulative_share)``, the share in percent before the customer's own margin.
    """
    margins = np.asarray(margins, dtype=float)
    if not 0 < a_share < b_share <= 100:
        raise ValueError("tier shares need 0 < A < B <= 100")
    tiers = np.full(margins.shape, "C", dtype=object)
    share_before = np.full(margins.shape, 100.0)
    positive = np.clip(margins, 0, None)
    total = positive.sum()
    if total <= 0:
        return tiers, share_before
    order = np.argsort(-positive, kind="stable")
    before = (np.cumsum(positive[order]) - positive[order]) / total * 100
    share_before[order] = before
    tiers[order[(before < a_share) & (positive[order] > 0)]] = "A"
    tiers[order[(before >= a_share) & (before < b_share) & (positive[order] > 0)]] = "B"
    return tiers, share_before
