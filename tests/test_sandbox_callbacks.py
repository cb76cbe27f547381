"""Webhook callbacks must be https, as the real APIs require; plain http only with the sandbox's loopback allowance.

Google Calendar push notifications guide (the watch ``address`` must use HTTPS with a
valid certificate; refused with 400 reason ``push.webhookUrlNotHttps``) and Microsoft
Graph's subscription resource (``notificationUrl`` / ``lifecycleNotificationUrl`` must
use HTTPS; refused with 400 ``InvalidRequest``, "NotificationUrl scheme='http' is not
supported"). Driven through our real clients and over raw HTTP, against emulators
started with and without ``allow_http_loopback``.
"""

from __future__ import annotations

import http.server
import threading
from datetime import datetime, timedelta, timezone

import pytest
import requests

from calsync.errors import ProviderError
from calsync.google import GoogleCalendarClient, GoogleConfig
from calsync.microsoft import GraphCalendarClient, MicrosoftConfig
from calsync.microsoft import auth as ms_auth
from calsync.sandbox.google import GoogleEmulator
from calsync.sandbox.kernel.webhooks import callback_allowed
from calsync.sandbox.microsoft import MicrosoftEmulator
from tests.google_fixtures import sign_in
from tests.microsoft_fixtures import ms_sign_in
from tests.provider_contract import new_identity

ACCOUNT = "callbacks@example.test"


class _Echo(http.server.BaseHTTPRequestHandler):
    """A webhook receiver on plain http: answers Graph's validation handshake, counts every request."""

    hits: list = []

    def do_POST(self):
        _Echo.hits.append(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        token = self.path.partition("validationToken=")[2]
        data = requests.utils.unquote(token.replace("+", " ")).encode() if token else b""
        self.send_response(200 if token else 202)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        return


@pytest.fixture(scope="module")
def receiver():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module", params=[False, True], ids=["strict", "loopback-allowed"])
def emulators(request, tls):
    google = GoogleEmulator(tls, enforce_quotas=False, allow_http_loopback=request.param).start()
    microsoft = MicrosoftEmulator(tls, enforce_limits=False, duplicate_notifications=0,
                                  allow_http_loopback=request.param).start()
    yield request.param, google, microsoft
    google.stop()
    microsoft.stop()


def _google(google, tls):
    config = GoogleConfig.sandbox(google.base_url, tls.cert_path, client_id=google.client_id,
                                  client_secret=google.client_secret)
    return GoogleCalendarClient(config, sign_in(config, ACCOUNT), sleep=lambda s: None)


def _graph(microsoft, tls):
    config = MicrosoftConfig.sandbox(microsoft.base_url, tls.cert_path, client_id=microsoft.client_id,
                                     client_secret=microsoft.client_secret)
    cache, _email = ms_auth.finish_auth(config, *ms_sign_in(config, ACCOUNT))
    return GraphCalendarClient(config, cache, account_email=ACCOUNT, sleep=lambda s: None)


def test_google_http_callback_on_loopback_only_with_the_allowance(emulators, tls, receiver):
    allowed, google, _microsoft = emulators
    client = _google(google, tls)
    address = receiver + "/google"
    if allowed:
        channel = client.watch(address, "tok", "chan" + new_identity()[:20], timedelta(hours=1))
        assert google.channels[channel.id]["address"] == address
    else:
        with pytest.raises(ProviderError) as refused:
            client.watch(address, "tok", "chan" + new_identity()[:20], timedelta(hours=1))
        assert (refused.value.status, refused.value.reason) == (400, "push.webhookUrlNotHttps")
        assert google.channels == {}


@pytest.mark.parametrize("address", ["http://hooks.example.test/google", "http://192.0.2.10/google",
                                     "http://localhost.example.test/google", "ftp://127.0.0.1/google"])
def test_google_refuses_a_non_loopback_http_callback_even_with_the_allowance(emulators, tls, address):
    _allowed, google, _microsoft = emulators
    before = dict(google.channels)
    token = google.oauth.new_access("t-", "test access token", ACCOUNT, scopes=[])
    answer = requests.post(f"{google.base_url}/calendar/v3/calendars/primary/events/watch", verify=tls.cert_path,
                           headers={"Authorization": f"Bearer {token}"}, timeout=10,
                           json={"id": "chan" + new_identity()[:20], "type": "web_hook", "address": address})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == 400 and error["errors"][0]["reason"] == "push.webhookUrlNotHttps"
    assert "HTTPS" in error["message"]
    assert google.channels == before


def test_graph_http_callback_on_loopback_only_with_the_allowance(emulators, tls, receiver):
    allowed, _google, microsoft = emulators
    client = _graph(microsoft, tls)
    _Echo.hits = []
    if allowed:
        channel = client.watch(receiver + "/notify", "state", "ignored", timedelta(days=1),
                               lifecycle_address=receiver + "/lifecycle")
        assert channel.id in microsoft.subscriptions
        assert len(_Echo.hits) == 2, "both URLs passed the validation handshake"
    else:
        with pytest.raises(ProviderError) as refused:
            client.watch(receiver + "/notify", "state", "ignored", timedelta(days=1))
        assert (refused.value.status, refused.value.reason) == (400, "InvalidRequest")
        assert microsoft.subscriptions == {} and _Echo.hits == [], "refused before any handshake"


@pytest.mark.parametrize("field", ["notificationUrl", "lifecycleNotificationUrl"])
def test_graph_refuses_a_non_loopback_http_callback_even_with_the_allowance(emulators, tls, receiver, field):
    _allowed, _google, microsoft = emulators
    before = dict(microsoft.subscriptions)
    _Echo.hits = []
    token = microsoft.oauth.new_access("t-", "test access token", ACCOUNT)
    body = {"changeType": "created", "resource": "me/events", "clientState": "s",
            "expirationDateTime": (datetime.now(timezone.utc) + timedelta(days=1)).isoformat(),
            "notificationUrl": "https://hooks.example.test/notify"}
    body[field] = "http://hooks.example.test/" + field
    answer = requests.post(f"{microsoft.base_url}/v1.0/subscriptions", json=body, verify=tls.cert_path,
                           headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "InvalidRequest" and "scheme='http' is not supported" in error["message"]
    assert microsoft.subscriptions == before and _Echo.hits == []


@pytest.mark.parametrize(("url", "strict", "loopback_allowed"), [
    ("https://hooks.example.test/x", True, True),
    ("https://127.0.0.1:8443/x", True, True),
    ("http://127.0.0.1:8069/x", False, True),
    ("http://127.8.9.1/x", False, True),
    ("http://localhost:8069/x", False, True),
    ("http://[::1]:8069/x", False, True),
    ("http://localhost.example.test/x", False, False),
    ("http://10.0.0.1/x", False, False),
    ("https:///no-host", False, False),
    ("127.0.0.1:8069/x", False, False),
    ("", False, False),
])
def test_which_callback_urls_pass(url, strict, loopback_allowed):
    assert callback_allowed(url) is strict
    assert callback_allowed(url, allow_http_loopback=True) is loopback_allowed
