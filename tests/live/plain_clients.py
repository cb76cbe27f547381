"""A second, plain client of each provider: a person's edits, and the run's cleanup, made without calsync.

The contract's ``backdoor`` is a person in the calendar. Against the sandbox that person is the emulator's
control API; against a real account it is this module: bare HTTPS calls of the providers' documented REST
APIs with an access token of its own (a refresh-token grant), sharing no code with the clients under test,
so a misreading in our client is not repeated here.
"""

from __future__ import annotations

import abc
import time
from datetime import datetime, timezone

import requests

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GOOGLE_API = "https://www.googleapis.com/calendar/v3"
GRAPH_API = "https://graph.microsoft.com/v1.0"
LOGIN = "https://login.microsoftonline.com"


def _stamp(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Plain(abc.ABC):
    """Token handling and one retrying request, shared by both plain clients."""

    def __init__(self, ca_certs: str | None):
        self.session = requests.Session()
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE would override ``verify`` otherwise
        self.verify = ca_certs or True
        self._token, self._expires = None, 0.0

    @abc.abstractmethod
    def _grant(self) -> dict:
        """The provider's refresh-token grant: its JSON answer, with ``access_token`` and ``expires_in``."""

    def token(self) -> str:
        if not self._token or time.time() > self._expires - 60:
            answer = self._grant()
            self._token, self._expires = answer["access_token"], time.time() + int(answer.get("expires_in", 600))
        return self._token

    def request(self, method, url, expect=(200, 201, 204), **kw) -> requests.Response:
        """One API call; throttling and 5xx are waited out a few times, as a careful person's script would."""
        for attempt in range(5):
            headers = {"Authorization": f"Bearer {self.token()}", **kw.pop("headers", {})}
            answer = self.session.request(method, url, headers=headers, verify=self.verify, timeout=30, **kw)
            if answer.status_code in (429, 500, 502, 503, 504) and attempt < 4:
                time.sleep(min(float(answer.headers.get("Retry-After") or 2 ** attempt), 30))
                continue
            if answer.status_code not in expect:
                raise AssertionError(f"{method} {url} answered {answer.status_code}: {answer.text[:500]}")
            return answer
        raise AssertionError(f"{method} {url} kept failing")


class PlainGoogle(_Plain):
    """Google Calendar API v3 by hand (events.insert / patch / delete / list)."""

    def __init__(self, client_id, client_secret, refresh_token, calendar_id, base_url=None, ca_certs=None):
        super().__init__(ca_certs)
        base = base_url.rstrip("/") if base_url else None
        self.token_uri = f"{base}/token" if base else GOOGLE_TOKEN_URI
        self.api = f"{base}/calendar/v3" if base else GOOGLE_API
        self.client = (client_id, client_secret, refresh_token)
        self.events = f"{self.api}/calendars/{requests.utils.quote(calendar_id, safe='')}/events"

    def _grant(self):
        client_id, secret, refresh = self.client
        answer = self.session.post(self.token_uri, data={
            "grant_type": "refresh_token", "client_id": client_id, "client_secret": secret,
            "refresh_token": refresh}, verify=self.verify, timeout=30)
        if answer.status_code != 200:
            raise AssertionError(f"Google refused the test account's refresh token: {answer.text[:300]}")
        return answer.json()

    @staticmethod
    def _body(fields: dict) -> dict:
        body = {}
        for ours, theirs in (("title", "summary"), ("description", "description"), ("location", "location")):
            if ours in fields:
                body[theirs] = fields[ours]
        for side in ("start", "end"):
            if fields.get(side) is not None:
                body[side] = {"dateTime": fields[side].isoformat(), "timeZone": "UTC"}
        return body

    def person_create(self, fields: dict, recurrence: list[str] | None = None) -> str:
        body = self._body(fields)
        if recurrence:
            body["recurrence"] = recurrence
        return self.request("POST", self.events, json=body).json()["id"]

    def person_edit(self, event_id: str, fields: dict) -> None:
        self.request("PATCH", f"{self.events}/{event_id}", json=self._body(fields))

    def person_delete(self, event_id: str) -> None:
        self.request("DELETE", f"{self.events}/{event_id}", expect=(200, 204, 404, 410))

    def live_ids(self, start: datetime, end: datetime) -> list[str]:
        """Ids of the events (series masters, not their instances) overlapping the window."""
        ids, page = [], None
        while True:
            params = {"timeMin": _stamp(start), "timeMax": _stamp(end), "showDeleted": "false", "maxResults": 250}
            if page:
                params["pageToken"] = page
            answer = self.request("GET", self.events, params=params).json()
            ids += [item["id"] for item in answer.get("items", []) if item.get("status") != "cancelled"]
            page = answer.get("nextPageToken")
            if not page:
                return ids


class PlainGraph(_Plain):
    """Microsoft Graph v1.0 events by hand (POST / PATCH / DELETE /me/events, calendarView/delta)."""

    def __init__(self, client_id, client_secret, tenant, refresh_token, calendar_id=None, base_url=None,
                 ca_certs=None):
        super().__init__(ca_certs)
        base = base_url.rstrip("/") if base_url else None
        self.token_uri = f"{base or LOGIN}/{tenant}/oauth2/v2.0/token"
        self.api = f"{base}/v1.0" if base else GRAPH_API
        self.client = (client_id, client_secret, refresh_token)
        self.root = f"{self.api}/me" + (f"/calendars/{calendar_id}" if calendar_id else "")

    def _grant(self):
        client_id, secret, refresh = self.client
        answer = self.session.post(self.token_uri, data={
            "grant_type": "refresh_token", "client_id": client_id, "client_secret": secret,
            "refresh_token": refresh, "scope": "Calendars.ReadWrite offline_access"}, verify=self.verify, timeout=30)
        if answer.status_code != 200:
            raise AssertionError(f"Microsoft refused the test account's refresh token: {answer.text[:300]}")
        return answer.json()

    @staticmethod
    def _body(fields: dict) -> dict:
        body = {}
        if "title" in fields:
            body["subject"] = fields["title"]
        if "description" in fields:
            body["body"] = {"contentType": "text", "content": fields["description"] or ""}
        if "location" in fields:
            body["location"] = {"displayName": fields["location"] or ""}
        for side in ("start", "end"):
            if fields.get(side) is not None:
                value = fields[side].astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.0000000")
                body[side] = {"dateTime": value, "timeZone": "UTC"}
        return body

    def person_create(self, fields: dict, recurrence: dict | None = None) -> str:
        body = self._body(fields)
        if recurrence:
            body["recurrence"] = recurrence
        return self.request("POST", f"{self.root}/events", json=body).json()["id"]

    def person_edit(self, event_id: str, fields: dict) -> None:
        self.request("PATCH", f"{self.api}/me/events/{event_id}", json=self._body(fields))

    def person_delete(self, event_id: str) -> None:
        self.request("DELETE", f"{self.api}/me/events/{event_id}", expect=(200, 204, 404))

    def live_ids(self, start: datetime, end: datetime) -> list[str]:
        """Ids of the events overlapping the window: single events and series masters, not occurrences."""
        url = f"{self.root}/calendarView/delta?startDateTime={_stamp(start)}&endDateTime={_stamp(end)}"
        ids = []
        while url:
            answer = self.request("GET", url, headers={"Prefer": "odata.maxpagesize=100"}).json()
            for item in answer.get("value", []):
                if "@removed" in item or item.get("type") in ("occurrence", "exception"):
                    continue
                ids.append(item["id"])
            url = answer.get("@odata.nextLink")
        # a series master's id comes back for each of its occurrences' pages: once is enough
        return list(dict.fromkeys(ids))
