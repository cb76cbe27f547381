"""Which environment variables name a live test account (plain Python: the test command reads it too).

Each provider's run needs all of its ``REQUIRED`` variables; ``BASE_URL`` and ``CA_CERTS`` are only
for checking the run itself against the sandbox, which stands in for the real endpoints there.
"""

from __future__ import annotations

import os

PREFIX = "FIELDOPS_LIVE_"
REQUIRED = {
    "google": ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "GOOGLE_REFRESH_TOKEN", "GOOGLE_CALENDAR_ID"),
    "microsoft": ("MICROSOFT_CLIENT_ID", "MICROSOFT_CLIENT_SECRET", "MICROSOFT_TENANT", "MICROSOFT_REFRESH_TOKEN"),
}
OPTIONAL = {
    "google": ("GOOGLE_BASE_URL",),
    "microsoft": ("MICROSOFT_CALENDAR_ID", "MICROSOFT_BASE_URL"),
}
SHARED_OPTIONAL = ("CA_CERTS",)
# what the test command sets for the run it starts, so the live modules are collected
RUN_SWITCH = "FIELDOPS_LIVE_RUN"


def names(provider: str) -> list[str]:
    return [PREFIX + name for name in REQUIRED[provider]]


def missing(provider: str, environ=None) -> list[str]:
    """The required variables of ``provider`` that are unset or empty."""
    environ = os.environ if environ is None else environ
    return [name for name in names(provider) if not environ.get(name)]


def value(name: str, environ=None) -> str | None:
    environ = os.environ if environ is None else environ
    return environ.get(PREFIX + name) or None


def skip_reason(provider: str, environ=None) -> str | None:
    """Why the live run of ``provider`` cannot start here, in plain words, or None when it can."""
    absent = missing(provider, environ)
    if not absent:
        return None
    return (f"live contract run ({provider}) skipped: no test account configured; set "
            + ", ".join(absent) + " (README: 'Live contract run')")
