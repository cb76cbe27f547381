"""The sandbox's sign-in page and what the clients read from a sign-in, over real HTTP.

The page is plain http on loopback (a browser opens it without a certificate warning); the
providers' https authorize URLs lead to it; only the page creates accounts; the clients
record the account that really signed in (Google's ID token ``email``, Graph's ``/me``).
"""

from __future__ import annotations

import json
import urllib.parse

import pytest
import requests

from calsync.errors import ProviderError
from calsync.google import GoogleConfig
from calsync.google import oauth as google_oauth
from calsync.microsoft import MicrosoftConfig
from calsync.microsoft import auth as ms_auth
from calsync.sandbox.google.errors import ApiError
from calsync.sandbox.microsoft.errors import GraphError
from calsync.signin import browser_url, calendar_key

from .google_fixtures import REDIRECT
from .microsoft_fixtures import REDIRECT as MS_REDIRECT
from .sign_in_page import consent, open_page


def _session():
    session = requests.Session()
    session.trust_env = False
    return session


def test_browser_url_keeps_path_and_query_and_swaps_the_origin():
    url = "https://127.0.0.1:9443/o/oauth2/auth?client_id=a&state=s%2Bt"
    assert browser_url(url, "http://127.0.0.1:9080") == "http://127.0.0.1:9080/o/oauth2/auth?client_id=a&state=s%2Bt"
    assert browser_url(url, None) == url


def test_calendar_key_names_one_real_calendar():
    assert calendar_key("google", "Ops@Example.test", "primary") == calendar_key("google", "ops@example.test", "")
    assert calendar_key("google", "ops@example.test", "ops@example.test") == calendar_key("google", "ops@example.test",
                                                                                         None)
    assert calendar_key("google", "ops@example.test", "team@group.calendar.google.com") != \
        calendar_key("google", "ops@example.test", "primary")
    assert calendar_key("microsoft", "a@example.test", "") != calendar_key("google", "a@example.test", "")
    assert calendar_key("microsoft", "a@example.test", "AAMkX") != calendar_key("microsoft", "a@example.test", "AAMkx")
    assert calendar_key("google", "", "primary") is None


# -- Google --------------------------------------------------------------------------------------------------
def test_google_page_is_plain_http_and_the_https_authorize_url_leads_to_it(emulator, tls):
    https_config = GoogleConfig.sandbox(emulator.base_url, tls.cert_path, client_id=emulator.client_id,
                                        client_secret=emulator.client_secret)
    url, _verifier = google_oauth.authorization_url(https_config, REDIRECT, "st", login_hint="typed@example.test")
    assert url.startswith("https://"), "oauthlib builds the https authorize URL"
    first = _session().get(url, allow_redirects=False, verify=tls.cert_path, timeout=10)
    assert first.status_code == 302
    target = first.headers["Location"]
    assert target.startswith(emulator.consent_url + "/o/oauth2/auth?")
    assert urllib.parse.urlsplit(target).query == urllib.parse.urlsplit(url).query, "the same request"
    page = open_page(url, tls.cert_path)
    assert page.status_code == 200 and "typed@example.test" in page.text
    assert "access_token" not in page.text and "code=" not in page.text


def test_google_page_lists_known_accounts_and_escapes_the_hint(emulator, config):
    emulator.seed_demo()
    url, _ = google_oauth.authorization_url(config, REDIRECT, "st", login_hint='<script>x</script>@example.test')
    assert url.startswith(emulator.consent_url), "the client sends the browser to the plain-http page"
    page = open_page(url)
    assert "ops@example.test" in page.text, "the demo account can be picked"
    assert "<script>x</script>" not in page.text and "&lt;script&gt;" in page.text


def test_google_sign_in_records_who_signed_in_not_what_was_typed(emulator, config):
    url, verifier = google_oauth.authorization_url(config, REDIRECT, "st", login_hint="typed@example.test")
    params = consent(url, "chosen-g@example.test")
    signed_in = google_oauth.exchange_code(config, REDIRECT, params["code"], verifier)
    assert signed_in.account_email == "chosen-g@example.test"
    assert "chosen-g@example.test" in emulator.accounts, "the page created the new account"
    assert "typed@example.test" not in emulator.accounts, "a hint creates nothing"
    assert "openid" in urllib.parse.unquote(url) and "email" in urllib.parse.parse_qs(
        urllib.parse.urlsplit(url).query)["scope"][0].split()


def test_google_cancel_sends_access_denied_and_creates_nothing(emulator, config):
    url, _ = google_oauth.authorization_url(config, REDIRECT, "st-deny")
    params = consent(url, "never-g@example.test", decision="deny")
    assert params == {"error": "access_denied", "state": "st-deny"}
    assert "never-g@example.test" not in emulator.accounts


def test_google_page_refuses_what_is_not_an_address(config):
    url, _ = google_oauth.authorization_url(config, REDIRECT, "st")
    page = open_page(url)
    answer = _session().post(page.url, data={"account": "not an address", "decision": "allow"},
                             allow_redirects=False, timeout=10)
    assert answer.status_code == 400 and "e-mail address" in answer.text


