"""Relationship stage of each customer, from tenure, cadence, trend and P(alive).

Pure numpy: one entry per customer of one company. The rules, checked in this order:

- ``won_back``: the previous stage was dormant or lost, or won back less than ``new_days`` ago,
  and the customer has ordered again (not dormant by the rules below);
- ``new``: first order less than ``new_days`` ago;
- ``lost``: no order for more than ``lost_days``, or P(alive) below ``lost_probability``;
- ``dormant``: no order for longer than ``dormant_factor`` times the customer's own usual
  interval between orders (``single_order_days`` for a customer with one order day);
- ``declining``: revenue of the last half-year below ``1 - trend_threshold`` times the one before;
- ``growing``: revenue of the last half-year above ``1 + trend_threshold`` times the one before;
- ``mature``: everyone else.
"""

import numpy as np

STAGES = [
    ("prospect", "Prospect"),
    ("new", "New"),
    ("growing", "Growing"),
    ("mature", "Mature"),
    ("declining", "Declining"),
    ("dormant", "Dormant"),
    ("lost", "Lost"),
    ("won_back", "Won Back"),
]

DEFAULTS = {
    "new_days": 90,
    "lost_days": 365,
    "lost_probability": 0.1,
    "dormant_factor": 2.5,
    "single_order_days": 180,
    "trend_threshold": 0.3,
}


def stages(
    tenure_days,
    recency_days,
    purchase_days,
    recent_revenue,
    previous_revenue,
    probability_alive=None,
    previous_stage=None,
    days_in_stage=None,
    **thresholds,
):
    """The stage code of each customer (see the module docstring for the rules).

    `purchase_days` is the number of distinct days with an order; `probability_alive` may hold
    NaN where it is unknown; `previous_stage` and `days_in_stage` describe the stage of the last
    run (empty strings and zeros for customers seen for the first time).
    """
    settings = {**DEFAULTS, **thresholds}
    tenure = np.asarray(tenure_days, dtype=float)
    recency = np.asarray(recency_days, dtype=float)
    days = np.asarray(purchase_days, dtype=float)
    recent = np.asarray(recent_revenue, dtype=float)
    previous = np.asarray(previous_revenue, dtype=float)
    n = tenure.shape[0]
    alive = (
        np.full(n, np.nan) if probability_alive is None
        else np.asarray(probability_alive, dtype=float)
    )  # fmt: skip
    before = np.full(n, "", dtype=object) if previous_stage is None else np.asarray(previous_stage)
    in_stage = np.zeros(n) if days_in_stage is None else np.asarray(days_in_stage, dtype=float)
    if not all(a.shape == (n,) for a in (recency, days, recent, previous, alive, before, in_stage)):
        raise ValueError("every input needs one value per customer")

    # The customer's own usual interval between order days: first to last order, over the gaps.
    cadence = np.maximum((tenure - recency) / np.maximum(days - 1, 1), 1.0)
    silence_allowed = np.where(
        days > 1, settings["dormant_factor"] * cadence, settings["single_order_days"]
    )
    lost = (recency > settings["lost_days"]) | (
        np.nan_to_num(alive, nan=1.0) < settings["lost_probability"]
    )
    dormant = ~lost & (recency > silence_allowed)
    came_back = ~lost & ~dormant & (
        np.isin(before, ["dormant", "lost"])
        | ((before == "won_back") & (in_stage < settings["new_days"]))
    )  # fmt: skip
    growth = np.where(previous > 0, recent / np.where(previous > 0, previous, 1), np.inf)
    declining = (previous > 0) & (growth < 1 - settings["trend_threshold"])
    growing = (recent > 0) & (growth > 1 + settings["trend_threshold"])

    result = np.full(n, "mature", dtype=object)
    # Lowest priority first: each later assignment overrides the earlier ones.
    result[growing] = "growing"
    result[declining] = "declining"
    result[dormant] = "dormant"
    result[lost] = "lost"
    result[tenure < settings["new_days"]] = "new"
    result[came_back] = "won_back"
    return result
