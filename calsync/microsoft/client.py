"""The Microsoft Graph calendar client: delta with a window, transactionId creates, If-Match, $batch, subscriptions.

One client (one msal app and one requests session) per connection and job. It
retries only briefly in-process; long Retry-After waits, a gone sync state and
revoked consent leave as typed errors for the job layer.
"""

from __future__ import annotations

import time
import urllib.parse
from datetime import datetime, timedelta, timezone

import requests

from ..availability import default_window
from ..errors import NeedsReauth, PreconditionFailed, ProviderError, SyncError, TransientError
from ..events import ChangeSet, Channel, OpKind, RemoteEvent, SeriesListing, WriteOp, WriteResult
from ..provider import CalendarProvider
from ..retry import brief_wait
from .auth import http_session, make_app
from .busy import collect, results, schedule_bodies
from .config import SCOPES, MicrosoftConfig
from .errors import safe_json as _safe_json
from .errors import translate
from .parse import event_body, parse_event, parse_items

BRIEF_ATTEMPTS = 3
PAGE_SIZE = 200
# Outlook event subscriptions last at most 10,080 minutes (under 7 days; 1,440 with resource data, which we
# do not ask for); longer is 400 (subscription resource type, "Subscription lifetime"; the older 4,230-minute
# limit is gone). We ask a little less, since Graph checks against its own clock, and renew at half-life.
MAX_SUBSCRIPTION = timedelta(minutes=10080)
CLOCK_MARGIN = timedelta(minutes=5)


