"""Odoo's Datetime values and the engine's instants: one conversion each way.

Odoo keeps datetimes naive, in UTC; the engine (``calsync``) works with aware instants only.
"""

from datetime import timezone


def aware(value):
    """An Odoo Datetime value (naive, UTC) as an aware instant; None when unset. An aware value is kept."""
    if not value:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def naive(value):
    """An instant as an Odoo Datetime value (naive UTC); False when unset. A naive value is Odoo's already."""
    if not value:
        return False
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
