"""A Google Calendar v3 and Google OAuth emulator on loopback, for the real client libraries.

Written from Google's public documentation: events list with sync tokens and
pages (the sync token only on the last page, 410 ``fullSyncRequired`` when it is
gone, the documented parameter rules), get, insert with client-supplied ids
(base32hex, 409 on duplicates, ids stay taken after deletion), patch / update
with If-Match (412 ``conditionNotMet``), delete (410 ``deleted`` the second
time), watch channels that really POST headers-only notifications to https
callbacks, channels.stop, the batch endpoint, freebusy.query (``freebusy``), per-user quotas, and an OAuth
authorize endpoint whose sign-in page (plain http) lets the person pick or type the
account, and a token endpoint that checks the client
secret, the redirect URI and PKCE. The shared mechanics (HTTP, control API,
faults, quotas, OAuth bookkeeping, webhook delivery, state file) are
``calsync.sandbox.kernel``; this package is Google's wire format, one file per
resource. Query parameters and event bodies are checked against the Calendar v3
discovery document that google-api-python-client ships (``discovery``). Shares no
code with ``calsync.google``.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
import urllib.parse

from ..kernel.emulator import EmulatorBase
from ..kernel.throttle import Throttle, Throttled
from .batch import BatchMixin
from .channels import ChannelsMixin
from .delegation import DelegationMixin
from .discovery import check_query
from .errors import ApiError, fault_error, parse_error
from .events import EventsMixin
from .freebusy import FreeBusyMixin
from .listing import ListingMixin
from .oauth import OAuthMixin
from .people import PeopleMixin
from .recurrence import RecurrenceMixin

# oauth2.googleapis.com/token, and the older accounts.google.com/o/oauth2/token that Odoo 18's google_account
# still posts to: Google kept it ("Functionally, the behavior is nearly identical", golang/oauth2#344; the old
# endpoints are not slated for removal, google/gmail-oauth2-tools#50)
TOKEN_PATHS = ("/token", "/o/oauth2/token")
OAUTH_PATHS = ("/o/oauth2/auth", *TOKEN_PATHS)
# events methods by (HTTP method, path shape), to check their parameters against the discovery document
EVENTS_METHODS = {("GET", 0): "list", ("POST", 0): "insert", ("GET", 1): "get", ("PATCH", 1): "patch",
                  ("PUT", 1): "update", ("DELETE", 1): "delete"}


class _Calendar:
    def __init__(self, calendar_id, owner, summary):
        self.id, self.owner, self.summary = calendar_id, owner, summary
        self.events = {}  # id -> dict
        self.seq = {}  # id -> change sequence number
        self.token_epoch = 0  # sync tokens carry it: an expiry refuses only the tokens issued before it


class GoogleEmulator(EventsMixin, ListingMixin, RecurrenceMixin, ChannelsMixin, OAuthMixin, DelegationMixin,
                     BatchMixin, PeopleMixin, FreeBusyMixin, EmulatorBase):
    """Google Calendar + OAuth on one TLS port. Thread-safe; state in memory (optionally a file).

    Fault kinds (``inject_fault``): rate_limit, user_rate_limit, quota_exceeded, server_error, gone, slow,
    apply_then_fail.
    """

    error_class = ApiError
    malformed_errors = (ValueError,)

    def __init__(self, tls, host="127.0.0.1", port=0, enforce_quotas=True, state_file=None,
                 client_id="sandbox-google-client", client_secret=None, quota_per_minute=600,
                 quota_window=60.0, allow_http_loopback=False):
        # Google's default per-user quota: 600 requests a minute
        super().__init__(tls, host, port, client_id=client_id,
                         client_secret=client_secret or "sbx-gcs-" + secrets.token_urlsafe(24),
                         state_file=state_file, throttle=Throttle(quota_per_minute, quota_window, enforce_quotas),
                         allow_http_loopback=allow_http_loopback)
        self.issued.add("google client secret", self.client_secret)
        self.changes = itertools.count(1)
        self.calendars: dict[str, _Calendar] = {}
        self.channels = {}  # channel id -> dict
        self.init_delegation()
        self.load_state()

    # -- state file ------------------------------------------------------------------------
    def state_snapshot(self):
        with self.lock:
            return {"calendars": {cid: {"owner": c.owner, "summary": c.summary, "events": c.events, "seq": c.seq}
                                  for cid, c in self.calendars.items()},
                    "refresh": dict(self.refresh), "accounts": self.accounts.listing(),
                    "delegation": self.delegation_snapshot()}

    def restore_state(self, state):
        self.accounts.restore(state.get("accounts") or {c["owner"] for c in state.get("calendars", {}).values()})
        for cid, data in state.get("calendars", {}).items():
            cal = self._calendar(cid, data["owner"], data["summary"])
            cal.events, cal.seq = data["events"], data["seq"]
        self.oauth.restore_refresh(state.get("refresh", {}), "google refresh token")
        self.restore_delegation(state.get("delegation") or {})
        top = max([s for c in self.calendars.values() for s in c.seq.values()] or [0])
        self.changes = itertools.count(top + 1)

    # -- accounts and calendars -------------------------------------------------------------
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

    def unknown_account(self, account):
        # Calendars: get on a calendar nobody has is 404 notFound (Calendar API, Errors: 404 Not Found)
        return ApiError(404, "notFound", "Not Found")

    # -- control ------------------------------------------------------------------------------
    def expire_sync_state(self, account=None):
        """Every sync token issued so far (for ``account``, or all) is gone: the next list with one is 410."""
        with self.lock:
            for cal in self.calendars.values():
                if account is None or cal.owner == account:
                    cal.token_epoch += 1

    def extra_actions(self):
        return self.delegation_actions()

    def reset(self):
        with self.lock:
            self.calendars.clear()
            self.channels.clear()
        super().reset()

    # -- HTTP ---------------------------------------------------------------------------------
    def is_oauth_path(self, path):
        return path in OAUTH_PATHS

    def reply(self, status, body=None, content_type="application/json; charset=UTF-8", headers=None):
        if status == 204 and not body:
            content_type = None  # Google sends no Content-Type on an empty answer
        return super().reply(status, body, content_type, headers)

    def malformed(self):
        return self.reply(400, parse_error().body())

    def route(self, request):
        path, method, headers = request.path, request.method, request.headers
        if path == "/o/oauth2/auth" and method == "GET":
            status, target = self.authorize(request.query)
            if status == 302:
                return self.reply(302, b"", "text/html", {"Location": target})
            return self.reply(status, target)
        if path in TOKEN_PATHS and method == "POST":
            return self.reply(*self.token(dict(urllib.parse.parse_qsl(request.raw.decode())), headers))
        if path == "/batch/calendar/v3" and method == "POST":
            status, content_type, data = self.batch(headers.get("Content-Type", ""), request.raw, headers)
            return self.reply(status, data, content_type)
        payload = json.loads(request.raw) if request.raw.strip() else None
        status, answer, extra = self.api(method, path, request.query, headers, payload)
        return self.reply(status, answer, headers=extra)

    # -- the Calendar API ---------------------------------------------------------------------
    def _account_of(self, headers, query=None):
        auth = headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else None
        if token is None and query:
            # RFC 6750 section 2.3 (URI query parameter); Google: "include the access token in a request to the
            # API by including either an access_token query parameter or an Authorization HTTP header Bearer
            # value" (Using OAuth 2.0 for Web Server Applications); oauth_token is the discovery document's name
            token = query.get("access_token") or query.get("oauth_token")
        if not token:
            raise ApiError(401, "required", "Login Required")
        entry = self.oauth.access_entry(token)
        if entry is None:
            raise ApiError(401, "authError", "Invalid Credentials")
        return entry["account"]

    def _scopes(self, headers, query=None):
        auth = headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else (query or {}).get("access_token", "")
        return " ".join(self.access.get(token, {}).get("scopes", []))

    def _charge(self, account):
        try:
            self.throttle.enter(account)
        except Throttled as over:
            raise ApiError(403, "userRateLimitExceeded", "User Rate Limit Exceeded",
                           {"Retry-After": str(over.retry_after)}) from None

    def api(self, method, path, query, headers, body):
        """One Calendar API call: returns (status, body dict or None, extra headers); logged with its status."""
        return self.log.answer(method, path, query, lambda: self._api(method, path, query, headers, body))

    def _api(self, method, path, query, headers, body):
        fault = self.faults.take(path)
        apply_then_fail = False
        if fault:
            if fault["kind"] == "slow":
                time.sleep(float(fault["delay"] or 1))
            elif fault["kind"] == "apply_then_fail":
                apply_then_fail = True
            else:
                error = fault_error(fault["kind"], fault["retry_after"])
                if error is not None:
                    raise error
        account = self._account_of(headers, query)
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
            check_query("calendarList", "list", query)
            if "calendarlist" not in self._scopes(headers, query):
                raise ApiError(403, "insufficientPermissions", "Request had insufficient authentication scopes.")
            return 200, {"kind": "calendar#calendarList", "items": [
                {"id": c.id, "summary": c.summary, "primary": c.id == account}
                for c in self.calendars.values() if c.owner == account] or [
                {"id": account, "summary": account, "primary": True}]}, {}
        if rest == ["freeBusy"] and method == "POST":
            check_query("freebusy", "query", query)
            return self._freebusy(account, headers, query, body)
        if rest == ["channels", "stop"] and method == "POST":
            return self._stop_channel(account, body)
        if len(rest) >= 3 and rest[0] == "calendars" and rest[2] == "events":
            cal = self._resolve(account, rest[1])
            tail = rest[3:]
            name = "instances" if len(tail) == 2 and tail[1] == "instances" else "watch" if tail == ["watch"] \
                else EVENTS_METHODS.get((method, len(tail)))
            if name:
                check_query("events", name, query)
            if not tail:
                if method == "GET":
                    return 200, self._list(cal, query), {}
                if method == "POST":
                    return 200, self._insert(cal, body, query), {}
            elif len(tail) == 2 and tail[1] == "instances" and method == "GET":
                return 200, self._list_instances(cal, tail[0], query), {}
            elif tail == ["watch"] and method == "POST":
                return 200, self._watch(cal, rest[1], body), {}
            elif len(tail) == 1:
                event_id = tail[0]
                if method == "GET":
                    return 200, self._get(cal, event_id), {}
                if method in ("PATCH", "PUT"):
                    return 200, self._patch(cal, event_id, body, headers, replace_all=method == "PUT",
                                            query=query), {}
                if method == "DELETE":
                    self._delete(cal, event_id, headers)
                    return 204, None, {}
        raise ApiError(404, "notFound", "Not Found")
