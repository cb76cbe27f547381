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


def _control(env, info, provider, action, payload):
    try:
        answer = requests.post(f"{info[provider]['base_url']}/_sandbox/{action}", json=payload,
                               verify=info["ca_cert"], timeout=30)
    except requests.RequestException as exc:
        raise UserError(env._("The sandbox could not be reached (%s).", type(exc).__name__)) from None
    if answer.status_code != 200:
        raise UserError(env._("The sandbox refused %(action)s (%(status)s).", action=action,
                              status=answer.status_code))
    return answer.json()


def google_service_account(env, info, domain, scopes):
    """A new service account key for ``domain``, its client id authorized for ``scopes``: the JSON key dict."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    client_id = _control(env, info, "google", "register_service_account",
                         {"client_email": SERVICE_ACCOUNT, "public_key_pem": public, "domain": domain})["client_id"]
    _control(env, info, "google", "authorize_delegation", {"client_id": client_id, "scopes": list(scopes)})
    return {"type": "service_account", "project_id": "fieldops-sandbox", "private_key_id": "sandbox",
            "private_key": pem, "client_email": SERVICE_ACCOUNT, "client_id": client_id,
            "token_uri": "https://oauth2.googleapis.com/token"}


def microsoft_admin_consent(env, info):
    """The tenant's admin consents to Calendars.ReadWrite (application) for the sandbox's app."""
    _control(env, info, "microsoft", "grant_admin_consent", {"roles": ["Calendars.ReadWrite"]})


def microsoft_mailbox(env, info, address):
    """The tenant's admin creates the technician's mailbox (real tenants have it already)."""
    _control(env, info, "microsoft", "create_account", {"account": address})
