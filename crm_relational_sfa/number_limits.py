"""The largest numbers the addon's amounts and quantities accept."""

from odoo.exceptions import ValidationError

# Amounts and prices are rounded to cents, quantities to their unit: beyond these (an imported
# 1e308, inf or nan) the rounding overflows.
MAX_AMOUNT = 1e15
MAX_QUANTITY = 1e12


def check_number_limits(records, vals, limits):
    """Refuse, before the ORM rounds them, the values of ``vals`` that are not numbers below
    their limit in ``limits`` (``{field name: limit}``), with a message naming the field."""
    for field_name, limit in limits.items():
        value = vals.get(field_name)
        if isinstance(value, (int, float)) and not abs(value) < limit:
            raise ValidationError(
                records.env._(
                    "%(field)s must be a number below %(limit)s.",
                    field=records._fields[field_name]._description_string(records.env),
                    limit=f"{limit:,.0f}",
                )
            )
