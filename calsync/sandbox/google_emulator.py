"""A Google Calendar v3 and Google OAuth emulator on loopback, for the real client libraries.

Written from Google's public documentation: events list with sync tokens and
pages (the sync token only on the last page, 410 ``fullSyncRequired`` when it is
gone, the documented parameter rules), get, insert with client-supplied ids
(base32hex, 409 on duplicates, ids stay taken after deletion), patch / update
with If-Match (412 ``conditionNotMet``), delete (410 ``deleted`` the second
time), watch channels that really POST headers-only notifications, channels.stop,
the batch endpoint, per-user quotas, and an OAuth authorize page that consents
at once and a token endpoint that checks the client secret, the redirect URI and
PKCE. A control API (``/_sandbox/...``, and the same methods in-process) injects
faults, edits events as a person would, seeds the demo calendars and shows the
request log. Shares no code with ``calsync.google``.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import queue
import re
import secrets
import threading
import time
import urllib.parse
import urllib.request
from collections import deque
from datetime import datetime, timedelta, timezone
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler

from . import demo
from .call_log import CallLog
from .faults import FaultQueue
from .httpd import ServerThread
from .issued import IssuedSecrets

CLIENT_ID_RE = re.compile(r"^[a-v0-9]{5,1024}$")
SYNC_FORBIDDEN = ("iCalUID", "orderBy", "privateExtendedProperty", "q", "sharedExtendedProperty", "timeMin",
                  "timeMax", "updatedMin")


class ApiError(Exception):
    def __init__(self, status, reason, message, headers=None):
        super().__init__(message)
        self.status, self.reason, self.message, self.headers = status, reason, message, headers or {}

    def body(self):
        return {"error": {"code": self.status, "message": self.message,
                          "errors": [{"domain": "global", "reason": self.reason, "message": self.message}]}}


def _now():
    return datetime.now(timezone.utc)


def _rfc3339(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class _Calendar:
    def __init__(self, calendar_id, owner, summary):
        self.id, self.owner, self.summary = calendar_id, owner, summary
        self.events = {}  # id -> dict
        self.seq = {}  # id -> change sequence number
        self.min_token_seq = 0


MAX_INSTANCES = 366


def _parse_rrule(recurrence):
    """FREQ (DAILY/WEEKLY), INTERVAL and COUNT or UNTIL of the first RRULE line: what the sandbox expands."""
    for line in recurrence or []:
        if line.startswith("RRULE:"):
            parts = dict(p.split("=", 1) for p in line[6:].split(";") if "=" in p)
            freq = {"DAILY": timedelta(days=1), "WEEKLY": timedelta(weeks=1)}.get(parts.get("FREQ"))
            if freq is None:
                raise ApiError(400, "invalid", "The sandbox expands FREQ=DAILY and FREQ=WEEKLY rules only.")
            until = parts.get("UNTIL")
            return (freq * int(parts.get("INTERVAL", 1)), int(parts.get("COUNT", 0)) or None,
                    datetime.strptime(until[:15], "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc) if until else None)
    return None


def _when(side):
    text = side.get("dateTime") or side.get("date") + "T00:00:00Z"
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def _instance_id(master_id, start):
    return f"{master_id}_{start.strftime('%Y%m%dT%H%M%SZ')}"


class GoogleEmulator:
    """Google Calendar + OAuth on one TLS port. Thread-safe; state in memory (optionally a file)."""

    def __init__(self, tls, host="127.0.0.1", port=0, enforce_quotas=True, state_file=None,
                 client_id="sandbox-google-client", client_secret=None, quota_per_minute=600,
                 quota_window=60.0):
        self.client_id = client_id
        self.client_secret = client_secret or "sbx-gcs-" + secrets.token_urlsafe(24)
        self.issued = IssuedSecrets()
        self.issued.add("google client secret", self.client_secret)
        self.enforce_quotas = enforce_quotas
        self.quota_per_minute = quota_per_minute  # Google's default per-user quota: 600 requests a minute
        self.quota_window = quota_window  # seconds; tests shrink it (with the limit) to burst quickly
        self.state_file = state_file
        self.lock = threading.RLock()
        self.changes = itertools.count(1)
        self.calendars: dict[str, _Calendar] = {}
        self.codes, self.access, self.refresh = {}, {}, {}
        self.revoked_accounts = set()
        self.channels = {}  # channel id -> dict
        self.faults = FaultQueue()
        self.log = CallLog()
        self.round_trips = self.log.round_trips
        self.usage = {}  # account -> deque of request times
        self.clock_offset = 0.0  # seconds the quota clock runs ahead of the real one (``advance_clock``)
        self.http = ServerThread(_handler(self), host=host, port=port, tls=tls)
        self._deliveries = []
        self._outboxes = {}  # channel id -> queue of notifications to deliver, in order
        if state_file:
            self._load()

    # -- lifecycle ------------------------------------------------------------------
    @property
    def base_url(self):
        return self.http.base_url

    def start(self):
        self.http.start()
        return self

    def stop(self):
        self.http.stop()
        if self.state_file:
            self._save()

    def _save(self):
        with self.lock:
            state = {"calendars": {cid: {"owner": c.owner, "summary": c.summary, "events": c.events, "seq": c.seq}
                                   for cid, c in self.calendars.items()},
                     "refresh": self.refresh}
        with open(self.state_file, "w") as handle:
            json.dump(state, handle)

    def _load(self):
        try:
            with open(self.state_file) as handle:
                state = json.load(handle)
        except (OSError, ValueError):
            return
        for cid, data in state.get("calendars", {}).items():
            cal = self._calendar(cid, data["owner"], data["summary"])
            cal.events, cal.seq = data["events"], data["seq"]
        self.refresh.update(state.get("refresh", {}))
        for refresh in state.get("refresh", {}):
            self.issued.add("google refresh token", refresh)
        top = max([s for c in self.calendars.values() for s in c.seq.values()] or [0])
        self.changes = itertools.count(top + 1)

    # -- accounts and calendars -------------------------------------------------------
    def _calendar(self, calendar_id, owner=None, summary=None):
        with self.lock:
            cal = self.calendars.get(calendar_id)
            if cal is None:
                cal = self.calendars[calendar_id] = _Calendar(calendar_id, owner or calendar_id,
                                                              summary or calendar_id)
            return cal

    def _resolve(self, account, calendar_id):
        cid = account if calendar_id == "primary" else urllib.parse.unquote(calendar_id)
        cal = self.calendars.get(cid)
        if cal is None and cid == account:
            cal = self._calendar(account, account, account)
        if cal is None or cal.owner != account:
            raise ApiError(404, "notFound", "Not Found")
        return cal

    # -- control (also over HTTP under /_sandbox/) -----------------------------------------
    def inject_fault(self, kind, count=1, retry_after=None, delay=None, path_contains=None, after=0):
        """Queue ``count`` faults: rate_limit, user_rate_limit, quota_exceeded, server_error, gone, slow,
        apply_then_fail; each hits the next API request whose path contains ``path_contains``, once
        ``after`` such requests went through."""
        self.faults.inject(kind, count, retry_after, delay, path_contains, after)

    def seed_demo(self):
        cal = self._calendar(demo.GOOGLE_ACCOUNT, demo.GOOGLE_ACCOUNT, demo.GOOGLE_CALENDAR_NAME)
        for item in demo.demo_events("google"):
            if item["id"] in cal.events:
                continue
            self._store(cal, {
                "id": item["id"], "status": "confirmed", "summary": item["title"],
                "description": item["description"], "location": "",
                "start": {"dateTime": item["start"], "timeZone": "UTC"},
                "end": {"dateTime": item["end"], "timeZone": "UTC"},
                "extendedProperties": {"private": {"fieldops_identity": item["identity"]}},
            }, created=True)

    def person_create(self, account, fields, calendar_id=None):
        cal = self._calendar(calendar_id or account, account, account)
        event = {"id": secrets.token_hex(13), "status": "confirmed"}
        event.update(self._person_fields(fields))
        return self._store(cal, event, created=True)["id"]

    def person_create_series(self, account, fields, rrule):
        """A person creates a recurring event (``rrule`` like "FREQ=DAILY;COUNT=5"); returns the series id."""
        return self.person_create(account, dict(fields, recurrence=[f"RRULE:{rrule}"]))

    def person_edit(self, event_id, fields, account=None):
        """Edit an event, a whole series (its id), or one occurrence (which becomes an exception).

        A series edit reaches its exceptions too, for each field an exception did not change itself.
        """
        cal, event = self._find(event_id, account)
        before = dict(event)
        event = dict(event)
        event.update(self._person_fields(fields))
        stored = self._store(cal, event)
        if before.get("recurrence"):
            changed = {k: v for k, v in event.items() if k not in ("start", "end") and before.get(k) != v}
            prefix = f"{event_id}_"
            for exception_id in [i for i in list(cal.events) if i.startswith(prefix)]:
                exception = cal.events[exception_id]
                inherited = {k: v for k, v in changed.items() if exception.get(k) == before.get(k)}
                if inherited and exception.get("status") != "cancelled":
                    self._store(cal, dict(exception, **inherited))
        return stored

    def person_delete(self, event_id, account=None):
        """Delete an event, a whole series (its exceptions too), or one occurrence (a cancelled exception)."""
        cal, event = self._find(event_id, account)
        self._store(cal, dict(event, status="cancelled"))
        if event.get("recurrence"):
            for exception_id in [i for i in list(cal.events) if i.startswith(f"{event_id}_")]:
                if cal.events[exception_id].get("status") != "cancelled":
                    self._store(cal, dict(cal.events[exception_id], status="cancelled"))

    def occurrence_ids(self, series_id, account=None):
        cal, master = self._find(series_id, account)
        return [i["id"] for i in self._instances(cal, master)]

    def expire_sync_tokens(self, account=None):
        with self.lock:
            for cal in self.calendars.values():
                if account is None or cal.owner == account:
                    cal.min_token_seq = max(cal.seq.values() or [0]) + 1

    def advance_clock(self, seconds):
        """Move the quota clock forward, as if ``seconds`` had passed: a soak or a test honours a Retry-After
        without sleeping. Only the per-minute quota windows see it; tokens and channels keep real time."""
        with self.lock:
            self.clock_offset += max(0.0, float(seconds))

    def revoke(self, account):
        """The user withdrew consent: every token of the account stops working."""
        with self.lock:
            self.revoked_accounts.add(account)
            self.refresh = {k: v for k, v in self.refresh.items() if v["account"] != account}
            self.access = {k: v for k, v in self.access.items() if v["account"] != account}

    def count_round_trip(self, path):
        """HTTP requests by kind: a batch is one round trip however many calls it carries."""
        kind = "control" if path.startswith("/_sandbox/") else "oauth" if path in ("/o/oauth2/auth", "/token") \
            else "api"
        self.log.count_round_trip(kind)

    def requests_log(self):
        return self.log.calls()

    def reset(self):
        with self.lock:
            self.calendars.clear()
            self.channels.clear()
            self.faults.clear()
            self.log.clear()
            self.usage.clear()

    def live_events(self, account):
        cal = self.calendars.get(account)
        return [e for e in (cal.events.values() if cal else []) if e["status"] != "cancelled"]

    def _person_fields(self, fields):
        out = {}
        for key, value in fields.items():
            if key in ("start", "end"):
                out[key] = {"dateTime": value if isinstance(value, str) else _rfc3339(value), "timeZone": "UTC"}
            elif key == "title":
                out["summary"] = value
            elif key in ("description", "location", "summary", "status", "recurrence"):
                out[key] = value
            elif key == "all_day":  # (first day, day after the last), as a person picks "all day"
                out["start"], out["end"] = {"date": str(value[0])}, {"date": str(value[1])}
        return out

    def _find(self, event_id, account=None):
        with self.lock:
            for cal in self.calendars.values():
                if account is not None and cal.owner != account:
                    continue
                if event_id in cal.events:
                    return cal, cal.events[event_id]
                instance = self._virtual_instance(cal, event_id)
                if instance is not None:  # an occurrence a person touches becomes an exception
                    cal.events[event_id] = dict(instance, sequence=0)
                    return cal, cal.events[event_id]
        raise KeyError(event_id)

    # -- storage ------------------------------------------------------------------------
    def _store(self, cal, event, created=False):
        with self.lock:
            seq = next(self.changes)
            now = _rfc3339(_now())
            event = dict(event)
            if created:
                event.setdefault("created", now)
                event.setdefault("iCalUID", f"{event['id']}@google.com")
                event["sequence"] = 0
            else:
                event["sequence"] = int(event.get("sequence", 0)) + 1
            event["updated"] = now
            event["kind"] = "calendar#event"
            event["etag"] = f'"{seq}{secrets.randbelow(10**6):06d}"'
            cal.events[event["id"]] = event
            cal.seq[event["id"]] = seq
        self._notify(cal, "exists")
        return event

    # -- push notifications ---------------------------------------------------------------
    def _notify(self, cal, state, only=None):
        with self.lock:
            targets = [c for c in self.channels.values() if c["calendar"] == cal.id and (only is None or
                                                                                          c["id"] == only)]
            now_ms = time.time() * 1000
            for channel in targets:
                if channel["expiration"] < now_ms:
                    continue
                channel["number"] += 1
                headers = {"X-Goog-Channel-ID": channel["id"], "X-Goog-Message-Number": str(channel["number"]),
                           "X-Goog-Resource-ID": channel["resourceId"], "X-Goog-Resource-State": state,
                           "X-Goog-Resource-URI": channel["uri"],
                           "X-Goog-Channel-Expiration": time.strftime(
                               "%a, %d %b %Y %H:%M:%S GMT", time.gmtime(channel["expiration"] / 1000))}
                if channel.get("token"):
                    headers["X-Goog-Channel-Token"] = channel["token"]
                self._outbox(channel["id"]).put((channel["address"], headers))

    def _outbox(self, channel_id):
        """One delivery queue and thread per channel, so that its messages arrive in message-number order
        (a thread per message raced: a fast answer to the next request could overtake the 'sync' message)."""
        box = self._outboxes.get(channel_id)
        if box is None:
            box = self._outboxes[channel_id] = queue.Queue()
            threading.Thread(target=self._drain, args=(box,), name=f"sandbox-deliver-{channel_id}",
                             daemon=True).start()
        return box

    def _drain(self, box):
        while True:
            address, headers = box.get()
            self._deliver(address, headers)

    def _deliver(self, address, headers, attempts=4):
        """POST a headers-only notification; retry on 5xx and connection errors with backoff."""
        import ssl

        context = ssl.create_default_context()
        for attempt in range(attempts):
            if not address.startswith(("http://", "https://")):
                return
            request = urllib.request.Request(address, data=b"", method="POST", headers=headers)  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=10, context=context) as answer:  # noqa: S310
                    self._deliveries.append((address, headers, answer.status))
                    return
            except urllib.error.HTTPError as exc:
                self._deliveries.append((address, headers, exc.code))
                if exc.code < 500:
                    return
            except (urllib.error.URLError, OSError):
                self._deliveries.append((address, headers, 0))
            time.sleep(0.2 * 2 ** attempt)

    # -- request handling ---------------------------------------------------------------------
    def _charge(self, account):
        if not self.enforce_quotas:
            return
        with self.lock:
            window = self.usage.setdefault(account, deque())
            now = time.monotonic() + self.clock_offset
            while window and window[0] < now - self.quota_window:
                window.popleft()
            if len(window) >= self.quota_per_minute:
                retry = max(1, int(self.quota_window - (now - window[0])) + 1)
                raise ApiError(403, "userRateLimitExceeded", "User Rate Limit Exceeded",
                               {"Retry-After": str(retry)})
            window.append(now)

    def _account_of(self, headers):
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise ApiError(401, "required", "Login Required")
        entry = self.access.get(auth[7:])
        if entry is None or entry["expires"] < time.time():
            raise ApiError(401, "authError", "Invalid Credentials")
        return entry["account"]

    def api(self, method, path, query, headers, body):
        """One Calendar API call: returns (status, body dict or None, extra headers); logged with its status."""
        return self.log.answer(method, path, query, lambda: self._api(method, path, query, headers, body))

    def _api(self, method, path, query, headers, body):
        fault = self.faults.take(path)
        apply_then_fail = False
        if fault:
            kind = fault["kind"]
            if kind == "slow":
                time.sleep(float(fault["delay"] or 1))
            elif kind == "apply_then_fail":
                apply_then_fail = True
            elif kind == "rate_limit":
                raise ApiError(429, "rateLimitExceeded", "Rate Limit Exceeded",
                               {"Retry-After": str(fault["retry_after"] or 1)})
            elif kind == "user_rate_limit":
                raise ApiError(403, "userRateLimitExceeded", "User Rate Limit Exceeded",
                               {"Retry-After": str(fault["retry_after"] or 1)})
            elif kind == "quota_exceeded":
                raise ApiError(403, "quotaExceeded", "Calendar usage limits exceeded.")
            elif kind == "server_error":
                raise ApiError(503, "backendError", "Backend Error")
            elif kind == "gone":
                raise ApiError(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.")
        account = self._account_of(headers)
        self._charge(account)
        result = self._route(account, method, path, query, headers, body)
        if apply_then_fail:
            raise ApiError(503, "backendError", "Backend Error (the change was applied)")
        return result

    def _route(self, account, method, path, query, headers, body):
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")]
        # calendar/v3/...
        if parts[:2] != ["calendar", "v3"]:
            raise ApiError(404, "notFound", "Not Found")
        rest = parts[2:]
        if rest == ["users", "me", "calendarList"]:
            if "calendarlist" not in self._scopes(headers):
                raise ApiError(403, "insufficientPermissions", "Request had insufficient authentication scopes.")
            return 200, {"kind": "calendar#calendarList", "items": [
                {"id": c.id, "summary": c.summary, "primary": c.id == account}
                for c in self.calendars.values() if c.owner == account] or [
                {"id": account, "summary": account, "primary": True}]}, {}
        if rest == ["channels", "stop"] and method == "POST":
            return self._stop_channel(account, body)
        if len(rest) >= 3 and rest[0] == "calendars" and rest[2] == "events":
            cal = self._resolve(account, rest[1])
            tail = rest[3:]
            if not tail:
                if method == "GET":
                    return 200, self._list(cal, query), {}
                if method == "POST":
                    return 200, self._insert(cal, body), {}
            elif len(tail) == 2 and tail[1] == "instances" and method == "GET":
                master = self._get(cal, tail[0])
                items = self._instances(cal, master)
                if query.get("showDeleted") != "true":
                    items = [i for i in items if i.get("status") != "cancelled"]
                low, high = query.get("timeMin"), query.get("timeMax")
                items = [i for i in items if i.get("status") == "cancelled" or (
                    (not low or _when(i["end"]) > datetime.fromisoformat(low.replace("Z", "+00:00"))) and
                    (not high or _when(i["start"]) < datetime.fromisoformat(high.replace("Z", "+00:00"))))]
                return 200, {"kind": "calendar#events", "timeZone": "UTC", "items": items}, {}
            elif tail == ["watch"] and method == "POST":
                return 200, self._watch(cal, rest[1], body), {}
            elif len(tail) == 1:
                event_id = tail[0]
                if method == "GET":
                    return 200, self._get(cal, event_id), {}
                if method in ("PATCH", "PUT"):
                    return 200, self._patch(cal, event_id, body, headers, replace_all=method == "PUT"), {}
                if method == "DELETE":
                    self._delete(cal, event_id, headers)
                    return 204, None, {}
        raise ApiError(404, "notFound", "Not Found")

    def _scopes(self, headers):
        token = headers.get("Authorization", "")[7:]
        return " ".join(self.access.get(token, {}).get("scopes", []))

    def _get(self, cal, event_id):
        event = cal.events.get(event_id)
        if event is None:
            event = self._virtual_instance(cal, event_id)
        if event is None:
            raise ApiError(404, "notFound", "Not Found")
        return event

    def _instances(self, cal, master, cancelled_too=False):
        """The occurrences of a series as the API shows them with singleEvents=true (exceptions included).

        A deleted series has none, except in an incremental sync (``cancelled_too``), which
        reports each of its occurrences cancelled.
        """
        rule = _parse_rrule(master.get("recurrence"))
        if rule is None or (master.get("status") == "cancelled" and not cancelled_too):
            return []
        step, count, until = rule
        start, end = _when(master["start"]), _when(master["end"])
        out = []
        for n in range(count or MAX_INSTANCES):
            moment = start + step * n
            if until and moment > until:
                break
            instance_id = _instance_id(master["id"], moment)
            if instance_id in cal.events:  # an exception (edited or cancelled occurrence)
                exception = cal.events[instance_id]
                out.append(dict(exception, status="cancelled") if master.get("status") == "cancelled" else exception)
                continue
            out.append({**{k: v for k, v in master.items() if k not in ("recurrence", "id", "etag")},
                        "id": instance_id, "etag": master["etag"], "recurringEventId": master["id"],
                        "originalStartTime": {"dateTime": _rfc3339(moment), "timeZone": "UTC"},
                        "start": {"dateTime": _rfc3339(moment), "timeZone": "UTC"},
                        "end": {"dateTime": _rfc3339(moment + (end - start)), "timeZone": "UTC"}})
        return out

    def _virtual_instance(self, cal, event_id):
        master_id, _, stamp = event_id.rpartition("_")
        master = cal.events.get(master_id)
        if not master or not stamp:
            return None
        return next((i for i in self._instances(cal, master) if i["id"] == event_id), None)

    def _list(self, cal, query):
        sync_token = query.get("syncToken")
        if sync_token and any(p in query for p in SYNC_FORBIDDEN):
            raise ApiError(400, "invalid", "Sync token cannot be combined with the given parameters.")
        try:
            max_results = min(int(query.get("maxResults", 250)), 2500)
        except ValueError:
            raise ApiError(400, "invalid", "Invalid maxResults") from None
        with self.lock:
            if sync_token:
                try:
                    since = int(base64.urlsafe_b64decode(sync_token.encode()).decode().split(":")[1])
                except (ValueError, IndexError):
                    raise ApiError(410, "fullSyncRequired", "Invalid sync token.") from None
                if since < cal.min_token_seq:
                    raise ApiError(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is "
                                   "required.")
                ids = [i for i, s in sorted(cal.seq.items(), key=lambda kv: kv[1]) if s > since]
            else:
                show_deleted = query.get("showDeleted") == "true"
                ids = [i for i, s in sorted(cal.seq.items(), key=lambda kv: kv[1])
                       if show_deleted or cal.events[i]["status"] != "cancelled"]
                prop = query.get("privateExtendedProperty")
                if prop and "=" in prop:
                    key, value = prop.split("=", 1)
                    ids = [i for i in ids if cal.events[i].get("extendedProperties", {}).get("private", {})
                           .get(key) == value]
            items = [cal.events[i] for i in ids]
            if query.get("singleEvents") == "true":
                expanded = []
                for item in items:
                    if item.get("recurrence"):
                        expanded += [i for i in self._instances(cal, item, cancelled_too=bool(sync_token))
                                     if sync_token or i.get("status") != "cancelled"]
                    elif not item.get("recurringEventId") or sync_token:
                        expanded.append(item)
                items = expanded
            offset = int(query.get("pageToken", "0") or 0) if str(query.get("pageToken", "0")).isdigit() else 0
            out = {"kind": "calendar#events", "summary": cal.id, "timeZone": "UTC",
                   "items": items[offset:offset + max_results]}
            if offset + max_results < len(items):
                out["nextPageToken"] = str(offset + max_results)
            else:
                top = max(cal.seq.values() or [0])
                out["nextSyncToken"] = base64.urlsafe_b64encode(f"{cal.id}:{top}".encode()).decode()
            return out

    def _check_event_body(self, body):
        if not isinstance(body, dict):
            raise ApiError(400, "parseError", "Parse Error")
        for side in ("start", "end"):
            if side in body and not isinstance(body[side], dict):
                raise ApiError(400, "invalid", f"Invalid {side}")

    def _insert(self, cal, body):
        self._check_event_body(body)
        if "start" not in body or "end" not in body:
            raise ApiError(400, "required", "Missing start or end time.")
        event_id = body.get("id") or secrets.token_hex(13)
        if not CLIENT_ID_RE.match(event_id):
            raise ApiError(400, "invalid", "Invalid resource id value.")
        with self.lock:
            if event_id in cal.events:
                raise ApiError(409, "duplicate", "The requested identifier already exists.")
            event = {k: v for k, v in body.items() if k not in ("etag", "kind", "updated", "created", "sequence")}
            event["id"] = event_id
            event.setdefault("status", "confirmed")
            return self._store(cal, event, created=True)

    def _check_if_match(self, event, headers):
        expected = headers.get("If-Match")
        if expected and expected != event["etag"]:
            raise ApiError(412, "conditionNotMet", "Precondition Failed")

    def _patch(self, cal, event_id, body, headers, replace_all=False):
        self._check_event_body(body)
        with self.lock:
            event = self._get(cal, event_id)
            if event_id not in cal.events:  # editing one occurrence creates an exception; the series is untouched
                event = dict(event, sequence=0)
                cal.events[event_id] = event
            self._check_if_match(event, headers)
            if replace_all:
                updated = {k: v for k, v in body.items() if k not in ("etag", "kind", "updated", "sequence")}
                updated.update(id=event_id, created=event.get("created"), iCalUID=event.get("iCalUID"),
                               sequence=event.get("sequence", 0))
                updated.setdefault("status", "confirmed")
            else:
                updated = dict(event)
                for key, value in body.items():
                    if key not in ("id", "etag", "kind", "updated"):
                        updated[key] = value
            return self._store(cal, updated)

    def _delete(self, cal, event_id, headers):
        with self.lock:
            event = self._get(cal, event_id)
            if event_id not in cal.events:
                cal.events[event_id] = event = dict(event)
            if event["status"] == "cancelled":
                raise ApiError(410, "deleted", "Resource has been deleted")
            self._check_if_match(event, headers)
            self._store(cal, dict(event, status="cancelled"))

    def _watch(self, cal, calendar_ref, body):
        if not isinstance(body, dict) or body.get("type") not in ("web_hook", "webhook"):
            raise ApiError(400, "invalid", "Invalid channel type.")
        channel_id, address = body.get("id", ""), body.get("address", "")
        if not channel_id or len(channel_id) > 64 or not re.match(r"^[A-Za-z0-9\-_+/=]+$", channel_id):
            raise ApiError(400, "invalid", "Invalid channel id.")
        if not address.startswith(("https://", "http://127.", "http://localhost")):
            raise ApiError(400, "push.webhookUrlNotHttps", "WebHook callback must be HTTPS.")
        if len(body.get("token", "")) > 256:
            raise ApiError(400, "invalid", "Channel token too long.")
        ttl = int((body.get("params") or {}).get("ttl", 604800))
        with self.lock:
            if channel_id in self.channels:
                raise ApiError(400, "channelIdNotUnique", "Channel id not unique.")
            channel = {"id": channel_id, "resourceId": secrets.token_urlsafe(18), "calendar": cal.id,
                       "address": address, "token": body.get("token", ""), "number": 0,
                       "uri": f"{self.base_url}/calendar/v3/calendars/{calendar_ref}/events?alt=json",
                       "expiration": int(time.time() * 1000) + min(ttl, 2592000) * 1000}
            self.channels[channel_id] = channel
        self.issued.add("google channel token", channel["token"])
        self._notify(cal, "sync", only=channel_id)
        return {"kind": "api#channel", "id": channel_id, "resourceId": channel["resourceId"],
                "resourceUri": channel["uri"], "token": channel["token"], "expiration": str(channel["expiration"])}

    def _stop_channel(self, account, body):
        with self.lock:
            channel = self.channels.get((body or {}).get("id"))
            if channel is None or channel["resourceId"] != (body or {}).get("resourceId") or \
                    self.calendars[channel["calendar"]].owner != account:
                raise ApiError(404, "notFound", "Channel not found for project.")
            del self.channels[channel["id"]]
        return 204, None, {}

    # -- OAuth ------------------------------------------------------------------------------
    def authorize(self, query):
        """Consents at once (as the ``login_hint`` account, or the demo account) and redirects back."""
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or not redirect_uri:
            return 400, {"error": "invalid_request", "error_description": "unknown client or no redirect_uri"}
        if query.get("response_type") != "code":
            return 400, {"error": "unsupported_response_type"}
        account = query.get("login_hint") or demo.GOOGLE_ACCOUNT
        code = "sbx-gcode-" + secrets.token_urlsafe(32)
        self.issued.add("google authorization code", code)
        with self.lock:
            self.revoked_accounts.discard(account)
            self.codes[code] = {"account": account, "redirect_uri": redirect_uri,
                                "challenge": query.get("code_challenge"),
                                "method": query.get("code_challenge_method", "plain"),
                                "scopes": (query.get("scope") or "").split(), "expires": time.time() + 300}
        params = {"code": code, "scope": query.get("scope", "")}
        if "state" in query:
            params["state"] = query["state"]
        sep = "&" if "?" in redirect_uri else "?"
        return 302, redirect_uri + sep + urllib.parse.urlencode(params)

    def token(self, form, headers):
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        auth = headers.get("Authorization", "")
        if auth.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        if client_id != self.client_id or not secrets.compare_digest(client_secret or "", self.client_secret):
            return 401, {"error": "invalid_client", "error_description": "The OAuth client was not found."}
        grant = form.get("grant_type")
        with self.lock:
            if grant == "authorization_code":
                entry = self.codes.pop(form.get("code", ""), None)
                if entry is None or entry["expires"] < time.time():
                    return 400, {"error": "invalid_grant", "error_description": "Malformed auth code."}
                if form.get("redirect_uri") != entry["redirect_uri"]:
                    return 400, {"error": "redirect_uri_mismatch", "error_description": "Bad Request"}
                if entry["challenge"]:
                    verifier = form.get("code_verifier", "")
                    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip(
                        "=") if entry["method"] == "S256" else verifier
                    if not secrets.compare_digest(digest, entry["challenge"]):
                        return 400, {"error": "invalid_grant", "error_description": "Invalid code verifier."}
                refresh = "sbx-grt-" + secrets.token_urlsafe(32)
                self.issued.add("google refresh token", refresh)
                self.refresh[refresh] = {"account": entry["account"], "scopes": entry["scopes"]}
                return 200, self._issue(entry["account"], entry["scopes"], refresh)
            if grant == "refresh_token":
                entry = self.refresh.get(form.get("refresh_token", ""))
                if entry is None or entry["account"] in self.revoked_accounts:
                    return 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
                return 200, self._issue(entry["account"], entry["scopes"], None)
        return 400, {"error": "unsupported_grant_type"}

    def _issue(self, account, scopes, refresh):
        access = "sbx-gat-" + secrets.token_urlsafe(32)
        self.issued.add("google access token", access)
        self.access[access] = {"account": account, "scopes": scopes, "expires": time.time() + 3600}
        out = {"access_token": access, "expires_in": 3599, "token_type": "Bearer", "scope": " ".join(scopes)}
        if refresh:
            out["refresh_token"] = refresh
        return out

    def expire_access_tokens(self):
        with self.lock:
            for entry in self.access.values():
                entry["expires"] = 0

    # -- batch ------------------------------------------------------------------------------
    def batch(self, content_type, body, headers):
        boundary = "batch_" + secrets.token_hex(8)
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        parts = message.get_payload() if message.is_multipart() else []
        if not parts or len(parts) > 1000:
            return 400, "text/plain", b"invalid batch"
        out = []
        for part in parts:
            content_id = part.get("Content-ID", "")
            raw = part.get_payload(decode=False)
            raw = raw.encode() if isinstance(raw, str) else raw
            head, _, inner_body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
            lines = head.decode().split("\n")
            method, target, _version = lines[0].split(" ", 2)
            inner_headers = {"Authorization": headers.get("Authorization", "")}
            for line in lines[1:]:
                if ":" in line:
                    key, value = line.split(":", 1)
                    inner_headers[key.strip().title()] = value.strip()
            parsed = urllib.parse.urlsplit(target)
            query = dict(urllib.parse.parse_qsl(parsed.query))
            try:
                payload = json.loads(inner_body) if inner_body.strip() else None
                status, data, extra = self.api(method, parsed.path, query, inner_headers, payload)
            except ApiError as exc:
                status, data, extra = exc.status, exc.body(), exc.headers
            except ValueError:
                status, data, extra = 400, ApiError(400, "parseError", "Parse Error").body(), {}
            text = json.dumps(data) if data is not None else ""
            head = [f"HTTP/1.1 {status} {'OK' if status < 300 else 'Error'}",
                    "Content-Type: application/json; charset=UTF-8"]
            head += [f"{k}: {v}" for k, v in extra.items()]
            out.append(f"--{boundary}\r\nContent-Type: application/http\r\n"
                       f"Content-ID: <response-{content_id.strip('<>')}>\r\n\r\n"
                       + "\r\n".join(head) + f"\r\nContent-Length: {len(text.encode())}\r\n\r\n{text}\r\n")
        out.append(f"--{boundary}--\r\n")
        return 200, f"multipart/mixed; boundary={boundary}", "".join(out).encode()

    def set_quota(self, per_window=None, window=None, enforce=None):
        """Change the per-user quota (requests per window of seconds), or switch it on or off."""
        with self.lock:
            if per_window is not None:
                self.quota_per_minute = int(per_window)
            if window is not None:
                self.quota_window = float(window)
            if enforce is not None:
                self.enforce_quotas = bool(enforce)
            self.usage.clear()
        return {"per_window": self.quota_per_minute, "window": self.quota_window, "enforce": self.enforce_quotas}

    # -- control over HTTP ----------------------------------------------------------------------
    def control(self, action, payload):
        actions = {
            "fault": lambda p: self.inject_fault(p["kind"], p.get("count", 1), p.get("retry_after"),
                                                 p.get("delay"), p.get("path_contains"),
                                                 p.get("after", 0)),
            "person/create": lambda p: {"id": self.person_create(p["account"], p.get("fields", {}),
                                                                 p.get("calendar_id"))},
            "person/edit": lambda p: self.person_edit(p["id"], p.get("fields", {})),
            "person/delete": lambda p: self.person_delete(p["id"]),
            "expire_sync_tokens": lambda p: self.expire_sync_tokens(p.get("account")),
            "expire_access_tokens": lambda p: self.expire_access_tokens(),
            "revoke": lambda p: self.revoke(p["account"]),
            "advance_clock": lambda p: self.advance_clock(p.get("seconds", 0)),
            "requests": lambda p: {"requests": self.requests_log()},
            "round_trips": lambda p: {"round_trips": dict(self.round_trips)},
            # what Google knows of each watch channel, token included: lets a load test send provider-shaped
            # notifications without waiting for real edits
            "channels": lambda p: {"channels": [dict(c) for c in list(self.channels.values())]},
            "quota": lambda p: self.set_quota(p.get("per_window"), p.get("window"), p.get("enforce")),
            # every secret issued or received so far (see issued.py): for leak scans of the product
            "secrets": lambda p: {"secrets": self.issued.listing()},
            "reset": lambda p: self.reset(),
            "seed_demo": lambda p: self.seed_demo(),
            "events": lambda p: {"events": self.live_events(p["account"])},
        }
        if action not in actions:
            return 404, {"error": "unknown control action"}
        return 200, actions[action](payload) or {"ok": True}


def _handler(emulator: GoogleEmulator):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # the emulator keeps its own request log
            return

        def _send(self, status, body=None, content_type="application/json; charset=UTF-8", headers=None):
            data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
            self.send_response(status)
            if data or status != 204:
                self.send_header("Content-Type", content_type)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self):
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _dispatch(self, method):
            split = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
            raw = self._body()
            headers = {k.title(): v for k, v in self.headers.items()}  # header names are case-insensitive
            path = split.path
            emulator.count_round_trip(path)
            try:
                if path == "/o/oauth2/auth" and method == "GET":
                    status, target = emulator.authorize(query)
                    if status == 302:
                        return self._send(302, b"", "text/html", {"Location": target})
                    return self._send(status, target)
                if path == "/token" and method == "POST":
                    status, answer = emulator.token(dict(urllib.parse.parse_qsl(raw.decode())), headers)
                    return self._send(status, answer)
                if path.startswith("/_sandbox/") and method == "POST":
                    status, answer = emulator.control(path[len("/_sandbox/"):], json.loads(raw or b"{}"))
                    return self._send(status, answer)
                if path == "/batch/calendar/v3" and method == "POST":
                    status, content_type, data = emulator.batch(headers.get("Content-Type", ""), raw, headers)
                    return self._send(status, data, content_type)
                payload = json.loads(raw) if raw.strip() else None
                status, answer, extra = emulator.api(method, path, query, headers, payload)
                return self._send(status, answer, headers=extra)
            except ApiError as exc:
                return self._send(exc.status, exc.body(), headers=exc.headers)
            except ValueError:
                return self._send(400, ApiError(400, "parseError", "Parse Error").body())

        def do_GET(self):
            self._dispatch("GET")

        def do_POST(self):
            self._dispatch("POST")

        def do_PATCH(self):
            self._dispatch("PATCH")

        def do_PUT(self):
            self._dispatch("PUT")

        def do_DELETE(self):
            self._dispatch("DELETE")

    return Handler
