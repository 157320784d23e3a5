"""Month-of-year seasonality of repeat business, learned from a company's own order history.

BG/NBD gives each customer's expected number of orders over a horizon at an even pace through the
year; a shop whose customers buy for Christmas or stop in August does not. :func:`monthly_factors`
learns, from the orders of the complete years of history, how much busier each calendar month is
than the average month (1.0 = average), shrunk towards 1 as much as the years disagree; with less
than ``MIN_MONTHS`` of history there is nothing to learn it from and every factor is 1.
:func:`window_share` spreads an expected yearly-average pace over a window with those factors.
"""

from datetime import date, timedelta

import numpy as np

# Complete months of history below which seasonality is switched off.
MIN_MONTHS = 24


def monthly_factors(month_counts, first_day, until, min_months=MIN_MONTHS):
    """The twelve month factors (January first) learned from ``month_counts`` (orders per
    month, keyed by the month's first day) of the history that starts on ``first_day``, over the
    last whole years before the month of ``until``; all ones when fewer than ``min_months``
    complete months of history lie before it."""
    if not first_day:
        return [1.0] * 12
    first = date(first_day.year, first_day.month, 1)
    if first_day != first:  # the first month is incomplete: skip it
        first = _next_month(first)
    end = date(until.year, until.month, 1)  # the month of `until` is incomplete
    months = (end.year - first.year) * 12 + end.month - first.month
    years = months // 12
    if months < min_months or years < 1:
        return [1.0] * 12
    counts = np.zeros((years, 12))
    month = date(end.year - years, end.month, 1)
    for offset in range(years * 12):
        counts[offset // 12, month.month - 1] = month_counts.get(month, 0)
        month = _next_month(month)
    totals = counts.sum(axis=1, keepdims=True)
    if not totals.all():
        return [1.0] * 12
    # each year's months as a share of that year: the growth between years cancels out
    shares = counts / totals * 12
    raw = shares.mean(axis=0)
    # shrunk towards 1 by how much of their spread the years' disagreement explains
    # (James-Stein): a busy shop's peaks stand, a few orders' noise does not
    noise = float((shares.var(axis=0, ddof=1) / years).mean()) if years > 1 else float("inf")
    spread = float(raw.var())
    shrink = max(0.0, 1.0 - noise / spread) if spread > 0 else 0.0
    factors = 1.0 + shrink * (raw - 1.0)
    return [float(f) for f in factors * 12 / factors.sum()]


def window_share(factors, first, last):
    """The seasonal weight of the days ``first``..``last`` (dates, inclusive), in days: the
    number of days when every factor is 1. Multiply a per-day average pace by it."""
    if last < first:
        return 0.0
    total, day = 0.0, first
    while day <= last:
        month_end = _next_month(day) - timedelta(days=1)
        stop = min(month_end, last)
        total += factors[day.month - 1] * ((stop - day).days + 1)
        day = stop + timedelta(days=1)
    return total


def _next_month(day):
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)
