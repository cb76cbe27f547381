"""A Microsoft identity platform and Graph v1.0 calendar emulator on loopback, for msal and requests.

Written from Microsoft's public documentation: OpenID configuration, an
authorize page that consents at once, a token endpoint that checks the client
secret, the redirect URI and PKCE and issues id tokens carrying the nonce (over
TLS: msal refuses plain http); Graph calendarView delta (a window is required,
pages, the delta link last, ``@removed`` for deletions and for events leaving the
window, 410 when the sync state is gone), events with changeKey and If-Match,
``transactionId`` dedupe, subscriptions with the real validation handshake and
lifecycle notifications, change notifications really POSTed (sometimes twice,
as Graph does), ``$batch`` (at most 20, ``dependsOn``), and Graph's limits
(4 concurrent requests and 10,000 requests per 10 minutes per mailbox). The
control API (``/_sandbox/...`` and the same methods in-process) injects faults,
edits events as a person would, revokes consent, seeds the demo calendar and
shows the request log. Shares no code with ``calsync.microsoft``.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import random
import re
import secrets
import threading
import time
import urllib.parse
import urllib.request
from collections import deque
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler

from . import demo
from .call_log import CallLog
from .faults import FaultQueue
from .httpd import ServerThread
from .issued import IssuedSecrets

MAX_SUBSCRIPTION_MINUTES = 4230
TENANT_ID = "00000000-0000-4000-8000-5a4db0c0ffee"


class GraphError(Exception):
    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}

    def body(self):
        return {"error": {"code": self.code, "message": self.message}}


def _iso(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0")


def _parse_graph_time(value):
    if not isinstance(value, dict) or not value.get("dateTime"):
        raise GraphError(400, "ErrorInvalidRequest", "Missing dateTime.")
    text = value["dateTime"].rstrip("Z")[:26]
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        zone = value.get("timeZone") or "UTC"
        if zone not in ("UTC", "Etc/UTC"):
            from zoneinfo import ZoneInfo

            try:
                moment = moment.replace(tzinfo=ZoneInfo(zone))
            except Exception:
                raise GraphError(400, "ErrorTimeZoneNotSupportedException", "Time zone not supported.") from None
        else:
            moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _occurrences(master):
    """A series master's occurrences, as calendarView shows them (daily or weekly, numbered or to an end date)."""
    rec = master.get("recurrence") or {}
    pattern, span = rec.get("pattern") or {}, rec.get("range") or {}
    step = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}.get(pattern.get("type"))
    if step is None:
        raise GraphError(400, "ErrorInvalidRecurrence", "The sandbox expands daily and weekly patterns only.")
    step *= int(pattern.get("interval", 1))
    start, end = _parse_graph_time(master["start"]), _parse_graph_time(master["end"])
    count = int(span.get("numberOfOccurrences") or 0) if span.get("type") == "numbered" else 366
    last = datetime.fromisoformat(span["endDate"] + "T23:59:59+00:00") if span.get("endDate") else None
    out = []
    for n in range(count):
        moment = start + step * n
        if last and moment > last:
            break
        out.append({**{k: v for k, v in master.items() if k not in ("recurrence", "id", "type")},
                    "id": f"{master['id']}_{moment.strftime('%Y%m%d%H%M')}", "type": "occurrence",
                    "seriesMasterId": master["id"], "originalStart": _iso(moment) + "Z",
                    "start": {"dateTime": _iso(moment), "timeZone": "UTC"},
                    "end": {"dateTime": _iso(moment + (end - start)), "timeZone": "UTC"}})
    return out


def _same(key, mine, series):
    """An exception kept the series' value of ``key`` (a body counts by its text, HTML or not)."""
    if key == "body" and isinstance(mine, dict) and isinstance(series, dict):
        def text(body):
            return " ".join(re.sub(r"<[^>]+>", " ", body.get("content") or "").split())

        return text(mine) == text(series)
    return mine == series


