"""A weekly opportunity process whose truth is known, for the engine's tests.

Each week of its open life a deal may be won (mostly from the last stage), lost, or move one stage
on; all chances fall with the weeks open, a salesperson's skill and the amount move the chance of
winning, and a share of the deals ("zombies") move on like the others but never close. Recorded
as Odoo records it: a won deal by a tracked change into the won stage, a lost one with no change
at all; an import keeps nothing of either."""

import math
import random
from datetime import datetime, timedelta

from ..analytics import win

WON = 99
SKILL = (0.8, 0.0, -0.4, -1.0)
ZOMBIES = 0.15


def week_chances(stage, week, user, amount):
    """(win, lose, advance) chances of one week."""
    decay = math.exp(-week / 20.0)
    boost = math.exp(SKILL[user] - 0.3 * math.log(amount / 5000.0))
    return (0.02 + 0.10 * (stage == 3)) * decay * boost, 0.05, (0.15 * decay if stage < 3 else 0.0)


def simulate(count, seed=0, start=datetime(2023, 1, 2), days=900, recording="odoo", outcome=None):
    """``count`` deals created evenly over ``days`` from ``start``. ``recording``: "odoo",
    "import" (no trace of stages), "mixed" (half each, at random) or "untracked" (the won deals
    keep no trace of their stages, as when won in the transaction that created them).
    ``outcome``: when given, a chance of winning that replaces the process's (the outcome then
    depends on nothing)."""
    rng, styles = random.Random(seed), random.Random(seed + 1)
    deals = []
    for number in range(count):
        created = start + timedelta(days=rng.random() * days, hours=9)
        user = rng.randrange(len(SKILL))
        amount = rng.choice((1000, 5000, 20000))
        zombie = rng.random() < ZOMBIES
        stage, changes, closed, won, week = 1, [], None, None, 0
        while week < 300 and not (zombie and stage == 3):
            moment = created + timedelta(days=7 * (week + 1))
            p_win, p_lose, p_advance = week_chances(stage, week, user, amount)
            if outcome is not None:
                p_win, p_lose = outcome * 0.06, (1 - outcome) * 0.06
            if zombie:  # moves on like the others, never closes
                p_win = p_lose = 0.0
            draw = rng.random()
            if draw < p_win + p_lose:
                closed, won = moment, draw < p_win
                if won:
                    changes.append((moment, stage, WON))
                break
            if draw < p_win + p_lose + p_advance:
                changes.append((moment, stage, stage + 1))
                stage += 1
            week += 1
        recorded = recording in ("odoo", "untracked") or (
            recording == "mixed" and styles.random() < 0.5
        )
        if recording == "untracked" and won:  # won in the transaction that created it
            changes = []
        deals.append(
            win.Deal(
                id=number, created=created, closed=closed, won=won,
                stage=WON if won else stage, amount=amount, user=user,
                changes=changes if recorded else [], recorded=recorded,
            )
        )  # fmt: skip
    return deals


def true_chance(stage, week, user, amount, horizon_weeks, runs=4000, seed=0):
    """The chance, by simulation of the process, that a deal in ``stage`` after ``week`` weeks
    open (not a zombie) is won within ``horizon_weeks``."""
    rng = random.Random(seed)
    won = 0
    for _run in range(runs):
        current = stage
        for step in range(week, week + horizon_weeks):
            p_win, p_lose, p_advance = week_chances(current, step, user, amount)
            draw = rng.random()
            if draw < p_win:
                won += 1
                break
            if draw < p_win + p_lose:
                break
            if draw < p_win + p_lose + p_advance:
                current += 1
    return won / runs
