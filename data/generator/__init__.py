"""Deterministic, realistic data for crm_relational: a company with two years of history.

    python3 -m data.generator -c ODOO_CONF -d DB --size demo --seed 42 [--today 2026-06-30]

``generate(env, size, seed, today)`` does the same inside an open Odoo environment without
committing, so tests can roll it back. ``build_plan`` gives the pure-Python plan alone.
"""

from .plan import SIZES, build_plan

__all__ = ["SIZES", "build_plan", "generate"]


def generate(env, size="small", seed=42, today=None, scale=1.0, commit=None):
    """Fill the main company of `env` with the plan of `size` and `seed`; return the counts.

    ``small`` and ``demo`` go through the ORM; ``large`` through bulk SQL (see sql_writer).
    Marks the database with the system parameters ``crm_relational.generated_size`` and
    ``crm_relational.generated_seed``. Never commits by itself: `commit`, when given, is called
    between the batches of the large size (the command line passes ``cr.commit``).
    """
    plan = build_plan(size, seed, today, scale)
    if size == "large":
        from .sql_writer import SqlWriter

        counts = SqlWriter(env, plan, commit=commit).write()
    else:
        from .orm_writer import OrmWriter

        counts = OrmWriter(env, plan).write()
    # sudo: system parameters are for settings administrators only, and `env` may be any
    # user's; only these two generator markers are written.
    parameters = env["ir.config_parameter"].sudo()
    parameters.set_param("crm_relational.generated_size", size)
    parameters.set_param("crm_relational.generated_seed", str(seed))
    return counts
