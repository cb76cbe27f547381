"""The adapters the engine talks to: the link store, the quota ledger, the advisory lock and the provider factory.

``calsync`` defines the interfaces (``LinkStore``, ``QuotaLedger``, ``CalendarProvider``); these
modules implement them on the ORM and the addon's settings, and nothing else.
"""

from . import advisory_lock
from . import link_store
from . import providers
from . import quota_ledger
