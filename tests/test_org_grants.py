"""Organization-wide grants (issue #25): Google domain-wide delegation and Microsoft app-only access.

Against the emulators over real HTTPS through google-auth (service-account JWTs it signs itself) and
msal (client credentials): each technician's calendar is reached with the organization's one grant,
and each refusal comes out as the error the product acts on (reconnect the organization, or mark
one technician and carry on).
"""

from __future__ import annotations

import base64
import http.server
import json
import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from calsync.errors import ConfigurationError, MailboxOutOfScope, NeedsReauth, ProviderError
from calsync.events import OpKind, WriteOp
from calsync.google import GoogleConfig
from calsync.google.config import SCOPE_EVENTS, SCOPE_FREEBUSY
from calsync.google.delegation import DelegatedCalendarClient
from calsync.microsoft import GraphCalendarClient
from calsync.microsoft.app_only import GRAPH_DEFAULT_SCOPE, AppOnlyTokens, app_only_client
from calsync.recurrence import Recurrence
from calsync.sandbox.google import GoogleEmulator
from calsync.sandbox.microsoft import MicrosoftEmulator
from calsync.sandbox.microsoft.app_only import user_id
from tests.org_fixtures import DOMAIN, technician
from tests.provider_contract import job_event, new_identity


# -- Google: a service account with domain-wide delegation ------------------------------------------------
def _delegated(config, key, subject):
    return DelegatedCalendarClient(config, key, subject, sleep=lambda s: None)


def test_a_delegated_client_per_technician_writes_and_reads_that_technicians_calendar(config, delegation,
                                                                                      emulator):
    alice, bob = technician(), technician()
    clients = {who: _delegated(config, delegation, who) for who in (alice, bob)}
    created = {who: client.create(new_identity(), job_event(title=f"WO for {who}"))
               for who, client in clients.items()}
    for who, client in clients.items():
        listed = client.list_changes()
        assert [e.data.title for e in listed.events if not e.deleted] == [f"WO for {who}"]
        assert {e.id for e in listed.events} == {created[who].id}
    assert [e["summary"] for e in emulator.live_events(alice)] == [f"WO for {alice}"]
    assert [e["summary"] for e in emulator.live_events(bob)] == [f"WO for {bob}"]


def test_a_technician_whose_first_request_is_a_batch_gets_a_token_through_our_transport(config, delegation,
                                                                                       emulator):
    """googleapiclient's batch would fetch the missing token with a bare httplib2 (default CAs only)."""
    who = technician()
    client = _delegated(config, delegation, who)
    ops = [WriteOp(OpKind.CREATE, identity=new_identity(), data=job_event(title=f"WO {n}")) for n in range(3)]
    results = client.apply(ops)
    assert [r.error for r in results] == [None] * 3
    assert sorted(e["summary"] for e in emulator.live_events(who)) == ["WO 0", "WO 1", "WO 2"]


def test_the_jwt_google_auth_signs_is_what_the_token_endpoint_checks(config, delegation, emulator):
    """A key whose public half the sandbox does not have: the signature check refuses it (invalid_grant)."""
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    forged = dict(delegation, private_key=other)
    with pytest.raises(NeedsReauth, match=r"key \(invalid_grant\)"):
        _delegated(config, forged, technician()).list_changes()


def _assertion(key, **claims):
    """A JWT-bearer assertion signed here (RS256 with cryptography), to try the token endpoint's rules."""
    private = serialization.load_pem_private_key(key["private_key"].encode(), None)

    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    now = int(time.time())
    body = dict({"iss": key["client_email"], "scope": SCOPE_EVENTS, "iat": now, "exp": now + 3600}, **claims)
    signing_input = f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(body)}"
    signature = private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + base64.urlsafe_b64encode(signature).decode().rstrip("=")


