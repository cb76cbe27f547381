"""When a push channel needs work: the renewal rule, shared by the channel cron and the renewal job.

A Google watch channel cannot be extended: it is replaced by an overlapping new one before it expires
(Google Calendar API, "Push notifications": "there is no automatic way to renew a notification channel";
make a new watch request before the old one expires). A Graph subscription is extended in place with
a PATCH of its ``expirationDateTime`` (Microsoft Graph, "Update subscription"). Either way we act at half
the channel's life: a failed renewal then has the other half to be retried before notifications stop.

The rule lives here, not in the addon, so that the hourly cron queues a renewal job only for a
connection that the job would act on: without a live channel, or with one past half its life (or whose
expiry we never learned). A connection whose channel is fresh costs the cron nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta


def renewal_due(expires_at: datetime | None, ttl: timedelta, now: datetime) -> bool:
    """True once a live channel of life ``ttl`` is past half of it, or when its expiry is unknown."""
    return expires_at is None or expires_at - now <= ttl / 2


def channels_need_work(expiries: Iterable[datetime | None], ttl: timedelta, now: datetime) -> bool:
    """True if a connection whose live channels expire at ``expiries`` needs the renewal job.

    No live channel at all means one must be opened; otherwise any live channel due for renewal.
    """
    expiries = list(expiries)
    return not expiries or any(renewal_due(expires_at, ttl, now) for expires_at in expiries)
