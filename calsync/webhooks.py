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
# Ids and tokens the providers echo back are ones we chose (UUID-like channel ids, random tokens) or GUIDs
# (Graph subscription ids); Graph's clientState is at most 128 characters ("subscription resource type",
# learn.microsoft.com/graph/api/resources/subscription). Google's push guide (developers.google.com/calendar/api/
# guides/push) shows UUIDs and short tokens and states no bound on resource ids: 256 printable characters is
# generous for everything either provider sends, and anything longer is not ours.
MAX_ID_CHARS = 256
MAX_NUMBER_DIGITS = 20
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


def well_formed(value, max_chars: int = MAX_ID_CHARS) -> bool:
    """A printable-ASCII string of bounded length: what every id and token the providers send looks like.

    Anything else (NUL, control characters, invalid UTF-8 decoded as Latin-1, lone surrogates, a list where a
    string belongs) is refused before it reaches a database query, which would otherwise fail with a 500.
    """
    return isinstance(value, str) and 0 < len(value) <= max_chars and all("!" <= ch <= "~" for ch in value)


def _printable(value, max_chars: int = 40) -> str:
    """A harmless, bounded rendering of untrusted input for an admin's sample (never a token)."""
    text = value if isinstance(value, str) else repr(value)
    return "".join(ch if " " <= ch <= "~" else "?" for ch in text[:max_chars])


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
    if not well_formed(channel_id) or not well_formed(resource_id):
        return Verdict(False, "malformed channel or resource id", detail=_printable(channel_id))
    token = _header(headers, "X-Goog-Channel-Token")
    if token is not None and not well_formed(token):
        return Verdict(False, "malformed channel token", detail=_printable(channel_id))
    if state not in GOOGLE_STATES:
        return Verdict(False, "unknown resource state", detail=_printable(state))
    if number is not None and not (number.isascii() and number.isdigit() and len(number) <= MAX_NUMBER_DIGITS):
        return Verdict(False, "malformed message number", detail=_printable(number))
    channel = lookup(channel_id)
    if channel is None:
        return Verdict(False, "unknown channel", detail=_printable(channel_id))
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
    except RecursionError:  # the parser's answer to a deeply nested body
        raise MalformedNotification("notification body is nested too deeply") from None
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
        if not well_formed(subscription_id):
            verdicts.append(Verdict(False, "malformed subscription id", detail=_printable(subscription_id)))
            continue
        channel = lookup(subscription_id)
        if channel is None:
            verdicts.append(Verdict(False, "unknown subscription", detail=_printable(subscription_id)))
            continue
        client_state = item.get("clientState")
        if not well_formed(client_state) or not _token_ok(channel, client_state):
            verdicts.append(Verdict(False, "clientState does not match", channel=channel))
            continue
        if lifecycle:
            event = item.get("lifecycleEvent")
            if not isinstance(event, str) or event not in GRAPH_LIFECYCLE_EVENTS:
                verdicts.append(Verdict(False, "unknown lifecycle event", channel=channel))
                continue
            action = {"reauthorizationRequired": "reauthorize", "subscriptionRemoved": "recreate",
                      "missed": "resync"}[event]
            # lifecycle events keep working after expiry (that is what they announce)
            expiry = item.get("subscriptionExpirationDateTime")
            verdicts.append(Verdict(True, channel=channel, action=action, detail=event,
                                    dedupe_key=_short("graph-lifecycle", subscription_id, event,
                                                      expiry if isinstance(expiry, str) else "")))
            continue
        if not channel.active or _expired(channel, now):
            verdicts.append(Verdict(False, "subscription expired or stopped", channel=channel))
            continue
        change = item.get("changeType")
        if not isinstance(change, str) or change not in GRAPH_CHANGE_TYPES:
            verdicts.append(Verdict(False, "unknown change type", channel=channel))
            continue
        data = item.get("resourceData") if isinstance(item.get("resourceData"), dict) else {}
        etag = data.get("@odata.etag") if isinstance(data.get("@odata.etag"), str) else ""
        resource = item.get("resource") if isinstance(item.get("resource"), str) else ""
        dedupe = _short("graph", subscription_id, resource, change, etag) if etag else None
        verdicts.append(Verdict(True, channel=channel, dedupe_key=dedupe, action="pull", detail=change))
    return verdicts


def graph_subscription_ids(items: list[dict]) -> list[str]:
    """The distinct, well-formed subscription ids a Graph POST names: what one lookup query fetches."""
    ids = (item.get("subscriptionId") for item in items)
    return list(dict.fromkeys(sid for sid in ids if well_formed(sid)))


@dataclass(frozen=True)
class GraphGroup:
    """The accepted items of one Graph POST for one subscription: one inbox row, one action each."""

    channel: KnownChannel
    actions: tuple[str, ...]
    dedupe_key: str | None
    detail: str
    items: int


def group_graph_verdicts(verdicts: list[Verdict]) -> tuple[list[GraphGroup], list[tuple[Verdict, int]]]:
    """Accepted verdicts grouped by subscription, rejected ones by (reason, channel) with their count.

    Graph documents no maximum number of items in one POST, so what the receiver does must be bounded by
    the distinct subscriptions the POST names, not by its item count. A group's dedupe key covers all its
    items, so a provider's retry of the same POST is recognised; it has none if one item has no etag.
    """
    accepted: dict[object, list[Verdict]] = {}
    rejected: dict[tuple, list] = {}
    for verdict in verdicts:
        if verdict.accepted:
            accepted.setdefault(verdict.channel.key, []).append(verdict)
        else:
            key = (verdict.reason, verdict.channel.key if verdict.channel else None)
            entry = rejected.setdefault(key, [verdict, 0])
            entry[1] += 1
    groups = []
    for members in accepted.values():
        channel = members[0].channel
        keys = [v.dedupe_key for v in members]
        dedupe = _short("graph-post", channel.external_id, *sorted(set(keys))) if all(keys) else None
        counts: dict[str, int] = {}
        for v in members:
            counts[v.detail] = counts.get(v.detail, 0) + 1
        detail = ", ".join(f"{name} x{n}" if n > 1 else name for name, n in sorted(counts.items()))
        groups.append(GraphGroup(channel=channel, actions=tuple(dict.fromkeys(v.action for v in members)),
                                 dedupe_key=dedupe, detail=detail, items=len(members)))
    return groups, [(verdict, count) for verdict, count in rejected.values()]