class MicrosoftEmulator:
    """Identity platform + Graph on one TLS port; thread-safe; state in memory (optionally a file)."""

    def __init__(self, tls, host="127.0.0.1", port=0, enforce_limits=True, state_file=None,
                 client_id="sandbox-microsoft-client", client_secret=None, duplicate_notifications=0.3, seed=7,
                 mailbox_limit=10000, mailbox_window=600.0):
        self.client_id = client_id
        self.client_secret = client_secret or "sbx-mcs-" + secrets.token_urlsafe(24)
        self.issued = IssuedSecrets()
        self.issued.add("microsoft client secret", self.client_secret)
        self.enforce_limits = enforce_limits
        self.state_file = state_file
        self.lock = threading.RLock()
        self.seq = itertools.count(1)
        self.mailboxes: dict[str, dict] = {}  # account -> {event id -> event}
        self.changes: dict[str, dict] = {}  # account -> {event id -> seq}
        self.min_delta: dict[str, int] = {}
        self.codes, self.access, self.refresh = {}, {}, {}
        self.subscriptions = {}
        self.faults = FaultQueue()
        self.log = CallLog()
        self.round_trips = self.log.round_trips
        self.in_flight: dict[str, int] = {}
        self.window: dict[str, deque] = {}
        self.mailbox_limit = mailbox_limit  # Graph: 10,000 requests per 10 minutes per mailbox
        self.mailbox_window = mailbox_window  # seconds; tests shrink it (with the limit) to burst quickly
        self.clock_offset = 0.0  # seconds the throttling clock runs ahead of the real one (``advance_clock``)
        self.duplicates = duplicate_notifications
        self.random = random.Random(seed)
        self.deliveries = []
        self.http = ServerThread(_handler(self), host=host, port=port, tls=tls)
        if state_file:
            self._load()

    @property
    def base_url(self):
        return self.http.base_url

    def start(self):
        self.http.start()
        return self

    def stop(self):
        self.http.stop()
        if self.state_file:
            with open(self.state_file, "w") as handle:
                json.dump({"mailboxes": self.mailboxes, "changes": self.changes, "refresh": self.refresh}, handle)

    def _load(self):
        try:
            with open(self.state_file) as handle:
                state = json.load(handle)
        except (OSError, ValueError):
            return
        self.mailboxes, self.changes = state.get("mailboxes", {}), state.get("changes", {})
        self.refresh.update(state.get("refresh", {}))
        for refresh in state.get("refresh", {}):
            self.issued.add("microsoft refresh token", refresh)
        top = max([s for c in self.changes.values() for s in c.values()] or [0])
        self.seq = itertools.count(top + 1)

    # -- control -----------------------------------------------------------------------------
    def inject_fault(self, kind, count=1, retry_after=None, delay=None, path_contains=None, after=0):
        """Queue faults: rate_limit (429), server_error (503), gone (410 on delta), slow, apply_then_fail;
        each hits the next request whose path contains ``path_contains``, once ``after`` went through."""
        self.faults.inject(kind, count, retry_after, delay, path_contains, after)

    def seed_demo(self):
        for item in demo.demo_events("microsoft"):
            if item["id"] in self.mailboxes.get(demo.MICROSOFT_ACCOUNT, {}):
                continue
            self._save_event(demo.MICROSOFT_ACCOUNT, {
                "id": item["id"], "subject": item["title"],
                "body": {"contentType": "text", "content": item["description"]},
                "start": {"dateTime": item["start"].rstrip("Z"), "timeZone": "UTC"},
                "end": {"dateTime": item["end"].rstrip("Z"), "timeZone": "UTC"},
                "location": {"displayName": ""}, "transactionId": item["identity"],
            }, created=True)

    def person_create(self, account, fields):
        event = {"id": "AAMk" + secrets.token_urlsafe(24), "transactionId": None}
        event.update(self._person_fields(fields))
        return self._save_event(account, event, created=True)["id"]

    def person_create_series(self, account, fields, rrule):
        """A person creates a recurring event (``rrule`` like "FREQ=DAILY;COUNT=5"); returns the series id."""
        rule = dict(part.split("=", 1) for part in rrule.split(";"))
        start = fields["start"] if isinstance(fields["start"], datetime) else \
            datetime.fromisoformat(fields["start"].replace("Z", "+00:00"))
        recurrence = {"pattern": {"type": rule["FREQ"].lower(), "interval": int(rule.get("INTERVAL", 1))},
                      "range": {"type": "numbered", "numberOfOccurrences": int(rule["COUNT"]),
                                "startDate": start.strftime("%Y-%m-%d")}}
        if rule["FREQ"] == "WEEKLY":
            recurrence["pattern"]["daysOfWeek"] = [start.strftime("%A").lower()]
        event = {"id": "AAMk" + secrets.token_urlsafe(24), "transactionId": None, "type": "seriesMaster",
                 "recurrence": recurrence}
        event.update(self._person_fields(fields))
        return self._save_event(account, event, created=True)["id"]

    def person_edit(self, event_id, fields, account=None):
        """Edit an event, a whole series (its id), or one occurrence (which becomes an exception)."""
        account = account or self._owner(event_id)
        before = dict(self._person_target(account, event_id))
        event = dict(before)
        event.update(self._person_fields(fields))
        stored = self._save_event(account, event)
        if before.get("recurrence"):  # a series edit reaches its exceptions, for fields they did not change
            changed = {k: v for k, v in event.items()
                       if k not in ("start", "end", "recurrence") and not k.startswith("@") and before.get(k) != v
                       and k not in ("changeKey", "lastModifiedDateTime", "@odata.etag")}
            box = self.mailboxes[account]
            for exception_id in [i for i in list(box) if i.startswith(f"{event_id}_")]:
                exception = box[exception_id]
                inherited = {k: v for k, v in changed.items() if _same(k, exception.get(k), before.get(k))}
                if inherited and not exception.get("@deleted"):
                    self._save_event(account, dict(exception, **inherited))
        return stored

    def person_delete(self, event_id, account=None):
        """Delete an event, a whole series, or one occurrence."""
        account = account or self._owner(event_id)
        self._person_target(account, event_id)
        self._delete_event(account, event_id)

    def _person_target(self, account, event_id):
        box = self.mailboxes.setdefault(account, {})
        if event_id not in box:
            occurrence = self._occurrence(account, event_id)
            if occurrence is None:
                raise KeyError(event_id)
            box[event_id] = dict(occurrence, type="exception")
        return box[event_id]

    def occurrence_ids(self, series_id, account=None):
        account = account or self._owner(series_id)
        master = self.mailboxes[account][series_id]
        return [o["id"] for o in _occurrences(master)]

    def expire_delta_tokens(self, account=None):
        with self.lock:
            for box in list(self.mailboxes):
                if account is None or box == account:
                    self.min_delta[box] = max(self.changes.get(box, {}).values() or [0]) + 1

    def advance_clock(self, seconds):
        """Move the throttling clock forward, as if ``seconds`` had passed: a soak or a test honours a
        Retry-After without sleeping. Only the request windows see it; tokens keep real time."""
        with self.lock:
            self.clock_offset += max(0.0, float(seconds))

    def revoke_consent(self, account):
        with self.lock:
            self.refresh = {k: v for k, v in self.refresh.items() if v["account"] != account}
            self.access = {k: v for k, v in self.access.items() if v["account"] != account}

    def expire_access_tokens(self):
        with self.lock:
            for entry in self.access.values():
                entry["expires"] = 0

    def count_round_trip(self, path):
        """HTTP requests by kind: a $batch is one round trip however many calls it carries."""
        kind = "control" if path.startswith("/_sandbox/") else "oauth" if "/oauth2/" in path or \
            "openid-configuration" in path or "discovery" in path else "api"
        self.log.count_round_trip(kind)

    def requests_log(self):
        return self.log.calls()

    def reset(self):
        with self.lock:
            self.mailboxes.clear()
            self.changes.clear()
            self.subscriptions.clear()
            self.faults.clear()
            self.log.clear()

    def live_events(self, account):
        return [e for e in self.mailboxes.get(account, {}).values() if not e.get("@deleted")]

    def send_lifecycle(self, subscription_id, event):
        """What Graph sends when a subscription needs attention (reauthorizationRequired, subscriptionRemoved,
        missed)."""
        sub = self.subscriptions[subscription_id]
        item = {"subscriptionId": subscription_id, "subscriptionExpirationDateTime": sub["expirationDateTime"],
                "tenantId": TENANT_ID, "clientState": sub.get("clientState"), "lifecycleEvent": event}
        if event == "subscriptionRemoved":
            with self.lock:
                self.subscriptions.pop(subscription_id, None)
        self._post_async(sub["lifecycleNotificationUrl"], {"value": [item]})

    def _person_fields(self, fields):
        out = {}
        for key, value in fields.items():
            if key in ("start", "end"):
                moment = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
                out[key] = {"dateTime": _iso(moment), "timeZone": "UTC"}
            elif key in ("title", "subject"):
                out["subject"] = value
            elif key == "description":
                out["body"] = {"contentType": "html", "content": f"<html><body><p>{value}</p></body></html>"}
            elif key == "location":
                out["location"] = {"displayName": value}
            elif key == "all_day":  # (first day, day after the last), as a person ticks "all day"
                out["isAllDay"] = True
                out["start"] = {"dateTime": f"{value[0]}T00:00:00.0000000", "timeZone": "UTC"}
                out["end"] = {"dateTime": f"{value[1]}T00:00:00.0000000", "timeZone": "UTC"}
        return out

    def _owner(self, event_id):
        for account, box in self.mailboxes.items():
            if event_id in box or event_id.rpartition("_")[0] in box:  # an event, or an occurrence of a series
                return account
        raise KeyError(event_id)

    # -- storage -----------------------------------------------------------------------------
    def _save_event(self, account, event, created=False):
        with self.lock:
            box = self.mailboxes.setdefault(account, {})
            seq = next(self.seq)
            now = _iso(datetime.now(timezone.utc))
            event = dict(event)
            change_key = base64.b64encode(secrets.token_bytes(12)).decode()
            if created:
                event.setdefault("createdDateTime", now)
                event.setdefault("iCalUId", "040000008200E00074C5B7101A82E008" + secrets.token_hex(16))
                event.setdefault("type", "singleInstance")
            event.update({"changeKey": change_key, "@odata.etag": f'W/"{change_key}"', "lastModifiedDateTime": now,
                          "isCancelled": False})
            box[event["id"]] = event
            self.changes.setdefault(account, {})[event["id"]] = seq
        self._notify(account, event, "created" if created else "updated")
        return event

    def _delete_event(self, account, event_id):
        with self.lock:
            removed = self.mailboxes[account].pop(event_id)
            if removed.get("recurrence"):
                # the series goes with its occurrences and exceptions: calendarView delta reports each removed
                occurrence_ids = [o["id"] for o in _occurrences(removed)]
                for occurrence_id in occurrence_ids:
                    self.mailboxes[account].pop(occurrence_id, None)
                self.mailboxes[account][event_id] = {"id": event_id, "@deleted": True,
                                                     "@occurrences": occurrence_ids}
            elif removed.get("seriesMasterId"):
                self.mailboxes[account][event_id] = {"id": event_id, "@deleted": True,
                                                     "seriesMasterId": removed["seriesMasterId"]}
            self.changes.setdefault(account, {})[event_id] = next(self.seq)
        self._notify(account, {"id": event_id}, "deleted")

    # -- notifications --------------------------------------------------------------------------
    def _notify(self, account, event, change):
        with self.lock:
            subs = [s for s in self.subscriptions.values() if s["account"] == account]
        for sub in subs:
            if sub["expires"] < time.time():
                continue
            item = {"subscriptionId": sub["id"], "subscriptionExpirationDateTime": sub["expirationDateTime"],
                    "changeType": change, "clientState": sub.get("clientState"), "tenantId": TENANT_ID,
                    "resource": f"Users/{account}/Events/{event['id']}",
                    "resourceData": {"@odata.type": "#Microsoft.Graph.Event",
                                     "@odata.id": f"Users/{account}/Events/{event['id']}",
                                     "@odata.etag": event.get("@odata.etag", ""), "id": event["id"]}}
            times = 2 if self.random.random() < self.duplicates else 1
            for _ in range(times):
                self._post_async(sub["notificationUrl"], {"value": [item]})

    def _post_async(self, url, payload):
        threading.Thread(target=self._post, args=(url, payload), daemon=True).start()

    def _post(self, url, payload, attempts=4):
        if not url.startswith(("http://", "https://")):
            return
        data = json.dumps(payload).encode()
        for attempt in range(attempts):
            request = urllib.request.Request(url, data=data, method="POST",  # noqa: S310
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                    self.deliveries.append((url, answer.status))
                    return
            except urllib.error.HTTPError as exc:
                self.deliveries.append((url, exc.code))
                if exc.code < 500:
                    return
            except (urllib.error.URLError, OSError):
                self.deliveries.append((url, 0))
            time.sleep(0.2 * 2 ** attempt)

    def _validate(self, url):
        """The subscription handshake: the endpoint must echo the token as text/plain within 10 s."""
        token = "Validation: " + secrets.token_urlsafe(12)
        target = url + ("&" if "?" in url else "?") + urllib.parse.urlencode({"validationToken": token})
        request = urllib.request.Request(target, data=b"", method="POST",  # noqa: S310
                                         headers={"Content-Type": "text/plain"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                body = answer.read().decode()
                ok = answer.status == 200 and body == token and \
                    answer.headers.get("Content-Type", "").startswith("text/plain")
        except (urllib.error.URLError, OSError):
            ok = False
        if not ok:
            raise GraphError(400, "InvalidRequest", "Subscription validation request failed. Notification "
                             "endpoint must respond with 200 OK and the validation token as text/plain.")

    # -- identity platform ------------------------------------------------------------------------
    def openid_configuration(self, tenant):
        base = f"{self.base_url}/{tenant}"
        return {"authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "issuer": f"{self.base_url}/{TENANT_ID}/v2.0", "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_types_supported": ["code"], "scopes_supported": ["openid", "profile", "offline_access"],
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout"}

    def authorize(self, query):
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or not redirect_uri:
            return 400, {"error": "unauthorized_client"}
        account = query.get("login_hint") or demo.MICROSOFT_ACCOUNT
        code = "sbx-mcode-" + secrets.token_urlsafe(32)
        self.issued.add("microsoft authorization code", code)
        with self.lock:
            self.codes[code] = {"account": account, "redirect_uri": redirect_uri, "nonce": query.get("nonce"),
                                "challenge": query.get("code_challenge"), "expires": time.time() + 300,
                                "scope": query.get("scope", "")}
        params = {"code": code, "session_state": secrets.token_hex(8)}
        if "state" in query:
            params["state"] = query["state"]
        return 302, redirect_uri + ("&" if "?" in redirect_uri else "?") + urllib.parse.urlencode(params)

    def token(self, form):
        if form.get("client_id") != self.client_id or not secrets.compare_digest(
                form.get("client_secret") or "", self.client_secret):
            return 401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret."}
        grant = form.get("grant_type")
        with self.lock:
            if grant == "authorization_code":
                entry = self.codes.pop(form.get("code", ""), None)
                if entry is None or entry["expires"] < time.time():
                    return 400, {"error": "invalid_grant", "error_description": "AADSTS70008: The code has expired."}
                if form.get("redirect_uri") != entry["redirect_uri"]:
                    return 400, {"error": "invalid_grant", "error_description": "AADSTS50148: redirect_uri mismatch."}
                if entry["challenge"]:
                    digest = base64.urlsafe_b64encode(hashlib.sha256(
                        (form.get("code_verifier") or "").encode()).digest()).decode().rstrip("=")
                    if not secrets.compare_digest(digest, entry["challenge"]):
                        return 400, {"error": "invalid_grant", "error_description": "AADSTS501481: PKCE failed."}
                return 200, self._issue(entry["account"], entry["nonce"], new_refresh=True)
            if grant == "refresh_token":
                # a new refresh token is issued, the old one stays valid until revoked (as Microsoft does)
                entry = self.refresh.get(form.get("refresh_token", ""))
                if entry is None:
                    return 400, {"error": "invalid_grant", "error_description": "AADSTS70000: The refresh token "
                                 "has been revoked or has expired.", "suberror": "consent_required"}
                return 200, self._issue(entry["account"], None, new_refresh=True)
        return 400, {"error": "unsupported_grant_type"}

    def _issue(self, account, nonce, new_refresh):
        access = "sbx-mat-" + secrets.token_urlsafe(32)
        self.issued.add("microsoft access token", access)
        self.access[access] = {"account": account, "expires": time.time() + 3600}
        uid = hashlib.sha256(account.encode()).hexdigest()[:32]
        claims = {"iss": f"{self.base_url}/{TENANT_ID}/v2.0", "aud": self.client_id, "sub": uid, "oid": uid,
                  "tid": TENANT_ID, "preferred_username": account, "name": account.split("@")[0],
                  "iat": int(time.time()), "exp": int(time.time()) + 3600, "ver": "2.0"}
        if nonce:
            claims["nonce"] = nonce

        def b64(obj):
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

        # Graph's own scopes come back by their short names, as the identity platform answers for Graph
        # (a prefixed "https://graph.microsoft.com/..." would not match msal's cache lookup for the short name)
        out = {"token_type": "Bearer", "scope": "Calendars.ReadWrite openid profile",
               "expires_in": 3599, "ext_expires_in": 3599, "access_token": access,
               "id_token": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.",
               "client_info": b64({"uid": uid, "utid": TENANT_ID})}
        if new_refresh:
            refresh = "sbx-mrt-" + secrets.token_urlsafe(32)
            self.issued.add("microsoft refresh token", refresh)
            self.refresh[refresh] = {"account": account}
            out["refresh_token"] = refresh
        return out

    # -- Graph ------------------------------------------------------------------------------------
    def _account_of(self, headers):
        auth = headers.get("Authorization", "")
        entry = self.access.get(auth[7:]) if auth.startswith("Bearer ") else None
        if entry is None or entry["expires"] < time.time():
            raise GraphError(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
        return entry["account"]

    def _enter(self, account):
        if not self.enforce_limits:
            return
        with self.lock:
            now = time.monotonic() + self.clock_offset
            window = self.window.setdefault(account, deque())
            while window and window[0] < now - self.mailbox_window:
                window.popleft()
            if len(window) >= self.mailbox_limit:
                retry = max(1, int(self.mailbox_window - (now - window[0])) + 1)
                raise GraphError(429, "ApplicationThrottled", "Too many requests.", {"Retry-After": str(retry)})
            if self.in_flight.get(account, 0) >= 4:
                raise GraphError(429, "ApplicationThrottled", "MailboxConcurrency limit exceeded.",
                                 {"Retry-After": "1"})
            window.append(now)
            self.in_flight[account] = self.in_flight.get(account, 0) + 1

    def _leave(self, account):
        if self.enforce_limits:
            with self.lock:
                self.in_flight[account] = max(0, self.in_flight.get(account, 0) - 1)

    def graph(self, method, path, query, headers, body):
        """One Graph call: returns (status, body dict or None, extra headers); logged with its status."""
        return self.log.answer(method, path, query, lambda: self._graph(method, path, query, headers, body))

    def _graph(self, method, path, query, headers, body):
        fault = self.faults.take(path)
        if fault:
            if fault["kind"] == "rate_limit":
                raise GraphError(429, "ApplicationThrottled", "Too many requests.",
                                 {"Retry-After": str(fault["retry_after"] or 1)})
            elif fault["kind"] == "server_error":
                raise GraphError(503, "ServiceUnavailable", "Service unavailable.",
                                 {"Retry-After": str(fault["retry_after"])} if fault["retry_after"] else {})
            elif fault["kind"] == "gone" and "delta" in path:
                raise GraphError(410, "SyncStateNotFound", "The sync state generation is not found.")
        account = self._account_of(headers)
        self._enter(account)
        try:
            if fault and fault["kind"] == "slow":  # a slow answer holds its place among the 4 concurrent
                time.sleep(float(fault["delay"] or 1))
            result = self._route(account, method, path, query, headers, body)
        finally:
            self._leave(account)
        if fault and fault["kind"] == "apply_then_fail":
            raise GraphError(503, "ServiceUnavailable", "Service unavailable (the change was applied).")
        return result

    def _route(self, account, method, path, query, headers, body):
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")]
        if parts[:1] != ["v1.0"]:
            raise GraphError(404, "ResourceNotFound", "Resource not found.")
        rest = parts[1:]
        if rest[:1] == ["subscriptions"]:
            return self._subscriptions(account, method, rest[1:], body)
        if rest[:1] != ["me"]:
            raise GraphError(404, "ResourceNotFound", "Resource not found.")
        rest = rest[1:]
        if rest[:1] == ["calendars"] and len(rest) >= 2:
            rest = rest[2:]  # one calendar per mailbox in the sandbox
        if rest == ["calendarView", "delta"] and method == "GET":
            return 200, self._delta(account, query, headers), {}
        if rest == ["events"] and method == "POST":
            return 201, self._create(account, body), {}
        if len(rest) == 3 and rest[0] == "events" and rest[2] == "instances" and method == "GET":
            return 200, self._instances(account, rest[1], query), {}
        if len(rest) == 2 and rest[0] == "events":
            event_id = rest[1]
            box = self.mailboxes.get(account, {})
            if event_id not in box:
                occurrence = self._occurrence(account, event_id)
                if occurrence is None:
                    raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
                if method == "GET":
                    return 200, occurrence, {}
                # editing or deleting one occurrence makes it an exception of its own; the series is untouched
                box[event_id] = dict(occurrence, type="exception")
            if box[event_id].get("@deleted"):
                raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
            if method == "GET":
                return 200, box[event_id], {}
            self._check_if_match(box[event_id], headers)
            if method == "PATCH":
                updated = dict(box[event_id])
                updated.update({k: v for k, v in (body or {}).items() if k not in ("id", "changeKey")})
                return 200, self._save_event(account, updated), {}
            if method == "DELETE":
                self._delete_event(account, event_id)
                return 204, None, {}
        raise GraphError(405, "MethodNotAllowed", "Method not allowed.")

    def _instances(self, account, series_id, query):
        """GET /events/{id}/instances: a series' occurrences and exceptions starting in the window."""
        if not query.get("startDateTime") or not query.get("endDateTime"):
            raise GraphError(400, "ErrorInvalidParameter",
                             "This request requires a time window specified by startDateTime and endDateTime.")
        start = datetime.fromisoformat(query["startDateTime"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(query["endDateTime"].replace("Z", "+00:00"))
        with self.lock:
            box = self.mailboxes.get(account, {})
            master = box.get(series_id)
            if not master or master.get("@deleted"):
                raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
            if not master.get("recurrence"):
                raise GraphError(400, "ErrorInvalidRequest", "The event is not a series master.")
            items = [box.get(o["id"], o) for o in _occurrences(master)]
        items = [i for i in items if not i.get("@deleted") and start <= _parse_graph_time(i["start"]) < end]
        return {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(event)", "value": items}

    def _occurrence(self, account, event_id):
        master_id = event_id.rpartition("_")[0]
        master = self.mailboxes.get(account, {}).get(master_id)
        if not master or not master.get("recurrence"):
            return None
        return next((o for o in _occurrences(master) if o["id"] == event_id), None)

    def _check_if_match(self, event, headers):
        expected = headers.get("If-Match")
        if expected and expected.strip() not in (event["@odata.etag"], event["changeKey"], f'"{event["changeKey"]}"'):
            raise GraphError(412, "ErrorIrresolvableConflict", "The send or update operation could not be "
                             "performed because the change key passed in the request does not match the current "
                             "change key for the item.")

    def _create(self, account, body):
        if not isinstance(body, dict) or "start" not in body or "end" not in body:
            raise GraphError(400, "ErrorInvalidRequest", "Start and end are required.")
        _parse_graph_time(body["start"])
        _parse_graph_time(body["end"])
        transaction = body.get("transactionId")
        with self.lock:
            if transaction:
                for event in self.mailboxes.get(account, {}).values():
                    if event.get("transactionId") == transaction:
                        return event  # a retried create: the same event, not a second one
            event = {k: v for k, v in body.items() if k not in ("id", "changeKey")}
            event["id"] = "AAMk" + secrets.token_urlsafe(24)
            if event.get("recurrence"):
                event["type"] = "seriesMaster"
                _occurrences(event)  # refuse patterns the sandbox cannot expand, at creation
            return self._save_event(account, event, created=True)

    def _delta(self, account, query, headers):
        page_size = 50
        prefer = headers.get("Prefer", "")
        if "odata.maxpagesize=" in prefer:
            page_size = max(1, int(prefer.split("odata.maxpagesize=")[1].split(",")[0]))
        token = query.get("$deltatoken")
        skip = query.get("$skiptoken")
        with self.lock:
            if skip:
                state = json.loads(base64.urlsafe_b64decode(skip.encode()))
            elif token:
                state = json.loads(base64.urlsafe_b64decode(token.encode()))
                if state["since"] < self.min_delta.get(account, 0):
                    raise GraphError(410, "SyncStateNotFound", "The sync state generation is not found.")
                state["offset"] = 0
            else:
                if not query.get("startDateTime") or not query.get("endDateTime"):
                    raise GraphError(400, "ErrorInvalidParameter",
                                     "This request requires a time window specified by startDateTime and endDateTime.")
                state = {"since": 0, "offset": 0, "start": query["startDateTime"], "end": query["endDateTime"],
                         "top": max(self.changes.get(account, {}).values() or [0])}
            if not skip:
                state["top"] = max(self.changes.get(account, {}).values() or [0])
            start = datetime.fromisoformat(state["start"].replace("Z", "+00:00"))
            end = datetime.fromisoformat(state["end"].replace("Z", "+00:00"))
            changed = sorted((s, i) for i, s in self.changes.get(account, {}).items()
                             if state["since"] < s <= state["top"])
            items = []
            box = self.mailboxes.get(account, {})
            for _seq, event_id in changed:
                event = box.get(event_id)
                if event is not None and event.get("recurrence"):
                    # calendarView shows a series as its occurrences (exceptions stand for themselves)
                    candidates = [box.get(o["id"], o) for o in _occurrences(event)]
                elif event is not None and event.get("@occurrences"):  # a deleted series
                    candidates = [{"id": o, "@deleted": True} for o in event["@occurrences"]]
                else:
                    candidates = [event if event is not None else {"id": event_id, "@deleted": True}]
                for candidate in candidates:
                    if candidate.get("@deleted"):
                        if state["since"]:
                            items.append({"id": candidate["id"], "@removed": {"reason": "deleted"}})
                        continue
                    inside = _parse_graph_time(candidate["start"]) < end and \
                        _parse_graph_time(candidate["end"]) > start
                    if inside:
                        items.append(candidate)
                    elif state["since"]:  # moved out of the window: @removed too
                        items.append({"id": candidate["id"], "@removed": {"reason": "deleted"}})
            page = items[state["offset"]:state["offset"] + page_size]
            out = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(event)", "value": page}
            base = f"{self.base_url}/v1.0/me/calendarView/delta"
            if state["offset"] + page_size < len(items):
                nxt = dict(state, offset=state["offset"] + page_size)
                out["@odata.nextLink"] = f"{base}?$skiptoken=" + base64.urlsafe_b64encode(
                    json.dumps(nxt).encode()).decode()
            else:
                done = {"since": state["top"], "start": state["start"], "end": state["end"]}
                out["@odata.deltaLink"] = f"{base}?$deltatoken=" + base64.urlsafe_b64encode(
                    json.dumps(done).encode()).decode()
            return out

    def _subscriptions(self, account, method, rest, body):
        if method == "POST" and not rest:
            body = body or {}
            state = body.get("clientState") or ""
            if len(state) > 128:
                raise GraphError(400, "ValidationError", "clientState is too long (128 characters at most).")
            try:
                expires = datetime.fromisoformat(body["expirationDateTime"].replace("Z", "+00:00"))
            except (KeyError, ValueError):
                raise GraphError(400, "ValidationError", "expirationDateTime is required.") from None
            if expires > datetime.now(timezone.utc) + timedelta(minutes=MAX_SUBSCRIPTION_MINUTES):
                raise GraphError(400, "ValidationError", "Subscription expiration can only be 4230 minutes in the "
                                 "future.")
            self._validate(body.get("notificationUrl", ""))
            if body.get("lifecycleNotificationUrl"):
                self._validate(body["lifecycleNotificationUrl"])
            sub = {"id": secrets.token_hex(16), "resource": body.get("resource"), "account": account,
                   "changeType": body.get("changeType"), "notificationUrl": body["notificationUrl"],
                   "lifecycleNotificationUrl": body.get("lifecycleNotificationUrl"), "clientState": state or None,
                   "expirationDateTime": _iso(expires) + "Z", "expires": expires.timestamp()}
            self.issued.add("graph clientState", state)
            with self.lock:
                self.subscriptions[sub["id"]] = sub
            return 201, {k: v for k, v in sub.items() if k not in ("account", "expires")}, {}
        if len(rest) == 1:
            with self.lock:
                sub = self.subscriptions.get(rest[0])
            if sub is None or sub["account"] != account:
                raise GraphError(404, "ResourceNotFound", "The object was not found.")
            if method == "DELETE":
                with self.lock:
                    self.subscriptions.pop(rest[0], None)
                return 204, None, {}
            if method == "PATCH":
                expires = datetime.fromisoformat((body or {})["expirationDateTime"].replace("Z", "+00:00"))
                if expires > datetime.now(timezone.utc) + timedelta(minutes=MAX_SUBSCRIPTION_MINUTES):
                    raise GraphError(400, "ValidationError", "Subscription expiration too far in the future.")
                sub.update(expirationDateTime=_iso(expires) + "Z", expires=expires.timestamp())
                return 200, {k: v for k, v in sub.items() if k not in ("account", "expires")}, {}
        raise GraphError(405, "MethodNotAllowed", "Method not allowed.")

    def batch(self, headers, body):
        requests_ = (body or {}).get("requests")
        if not isinstance(requests_, list) or not requests_ or len(requests_) > 20:
            raise GraphError(400, "BadRequest", "A batch holds 1 to 20 requests.")
        results, done = {}, set()
        pending = list(requests_)
        while pending:
            progress = False
            for item in list(pending):
                deps = item.get("dependsOn") or []
                if not all(d in done for d in deps):
                    continue
                pending.remove(item)
                progress = True
                done.add(item["id"])
                if any(results[d]["status"] >= 400 for d in deps):
                    results[item["id"]] = {"id": item["id"], "status": 424,
                                           "body": {"error": {"code": "FailedDependency"}}}
                    continue
                split = urllib.parse.urlsplit(item["url"])
                inner = {k.title(): v for k, v in (item.get("headers") or {}).items()}
                inner["Authorization"] = headers.get("Authorization", "")
                try:
                    status, data, extra = self.graph(item["method"], "/v1.0" + split.path if not
                                                     split.path.startswith("/v1.0") else split.path,
                                                     dict(urllib.parse.parse_qsl(split.query)), inner, item.get("body"))
                except GraphError as exc:
                    status, data, extra = exc.status, exc.body(), exc.headers
                results[item["id"]] = {"id": item["id"], "status": status, "headers": extra, "body": data}
            if not progress:
                raise GraphError(400, "BadRequest", "dependsOn names an unknown request.")
        answers = list(results.values())
        self.random.shuffle(answers)  # Graph answers out of order
        return 200, {"responses": answers}, {}

    def set_quota(self, per_window=None, window=None, enforce=None):
        """Change the per-mailbox limit (requests per window of seconds), or switch the limits on or off."""
        with self.lock:
            if per_window is not None:
                self.mailbox_limit = int(per_window)
            if window is not None:
                self.mailbox_window = float(window)
            if enforce is not None:
                self.enforce_limits = bool(enforce)
            self.window.clear()
        return {"per_window": self.mailbox_limit, "window": self.mailbox_window, "enforce": self.enforce_limits}

    def control(self, action, payload):
        actions = {
            "fault": lambda p: self.inject_fault(p["kind"], p.get("count", 1), p.get("retry_after"), p.get("delay"),
                                                 p.get("path_contains"), p.get("after", 0)),
            "person/create": lambda p: {"id": self.person_create(p["account"], p.get("fields", {}))},
            "person/edit": lambda p: self.person_edit(p["id"], p.get("fields", {})),
            "person/delete": lambda p: self.person_delete(p["id"]),
            "expire_delta_tokens": lambda p: self.expire_delta_tokens(p.get("account")),
            "revoke_consent": lambda p: self.revoke_consent(p["account"]),
            "expire_access_tokens": lambda p: self.expire_access_tokens(),
            "advance_clock": lambda p: self.advance_clock(p.get("seconds", 0)),
            "lifecycle": lambda p: self.send_lifecycle(p["subscription_id"], p["event"]),
            # every secret issued or received so far (see issued.py): for leak scans of the product
            "secrets": lambda p: {"secrets": self.issued.listing()},
            # what Graph knows of each subscription, clientState included (as Google's 'channels')
            "subscriptions": lambda p: {"subscriptions": [
                {k: v for k, v in s.items() if k != "expires"} for s in list(self.subscriptions.values())]},
            "requests": lambda p: {"requests": self.requests_log()},
            "round_trips": lambda p: {"round_trips": dict(self.round_trips)},
            "quota": lambda p: self.set_quota(p.get("per_window"), p.get("window"), p.get("enforce")),
            "reset": lambda p: self.reset(),
            "seed_demo": lambda p: self.seed_demo(),
            "events": lambda p: {"events": self.live_events(p["account"])},
        }
        if action not in actions:
            return 404, {"error": "unknown control action"}
        return 200, actions[action](payload) or {"ok": True}


def _handler(emulator: MicrosoftEmulator):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            return

        def _send(self, status, body=None, content_type="application/json", headers=None):
            data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _dispatch(self, method):
            split = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.title(): v for k, v in self.headers.items()}
            path = split.path
            parts = path.strip("/").split("/")
            emulator.count_round_trip(path)
            try:
                if path.endswith("/v2.0/.well-known/openid-configuration"):
                    return self._send(200, emulator.openid_configuration(parts[0]))
                if path.endswith("/oauth2/v2.0/authorize"):
                    status, target = emulator.authorize(query)
                    if status == 302:
                        return self._send(302, b"", "text/html", {"Location": target})
                    return self._send(status, target)
                if path.endswith("/oauth2/v2.0/token") and method == "POST":
                    return self._send(*emulator.token(dict(urllib.parse.parse_qsl(raw.decode()))))
                if path.startswith("/_sandbox/") and method == "POST":
                    return self._send(*emulator.control(path[len("/_sandbox/"):], json.loads(raw or b"{}")))
                payload = json.loads(raw) if raw.strip() else None
                if path == "/v1.0/$batch" and method == "POST":
                    status, answer, extra = emulator.batch(headers, payload)
                else:
                    status, answer, extra = emulator.graph(method, path, query, headers, payload)
                return self._send(status, answer, headers=extra)
            except GraphError as exc:
                return self._send(exc.status, exc.body(), headers=exc.headers)
            except (ValueError, KeyError):
                return self._send(400, {"error": {"code": "BadRequest", "message": "Malformed request."}})

        def do_GET(self):
            self._dispatch("GET")

        def do_POST(self):
            self._dispatch("POST")

        def do_PATCH(self):
            self._dispatch("PATCH")

        def do_DELETE(self):
            self._dispatch("DELETE")

    return Handler