@pytest.mark.parametrize("claims, status, error", [
    ({}, 200, None),
    ({"exp": int(time.time()) + 7200}, 400, "invalid_grant"),  # more than one hour
    ({"aud": "https://elsewhere.test/token"}, 400, "invalid_grant"),
    ({"scope": ""}, 400, "invalid_scope"),
    ({"sub": "tech@elsewhere.test"}, 400, "invalid_grant"),
    ({"scope": "https://www.googleapis.com/auth/calendar"}, 401, "unauthorized_client"),  # not delegated
])
def test_the_token_endpoint_checks_the_jwt_claims(config, delegation, claims, status, error):
    claims = dict({"aud": config.token_uri, "sub": technician()}, **claims)
    answer = requests.post(config.token_uri, data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                                   "assertion": _assertion(delegation, **claims)},
                           verify=config.ca_certs, timeout=30)
    assert answer.status_code == status, answer.text
    assert answer.json().get("error") == error
    assert "refresh_token" not in answer.json()


def test_a_user_outside_the_domain_is_one_technician_out_of_scope(config, delegation):
    outsider = technician("elsewhere.test")
    with pytest.raises(MailboxOutOfScope) as refused:
        _delegated(config, delegation, outsider).list_changes()
    assert refused.value.mailbox == outsider


def test_delegation_not_authorized_is_a_reconnect_of_the_organization(config, service_key, emulator):
    emulator.authorize_delegation(service_key["client_id"], [SCOPE_FREEBUSY])  # not calendar.events
    try:
        with pytest.raises(NeedsReauth, match="Domain-wide delegation"):
            _delegated(config, service_key, technician()).list_changes()
    finally:
        emulator.revoke_delegation(service_key["client_id"])


def test_revoked_delegation_stops_new_tokens(config, delegation, emulator):
    client = _delegated(config, delegation, technician())
    client.list_changes()
    emulator.revoke_delegation(delegation["client_id"])
    emulator.expire_access_tokens()  # an hour later: google-auth signs a new JWT, which is refused
    with pytest.raises(NeedsReauth, match="Domain-wide delegation"):
        client.list_changes()


# -- Microsoft: app-only access with admin consent ------------------------------------------------------------
def _app_client(org_config, mailbox, tokens=None):
    return app_only_client(org_config, mailbox, tokens=tokens, sleep=lambda s: None)


def test_app_only_client_pushes_a_batch_and_pulls_a_delta_per_mailbox(org_config, ms_emulator, tenant):
    tokens = AppOnlyTokens(org_config)  # one app token for every mailbox of the job
    first, second = (_app_client(org_config, box, tokens) for box in tenant)
    ops = [WriteOp(OpKind.CREATE, new_identity(), job_event(title=f"WO-{n}", hours=n)) for n in range(6)]
    results = first.apply(ops)
    assert [r.error for r in results] == [None] * 6
    assert all(r.event.id for r in results)
    assert first.requests_sent == 1, "the six creates went as one $batch"
    items = [c for c in ms_emulator.requests_log() if c["method"] == "POST" and c["status"] == 201]
    assert {c["path"] for c in items} == {f"/v1.0/users/{tenant[0]}/events"} and len(items) == 6
    pulled = first.list_changes()
    assert sorted(e.data.title for e in pulled.events) == [f"WO-{n}" for n in range(6)]
    assert "/users/" in pulled.cursor and "/me/" not in pulled.cursor
    assert second.list_changes().events == (), "the other technician's mailbox is untouched"
    moved = first.update(results[0].event.id, job_event(title="WO-0 moved", hours=1), results[0].event.version)
    assert moved.data.title == "WO-0 moved"
    again = first.list_changes(pulled.cursor)
    assert [e.data.title for e in again.events] == ["WO-0 moved"]


def test_every_app_only_path_names_the_mailbox(org_config, ms_emulator, tenant):
    client = _app_client(org_config, tenant[0])
    created = client.create(new_identity(), job_event())
    client.apply([WriteOp(OpKind.UPDATE, new_identity(), job_event(title="changed"), created.id, created.version),
                  WriteOp(OpKind.CREATE, new_identity(), job_event(title="second"))])
    client.delete(created.id)
    ms_emulator.log.clear()
    client.list_changes()
    client.get(created.id)
    paths = [c["path"] for c in ms_emulator.requests_log()]
    assert paths and all("/users/" in p for p in paths), paths


