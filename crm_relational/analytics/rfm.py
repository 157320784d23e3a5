"""Recency, frequency and monetary scores, named RFM segments and Pareto value tiers.

Pure numpy: takes arrays (one entry per customer of one company), returns arrays.
"""

import numpy as np

# A population is summarised by at most this many order statistics (exact below that size).
GRID_POINTS = 1000

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


def quintile_scores(values, higher_is_better=True, reference=None):
    """Scores 1-5 by quintile of `values` within a population; equal values score the same.

    The population is `reference` (its sorted order statistics, see ``grid_fractions``) or, by
    default, `values` itself.
    A value's percentile is its mid-rank in the population (half the equal values counted as
    below), so a population of one customer scores 3 (no ranking is possible).
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return np.zeros(0, dtype=int)
    if not np.all(np.isfinite(values)):
        raise ValueError("RFM values must be finite numbers")
    grid = np.sort(values) if reference is None else np.asarray(reference, dtype=float)
    if grid.size == 0:
        return np.full(values.shape, 3)
    percentile = percentiles(values, grid)
    if not higher_is_better:
        percentile = 1.0 - percentile
    return np.clip(np.ceil(percentile * 5), 1, 5).astype(int)


def percentiles(values, grid):
    """Mid-rank percentile (0-1) of each of `values` in the sorted population `grid`."""
    below = np.searchsorted(grid, values, side="left")
    at_or_below = np.searchsorted(grid, values, side="right")
    return (below + at_or_below) / (2.0 * grid.size)


def grid_fractions(count, points=GRID_POINTS):
    """Fractions at which to take a population's order statistics for its ``reference`` grid.

    Up to `points` customers, every one of them (the grid is the population itself, and scores
    are exact); above, `points` evenly spaced order statistics.
    """
    size = min(count, points)
    return [(i + 0.5) / size for i in range(size)]


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
    share_before[order] = (np.cumsum(positive[order]) - positive[order]) / total * 100
    return tiers_from_shares(margins, share_before, a_share, b_share), share_before


def tiers_from_shares(margins, share_before, a_share, b_share):
    """Tiers from each customer's share (percent) of the margin brought by larger customers:
    A below `a_share`, B below `b_share`, C otherwise or without a positive margin (NaN
    shares count as 100)."""
    margins = np.asarray(margins, dtype=float)
    share = np.nan_to_num(np.asarray(share_before, dtype=float), nan=100.0)
    tiers = np.full(margins.shape, "C", dtype=object)
    tiers[(margins > 0) & (share < b_share)] = "B"
    tiers[(margins > 0) & (share < a_share)] = "A"
    return tiers


def tiers_from_cutoffs(margins, cutoff_a, cutoff_b):
    """Tiers against the smallest margins of tier A and tier B of a previous full ranking.

    Used to place a few customers between two full rankings; None cutoffs mean no such tier.
    """
    margins = np.asarray(margins, dtype=float)
    tiers = np.full(margins.shape, "C", dtype=object)
    if cutoff_b is not None:
        tiers[(margins > 0) & (margins >= cutoff_b)] = "B"
    if cutoff_a is not None:
        tiers[(margins > 0) & (margins >= cutoff_a)] = "A"
    return tiers
