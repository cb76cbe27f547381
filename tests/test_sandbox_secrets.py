"""The emulators list every secret they issued or were handed (the ``secrets`` control action), for leak scans."""

import base64
import hashlib
import json

from calsync.sandbox.google import GoogleEmulator
from calsync.sandbox.microsoft import MicrosoftEmulator


def _pkce():
    verifier = "v" * 64
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def _query(location):
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(location).query))


def test_google_lists_client_secret_codes_tokens_and_channel_tokens(tls):
    emu = GoogleEmulator(tls, enforce_quotas=False, allow_http_loopback=True)  # in-process calls only
    verifier, challenge = _pkce()
    # the person allows on the sign-in page (in-process: the page's form handler)
    allowed = emu.consent_decision({"client_id": emu.client_id, "redirect_uri": "http://127.0.0.1/cb",
                                    "response_type": "code", "code_challenge": challenge,
                                    "code_challenge_method": "S256", "account": "a@example.test",
                                    "decision": "allow"})
    code = _query(allowed.headers["Location"])["code"]
    status, answer = emu.token({"client_id": emu.client_id, "client_secret": emu.client_secret,
                                "grant_type": "authorization_code", "code": code,
                                "redirect_uri": "http://127.0.0.1/cb", "code_verifier": verifier}, {})
    assert status == 200
    emu._watch(emu._calendar("a@example.test", "a@example.test"), "primary",
               {"type": "web_hook", "id": "chan1", "address": "http://127.0.0.1:9/hook", "token": "tok-xyz"})
    status, listing = emu.control("secrets", {})
    kinds = {item["value"]: item["kind"] for item in listing["secrets"]}
    assert kinds[emu.client_secret] == "google client secret"
    assert kinds[code] == "google authorization code"  # spent codes stay listed
    assert kinds[answer["access_token"]] == "google access token"
    assert kinds[answer["refresh_token"]] == "google refresh token"
    assert kinds["tok-xyz"] == "google channel token"
    json.dumps(listing)  # the HTTP control API answers it as JSON


def test_microsoft_lists_client_secret_codes_tokens(tls):
    emu = MicrosoftEmulator(tls, enforce_limits=False, allow_http_loopback=True)
    verifier, challenge = _pkce()
    allowed = emu.consent_decision({"client_id": emu.client_id, "redirect_uri": "http://127.0.0.1/cb",
                                    "code_challenge": challenge, "account": "b@example.test", "decision": "allow"})
    code = _query(allowed.headers["Location"])["code"]
    status, answer = emu.token({"client_id": emu.client_id, "client_secret": emu.client_secret,
                                "grant_type": "authorization_code", "code": code,
                                "redirect_uri": "http://127.0.0.1/cb", "code_verifier": verifier})
    assert status == 200
    _status, listing = emu.control("secrets", {})
    kinds = {item["value"]: item["kind"] for item in listing["secrets"]}
    assert kinds[emu.client_secret] == "microsoft client secret"
    assert kinds[code] == "microsoft authorization code"
    assert kinds[answer["access_token"]] == "microsoft access token"
    assert kinds[answer["refresh_token"]] == "microsoft refresh token"
