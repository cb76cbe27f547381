"""A Microsoft identity platform and Graph v1.0 calendar emulator on loopback, for msal and requests.

Written from Microsoft's public documentation: OpenID configuration, an
authorize endpoint whose sign-in page (plain http) lets the person pick or type
the account, a token endpoint that checks the client
secret, the redirect URI and PKCE and issues id tokens carrying the nonce (over
TLS: msal refuses plain http); Graph calendarView delta (a window is required,
pages, the delta link last, ``@removed`` for deletions and for events leaving the
window, 410 when the sync state is gone), events with changeKey and If-Match,
``transactionId`` dedupe, subscriptions (https callbacks only) with the real
validation handshake and lifecycle notifications, change notifications really
POSTed (sometimes twice, as Graph does), ``$batch`` (at most 20, ``dependsOn``),
calendar getSchedule (``schedule``), and Graph's limits (4 concurrent requests and 10,000 requests per 10 minutes per
mailbox). The shared mechanics are ``calsync.sandbox.kernel``; this package is
Graph's wire format, one file per resource. Shares no code with ``calsync.microsoft``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import secrets
import time
import urllib.parse
from datetime import datetime

from ..kernel.emulator import EmulatorBase
from ..kernel.throttle import Throttle, Throttled
from .app_only import ME_APP_ONLY, AppOnlyMixin
from .batch import BatchMixin
from .delta import DeltaMixin
from .errors import GraphError, fault_error, not_found
from .events import EventsMixin
from .oauth import OAuthMixin
from .people import PeopleMixin
from .present import page_size, present
from .recurrence import RecurrenceMixin, _occurrences
from .schedule import ScheduleMixin
from .subscriptions import SubscriptionsMixin
from .times import _parse_graph_time

# Graph throttling limits, Outlook service limits: 4 concurrent requests per mailbox
MAILBOX_CONCURRENCY = 4


def _relinked(result, prefix):
    """Paging and delta links in the path form the request used (``/users/{x}/...`` stays so)."""
    status, answer, extra = result
    if prefix and isinstance(answer, dict):
        for key in ("@odata.nextLink", "@odata.deltaLink"):
            if isinstance(answer.get(key), str):
                answer[key] = answer[key].replace("/v1.0/me/", prefix + "/", 1)
    return status, answer, extra


class MicrosoftEmulator(EventsMixin, DeltaMixin, RecurrenceMixin, SubscriptionsMixin, OAuthMixin, AppOnlyMixin,
                        BatchMixin, PeopleMixin, ScheduleMixin, EmulatorBase):
    """Identity platform + Graph on one TLS port; thread-safe; state in memory (optionally a file).

    Fault kinds (``inject_fault``): rate_limit (429), server_error (503), gone (410 SyncStateNotFound on
    delta), sync_state_not_found / resync_required (400 on delta), conflict_409 (409
    ErrorIrresolvableConflict), slow, apply_then_fail. Inside a ``$batch`` each fault hits one item.
    """

    error_class = GraphError
    # a body of the wrong JSON types (a number where Graph wants a string, a string for an object) is a 400
    # BadRequest, as Graph answers it, never a dropped connection
    malformed_errors = (ValueError, KeyError, TypeError, AttributeError)
    http_methods = ("GET", "POST", "PATCH", "DELETE")

    def __init__(self, tls, host="127.0.0.1", port=0, enforce_limits=True, state_file=None,
                 client_id="sandbox-microsoft-client", client_secret=None, duplicate_notifications=0.3, seed=7,
                 mailbox_limit=10000, mailbox_window=600.0, allow_http_loopback=False):
        # Graph: 10,000 requests per 10 minutes per mailbox
        super().__init__(tls, host, port, client_id=client_id,
                         client_secret=client_secret or "sbx-mcs-" + secrets.token_urlsafe(24),
                         state_file=state_file,
                         throttle=Throttle(mailbox_limit, mailbox_window, enforce_limits, MAILBOX_CONCURRENCY),
                         allow_http_loopback=allow_http_loopback)
        self.issued.add("microsoft client secret", self.client_secret)
        self.seq = itertools.count(1)
        self.mailboxes: dict[str, dict] = {}  # account -> {event id -> event}
        self.changes: dict[str, dict] = {}  # account -> {event id -> seq}
        self.min_delta: dict[str, int] = {}
        self.subscriptions = {}
        self.duplicates = duplicate_notifications
        self.random = random.Random(seed)
        self.load_state()

    # -- state file ------------------------------------------------------------------------
    def state_snapshot(self):
        with self.lock:
            return {"mailboxes": self.mailboxes, "changes": self.changes, "refresh": dict(self.refresh),
                    "accounts": self.accounts.listing(), "app_only": self.app_only_snapshot()}

    def restore_state(self, state):
        self.accounts.restore(state.get("accounts") or list(state.get("mailboxes", {})))
        self.mailboxes, self.changes = state.get("mailboxes", {}), state.get("changes", {})
        self.oauth.restore_refresh(state.get("refresh", {}), "microsoft refresh token")
        self.restore_app_only(state.get("app_only") or {})
        top = max([s for c in self.changes.values() for s in c.values()] or [0])
        self.seq = itertools.count(top + 1)

    def unknown_account(self, account):
        # Graph answers 404 for a user it does not know; the docs name no code for calendar resources
        # (ErrorInvalidUser is what Outlook answers, by community reports)
        return GraphError(404, "ErrorInvalidUser", f"The requested user '{account}' is invalid.")

    # -- control ------------------------------------------------------------------------------
    def extra_actions(self):
        return {"send_lifecycle": lambda p: self.send_lifecycle(p["subscription_id"], p["event"]),
                **self.app_only_actions()}

    def expire_sync_state(self, account=None):
        """Every delta token issued so far (for ``account``, or all) is gone: the next delta with one is 410."""
        with self.lock:
            for box in ({account} if account else set()) | set(self.mailboxes):  # an empty mailbox too
                if account is None or box == account:
                    self.min_delta[box] = max(self.changes.get(box, {}).values() or [0]) + 1

    def reset(self):
        with self.lock:
            self.mailboxes.clear()
            self.changes.clear()
            self.subscriptions.clear()
        super().reset()

    # -- HTTP ---------------------------------------------------------------------------------
    def is_oauth_path(self, path):
        return "/oauth2/" in path or "openid-configuration" in path or "discovery" in path

    def malformed(self):
        return self.reply(400, {"error": {"code": "BadRequest", "message": "Malformed request."}})

    def route(self, request):
        path, method, headers, query = request.path, request.method, request.headers, request.query
        if path.endswith("/v2.0/.well-known/openid-configuration"):
            return self.reply(200, self.openid_configuration(path.strip("/").split("/")[0]))
        if path.endswith("/oauth2/v2.0/authorize"):
            status, target = self.authorize(path, query)
            if status == 302:
                return self.reply(302, b"", "text/html", {"Location": target})
            return self.reply(status, target)
        if path.endswith("/oauth2/v2.0/token") and method == "POST":
            return self.reply(*self.token(dict(urllib.parse.parse_qsl(request.raw.decode()))))
        payload = json.loads(request.raw) if request.raw.strip() else None
        if path == "/v1.0/$batch" and method == "POST":
            status, answer, extra = self.batch(headers, payload)
        else:
            status, answer, extra = self.graph(method, path, query, headers, payload)
        return self.reply(status, answer, headers=extra)

    # -- Graph --------------------------------------------------------------------------------
    def _token_entry(self, headers):
        auth = headers.get("Authorization", "")
        entry = self.oauth.access_entry(auth[7:]) if auth.startswith("Bearer ") else None
        if entry is None:
            raise GraphError(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
        return entry

    def _addressed(self, entry, path, body):
        """``(mailbox, path as /v1.0/me/..., the prefix the request used)``: ``/users/{id|upn}/...`` is served
        as that mailbox's ``/me/...``; ``/me`` under an app-only token is refused (see app_only.py)."""
        parts = path.strip("/").split("/")
        rest = parts[1:] if parts[:1] == ["v1.0"] else []
        if rest[:1] == ["me"] and entry.get("app_only"):
            raise GraphError(400, "BadRequest", ME_APP_ONLY)
        if rest[:1] == ["users"] and len(rest) >= 2:
            segment = urllib.parse.unquote(rest[1])
            account = self.mailbox_for(entry, segment)
            return account, "/v1.0/" + "/".join(["me", *rest[2:]]), f"/v1.0/users/{rest[1]}"
        if rest[:1] == ["subscriptions"] and entry.get("app_only"):
            return self._subscription_mailbox(entry, rest[1:], body), path, None
        return entry["account"], path, None

    def _subscription_mailbox(self, entry, rest, body):
        """An app-only subscription belongs to the mailbox its resource names (``users/{id|upn}/events``)."""
        if not rest:
            segments = str((body or {}).get("resource") or "").strip("/").split("/")
            if segments[:1] == ["me"]:
                raise GraphError(400, "BadRequest", ME_APP_ONLY)
            if len(segments) < 2 or segments[0].lower() != "users":
                raise GraphError(400, "InvalidRequest", "The resource is not an Outlook events path.")
            return self.mailbox_for(entry, segments[1])
        with self.lock:
            sub = self.subscriptions.get(rest[0]) or {}
        return sub.get("account") if sub.get("app") == entry["account"] else entry["account"]

    def _enter(self, account):
        try:
            self.throttle.enter(account)
        except Throttled as over:
            message = "Too many requests." if over.reason == "quota" else "MailboxConcurrency limit exceeded."
            raise GraphError(429, "ApplicationThrottled", message, {"Retry-After": str(over.retry_after)}) from None

    def graph(self, method, path, query, headers, body):
        """One Graph call: returns (status, body dict or None, extra headers); logged with its status."""
        return self.log.answer(method, path, query, lambda: self._graph(method, path, query, headers, body))

    def _graph(self, method, path, query, headers, body):
        fault = self.faults.take(path)
        if fault:
            error = fault_error(fault["kind"], fault["retry_after"], path)
            if error is not None:
                raise error
        entry = self._token_entry(headers)
        account, path, prefix = self._addressed(entry, path, body)
        self._enter(account)
        try:
            if fault and fault["kind"] == "slow":  # a slow answer holds its place among the 4 concurrent
                time.sleep(float(fault["delay"] or 1))
            result = self._route(account, method, path, query, headers, body)
        finally:
            self.throttle.leave(account)
        if fault and fault["kind"] == "apply_then_fail":
            raise GraphError(503, "ServiceUnavailable", "Service unavailable (the change was applied).")
        if entry.get("app_only") and path.startswith("/v1.0/subscriptions") and method == "POST":
            with self.lock:  # remembered as the app's, for its renewal and deletion
                self.subscriptions[result[1]["id"]]["app"] = entry["account"]
        return _relinked(result, prefix)

    def calendar_id(self, account):
        """The id of the mailbox's one calendar (the sandbox keeps one calendar per mailbox)."""
        return "AAMkCal" + hashlib.sha256(account.encode()).hexdigest()[:24]

    def _route(self, account, method, path, query, headers, body):
        # Graph's error shape for an unknown resource or segment (learn.microsoft.com/graph/errors): 400
        # BadRequest "Resource not found for the segment" / 404 ResourceNotFound, never a bare 405
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")]
        if parts[:1] != ["v1.0"]:
            raise GraphError(404, "ResourceNotFound", "Resource not found.")
        rest = parts[1:]
        if rest[:1] == ["subscriptions"]:
            return self._subscriptions(account, method, rest[1:], body)
        # calendar: getSchedule, "POST /me/calendar/getSchedule" and "POST /users/{id|userPrincipalName}/calendar/
        # getSchedule": the schedules named in the body are read, whoever's calendar the path names
        if method == "POST" and len(rest) >= 3 and rest[-2:] == ["calendar", "getSchedule"] and (
                rest[:-2] == ["me"] or (rest[0] == "users" and len(rest) == 4)):
            return self._get_schedule(account, headers, body)
        if rest[:1] != ["me"]:
            raise GraphError(404, "ResourceNotFound", "Resource not found.")
        rest = rest[1:]
        if not rest and method == "GET":
            return self.me(account, headers, query)
        # Create / update / delete / list events (learn.microsoft.com/graph/api/user-post-events, event-update,
        # event-delete, user-list-events): /me/events, /me/calendar/events and /me/calendars/{id}/events all
        # address the events of a calendar; the sandbox's mailbox has one calendar, the default one
        if rest in (["calendars"], ["calendar"]) and method == "GET":
            calendar = {"id": self.calendar_id(account), "name": "Calendar", "isDefaultCalendar": True,
                        "canEdit": True, "owner": {"name": account.split("@")[0], "address": account}}
            return 200, ({"value": [calendar]} if rest == ["calendars"] else calendar), {}
        if rest[:1] == ["calendar"]:
            rest = rest[1:]
        elif rest[:1] == ["calendars"] and len(rest) >= 2:
            if rest[1] != self.calendar_id(account):
                raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
            rest = rest[2:]
        if rest == ["calendarView", "delta"] and method == "GET":
            return 200, self._delta(account, query, headers), {}
        if rest == ["calendarView"] and method == "GET":
            return 200, self._calendar_view(account, query, headers), {}
        if rest == ["events"] and method == "POST":
            return 201, present(self._create(account, body), account, headers), {}
        if rest == ["events"] and method == "GET":
            return 200, self._list_events(account, query, headers), {}
        if len(rest) == 3 and rest[0] == "events" and rest[2] == "instances" and method == "GET":
            return 200, self._instances(account, rest[1], query, headers), {}
        if len(rest) == 2 and rest[0] == "events" and method in ("GET", "PATCH", "DELETE"):
            status, event, extra = self._event(account, method, rest[1], headers, body)
            return status, (present(event, account, headers, query) if event else None), extra
        segment = next((p for p in rest if p not in ("events", "calendarView")), rest[-1] if rest else "me")
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")

    def _listing(self, account, items, query, headers, base):
        """One page of an event list; ``$skiptoken`` carries the offset (Paging Microsoft Graph data)."""
        offset = int(query.get("$skiptoken") or 0) if str(query.get("$skiptoken") or "0").isdigit() else 0
        size = page_size(headers, 10)
        out = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(event)",
               "value": [present(i, account, headers, query) for i in items[offset:offset + size]]}
        if offset + size < len(items):
            keep = {k: v for k, v in query.items() if k != "$skiptoken"}
            out["@odata.nextLink"] = f"{base}?" + urllib.parse.urlencode({**keep, "$skiptoken": offset + size})
        return out

    def _list_events(self, account, query, headers):
        """GET /me/events: single events and series masters (occurrences are read through a view)."""
        with self.lock:
            items = [e for e in self.mailboxes.get(account, {}).values()
                     if not e.get("@deleted") and not e.get("seriesMasterId")]
        return self._listing(account, items, query, headers, f"{self.base_url}/v1.0/me/events")

    def _calendar_view(self, account, query, headers):
        """GET /me/calendarView: the events, occurrences and exceptions in the window (List calendarView:
        startDateTime and endDateTime are required)."""
        if not query.get("startDateTime") or not query.get("endDateTime"):
            raise GraphError(400, "ErrorInvalidParameter",
                             "This request requires a time window specified by startDateTime and endDateTime.")
        start = datetime.fromisoformat(query["startDateTime"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(query["endDateTime"].replace("Z", "+00:00"))
        with self.lock:
            box = self.mailboxes.get(account, {})
            items = []
            for event in list(box.values()):
                if event.get("@deleted") or event.get("seriesMasterId"):
                    continue
                expanded = [box.get(o["id"], o) for o in _occurrences(event)] if event.get("recurrence") else [event]
                items += [i for i in expanded if not i.get("@deleted") and _parse_graph_time(i["start"]) < end
                          and _parse_graph_time(i["end"]) > start]
        items.sort(key=lambda i: _parse_graph_time(i["start"]))
        return self._listing(account, items, query, headers, f"{self.base_url}/v1.0/me/calendarView")

    def _event(self, account, method, event_id, headers, body):
        """GET / PATCH / DELETE /me/events/{id}: an event, an exception, or an occurrence of a series."""
        box = self.mailboxes.get(account, {})
        if event_id not in box:
            occurrence = self._occurrence(account, event_id)
            if occurrence is None:
                raise not_found()
            if method == "GET":
                return 200, occurrence, {}
            # editing or deleting one occurrence makes it an exception of its own; the series is untouched
            box[event_id] = dict(occurrence, type="exception")
        if box[event_id].get("@deleted"):
            raise not_found()
        if method == "GET":
            return 200, box[event_id], {}
        self._check_if_match(box[event_id], headers)
        if method == "PATCH":
            updated = dict(box[event_id])
            updated.update({k: v for k, v in (body or {}).items() if k not in ("id", "changeKey")})
            return 200, self._save_event(account, updated), {}
        self._delete_event(account, event_id)
        return 204, None, {}
