"""19.0.1.3.0: the stock lookup's form dialog of the first versions is gone (the lookup as you
type, ``static/src/stock_lookup``, replaced it): drop the tables of its wizard and lines.

Odoo removes the models' own records (fields, access rights, rules, views) at the end of the
upgrade; their rows were transient lookups, nothing to keep.
"""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        SQL(
            "DROP TABLE IF EXISTS %s, %s CASCADE",
            SQL.identifier("crm_relational_stock_lookup_line"),
            SQL.identifier("crm_relational_stock_lookup_wizard"),
        )
    )
