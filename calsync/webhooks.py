"""Verification and parsing of provider push notifications, with a provider-neutral result.

The HTTP controllers stay thin: they hand the request's headers and body to
these functions together with a way to look channels up, and act on the
verdicts (record, enqueue, answer). Nothing here touches a database or a
provider. Every comparison of a secret is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

MAX_BODY_BYTES = 256 * 1024
GOOGLE_STATES = {"sync", "exists", "not_exists"}
GRAPH_CHANGE_TYPES = {"created", "updated", "deleted"}
GRAPH_LIFECYCLE_EVENTS = {"reauthorizationRequired", "subscriptionRemoved", "missed"}


@dataclass(frozen=True)
class KnownChannel:
    """What the receiver knows of one of our channels (from its own storage)."""

    key: object  # the caller's id for the channel row
    external_id: str
    resource_id: str
    token_hash: str  # sha256 hex of the channel token / clientState
    expires_at: datetime | None
    active: bool = True


@dataclass(frozen=True)
class Verdict:
    """The outcome for one notification (one Google request, or one item of a Graph batch).

    ``accepted`` items act (enqueue a pull, a renewal...); others are recorded with
    ``reason``. ``action`` is ``pull``, ``none`` (e.g. Google's ``sync``),
    ``reauthorize``, ``recreate`` or ``resync``.
    """

    accepted: bool
    reason: str = ""
    channel: KnownChannel | None = None
    dedupe_key: str | None = None
    action: str = "none"
    detail: str = ""


def token_digest(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def _token_ok(channel: KnownChannel, presented: str | None) -> bool:
    return bool(presented) and bool(channel.token_hash) and hmac.compare_digest(
        channel.token_hash, token_digest(presented)
    )


def _expired(channel: KnownChannel, now: datetime) -> bool:
    return channel.expires_at is not None and channel.expires_at <= now


def _short(*parts: str) -> str:
    """A bounded dedupe key from its parts (resource paths and etags can be long)."""
    return f"{parts[0]}:" + hashlib.sha256("\x1f".join(parts[1:]).encode()).hexdigest()


def _header(headers, name):
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


Lookup = Callable[[str], "KnownChannel | None"]


def verify_google(headers, lookup: Lookup, now: datetime | None = None) -> Verdict:
    """Check a Google push: known, unexpired channel; matching resource id and channel token."""
    now = now or datetime.now(timezone.utc)
    channel_id = _header(headers, "X-Goog-Channel-ID")
    resource_id = _header(headers, "X-Goog-Resource-ID")
    state = _header(headers, "X-Goog-Resource-State")
    number = _header(headers, "X-Goog-Message-Number")
    if not channel_id or not resource_id or not state:
        return Verdict(False, "missing Google channel headers")
    if state not in GOOGLE_STATES:
        return Verdict(False, "unknown resource state")
    if number is not None and not number.isdigit():
        return Verdict(False, "malformed message number")
    channel = lookup(channel_id)
    if channel is None:
        return Verdict(False, "unknown channel")
    if not channel.resource_id:
        # a channel whose watch call has not returned yet: Google's 'sync' may overtake it
        if state == "sync" and _token_ok(channel, _header(headers, "X-Goog-Channel-Token")):
            return Verdict(True, channel=channel, action="none", detail=state)
        return Verdict(False, "channel is not ready yet", channel=channel)
    if not hmac.compare_digest(channel.resource_id, resource_id):
        return Verdict(False, "resource id does not match the channel", channel=channel)
    if not _token_ok(channel, _header(headers, "X-Goog-Channel-Token")):
        return Verdict(False, "channel token does not match", channel=channel)
    if not channel.active or _expired(channel, now):
        return Verdict(False, "channel expired or stopped", channel=channel)
    dedupe = _short("google", channel_id, number) if number else None
    return Verdict(True, channel=channel, dedupe_key=dedupe, action="none" if state == "sync" else "pull",
                   detail=state)


def graph_validation_token(query: dict) -> str | None:
    """The ``validationToken`` of a Graph subscription handshake, if this request is one."""
    token = query.get("validationToken")
    if token is None:
        return None
    if len(token) > 1024:
        return None
    return token


class MalformedNotification(ValueError):
    """The body is not a Graph notification collection (not JSON, wrong shape, too large)."""


def parse_graph_body(body: bytes, content_type: str | None) -> list[dict]:
    if len(body) > MAX_BODY_BYTES:
        raise MalformedNotification("notification body too large")
    if not (content_type or "").lower().startswith("application/json"):
        raise MalformedNotification("notification is not JSON")
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MalformedNotification("notification body is not valid JSON") from None
    items = payload.get("value") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise MalformedNotification("notification has no 'value' items")
    return items


def verify_graph_items(items: list[dict], lookup: Lookup, *, lifecycle: bool,
                       now: datetime | None = None) -> list[Verdict]:
    """One verdict per item: known subscription id and matching clientState, else rejected."""
    now = now or datetime.now(timezone.utc)
    verdicts = []
    for item in items:
        subscription_id = item.get("subscriptionId")
        if not isinstance(subscription_id, str) or not subscription_id:
            verdicts.append(Verdict(False, "item without subscription id"))
            continue
        channel = lookup(subscription_id)
        if channel is None:
            verdicts.append(Verdict(False, "unknown subscription"))
            continue
        client_state = item.get("clientState")
        if not isinstance(client_state, str) or not _token_ok(channel, client_state):
            verdicts.append(Verdict(False, "clientState does not match", channel=channel))
            continue
        if lifecycle:
            event = item.get("lifecycleEvent")
            if event not in GRAPH_LIFECYCLE_EVENTS:
                verdicts.append(Verdict(False, "unknown lifecycle event", channel=channel))
                continue
            action = {"reauthorizationRequired": "reauthorize", "subscriptionRemoved": "recreate",
                      "missed": "resync"}[event]
            # lifecycle events keep working after expiry (that is what they announce)
            verdicts.append(Verdict(True, channel=channel, action=action, detail=event,
                                    dedupe_key=_short("graph-lifecycle", subscription_id, event,
                                                      str(item.get("subscriptionExpirationDateTime", "")))))
            continue
        if not channel.active or _expired(channel, now):
            verdicts.append(Verdict(False, "subscription expired or stopped", channel=channel))
            continue
        change = item.get("changeType")
        if change not in GRAPH_CHANGE_TYPES:
            verdicts.append(Verdict(False, "unknown change type", channel=channel))
            continue
        data = item.get("resourceData") if isinstance(item.get("resourceData"), dict) else {}
        etag = data.get("@odata.etag") or ""
        resource = item.get("resource") or ""
        dedupe = _short("graph", subscription_id, resource, change, etag) if etag else None
        verdicts.append(Verdict(True, channel=channel, dedupe_key=dedupe, action="pull", detail=change))
    return verdicts
