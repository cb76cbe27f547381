"""FieldOps Calendar Sync engine: plain Python, never imports Odoo.

The Odoo addon ``fieldops_calendar_sync`` is a thin adapter over this package:
provider clients, mapping, three-way merge, token encryption and webhook checks
all live here so they can be tested without a database.
"""

__version__ = "18.0.1.0.0"
