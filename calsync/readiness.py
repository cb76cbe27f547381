"""What stands between a database and live calendars: each readiness item judged from observed facts.

The addon gathers the facts (settings, the key, a request to its own public URL, queue_job's runner,
the server's mode, each connection's last sync); this module decides each item's state and whether it
blocks a first sync, and names the reason by a code that the addon turns into words. Nothing here
does I/O, so every state of every item is tested directly.

States follow the seed's readiness gate: ``ready``, ``blocked_credentials`` (blocked until provider
credentials exist), ``missing`` and ``failing``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .push_address import MISSING as URL_MISSING
from .push_address import push_refusal

READY = "ready"
BLOCKED = "blocked_credentials"
MISSING = "missing"
FAILING = "failing"
STATES = (READY, BLOCKED, MISSING, FAILING)

PROVIDERS = ("google", "microsoft")
# a runner that ran a probe job within this long is alive; a probe waiting longer means it is not
RUNNER_FRESH = timedelta(hours=24)
RUNNER_GRACE = timedelta(minutes=5)
# a connection whose last pull is older than this is not being kept in sync (the safety net runs every 15 min)
PULL_STALE = timedelta(hours=1)


@dataclass(frozen=True)
class Facts:
    """What the addon observed, once per check."""

    now: datetime
    sandbox: bool
    sandbox_running: bool = False
    apps: dict = field(default_factory=dict)  # provider -> client id and secret both entered
    key_configured: bool = False
    secrets_stored: int = 0
    secrets_undecryptable: int = 0
    public_url: str = ""
    # route name -> None when it answered as our route does, else what went wrong; empty: not probed
    url_probes: dict = field(default_factory=dict)
    queue_job_server_wide: bool = False
    runner_seen_at: datetime | None = None
    runner_probe_queued_at: datetime | None = None
    workers: int = 0
    live_notification_at: datetime | None = None  # a verified push from a real provider


@dataclass(frozen=True)
class ConnectionFacts:
    name: str
    provider: str
    connected: bool
    state: str
    push_refused: bool
    channel_state: str | None  # active / pending / failed / None (none opened)
    channel_expires_at: datetime | None
    last_notification_at: datetime | None
    last_pull_at: datetime | None
    last_push_at: datetime | None


@dataclass(frozen=True)
class Item:
    key: str
    state: str
    reason: str  # a code; the addon words it
    blocks: tuple = ()  # providers whose first live sync this item stops while it is not ready
    detail: dict = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return self.state == READY


def assess(facts: Facts) -> list[Item]:
    """Every database-wide item, in the order the panel shows them."""
    items = [_sandbox(facts)]
    items += [_app(facts, provider) for provider in PROVIDERS]
    items += [_key(facts), _public_url(facts), _live_webhooks(facts), _queue_job(facts), _workers(facts)]
    return items


def _sandbox(facts):
    if not facts.sandbox:
        return Item("sandbox", READY, "off")
    return Item("sandbox", READY if facts.sandbox_running else FAILING, "on" if facts.sandbox_running
                else "on_not_running")


def _app(facts, provider):
    if facts.apps.get(provider):
        return Item(f"{provider}_app", READY, "entered", blocks=(provider,))
    return Item(f"{provider}_app", BLOCKED, "sandbox" if facts.sandbox else "not_entered", blocks=(provider,))


def _key(facts):
    if not facts.key_configured:
        return Item("encryption_key", MISSING, "not_configured", blocks=PROVIDERS)
    if facts.secrets_undecryptable:
        return Item("encryption_key", FAILING, "cannot_decrypt", blocks=PROVIDERS,
                    detail={"count": facts.secrets_undecryptable, "total": facts.secrets_stored})
    return Item("encryption_key", READY, "decrypts", blocks=PROVIDERS, detail={"total": facts.secrets_stored})


def _public_url(facts):
    refusal = push_refusal(facts.public_url, facts.sandbox)
    if refusal == URL_MISSING:
        return Item("public_url", MISSING, "not_set", blocks=PROVIDERS)
    if refusal:
        return Item("public_url", FAILING, "not_https", blocks=PROVIDERS, detail={"url": facts.public_url})
    if not facts.url_probes:
        return Item("public_url", FAILING, "not_probed", blocks=PROVIDERS, detail={"url": facts.public_url})
    failed = {route: error for route, error in facts.url_probes.items() if error}
    if failed:
        return Item("public_url", FAILING, "unreachable", blocks=PROVIDERS,
                    detail={"url": facts.public_url, "failed": failed})
    return Item("public_url", READY, "answers", blocks=PROVIDERS, detail={"url": facts.public_url})


def _live_webhooks(facts):
    """A verified push from the real Google or Microsoft: only real credentials and https can bring one."""
    if facts.sandbox or not any(facts.apps.values()):
        return Item("live_webhooks", BLOCKED, "sandbox" if facts.sandbox else "not_entered")
    if facts.live_notification_at:
        return Item("live_webhooks", READY, "received", detail={"at": facts.live_notification_at})
    return Item("live_webhooks", MISSING, "none_yet")


def _queue_job(facts):
    if not facts.queue_job_server_wide:
        return Item("queue_job", FAILING, "not_server_wide", blocks=PROVIDERS)
    if facts.runner_seen_at and facts.now - facts.runner_seen_at <= RUNNER_FRESH:
        return Item("queue_job", READY, "runner_alive", blocks=PROVIDERS, detail={"at": facts.runner_seen_at})
    queued = facts.runner_probe_queued_at
    if queued and facts.now - queued <= RUNNER_GRACE:
        return Item("queue_job", MISSING, "probe_waiting", blocks=PROVIDERS, detail={"at": queued})
    return Item("queue_job", FAILING, "runner_not_seen", blocks=PROVIDERS,
                detail={"at": queued, "seen": facts.runner_seen_at})


def _workers(facts):
    if facts.workers > 0:
        return Item("workers", READY, "prefork", detail={"workers": facts.workers})
    return Item("workers", MISSING, "threaded")


def assess_connection(conn: ConnectionFacts, now: datetime) -> Item:
    """One connection's push channel and sync, judged from what it last did."""
    detail = {"notification_at": conn.last_notification_at, "pull_at": conn.last_pull_at,
              "push_at": conn.last_push_at, "channel_expires_at": conn.channel_expires_at}
    key = f"connection:{conn.name}"
    if conn.state in ("error", "needs_reauth"):
        return Item(key, FAILING, conn.state, detail=detail)
    if not conn.connected:
        return Item(key, MISSING, "not_connected", detail=detail)
    if conn.channel_state == "failed" or (
            conn.channel_state == "active" and conn.channel_expires_at and conn.channel_expires_at <= now):
        return Item(key, FAILING, "channel_dead", detail=detail)
    if conn.last_pull_at and now - conn.last_pull_at > PULL_STALE:
        return Item(key, FAILING, "pull_stale", detail=detail)
    if conn.push_refused:
        return Item(key, MISSING, "push_refused", detail=detail)
    if conn.channel_state != "active":
        return Item(key, MISSING, "no_channel", detail=detail)
    if not conn.last_pull_at:
        return Item(key, MISSING, "never_pulled", detail=detail)
    return Item(key, READY, "syncing", detail=detail)


def blockers(items: list[Item], provider: str, sandbox: bool) -> list[Item]:
    """The items that stop a first sync of a ``provider`` calendar: outside sandbox mode, any not ready."""
    if sandbox:
        return []
    return [item for item in items if provider in item.blocks and not item.ready]
