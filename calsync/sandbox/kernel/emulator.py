"""What every provider emulator is made of: lifecycle, request dispatch, control, OAuth, limits, faults.

A provider's emulator subclasses ``EmulatorBase`` and supplies its wire format:
``route(request)`` for its API and OAuth paths, its error class (with ``status``,
``headers`` and ``body()``), ``malformed()`` for a request it cannot parse, which
paths are OAuth (for the round-trip counts), and its state for the state file.
"""

from __future__ import annotations

import json
import threading

from .call_log import CallLog
from .consent import Accounts, ConsentServer
from .control import run_action, shared_actions
from .faults import FaultQueue
from .httpd import Request, Response, ServerThread, make_handler
from .issued import IssuedSecrets
from .oauth import OAuthBook
from .state import StateFile
from .throttle import Throttle
from .webhooks import Deliverer, callback_allowed

CONTROL_PREFIX = "/_sandbox/"


class EmulatorBase:
    """Shared mechanics of both emulators. Thread-safe; state in memory (optionally a state file)."""

    error_class: type[Exception] = Exception  # the provider's API error (status, headers, body())
    malformed_errors: tuple = (ValueError,)  # what a request that cannot be parsed raises
    http_methods = ("GET", "POST", "PATCH", "PUT", "DELETE")

    def __init__(self, tls, host, port, *, client_id, client_secret, state_file, throttle: Throttle,
                 allow_http_loopback=False):
        self.client_id, self.client_secret = client_id, client_secret
        self.issued = IssuedSecrets()
        self.lock = threading.RLock()
        self.oauth = OAuthBook(self.issued, self.lock)
        self.throttle = throttle
        self.faults = FaultQueue()
        self.log = CallLog()
        self.round_trips = self.log.round_trips
        self.outbound = Deliverer()
        self.allow_http_loopback = allow_http_loopback
        self.state_file = state_file
        self._state = StateFile(state_file) if state_file else None
        self.http = ServerThread(make_handler(self, self.http_methods), host=host, port=port, tls=tls)
        self.accounts = Accounts()  # only the sign-in page (and the demo seed) adds to it
        self.consent = ConsentServer(self, host=host)  # the sign-in page, plain http on loopback

    # -- lifecycle ------------------------------------------------------------------------
    @property
    def base_url(self):
        return self.http.base_url

    @property
    def consent_url(self):
        """Origin of the plain-http sign-in page (the authorize endpoint sends the browser there)."""
        return self.consent.base_url

    def start(self):
        self.http.start()
        self.consent.start()
        return self

    def stop(self):
        self.consent.stop()
        self.http.stop()
        if self._state:
            self._state.save(self.state_snapshot())

    def load_state(self):
        state = self._state.load() if self._state else None
        if state:
            self.restore_state(state)

    def state_snapshot(self) -> dict:  # provider: what the state file keeps
        raise NotImplementedError

    def restore_state(self, state: dict) -> None:  # provider
        raise NotImplementedError

    # -- accounts ------------------------------------------------------------------------------
    def create_account(self, name) -> str:
        """A new account, as signing up at the provider (or an admin creating the user) makes one: the sign-in
        page and the control action ``create_account`` call this."""
        return self.accounts.add(name)

    def require_account(self, account) -> None:
        """Control and API calls naming an account the provider does not know fail, as the provider's do."""
        if account not in self.accounts:
            raise self.unknown_account(account)

    def unknown_account(self, account) -> Exception:  # provider: its error for an unknown user
        raise NotImplementedError

    # -- OAuth bookkeeping (the provider's oauth.py speaks the wire format) ------------------
    @property
    def codes(self):
        return self.oauth.codes

    @property
    def access(self):
        return self.oauth.access

    @property
    def refresh(self):
        return self.oauth.refresh

    def callback_allowed(self, url) -> bool:
        return callback_allowed(url, self.allow_http_loopback)

    # -- request dispatch --------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        """One HTTP request: control actions here, everything else the provider's ``route``."""
        self.log.count_round_trip(self.round_trip_kind(request.path))
        try:
            if request.path.startswith(CONTROL_PREFIX) and request.method == "POST":
                status, answer = self.control(request.path[len(CONTROL_PREFIX):], json.loads(request.raw or b"{}"))
                return self.reply(status, answer)
            return self.route(request)
        except self.error_class as exc:
            return self.reply(exc.status, exc.body(), headers=exc.headers)
        except self.malformed_errors:
            return self.malformed()

    def round_trip_kind(self, path) -> str:
        """HTTP requests by kind: a batch is one round trip however many calls it carries."""
        if path.startswith(CONTROL_PREFIX):
            return "control"
        return "oauth" if self.is_oauth_path(path) else "api"

    def is_oauth_path(self, path) -> bool:  # provider
        raise NotImplementedError

    def route(self, request: Request) -> Response:  # provider
        raise NotImplementedError

    def reply(self, status, body=None, content_type="application/json", headers=None) -> Response:
        return Response(status, body, content_type, headers)

    def malformed(self) -> Response:  # provider: its "cannot parse" answer
        raise NotImplementedError

    # -- control (in-process, and over HTTP under /_sandbox/) -----------------------------------
    def control(self, action, payload):
        return run_action(dict(shared_actions(self), **self.extra_actions()), action, payload)

    def extra_actions(self) -> dict:
        return {}

    def inject_fault(self, kind, count=1, retry_after=None, delay=None, path_contains=None, after=0):
        """Queue ``count`` faults of ``kind`` (the provider documents its kinds); each hits the next API
        request whose path contains ``path_contains``, once ``after`` such requests went through."""
        self.faults.inject(kind, count, retry_after, delay, path_contains, after)

    def advance_clock(self, seconds):
        """Move the quota clock forward, as if ``seconds`` had passed: a soak or a test honours a Retry-After
        without sleeping. Only the request windows see it; tokens and webhooks keep real time."""
        self.throttle.advance(seconds)

    @property
    def clock_offset(self):
        return self.throttle.clock_offset

    def set_quota(self, per_window=None, window=None, enforce=None):
        """Change the per-user limit (requests per window of seconds), or switch the limits on or off."""
        return self.throttle.configure(per_window, window, enforce)

    def revoke_consent(self, account):
        """The user withdrew consent: every token of the account stops working."""
        self.oauth.revoke(account)

    def expire_access_tokens(self):
        self.oauth.expire_access()

    def requests_log(self):
        return self.log.calls()

    def reset(self):
        """Empty calendars, webhooks, faults and logs (the provider clears its own stores, then calls this)."""
        self.faults.clear()
        self.log.clear()
        self.throttle.clear_usage()
