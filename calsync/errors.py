"""Typed errors raised by the engine and the provider clients.

Clients never sleep for long or retry for minutes: they raise one of these and
the caller (the Odoo job layer) decides what each means. Every error carries a
short, user-readable message and never a token or a secret.
"""


class SyncError(Exception):
    """Base of every engine error; ``str(e)`` is safe to show to an admin."""

    #: a short machine name, stored on the connection as the kind of the last error
    kind = "error"


class TransientError(SyncError):
    """The provider failed in a way that may succeed if tried again later (5xx, timeout)."""

    kind = "transient"


class RateLimited(TransientError):
    """The provider throttled us (429, 403 rate limit, Graph 503 with Retry-After).

    ``retry_after`` is the number of seconds the provider asked us to wait, or
    our own backoff estimate when it said nothing.
    """

    kind = "throttled"

    def __init__(self, message="", retry_after=None, reason=None):
        super().__init__(message or "The calendar provider is throttling requests.")
        self.retry_after = retry_after
        self.reason = reason


class Backpressure(Exception):
    """We paced ourselves: the next request would take our quota share over its budget.

    Not a ``SyncError`` on purpose: no client or engine layer may turn it into a
    per-event failure. It leaves the sync before the request is sent; the caller
    (the job layer) waits ``retry_after`` seconds without counting a failed attempt.
    """

    kind = "paced"

    def __init__(self, retry_after: float):
        super().__init__(f"Pacing requests to stay under the provider's quota; next slot in {retry_after:.0f} s.")
        self.retry_after = retry_after


class QuotaExhausted(SyncError):
    """A quota that resets only after a long time (Google's daily ``quotaExceeded``).

    Not transient for a job: waiting in the queue for hours is worse than failing
    visibly, so the caller treats it as a failure an admin must see.
    """

    kind = "quota"

    def __init__(self, message="", retry_after=None, reason=None):
        super().__init__(message or "The calendar provider's daily quota is used up.")
        self.retry_after = retry_after
        self.reason = reason


class SyncTokenExpired(SyncError):
    """The stored cursor (Google sync token, Graph delta link) is no longer valid: full resync."""

    kind = "resync"


class PreconditionFailed(SyncError):
    """An update or delete carried a version (If-Match) that is no longer current.

    Raised for Google 412 ``conditionNotMet`` and Graph 412; the caller fetches the
    event again and re-plans instead of overwriting a change it has not seen.
    """

    kind = "precondition"


class NeedsReauth(SyncError):
    """The grant is gone (``invalid_grant``, revoked consent, missing refresh token)."""

    kind = "reauth"


class MailboxOutOfScope(SyncError):
    """One technician's mailbox is outside what an organization-wide grant lets the app reach.

    An organization connection (Google domain-wide delegation, Microsoft app-only access) serves many
    technicians with one grant; one of them may be outside it (a Graph application access policy or
    RBAC scope that leaves the mailbox out, a Google user outside the delegated domain). The grant
    itself is fine, so this is not ``NeedsReauth``: the product marks that technician and carries on
    with the others. ``mailbox`` names the technician's address or id.
    """

    kind = "out_of_scope"

    def __init__(self, message, mailbox=None):
        super().__init__(message)
        self.mailbox = mailbox


class Gone(SyncError):
    """The event (or channel) does not exist on the provider any more."""

    kind = "gone"


class InvalidEvent(SyncError):
    """A provider event that cannot be mapped (no start, end before start, unknown zone).

    Raised per event; a pull records it and carries on with the other events.
    """

    kind = "invalid_event"

    def __init__(self, message, event_id=None):
        super().__init__(message)
        self.event_id = event_id


class ProviderError(SyncError):
    """A permanent provider answer we cannot act on (400, 403 forbidden, 404 on a calendar)."""

    kind = "provider"

    def __init__(self, message, status=None, reason=None):
        super().__init__(message)
        self.status = status
        self.reason = reason


class ConfigurationError(SyncError):
    """Something the admin must set up is missing or wrong (encryption key, client id)."""

    kind = "configuration"


class CryptoError(SyncError):
    """A secret could not be decrypted with any configured key."""

    kind = "crypto"
