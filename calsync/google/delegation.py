"""A Google client acting as one technician through a service account with domain-wide delegation.

An organization connects all its technicians at once: the Workspace admin authorizes the app's
service account (its client id) for the calendar scopes in the Admin console, and the engine signs,
per technician, a JWT whose ``sub`` is that technician (google-auth's
``service_account.Credentials.with_subject``). No one signs in and no refresh token is stored: the
key is the secret, and google-auth mints a new hour-long token when the old one expires.

Refusals from the token endpoint ("Using OAuth 2.0 for Server to Server Applications",
developers.google.com/identity/protocols/oauth2/service-account, error table) mean different things
for the product: ``unauthorized_client`` is the organization's grant missing or withdrawn (every
technician is affected: reconnect the organization, ``NeedsReauth``); ``invalid_grant`` "Invalid email
or User ID" is one technician outside the domain (``MailboxOutOfScope``, carry on with the others);
any other ``invalid_grant`` (bad signature, deleted key, clock) is the key itself (``NeedsReauth``).
"""

from __future__ import annotations

import json

from google.auth.exceptions import RefreshError
from google.oauth2 import service_account

from ..errors import ConfigurationError, MailboxOutOfScope, NeedsReauth, SyncError, TransientError
from .client import GoogleCalendarClient
from .config import SCOPE_EVENTS, GoogleConfig

KEY_FIELDS = ("client_email", "private_key")
KEY_MAX_BYTES = 64 * 1024  # a Google Cloud JSON key is about 2.3 KB


def read_service_account_key(raw) -> dict:
    """The JSON key file an admin uploads, checked: a service account's, with its private key and client id.

    ``raw`` is the file's bytes (or text). Raises ``ConfigurationError`` in words for the admin; the key is
    never part of the message. The client id is what the Workspace admin authorizes in the Admin console.
    """
    if isinstance(raw, str):
        raw = raw.encode()
    if not raw or len(raw) > KEY_MAX_BYTES:
        raise ConfigurationError("Upload the JSON key file Google Cloud gave for the service account.")
    try:
        key = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ConfigurationError("This file is not a JSON key: download the service account's key as JSON "
                                 "in Google Cloud (IAM & Admin > Service accounts > Keys).") from None
    if not isinstance(key, dict) or key.get("type") != "service_account":
        raise ConfigurationError("This JSON file is not a service account key (its type must be "
                                 "'service_account').")
    missing = [name for name in (*KEY_FIELDS, "client_id") if not isinstance(key.get(name), str) or not key[name]]
    if missing:
        raise ConfigurationError(f"The service account key lacks {', '.join(missing)}; download a new key.")
    try:
        service_account.Credentials.from_service_account_info(dict(key, token_uri=key.get("token_uri") or
                                                                    "https://oauth2.googleapis.com/token"))
    except ValueError:
        raise ConfigurationError("The service account's private key cannot be read; download a new key.") from None
    return key


def delegated_credentials(config: GoogleConfig, key: dict, subject: str, scopes=(SCOPE_EVENTS,)):
    """google-auth service-account credentials acting as ``subject``, asking ``config.token_uri``.

    ``key`` is the service account's JSON key as a dict; its own ``token_uri`` is replaced by the
    configured one, so that sandbox mode asks the emulator and production asks Google.
    """
    missing = [name for name in KEY_FIELDS if not (isinstance(key, dict) and key.get(name))]
    if missing:
        raise ConfigurationError(f"The service account key lacks {', '.join(missing)}; upload the JSON key "
                                 "Google Cloud gave for the service account.")
    if not subject or "@" not in subject:
        raise ConfigurationError("A technician acting through domain-wide delegation needs an email address.")
    info = dict(key, token_uri=config.token_uri)
    try:
        credentials = service_account.Credentials.from_service_account_info(info, scopes=list(scopes))
    except ValueError:
        raise ConfigurationError("The service account's private key cannot be read; upload the JSON key "
                                 "again.") from None
    return credentials.with_subject(subject)


class DelegatedCalendarClient(GoogleCalendarClient):
    """``GoogleCalendarClient`` for one technician of a Workspace domain (the service account as ``subject``)."""

    def __init__(self, config: GoogleConfig, key: dict, subject: str, scopes=(SCOPE_EVENTS,), credentials=None,
                 **kwargs):
        # ``credentials``: the same technician's, kept from an earlier client (calsync.grant_cache), whose
        # token is still good; made anew otherwise
        self.subject = subject
        super().__init__(config, None, credentials=credentials or delegated_credentials(config, key, subject, scopes),
                         **kwargs)

    def check_grant(self) -> None:
        """Ask Google for this technician's token now: proves the key and the delegation, or raises the
        typed refusal (``NeedsReauth`` for the organization, ``MailboxOutOfScope`` for this technician)."""
        try:
            self._fresh_token_for_batch()
        except RefreshError as exc:
            raise self._refused(exc) from None
        except OSError as exc:
            raise TransientError(f"Google's token service could not be reached ({type(exc).__name__}).") from None

    def _refused(self, exc: RefreshError) -> SyncError:
        error, description = _reason(exc)
        if error == "invalid_grant" and "email or user id" in description.lower():
            return MailboxOutOfScope(f"Google Workspace does not know {self.subject} as a user of the delegated "
                                     "domain; check the technician's address.", mailbox=self.subject)
        if error == "unauthorized_client":
            return NeedsReauth("The Google Workspace admin has not authorized (or no longer authorizes) this "
                               "app's service account for the calendar scopes (Admin console, Domain-wide "
                               "delegation). Connect the organization again.")
        return NeedsReauth(f"Google refused the service account's key ({error or 'error'}). Upload a current "
                           "key and connect the organization again.")


def _reason(exc: RefreshError) -> tuple[str, str]:
    """``(error, error_description)`` of google-auth's RefreshError (its second argument is the answer)."""
    answer = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    error = answer.get("error") if isinstance(answer.get("error"), str) else ""
    description = answer.get("error_description") if isinstance(answer.get("error_description"), str) else ""
    if not error and exc.args and isinstance(exc.args[0], str):
        error, _, description = exc.args[0].partition(": ")
    return error, description