class _Validator(http.server.BaseHTTPRequestHandler):
    """A notification URL that answers Graph's validation handshake (echoes ``validationToken``)."""

    def do_POST(self):
        token = parse_qs(urlsplit(self.path).query).get("validationToken", [""])[0].encode()
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200 if token else 202)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(token)))
        self.end_headers()
        self.wfile.write(token)

    def log_message(self, *args):
        return


@pytest.fixture
def webhook_sink():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Validator)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/notify"
    server.shutdown()


def test_app_only_subscription_resource_names_the_mailbox(org_config, tenant, webhook_sink):
    client = _app_client(org_config, tenant[0])
    channel = client.watch(webhook_sink, "client-state-1234", "chan", timedelta(hours=1))
    assert channel.resource_id.lower().startswith("users/")
    renewed = client.renew(channel, timedelta(hours=2))
    assert renewed.id == channel.id
    client.unwatch(channel)


def test_me_under_an_app_only_token_is_refused_as_graph_does(org_config, tenant):
    token = AppOnlyTokens(org_config).token()
    answer = requests.get(f"{org_config.graph_base}/me/events", headers={"Authorization": f"Bearer {token}"},
                          verify=org_config.ca_certs, timeout=30)
    assert answer.status_code == 400
    assert answer.json()["error"] == {"code": "BadRequest",
                                      "message": "/me request is only valid with delegated authentication flow."}
    # and a client that forgot its mailbox gets the same refusal, not a silent wrong calendar
    with pytest.raises(ProviderError) as refused:
        app_only_client(org_config, None, sleep=lambda s: None).list_changes()
    assert refused.value.status == 400


def test_only_the_default_scope_is_accepted_for_client_credentials(org_config, tenant):
    app = AppOnlyTokens(org_config).app
    refused = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/Calendars.ReadWrite"])
    assert refused.get("error") == "invalid_scope"
    assert "access_token" in app.acquire_token_for_client(scopes=GRAPH_DEFAULT_SCOPE)


def test_a_mailbox_outside_the_app_scope_is_a_per_mailbox_error(org_config, ms_emulator, tenant):
    inside, outside = tenant
    ms_emulator.set_mailbox_scope([inside])  # an application access policy: RestrictAccess to one group
    tokens = AppOnlyTokens(org_config)
    with pytest.raises(MailboxOutOfScope) as refused:
        _app_client(org_config, outside, tokens).list_changes()
    assert refused.value.mailbox == outside
    results = _app_client(org_config, outside, tokens).apply(
        [WriteOp(OpKind.CREATE, new_identity(), job_event(title=f"x{n}")) for n in range(2)])
    assert all(isinstance(r.error, MailboxOutOfScope) for r in results), "batch items carry it too"
    assert _app_client(org_config, inside, tokens).list_changes().events == (), "the others carry on"


def test_revoked_admin_consent_is_a_reconnect_of_the_organization(org_config, ms_emulator, tenant):
    client = _app_client(org_config, tenant[0])
    client.list_changes()
    ms_emulator.revoke_admin_consent()
    client.list_changes()  # the token already issued lives out its hour, as Entra's do
    ms_emulator.expire_access_tokens()
    with pytest.raises(NeedsReauth, match="Connect the organization again"):
        client.list_changes()
    with pytest.raises(NeedsReauth):
        _app_client(org_config, tenant[0]).list_changes()


def test_client_credentials_need_the_organizations_tenant(ms_config):
    with pytest.raises(ConfigurationError, match="tenant"):
        AppOnlyTokens(ms_config)  # the sandbox's "common": multi-tenant sign-in, not one organization