def test_google_unknown_accounts_are_not_made_by_api_or_control_calls(emulator, config, token, account):
    with pytest.raises(ApiError) as refused:
        emulator.person_create("nobody-g@example.test", {"title": "x", "start": "2026-12-01T09:00:00Z",
                                                          "end": "2026-12-01T10:00:00Z"})
    assert refused.value.status == 404
    assert "nobody-g@example.test" not in emulator.accounts
    stored = json.loads(token)
    other = _session().get(f"{emulator.base_url}/calendar/v3/calendars/nobody-g%40example.test/events",
                           headers={"Authorization": f"Bearer {stored['token']}"}, verify=config.ca_certs, timeout=10)
    assert other.status_code == 404


def test_the_plain_http_listener_serves_the_page_only(emulator):
    for method, path in (("POST", "/token"), ("GET", "/calendar/v3/calendars/primary/events"),
                         ("POST", "/_sandbox/secrets")):
        answer = _session().request(method, emulator.consent_url + path, timeout=10)
        assert answer.status_code == 404, path


def test_google_id_token_for_another_client_is_refused():
    import base64

    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    forged = f"{part({'alg': 'none'})}.{part({'aud': 'someone-else', 'email': 'x@example.test'})}."
    with pytest.raises(ProviderError, match="another application"):
        google_oauth.signed_in_email(forged, "our-client")
    assert google_oauth.signed_in_email(None, "our-client") is None


# -- Microsoft -----------------------------------------------------------------------------------------------
def test_microsoft_page_is_plain_http_and_the_https_authorize_url_leads_to_it(ms_emulator, tls):
    https_config = MicrosoftConfig.sandbox(ms_emulator.base_url, tls.cert_path, client_id=ms_emulator.client_id,
                                           client_secret=ms_emulator.client_secret)
    flow = ms_auth.start_auth(https_config, MS_REDIRECT, "st", login_hint="typed@example.test")
    assert flow["auth_uri"].startswith("https://")
    first = _session().get(flow["auth_uri"], allow_redirects=False, verify=tls.cert_path, timeout=10)
    assert first.status_code == 302 and first.headers["Location"].startswith(ms_emulator.consent_url + "/")
    page = open_page(flow["auth_uri"], tls.cert_path)
    assert page.status_code == 200 and "typed@example.test" in page.text


def test_microsoft_sign_in_reads_me_for_the_account(ms_emulator, ms_config):
    flow = ms_auth.start_auth(ms_config, MS_REDIRECT, "st", login_hint="typed@example.test")
    assert "User.Read" in urllib.parse.unquote(flow["auth_uri"])
    params = consent(flow["auth_uri"], "Chosen-M@example.test")
    before = len(ms_emulator.requests_log())
    signed_in = ms_auth.finish_auth(ms_config, flow, params)
    assert signed_in.account_email == "Chosen-M@example.test"
    assert any(r["path"] == "/v1.0/me" for r in ms_emulator.requests_log()[before:]), "read from Graph's /me"
    assert "typed@example.test" not in ms_emulator.accounts


def test_microsoft_me_needs_user_read(ms_emulator, ms_config, ms_account):
    # a token for the calendar scope alone, as a client registered without User.Read would get
    from calsync.microsoft.auth import make_app

    app, _cache = make_app(ms_config)
    flow = app.initiate_auth_code_flow(["Calendars.ReadWrite"], redirect_uri=MS_REDIRECT, state="st")
    flow["auth_uri"] = browser_url(flow["auth_uri"], ms_config.browser_origin)
    result = app.acquire_token_by_auth_code_flow(flow, consent(flow["auth_uri"], ms_account))
    me = _session().get(f"{ms_config.graph_base}/me", headers={"Authorization": f"Bearer {result['access_token']}"},
                        verify=ms_config.ca_certs, timeout=10)
    assert me.status_code == 403 and me.json()["error"]["code"] == "Authorization_RequestDenied"
    with pytest.raises(ProviderError, match="did not say which account"):
        ms_auth.signed_in_address(ms_config, result["access_token"])


def test_microsoft_cancel_sends_access_denied(ms_emulator, ms_config):
    flow = ms_auth.start_auth(ms_config, MS_REDIRECT, "st-deny")
    params = consent(flow["auth_uri"], "never-m@example.test", decision="deny")
    assert params["error"] == "access_denied" and params["state"] == "st-deny"
    assert "never-m@example.test" not in ms_emulator.accounts


def test_microsoft_unknown_mailboxes_are_not_made_by_control_calls(ms_emulator):
    with pytest.raises(GraphError) as refused:
        ms_emulator.person_create("nobody-m@example.test", {"title": "x", "start": "2026-12-01T09:00:00Z",
                                                             "end": "2026-12-01T10:00:00Z"})
    assert refused.value.status == 404
    assert "nobody-m@example.test" not in ms_emulator.accounts
