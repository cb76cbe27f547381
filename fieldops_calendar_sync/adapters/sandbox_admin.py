"""Sandbox mode only: what an organization's admin does once in the provider's consoles, done in the sandbox.

Google Workspace: create a service account key (Google Cloud) and authorize its client id for the
calendar scopes (Admin console, domain-wide delegation). Microsoft 365: consent to the app's
application permission for the tenant (Entra). The sandbox's control API stands in for those
consoles; with the real providers the admin does this by hand (docs/organization-connections.md).
"""

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from odoo.exceptions import UserError

SERVICE_ACCOUNT = "fieldops-calendar@fieldops-sandbox.iam.gserviceaccount.com"


def _control(info, provider, action, payload):
    try:
        answer = requests.post(f"{info[provider]['base_url']}/_sandbox/{action}", json=payload,
                               verify=info["ca_cert"], timeout=30)
    except requests.RequestException as exc:
        raise UserError(f"The sandbox could not be reached ({type(exc).__name__}).") from None
    if answer.status_code != 200:
        raise UserError(f"The sandbox refused {action} ({answer.status_code}).")
    return answer.json()


def google_service_account(info, domain, scopes):
    """A new service account key for ``domain``, its client id authorized for ``scopes``: the JSON key dict."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    client_id = _control(info, "google", "register_service_account",
                         {"client_email": SERVICE_ACCOUNT, "public_key_pem": public, "domain": domain})["client_id"]
    _control(info, "google", "authorize_delegation", {"client_id": client_id, "scopes": list(scopes)})
    return {"type": "service_account", "project_id": "fieldops-sandbox", "private_key_id": "sandbox",
            "private_key": pem, "client_email": SERVICE_ACCOUNT, "client_id": client_id,
            "token_uri": "https://oauth2.googleapis.com/token"}


def microsoft_admin_consent(info):
    """The tenant's admin consents to Calendars.ReadWrite (application) for the sandbox's app."""
    _control(info, "microsoft", "grant_admin_consent", {"roles": ["Calendars.ReadWrite"]})


def microsoft_mailbox(info, address):
    """The tenant's admin creates the technician's mailbox (real tenants have it already)."""
    _control(info, "microsoft", "create_account", {"account": address})