def test_a_mailbox_is_addressed_by_its_object_id_too(org_config, tenant):
    client = _app_client(org_config, user_id(tenant[1]))
    created = client.create(new_identity(), job_event(title="by id"))
    assert client.get(created.id).data.title == "by id"


def test_app_only_series_reads_instances_under_the_mailbox(org_config, ms_emulator, tenant):
    client = _app_client(org_config, tenant[0])
    master = client.create_series(new_identity(), job_event(title="weekly check"), Recurrence("daily", count=3))
    ms_emulator.log.clear()
    start = job_event().start
    occurrences = client.series_instances(master.id, start - timedelta(days=1), start + timedelta(days=5))
    assert len(occurrences) == 3
    assert all("/users/" in c["path"] for c in ms_emulator.requests_log())


def test_a_delegated_token_reaches_only_its_own_mailbox_by_users_path(ms_config, ms_cache, ms_account, tenant):
    own = GraphCalendarClient(ms_config, ms_cache, account_email=ms_account, mailbox=ms_account,
                              sleep=lambda s: None)
    assert own.list_changes().events == ()
    other = GraphCalendarClient(ms_config, ms_cache, account_email=ms_account, mailbox=tenant[0],
                                sleep=lambda s: None)
    with pytest.raises(MailboxOutOfScope):
        other.list_changes()


def test_the_admins_grants_outlive_an_emulator_restart(tls, tmp_path, service_key):
    """The sandbox run mode keeps a state file: a key upload, a delegation and a consent survive a restart."""
    public = serialization.load_pem_private_key(service_key["private_key"].encode(), None).public_key() \
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    google_file, ms_file = str(tmp_path / "google.json"), str(tmp_path / "ms.json")
    first = GoogleEmulator(tls, enforce_quotas=False, state_file=google_file).start()
    first.register_service_account(service_key["client_email"], public, DOMAIN, service_key["client_id"])
    first.authorize_delegation(service_key["client_id"], [SCOPE_EVENTS])
    first.stop()
    ms_first = MicrosoftEmulator(tls, enforce_limits=False, state_file=ms_file).start()
    ms_first.grant_admin_consent()
    ms_first.set_mailbox_scope(["one@" + DOMAIN])
    ms_first.stop()
    again = GoogleEmulator(tls, enforce_quotas=False, state_file=google_file).start()
    ms_again = MicrosoftEmulator(tls, enforce_limits=False, state_file=ms_file).start()
    try:
        config = GoogleConfig.sandbox(again.base_url, tls.cert_path)
        assert _delegated(config, service_key, technician()).list_changes().events == ()
        assert ms_again.app_roles == ("Calendars.ReadWrite",)
        assert ms_again.mailbox_scope == frozenset({"one@" + DOMAIN})
    finally:
        again.stop()
        ms_again.stop()