class GraphCalendarClient(CalendarProvider):
    """One mailbox's calendar (the default one, or a calendar id)."""

    name = "microsoft"
    max_batch = 20
    renews_in_place = True
    supports_series = True

    # called after each page read with the number of events read so far (progress of a long read)
    on_progress = None

    def __init__(self, config: MicrosoftConfig, token_cache: str | None, account_email: str | None = None,
                 calendar_id: str | None = None, window=(30, 365), invite_attendees: bool = False,
                 on_token_cache_changed=None, sleep=time.sleep, meter=None, timeout: float = 30,
                 mailbox: str | None = None, token_source=None):
        # ``mailbox`` (a user id or userPrincipalName): every path is /users/{mailbox}/..., as an app-only
        # token requires (Graph refuses /me without a signed-in user); ``token_source``: where tokens come
        # from instead of the user's msal cache (calsync.microsoft.app_only)
        self.config = config
        self.mailbox = mailbox
        self._token_source = token_source
        self.app, self.cache = make_app(config, token_cache) if token_source is None else (None, None)
        self.account_email = account_email
        self.calendar_id = calendar_id
        self.window = window
        self.invite_attendees = invite_attendees
        self._on_cache = on_token_cache_changed
        self._sleep = sleep
        self.timeout = timeout  # seconds per HTTP request; a timed-out request may still have been applied
        self.session = http_session(config)
        self._meter = meter or (lambda units: None)  # quota pacing (calsync.quota.QuotaMeter), asked per request
        self.requests_sent = 0

    # -- auth ---------------------------------------------------------------------------
    def _token(self, force=False) -> str:
        if self._token_source is not None:
            return self._token_source.token(force=force)
        accounts = self.app.get_accounts(username=self.account_email) if self.account_email else []
        accounts = accounts or self.app.get_accounts()
        if not accounts:
            raise NeedsReauth("No Microsoft account is signed in for this calendar. Reconnect the calendar.")
        result = self.app.acquire_token_silent(SCOPES, account=accounts[0], force_refresh=force)
        if not result or "access_token" not in result:
            raise NeedsReauth("Microsoft no longer accepts this calendar's access (consent revoked or the sign-in "
                              "expired). Reconnect the calendar.")
        if self.cache.has_state_changed and self._on_cache:
            self._on_cache(self.cache.serialize())
            self.cache.has_state_changed = False
        return result["access_token"]

    # -- plumbing -------------------------------------------------------------------------
    def _user(self) -> str:
        """The user segment of every path: ``/me`` for a signed-in user, ``/users/{mailbox}`` app-only."""
        return f"/users/{urllib.parse.quote(self.mailbox, safe='@')}" if self.mailbox else "/me"

    def _events_url(self, event_id, tail="") -> str:
        return f"{self.config.graph_base}{self._user()}/events/{event_id}{tail}"

    def _base(self, absolute=True):
        return (self.config.graph_base if absolute else "") + self._user() + \
            (f"/calendars/{self.calendar_id}" if self.calendar_id else "")

    def _request(self, method, url, json=None, headers=None):
        refreshed = False
        units = len(json["requests"]) if url.endswith("/$batch") and json else 1  # each $batch request counts
        for attempt in range(BRIEF_ATTEMPTS):
            self._meter(units)
            self.requests_sent += 1
            all_headers = {"Authorization": f"Bearer {self._token(force=refreshed)}", **(headers or {})}
            try:
                answer = self.session.request(method, url, json=json, headers=all_headers, timeout=self.timeout)
            except requests.RequestException as exc:
                error = TransientError(f"Microsoft Graph could not be reached ({type(exc).__name__}).")
            else:
                if answer.status_code < 400:
                    return answer.json() if answer.content else None
                if answer.status_code == 401 and not refreshed:
                    refreshed = True
                    continue
                error = translate(answer.status_code, answer.headers, _safe_json(answer), self.mailbox)
            if not self._retry_briefly(error, attempt):
                raise error
        raise error

    def _retry_briefly(self, error, attempt):
        wait = brief_wait(error, attempt, BRIEF_ATTEMPTS)
        if wait is None:
            return False  # a long wait belongs to the job queue, not to this process
        self._sleep(wait)
        return True

    # -- reading ----------------------------------------------------------------------------
    def _window(self):
        now = datetime.now(timezone.utc)
        return now - timedelta(days=self.window[0]), now + timedelta(days=self.window[1])

    def list_changes(self, cursor=None) -> ChangeSet:
        if cursor:
            url = cursor
        else:
            start, end = (moment.strftime("%Y-%m-%dT%H:%M:%SZ") for moment in self._window())
            url = f"{self._base()}/calendarView/delta?startDateTime={start}&endDateTime={end}"
        events, invalid, removed = [], [], []
        seen, masters = set(), set()
        while True:
            # an expired delta token (410 SyncStateNotFound, or another resync code) leaves as SyncTokenExpired
            page = self._request("GET", url, headers={"Prefer": f"odata.maxpagesize={PAGE_SIZE}"})
            masters.update(item["id"] for item in page.get("value", [])
                           if isinstance(item, dict) and item.get("type") == "seriesMaster" and item.get("id"))
            live, bad, gone = parse_items(page.get("value", []))
            for event in live:
                if event.id not in seen:  # Graph may replay an event within one delta round
                    seen.add(event.id)
                    events.append(event)
            invalid += bad
            removed += gone
            if self.on_progress:  # neither the list nor the delta says in advance how many events will come
                self.on_progress(len(events) + len(invalid) + len(removed))
            if page.get("@odata.nextLink"):
                url = page["@odata.nextLink"]
                continue
            delta = page.get("@odata.deltaLink", "")
            break
        stubbed = {e.series_id for e in events if e.series_id and e.unknown and not e.deleted}
        # a changed series comes back as its master and the occurrences it still has, and a deleted
        # occurrence is simply missing (no @removed: microsoft-graph-docs PR #4501): an incremental
        # round lists each changed series in full, so that the pull can tell which occurrence went
        listed = self._list_series(stubbed | (masters if cursor else set()))
        events = self._complete_stubs(events, listed)
        for event_id in dict.fromkeys(removed):
            # @removed is also how an event leaving the window is reported: look before calling it deleted
            current = self.get(event_id)
            if event_id not in seen:
                events.append(current if current is not None else RemoteEvent(id=event_id, version="", deleted=True))
        series = tuple(SeriesListing(series_id, frozenset(occurrences), *window)
                       for series_id, (window, occurrences) in sorted(listed.items()) if series_id in masters)
        return ChangeSet(events=tuple(events), cursor=delta, full=cursor is None, invalid=tuple(invalid),
                         series=series if cursor else ())

    @staticmethod
    def _complete_stubs(events, listed):
        """Occurrence stubs replaced by the full occurrences ``_list_series`` read."""
        return [listed[e.series_id][1].get(e.id, e) if e.unknown and e.series_id in listed else e for e in events]

    def _list_series(self, series_ids):
        """``{series id: ((start, end), {occurrence id: occurrence})}``: one /instances read per series.

        calendarView delta sends a series' occurrences as stubs without subject or body (microsoft-graph-docs
        issues #7632, #22197; Odoo 18's microsoft_calendar reads them from /instances the same way), so
        the stubs are completed from it. A stub the series no longer lists stays a stub: its missing
        fields are unknown, never empty. A series gone meanwhile (400/404) is left out.
        """
        start, end = self._window()
        listed = {}
        for series_id in sorted(series_ids):
            try:
                listed[series_id] = ((start, end), {o.id: o for o in self.series_instances(series_id, start, end)})
            except ProviderError as exc:
                if exc.status not in (400, 404):
                    raise
        return listed

    def get(self, event_id) -> RemoteEvent | None:
        try:
            return parse_event(self._request("GET", self._events_url(event_id)))
        except ProviderError as exc:
            if exc.status == 404:
                return None
            raise

    # -- writing ----------------------------------------------------------------------------
    def create(self, identity, data) -> RemoteEvent:
        body = dict(event_body(data, self.invite_attendees), transactionId=identity)
        return parse_event(self._request("POST", f"{self._base()}/events", json=body))

    def update(self, event_id, data, if_match) -> RemoteEvent:
        headers = {"If-Match": _etag(if_match)} if if_match else {}
        try:
            return parse_event(self._request("PATCH", self._events_url(event_id),
                                             json=event_body(data, self.invite_attendees), headers=headers))
        except ProviderError as exc:
            if exc.status == 404:
                raise PreconditionFailed("The Outlook event no longer exists.") from None
            raise

    def delete(self, event_id, if_match=None) -> None:
        headers = {"If-Match": _etag(if_match)} if if_match else {}
        try:
            self._request("DELETE", self._events_url(event_id), headers=headers)
        except ProviderError as exc:
            if exc.status != 404:  # already gone counts as done
                raise

    def apply(self, ops: list[WriteOp]) -> list[WriteResult]:
        """Up to 20 writes per ``$batch``, all in parallel (no ``dependsOn``).

        Graph accepts a batch only fully parallel, fully serial or with every dependent item on one
        same item (json-batching known issues; microsoft-graph-docs issue #16280); several chains are
        refused whole with 400. Graph hands a parallel batch's items to Outlook at most four at a
        time (Graph throttling guidance, Outlook service limits), so a lone batch keeps the
        4-concurrent-requests-per-mailbox limit. An item may still fail alone with 429 (other
        requests reached the mailbox at the same moment) or 5xx: those items, and only those, are
        sent again in the next batch after Retry-After, briefly; creates are idempotent by
        ``transactionId`` and updates carry If-Match, so a retried item is never applied twice.
        """
        if len(ops) <= 1:
            return super().apply(ops)
        results: list[WriteResult] = []
        for start in range(0, len(ops), self.max_batch):
            results += self._batch(ops[start:start + self.max_batch])
        return results

    def _batch(self, ops):
        results: dict[int, WriteResult] = {}
        pending = list(range(len(ops)))
        for attempt in range(BRIEF_ATTEMPTS):
            items = [{"id": str(index + 1), **self._batch_request(ops[index])} for index in pending]
            try:
                answer = self._request("POST", f"{self.config.graph_base}/$batch", json={"requests": items})
            except SyncError as exc:
                for index in pending:
                    results[index] = WriteResult(ops[index], error=exc)
                break
            by_id = {r.get("id"): r for r in (answer or {}).get("responses", []) if isinstance(r, dict)}
            again = []
            for index in pending:
                result, retry = self._batch_result(ops[index], by_id.get(str(index + 1)))
                results[index] = result
                if retry:
                    again.append(index)
            if not again:
                break
            waits = [brief_wait(results[index].error, attempt, BRIEF_ATTEMPTS) for index in again]
            if any(wait is None for wait in waits):
                break  # a long Retry-After (or the last attempt): those items leave with their error
            self._sleep(max(waits))
            pending = again
        return [results[index] for index in range(len(ops))]

    def _batch_result(self, op, response) -> tuple[WriteResult, bool]:
        """One item's answer as a result, and whether to send that item again (a transient failure)."""
        if response is None:  # every request gets an answer; a missing one is treated like a 5xx
            return WriteResult(op, error=TransientError("Microsoft Graph left a batch item unanswered.")), True
        status = response.get("status") or 500
        body = response.get("body")
        if status < 300:
            return WriteResult(op, event=parse_event(body) if op.kind != OpKind.DELETE else None), False
        if status == 424:  # a failed dependency (a serial batch): not applied, send it again
            return WriteResult(op, error=TransientError("A batch item depended on one that failed.")), True
        if op.kind == OpKind.DELETE and status == 404:
            return WriteResult(op), False  # already gone counts as done
        if op.kind == OpKind.UPDATE and status == 404:
            return WriteResult(op, error=PreconditionFailed("The Outlook event no longer exists.")), False
        error = translate(status, response.get("headers") or {}, body, self.mailbox)
        return WriteResult(op, error=error), isinstance(error, TransientError)

    def _batch_request(self, op: WriteOp) -> dict:
        base = self._base(absolute=False)
        headers = {"Content-Type": "application/json"}
        if op.kind == OpKind.CREATE:
            return {"method": "POST", "url": f"{base}/events", "headers": headers,
                    "body": dict(event_body(op.data, self.invite_attendees), transactionId=op.identity)}
        if op.if_match:
            headers["If-Match"] = _etag(op.if_match)
        if op.kind == OpKind.UPDATE:
            return {"method": "PATCH", "url": f"{self._user()}/events/{op.event_id}", "headers": headers,
                    "body": event_body(op.data, self.invite_attendees)}
        return {"method": "DELETE", "url": f"{self._user()}/events/{op.event_id}", "headers": headers}

    # -- recurring series ---------------------------------------------------------------------
    def create_series(self, identity, data, recurrence) -> RemoteEvent:
        body = dict(event_body(data, self.invite_attendees), transactionId=identity,
                    recurrence=recurrence.graph(data.start, data.time_zone or "UTC"))
        return self._skip_dates(parse_event(self._request("POST", f"{self._base()}/events", json=body)),
                                recurrence)

    def update_series(self, series_id, data, recurrence, if_match=None) -> RemoteEvent:
        headers = {"If-Match": _etag(if_match)} if if_match else {}
        body = {"recurrence": recurrence.graph(data.start, data.time_zone or "UTC")}
        return self._skip_dates(parse_event(self._request("PATCH", self._events_url(series_id),
                                                          json=body, headers=headers)), recurrence)

    def _skip_dates(self, master, recurrence) -> RemoteEvent:
        """Graph's pattern has no skipped dates: delete those occurrences ("Delete an event": an occurrence
        of a series is deleted by its own id, learn.microsoft.com/graph/api/event-delete), again after each
        rule change (a changed pattern may bring them back), and read the master's new version."""
        if not recurrence.exdates:
            return master
        skipped = set(recurrence.exdates)
        margin = timedelta(minutes=1)
        for occurrence in self.series_instances(master.id, min(skipped) - margin, max(skipped) + margin):
            if occurrence.original_start in skipped and not occurrence.deleted:
                self.delete(occurrence.id)
        return self.get(master.id) or master

    def series_instances(self, series_id, start, end) -> list[RemoteEvent]:
        stamp = "%Y-%m-%dT%H:%M:%SZ"
        url = (self._events_url(series_id, "/instances") +
               f"?startDateTime={start.astimezone(timezone.utc).strftime(stamp)}"
               f"&endDateTime={end.astimezone(timezone.utc).strftime(stamp)}")
        events = []
        while url:
            page = self._request("GET", url, headers={"Prefer": f"odata.maxpagesize={PAGE_SIZE}"})
            live, _bad, _gone = parse_items(page.get("value", []))
            events += live
            url = page.get("@odata.nextLink")
        return events

    # -- availability ------------------------------------------------------------------------
    def busy_times(self, calendars=None, start=None, end=None, own=(), time_zone="UTC") -> dict:
        """Busy blocks per mailbox address (``CalendarBusy``; this mailbox when none are named) over
        ``[start, end)`` (default: the next two weeks), through getSchedule: 20 addresses and at most 42
        days per call. ``own``: the (start, end) of our own job events, left out (a list for all, or a dict
        per address). ``time_zone`` is what Graph is asked to answer in (Prefer: outlook.timezone); the
        blocks are UTC either way. A mailbox Graph cannot read comes back with its error code."""
        if start is None or end is None:
            start, end = default_window(datetime.now(timezone.utc))
        asked = list(dict.fromkeys(calendars or [self.account_email or ""]))
        if not all(asked):
            raise ValueError("getSchedule reads mailboxes by address: name them, or give the client its account")
        start, end = start.astimezone(timezone.utc), end.astimezone(timezone.utc)
        blocks, errors = {}, {}
        headers = {"Prefer": f'outlook.timezone="{time_zone}"'}
        for body in schedule_bodies(asked, start, end):
            low = datetime.fromisoformat(body["startTime"]["dateTime"]).replace(tzinfo=timezone.utc)
            high = datetime.fromisoformat(body["endTime"]["dateTime"]).replace(tzinfo=timezone.utc)
            answer = self._request("POST", f"{self.config.graph_base}/me/calendar/getSchedule", json=body,
                                   headers=headers)
            collect(answer, low, high, blocks, errors)
        return results(asked, blocks, errors, start, end, own)

    # -- subscriptions -----------------------------------------------------------------------
    def watch(self, address, token, channel_id, ttl, lifecycle_address=None) -> Channel:
        expires = datetime.now(timezone.utc) + min(ttl, MAX_SUBSCRIPTION - CLOCK_MARGIN)
        resource = self._user().lstrip("/") + "/events"
        body = {"changeType": "created,updated,deleted", "notificationUrl": address, "resource": resource,
                "expirationDateTime": expires.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"), "clientState": token}
        if lifecycle_address:
            body["lifecycleNotificationUrl"] = lifecycle_address
        answer = self._request("POST", f"{self.config.graph_base}/subscriptions", json=body)
        return Channel(id=answer["id"], resource_id=answer.get("resource") or resource,
                       expires_at=_parse_expiry(answer["expirationDateTime"]), token=token)

    def renew(self, channel, ttl) -> Channel:
        expires = datetime.now(timezone.utc) + min(ttl, MAX_SUBSCRIPTION - CLOCK_MARGIN)
        answer = self._request("PATCH", f"{self.config.graph_base}/subscriptions/{channel.id}",
                               json={"expirationDateTime": expires.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")})
        return Channel(id=channel.id, resource_id=channel.resource_id,
                       expires_at=_parse_expiry(answer["expirationDateTime"]), token=channel.token)

    def unwatch(self, channel) -> None:
        try:
            self._request("DELETE", f"{self.config.graph_base}/subscriptions/{channel.id}")
        except ProviderError as exc:
            if exc.status != 404:
                raise


def _etag(version: str) -> str:
    return version if version.startswith(("W/", '"')) else f'W/"{version}"'


def _parse_expiry(text: str) -> datetime:
    return datetime.fromisoformat(text.rstrip("Z")[:26]).replace(tzinfo=timezone.utc)
