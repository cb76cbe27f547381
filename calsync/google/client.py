"""The Google Calendar provider client, on google-api-python-client, google-auth and httplib2.

One client (and one ``httplib2.Http``, which is not thread-safe) per job. It
retries only briefly in-process (a few seconds of 5xx, or a short Retry-After);
longer waits, quota exhaustion, expired sync tokens and revoked grants leave as
typed errors for the job layer.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import google_auth_httplib2
import httplib2
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from ..availability import default_window
from ..errors import NeedsReauth, ProviderError, RateLimited, SyncError, SyncTokenExpired, TransientError
from ..events import ChangeSet, Channel, OpKind, RemoteEvent, WriteOp, WriteResult
from ..provider import CalendarProvider
from ..retry import brief_wait
from . import errors as gerrors
from .busy import parse_answer, query_bodies
from .config import GoogleConfig
from .oauth import token_json
from .parse import event_body, parse_event, parse_items

PAGE_SIZE = 2500
BRIEF_ATTEMPTS = 3


class GoogleCalendarClient(CalendarProvider):
    """One Google calendar (``primary`` or an id) of one account."""

    name = "google"
    max_batch = 50
    renews_in_place = False
    supports_series = True

    # called after each page read with the number of events read so far (progress of a long read)
    on_progress = None

    def __init__(self, config: GoogleConfig, token: str | None, calendar_id: str = "primary",
                 send_updates: str = "none", invite_attendees: bool = False, on_token_refresh=None,
                 sleep=time.sleep, meter=None, timeout: float = 30, credentials=None):
        # ``credentials``: google-auth credentials made elsewhere (a service account acting as one user,
        # calsync.google.delegation) instead of a user's stored token; they mint their own tokens
        if credentials is None:
            stored = json.loads(token)
            expiry = stored.get("expires_at")
            credentials = Credentials(
                token=stored.get("token"), refresh_token=stored.get("refresh_token"), token_uri=config.token_uri,
                client_id=config.client_id, client_secret=config.client_secret, scopes=stored.get("scopes"),
                expiry=datetime.fromtimestamp(expiry, timezone.utc).replace(tzinfo=None) if expiry else None,
            )
            self._scopes = stored.get("scopes") or []
        else:
            self._scopes = list(getattr(credentials, "scopes", None) or [])
        self._credentials = credentials
        self.config = config
        self.calendar_id = calendar_id or "primary"
        self.send_updates = send_updates
        self.invite_attendees = invite_attendees
        self._on_refresh = on_token_refresh
        self._known_token = self._credentials.token
        self._sleep = sleep
        self._meter = meter or (lambda units: None)  # quota pacing (calsync.quota.QuotaMeter), asked per request
        self.requests_sent = 0
        self._http = google_auth_httplib2.AuthorizedHttp(
            self._credentials, http=httplib2.Http(ca_certs=config.ca_certs, timeout=timeout))
        self._service = build("calendar", "v3", http=self._http, static_discovery=True, cache_discovery=False,
                              client_options={"api_endpoint": config.api_base})
        # building the events resource from the discovery document costs ~10 ms: once per client, not per call
        self._events_resource = self._service.events()

    # -- plumbing ---------------------------------------------------------------------
    def _token_changed(self):
        if self._credentials.token != self._known_token:
            self._known_token = self._credentials.token
            if self._on_refresh:
                expiry = self._credentials.expiry
                self._on_refresh(token_json(
                    self._credentials.token, self._credentials.refresh_token,
                    expiry.replace(tzinfo=timezone.utc).timestamp() if expiry else None, self._scopes))

    def _execute(self, request):
        """Run one request with the brief in-process retry; typed errors out."""
        for attempt in range(BRIEF_ATTEMPTS):
            self._meter(1)
            self.requests_sent += 1
            try:
                result = request.execute(num_retries=0)
                self._token_changed()
                return result
            except HttpError as exc:
                self._token_changed()
                error = gerrors.translate(exc)
            except RefreshError as exc:
                raise self._refused(exc) from None
            except (TimeoutError, TransportError, httplib2.HttpLib2Error, OSError) as exc:
                error = TransientError(f"Google Calendar could not be reached ({type(exc).__name__}).")
            if not self._retry_briefly(error, attempt):
                raise error
        raise error  # pragma: no cover - the loop always returns or raises

    def _refused(self, exc: RefreshError) -> SyncError:
        """The typed error for a token Google would not issue (a subclass reads the reason differently)."""
        return NeedsReauth("Google no longer accepts this calendar's access (the grant was revoked or "
                           "expired). Reconnect the calendar.")

    def _retry_briefly(self, error, attempt) -> bool:
        wait = brief_wait(error, attempt, BRIEF_ATTEMPTS)
        if wait is None:
            return False  # a long wait belongs to the job queue, not to this process
        self._sleep(wait)
        return True

    @property
    def _events(self):
        return self._events_resource

    # -- reading ----------------------------------------------------------------------------
    def list_changes(self, cursor=None) -> ChangeSet:
        events, invalid = [], []
        page_token = None
        calendar_zone = "UTC"
        while True:
            # occurrences of a series come one by one (recurringEventId, originalStartTime), as jobs need them
            params = {"calendarId": self.calendar_id, "maxResults": PAGE_SIZE, "pageToken": page_token,
                      "singleEvents": True}
            if cursor:
                params["syncToken"] = cursor
            page = self._list_page(params, cursor)
            calendar_zone = page.get("timeZone") or calendar_zone
            parsed, bad = parse_items(page.get("items", []), calendar_zone)
            events += parsed
            invalid += bad
            if self.on_progress:  # neither the list nor the delta says in advance how many events will come
                self.on_progress(len(events) + len(invalid))
            page_token = page.get("nextPageToken")
            if not page_token:
                return ChangeSet(events=tuple(events), cursor=page.get("nextSyncToken", ""), full=cursor is None,
                                 invalid=tuple(invalid))

    def _list_page(self, params, cursor):
        try:
            return self._execute(self._events.list(**{k: v for k, v in params.items() if v is not None}))
        except ProviderError as exc:
            # events.list, syncToken: "If the syncToken expires, the server will respond with a 410 GONE response
            # code and the client should ... perform a full synchronization" (Calendar v3 discovery document):
            # every 410 of an incremental list means resync, whatever its reason
            if cursor and exc.status == 410:
                raise SyncTokenExpired("Google's sync token is no longer valid; a full resync is needed.") from None
            raise

    def get(self, event_id) -> RemoteEvent | None:
        try:
            return parse_event(self._execute(self._events.get(calendarId=self.calendar_id, eventId=event_id)))
        except ProviderError as exc:
            if exc.status == 404:
                return None
            raise

    # -- writing ----------------------------------------------------------------------------
    def _insert_request(self, identity, data):
        body = dict(event_body(data, identity, self.invite_attendees), id=identity)
        return self._events.insert(calendarId=self.calendar_id, body=body, sendUpdates=self.send_updates)

    def _patch_request(self, event_id, identity, data, if_match):
        request = self._events.patch(calendarId=self.calendar_id, eventId=event_id,
                                     body=event_body(data, identity, self.invite_attendees),
                                     sendUpdates=self.send_updates)
        if if_match:
            request.headers["If-Match"] = if_match
        return request

    def _delete_request(self, event_id, if_match):
        request = self._events.delete(calendarId=self.calendar_id, eventId=event_id, sendUpdates=self.send_updates)
        if if_match:
            request.headers["If-Match"] = if_match
        return request

    def create(self, identity, data) -> RemoteEvent:
        try:
            return parse_event(self._execute(self._insert_request(identity, data)))
        except ProviderError as exc:
            if exc.status != 409:
                raise
        return self._existing_identity(identity, data)

    def _existing_identity(self, identity, data) -> RemoteEvent:
        """A 409 on our own id: the event exists (a retried create), or it was deleted and ids stay taken."""
        existing = self.get(identity)
        if existing is None:
            raise ProviderError("Google reports the event id as taken but cannot find it.", status=409)
        if existing.deleted:  # restore by un-cancelling, never by inserting again
            return self.update(identity, data, existing.version)
        return existing

    def update(self, event_id, data, if_match) -> RemoteEvent:
        return parse_event(self._execute(self._patch_request(event_id, event_id, data, if_match)))

    def delete(self, event_id, if_match=None) -> None:
        try:
            self._execute(self._delete_request(event_id, if_match))
        except SyncError as exc:
            if isinstance(exc, ProviderError) and exc.status in (404, 410):
                return  # already gone counts as done
            raise

    def apply(self, ops: list[WriteOp]) -> list[WriteResult]:
        """Writes batched through Google's batch endpoint, ``max_batch`` per request; per-item results, in order."""
        if len(ops) <= 1:
            return super().apply(ops)
        if len(ops) > self.max_batch:
            return [r for start in range(0, len(ops), self.max_batch)
                    for r in self.apply(ops[start:start + self.max_batch])]
        outcomes: dict[str, tuple] = {}

        def collect(request_id, response, exception):
            outcomes[request_id] = (response, exception)

        batch = BatchHttpRequest(callback=collect, batch_uri=self.config.batch_uri)
        for index, op in enumerate(ops):
            batch.add(self._op_request(op), request_id=str(index))
        for attempt in range(BRIEF_ATTEMPTS):
            self._meter(len(ops))  # Google counts every item of a batch against the quota
            self.requests_sent += 1
            try:
                self._fresh_token_for_batch()
                batch.execute(http=self._http)
                self._token_changed()
                break
            except HttpError as exc:
                error = gerrors.translate(exc)
            except RefreshError as exc:
                raise self._refused(exc) from None
            except (TimeoutError, TransportError, httplib2.HttpLib2Error, OSError) as exc:
                error = TransientError(f"Google Calendar could not be reached ({type(exc).__name__}).")
            if not self._retry_briefly(error, attempt):
                return [WriteResult(op, error=error) for op in ops]
        return [self._batch_result(op, *outcomes.get(str(i), (None, TransientError("no batch answer"))))
                for i, op in enumerate(ops)]

    def _fresh_token_for_batch(self):
        """Get a token through our own transport before a batch needs one.

        googleapiclient's ``BatchHttpRequest`` fetches a missing or expired token itself with a bare
        ``httplib2.Http()`` (``_auth.refresh_credentials``), which trusts only the default CA bundle and
        not ``config.ca_certs``; a client whose first request is a batch (a delegated technician, a
        token expired since the last run) would then fail against any server with its own CA.
        """
        if not self._credentials.valid:
            self._credentials.refresh(google_auth_httplib2.Request(self._http.http))

    def _op_request(self, op: WriteOp):
        if op.kind == OpKind.CREATE:
            return self._insert_request(op.identity, op.data)
        if op.kind == OpKind.UPDATE:
            return self._patch_request(op.event_id, op.identity, op.data, op.if_match)
        return self._delete_request(op.event_id, op.if_match)

    def _batch_result(self, op, response, exception) -> WriteResult:
        if exception is None:
            return WriteResult(op, event=parse_event(response) if op.kind != OpKind.DELETE else None)
        error = gerrors.translate(exception) if isinstance(exception, HttpError) else \
            TransientError(f"batch item failed ({type(exception).__name__})")
        try:
            if isinstance(error, ProviderError) and op.kind == OpKind.CREATE and error.status == 409:
                return WriteResult(op, event=self._existing_identity(op.identity, op.data))
            if isinstance(error, ProviderError) and op.kind == OpKind.DELETE and error.status in (404, 410):
                return WriteResult(op)
            if isinstance(error, TransientError) and not isinstance(error, RateLimited):
                return WriteResult(op, event=self._apply_one(op))  # one brief retry, alone
        except SyncError as again:
            return WriteResult(op, error=again)
        return WriteResult(op, error=error)

    # -- recurring series ---------------------------------------------------------------------
    def create_series(self, identity, data, recurrence) -> RemoteEvent:
        body = dict(event_body(data, identity, self.invite_attendees), id=identity,
                    recurrence=_lines(recurrence, data))
        try:
            return parse_event(self._execute(self._events.insert(
                calendarId=self.calendar_id, body=body, sendUpdates=self.send_updates)))
        except ProviderError as exc:
            if exc.status != 409:
                raise
        existing = self.get(identity)  # a retried create: the series is there already (or was cancelled)
        if existing is None:
            raise ProviderError("Google reports the series id as taken but cannot find it.", status=409)
        if existing.deleted:
            return self.update_series(identity, data, recurrence, existing.version)
        return existing

    def update_series(self, series_id, data, recurrence, if_match=None) -> RemoteEvent:
        request = self._events.patch(calendarId=self.calendar_id, eventId=series_id,
                                     body={"recurrence": _lines(recurrence, data)}, sendUpdates=self.send_updates)
        if if_match:
            request.headers["If-Match"] = if_match
        return parse_event(self._execute(request))

    def series_instances(self, series_id, start, end) -> list[RemoteEvent]:
        events, page_token = [], None
        while True:
            params = {"calendarId": self.calendar_id, "eventId": series_id, "showDeleted": True,
                      "timeMin": start.isoformat(), "timeMax": end.isoformat(), "maxResults": PAGE_SIZE,
                      "pageToken": page_token}
            page = self._execute(self._events.instances(**{k: v for k, v in params.items() if v is not None}))
            parsed, _bad = parse_items(page.get("items", []), page.get("timeZone") or "UTC")
            events += parsed
            page_token = page.get("nextPageToken")
            if not page_token:
                return events

    # -- push channels -----------------------------------------------------------------------
    def watch(self, address, token, channel_id, ttl: timedelta, lifecycle_address=None) -> Channel:
        body = {"id": channel_id, "type": "web_hook", "address": address, "token": token,
                "params": {"ttl": str(int(ttl.total_seconds()))}}
        answer = self._execute(self._events.watch(calendarId=self.calendar_id, body=body))
        expires = datetime.fromtimestamp(int(answer["expiration"]) / 1000, timezone.utc)
        return Channel(id=answer["id"], resource_id=answer["resourceId"], expires_at=expires, token=token)

    def renew(self, channel, ttl):
        raise NotImplementedError("Google channels cannot be renewed: open a new overlapping channel, "
                                  "then stop the old one.")

    def unwatch(self, channel) -> None:
        try:
            self._execute(self._service.channels().stop(body={"id": channel.id, "resourceId": channel.resource_id}))
        except ProviderError as exc:
            if exc.status != 404:
                raise

    def list_calendars(self) -> list[dict]:
        """Calendars to pick from; needs the calendar.calendarlist.readonly scope."""
        try:
            answer = self._execute(self._service.calendarList().list())
        except ProviderError as exc:
            if exc.status == 403:
                raise ProviderError("Listing calendars needs the 'calendar.calendarlist.readonly' permission; "
                                    "enter the calendar id instead, or reconnect granting it.", status=403) from None
            raise
        return [{"id": c["id"], "name": c.get("summary", c["id"]), "primary": bool(c.get("primary"))}
                for c in answer.get("items", [])]

    def busy_times(self, calendars=None, start=None, end=None, own=(), time_zone="UTC") -> dict:
        """Busy blocks per calendar (``CalendarBusy``; this client's calendar when none are named) over
        ``[start, end)`` (default: the next two weeks), 50 calendars per freebusy.query. ``own``: the
        (start, end) of our own job events, left out (a list for all calendars, or a dict per calendar).
        A calendar Google cannot read comes back with its error; the others still answer."""
        if start is None or end is None:
            start, end = default_window(datetime.now(timezone.utc))
        asked = list(dict.fromkeys(calendars or [self.calendar_id]))
        out = {}
        for body in query_bodies(asked, start, end, time_zone):
            try:
                answer = self._execute(self._service.freebusy().query(body=body))
            except ProviderError as exc:
                if exc.status == 403 and exc.reason == "insufficientPermissions":
                    raise ProviderError("Reading busy times needs the 'calendar.freebusy' permission; reconnect "
                                        "the calendar granting it.", status=403, reason=exc.reason) from None
                raise
            out.update(parse_answer(answer, [item["id"] for item in body["items"]], start, end, own))
        return out

    def account_email(self) -> str | None:
        """The account's address: the summary of its primary calendar's event list."""
        page = self._execute(self._events.list(calendarId="primary", maxResults=1))
        return page.get("summary")



def _lines(recurrence, data) -> list[str]:
    """Event.recurrence: RRULE and EXDATE lines (RFC 5545), with the parts taken from the first start written out."""
    return recurrence.anchored(data.start, data.time_zone or "UTC").lines()