# -- the key file an admin uploads, and a mailbox the tenant's admin creates ---------------------------------
def test_an_uploaded_key_file_is_checked_before_it_is_stored(service_key):
    from calsync.google.delegation import read_service_account_key

    assert read_service_account_key(json.dumps(service_key).encode())["client_id"] == service_key["client_id"]
    refusals = {
        b"": "Upload the JSON key",
        b"\xff\xfe not json": "not a JSON key",
        json.dumps({"type": "authorized_user"}).encode(): "not a service account key",
        json.dumps(dict(service_key, client_id="")).encode(): "lacks client_id",
        json.dumps(dict(service_key, private_key="-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
        .encode(): "cannot be read",
    }
    for raw, words in refusals.items():
        with pytest.raises(ConfigurationError, match=words) as caught:
            read_service_account_key(raw)
        assert service_key["private_key"][40:80] not in str(caught.value), "a refusal never repeats the key"


def test_a_mailbox_the_admin_created_is_reached_and_an_unknown_one_is_out_of_scope(org_config, ms_emulator, tenant):
    from tests.org_fixtures import _control

    created = technician()
    assert _control(ms_emulator, "create_account", {"account": created}) == {"account": created}
    tokens = AppOnlyTokens(org_config)
    assert app_only_client(org_config, created, tokens).list_changes().events == ()
    with pytest.raises(MailboxOutOfScope):
        app_only_client(org_config, technician(), tokens).list_changes()


def test_a_push_to_a_mailbox_outside_the_scope_keeps_every_link_owed(org_config, ms_emulator, tenant):
    """Every item refused alike is the technician's problem, not the jobs': nothing goes to 'error'."""
    from calsync import sync
    from tests.engine_fixtures import World, make_job

    inside, outside = tenant
    ms_emulator.set_mailbox_scope([inside])
    world = World()
    world.providers["google"] = _app_client(org_config, outside, AppOnlyTokens(org_config))
    for n in range(3):
        world.add_job(f"job{n}", make_job(n))
    with pytest.raises(MailboxOutOfScope):
        sync.push(world.providers["google"], world.stores["google"])
    links = world.stores["google"].all_links()
    assert [link.state for link in links] == ["pending_push"] * 3


# -- the grant's tokens kept between jobs (calsync.grant_cache) ---------------------------------------------
def test_kept_tokens_sign_in_once_per_technician_and_app_not_once_per_client(config, delegation, emulator,
                                                                           org_config, ms_emulator, tenant):
    from calsync import grant_cache

    grant_cache.clear()
    who = technician()
    before = emulator.round_trips["oauth"]
    for _job in range(4):  # four sync jobs of one technician, each building its client anew
        creds = grant_cache.delegated_credentials(config, delegation, who, [SCOPE_EVENTS])
        DelegatedCalendarClient(config, delegation, who, credentials=creds, sleep=lambda s: None).list_changes()
    assert emulator.round_trips["oauth"] - before == 1
    ms_before = ms_emulator.round_trips["oauth"]
    for mailbox in tenant * 2:
        app_only_client(org_config, mailbox, grant_cache.app_tokens(org_config)).list_changes()
    assert ms_emulator.round_trips["oauth"] - ms_before <= 2, "discovery and one token for the whole app"
    other = dict(delegation, private_key_id="rotated")
    assert grant_cache.delegated_credentials(config, other, who, [SCOPE_EVENTS]) is not creds, "a new key: new"


def test_a_revoked_grant_is_seen_through_kept_tokens(config, delegation, emulator, org_config, ms_emulator, tenant):
    from calsync import grant_cache

    grant_cache.clear()
    who = technician()

    def google():
        creds = grant_cache.delegated_credentials(config, delegation, who, [SCOPE_EVENTS])
        return DelegatedCalendarClient(config, delegation, who, credentials=creds, sleep=lambda s: None)

    google().list_changes()
    emulator.revoke_delegation(delegation["client_id"])
    emulator.expire_access_tokens()  # Google answers 401 to the kept token; the refresh is refused
    with pytest.raises(NeedsReauth):
        google().list_changes()
    app_only_client(org_config, tenant[0], grant_cache.app_tokens(org_config)).list_changes()
    ms_emulator.revoke_admin_consent()
    ms_emulator.expire_access_tokens()
    with pytest.raises(NeedsReauth):
        app_only_client(org_config, tenant[0], grant_cache.app_tokens(org_config)).list_changes()
    grant_cache.clear()


def test_a_renewed_app_token_source_sees_consent_given_again(org_config, ms_emulator, tenant):
    """msal keeps a refused request's answer for a while; a reconnection asks with a new source."""
    from calsync import grant_cache

    grant_cache.clear()
    ms_emulator.revoke_admin_consent()
    with pytest.raises(NeedsReauth):
        grant_cache.app_tokens(org_config).token(force=True)
    ms_emulator.grant_admin_consent()
    assert grant_cache.app_tokens(org_config, renew=True).token()
    app_only_client(org_config, tenant[0], grant_cache.app_tokens(org_config)).list_changes()
    grant_cache.clear()
