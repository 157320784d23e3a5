"""Available to promise: the earliest day a quantity can be promised to a customer.

Pure Python. The projected stock of a warehouse is its quantity on hand, plus the incoming
moves and minus the outgoing ones, each on its scheduled day (moves scheduled in the past are
expected today). A quantity can be promised on day ``d`` when the projected stock never falls
below it from ``d`` on: what is promised leaves, and every later commitment is still served.
"""

from collections import defaultdict


def projected_stock(on_hand, changes, today):
    """``[(day, stock after that day's moves)]``, from today on, one entry per day with moves
    (today always first). `changes`: ``(day, quantity)``, incoming positive, outgoing negative."""
    by_day = defaultdict(float)
    by_day[today] += 0.0
    for day, quantity in changes:
        by_day[max(day, today)] += quantity
    stock, projection = on_hand, []
    for day in sorted(by_day):
        stock += by_day[day]
        projection.append((day, stock))
    return projection


def promise_date(on_hand, changes, quantity, today):
    """The earliest day from which `quantity` can be promised, or None if the scheduled moves
    never leave that much free (see the module docstring)."""
    if quantity <= 0:
        raise ValueError("the quantity to promise must be positive")
    projection = projected_stock(on_hand, changes, today)
    lowest_from_here, promise = float("inf"), None
    for day, stock in reversed(projection):
        lowest_from_here = min(lowest_from_here, stock)
        if lowest_from_here >= quantity:
            promise = day
        else:
            break
    return promise
