"""Organization-wide grants in the sandbox: a Workspace service account with delegation, a tenant with admin consent.

What the organizations' admins do once (upload a key and authorize its client id for the calendar
scopes; consent to the app's application permission), done here through the emulators' control API
over HTTP, so that the org-grant tests and the provider contract can use the org clients.
"""

from __future__ import annotations

import itertools

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from calsync.google.config import SCOPE_EVENTS, SCOPE_FREEBUSY
from calsync.microsoft import MicrosoftConfig

DOMAIN = "fieldops-org.test"
_people = itertools.count()


def technician(domain=DOMAIN):
    return f"tech{next(_people)}@{domain}"


def _control(emu, action, payload):
    answer = requests.post(f"{emu.base_url}/_sandbox/{action}", json=payload, verify=emu.http.tls.cert_path,
                           timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def service_key(emulator):
    """A service account's JSON key (as Google Cloud hands it out), its public half registered in the sandbox."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    email = "calsync@fieldops-project.iam.gserviceaccount.com"
    # the control API over HTTP, as the Admin console's key upload would be
    client_id = _control(emulator, "register_service_account",
                         {"client_email": email, "public_key_pem": public, "domain": DOMAIN})["client_id"]
    return {"type": "service_account", "project_id": "fieldops-project", "private_key_id": "k1",
            "private_key": pem, "client_email": email, "client_id": client_id,
            "token_uri": "https://oauth2.googleapis.com/token"}


@pytest.fixture
def delegation(emulator, service_key):
    """The Workspace admin authorizes the service account's client id for the calendar scopes."""
    emulator.authorize_delegation(service_key["client_id"], [SCOPE_EVENTS, SCOPE_FREEBUSY])
    yield service_key
    emulator.revoke_delegation(service_key["client_id"])


@pytest.fixture
def org_config(ms_emulator, tls):
    """The organization's tenant (client credentials name it; "common" names no admin who consented)."""
    return MicrosoftConfig.sandbox(ms_emulator.base_url, tls.cert_path, tenant=f"{DOMAIN}",
                                   client_id=ms_emulator.client_id, client_secret=ms_emulator.client_secret)


@pytest.fixture
def tenant(ms_emulator):
    """The admin consented to Calendars.ReadWrite (application); two technicians' mailboxes exist."""
    _control(ms_emulator, "grant_admin_consent", {"roles": ["Calendars.ReadWrite"]})
    mailboxes = [ms_emulator.create_account(technician()) for _ in range(2)]
    yield mailboxes
    ms_emulator.set_mailbox_scope(None)
    ms_emulator.revoke_admin_consent()
