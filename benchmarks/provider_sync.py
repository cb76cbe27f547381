"""Provider figures, Google and Microsoft side by side, against the sandbox emulators over real HTTPS.

    .venv/bin/python benchmarks/provider_sync.py [--events 10000] [--changes 500]

Prints: full sync of N events (seconds, peak memory of the listing); an incremental
pull of 50 changes among N (requests and seconds, which must not grow with N);
pushing job changes with and without batching (HTTP round trips per change, every
request counted, retries included, against emulators that refuse the batch shapes the
real APIs refuse), the same with one item in ten throttled alone (429 with Retry-After,
as Graph answers an item when other requests reach the mailbox at once), and provider
quota units per change (each batch item counts against the quota, so 1.0 is the
floor: batching saves round trips, not quota).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
import urllib.parse
from datetime import datetime, timedelta, timezone

import requests

sys.path.insert(0, __file__.rsplit("/benchmarks/", 1)[0])

from calsync.events import EventData, OpKind, WriteOp
from calsync.google import GoogleCalendarClient, GoogleConfig
from calsync.google import oauth as google_oauth
from calsync.microsoft import GraphCalendarClient, MicrosoftConfig
from calsync.microsoft import auth as ms_auth
from calsync.sandbox.google import GoogleEmulator
from calsync.sandbox.kernel.tls import make_tls_material
from calsync.sandbox.microsoft import MicrosoftEmulator

T0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=1)
REDIRECT = "https://odoo.example.test/callback"


def _consent(url, ca, account):
    """The sandbox's sign-in page (plain http, reached through the https authorize URL) as ``account``."""
    session = requests.Session()
    session.trust_env = False
    page = session.get(url, verify=ca, timeout=10)
    answer = session.post(page.url, data={"account": account, "decision": "allow"}, allow_redirects=False,
                          timeout=10)
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(answer.headers["Location"]).query))


def google_client(tls, account):
    emu = GoogleEmulator(tls, enforce_quotas=False, allow_http_loopback=True).start()
    config = GoogleConfig.sandbox(emu.base_url, tls.cert_path, emu.client_id, emu.client_secret)
    url, verifier = google_oauth.authorization_url(config, REDIRECT, "s", login_hint=account)
    token = google_oauth.exchange_code(config, REDIRECT, _consent(url, tls.cert_path, account)["code"], verifier).token
    return emu, lambda: GoogleCalendarClient(config, token)


def microsoft_client(tls, account):
    emu = MicrosoftEmulator(tls, enforce_limits=False, duplicate_notifications=0, allow_http_loopback=True).start()
    config = MicrosoftConfig.sandbox(emu.base_url, tls.cert_path, client_id=emu.client_id,
                                     client_secret=emu.client_secret)
    flow = ms_auth.start_auth(config, REDIRECT, "s", login_hint=account)
    cache, _ = ms_auth.finish_auth(config, flow, _consent(flow["auth_uri"], tls.cert_path, account))
    # Retry-After is honoured without sleeping: the figure is the requests, not the wait
    return emu, lambda: GraphCalendarClient(config, cache, account_email=account, sleep=lambda seconds: None)


def seed(emu, account, provider, count):
    for n in range(count):
        start = T0 + timedelta(minutes=30 * (n % 2000))
        emu.person_create(account, {"title": f"Event {n}", "start": start, "end": start + timedelta(minutes=30),
                                    "description": "seeded"})


def event(n):
    start = T0 + timedelta(hours=n % 500)
    return EventData(title=f"WO{n:05d}", start=start, end=start + timedelta(hours=1), description=f"change {n}")


def per(count, changes, digits=3):
    """``count`` per change, or a dash when nothing was written."""
    return f"{count / changes:.{digits}f}" if changes else "- (nothing written)"


def measure(provider, tls, events, changes):
    account = f"bench-{provider}@example.test"
    emu, make = (google_client if provider == "google" else microsoft_client)(tls, account)
    try:
        seed(emu, account, provider, events)
        client = make()
        tracemalloc.start()
        started = time.perf_counter()
        full = client.list_changes(None)
        full_s = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        listed = [e for e in full.events if not e.deleted]
        for e in listed[:50]:
            emu.person_edit(e.id, {"title": "edited"}, account=account)
        before = client.requests_sent
        started = time.perf_counter()
        incremental = client.list_changes(full.cursor)
        inc_s = time.perf_counter() - started
        inc_requests = client.requests_sent - before
        ops = [WriteOp(OpKind.CREATE, identity=f"{n:032x}", data=event(n)) for n in range(changes)]
        before = client.requests_sent
        started = time.perf_counter()
        batched = client.apply(ops)
        batched_s = time.perf_counter() - started
        batched_trips = client.requests_sent - before
        created = [r.event for r in batched if r.ok]
        before = client.requests_sent
        started = time.perf_counter()
        for r in created:
            client.update(r.id, event(7), if_match=r.version)
        single_s = time.perf_counter() - started
        single_trips = client.requests_sent - before
        calls = [r for r in emu.requests_log() if r["method"] in ("POST", "PATCH", "PUT", "DELETE")]
        throttled = "-"
        if provider == "microsoft":
            ops = [WriteOp(OpKind.CREATE, identity=f"{n + changes:032x}", data=event(n)) for n in range(changes)]
            before = client.requests_sent
            for start in range(0, changes, 20):  # two items of each batch of 20 are throttled alone
                emu.inject_fault("rate_limit", count=2, retry_after=1, path_contains="/me/events", after=start)
            done = client.apply(ops)
            emu.faults.clear()
            lost = sum(1 for r in done if not r.ok)
            throttled = per(client.requests_sent - before, changes - lost) + (f" ({lost} owed)" if lost else "")
        return {
            "full sync of N events (s)": f"{full_s:.2f}",
            "full sync peak memory (MiB)": f"{peak:.1f}",
            "incremental pull of 50 changes: requests": inc_requests,
            "incremental pull of 50 changes (s)": f"{inc_s:.2f}",
            "changes seen by the incremental pull": len(incremental.events),
            # a batch the provider refuses writes nothing: the figure is per change written
            "push: changes written, batched": f"{len(created)} of {changes}",
            "push: round trips per change, batched": per(batched_trips, len(created)),
            "push: round trips per change, unbatched": per(single_trips, len(created)),
            "push: round trips per change, batched, ~1 in 10 throttled": throttled,
            "push: batched / unbatched round trips": per(batched_trips, single_trips) if created else "-",
            "push: seconds per change, batched / unbatched": f"{batched_s / changes * 1000:.1f} ms / "
                                                             f"{single_s / max(1, len(created)) * 1000:.1f} ms",
            # the emulators log every API call, batch items included: that is what the quota counts
            "quota units per change (floor 1.0)": per(len(calls), 2 * len(created), 2),
        }
    finally:
        emu.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--changes", type=int, default=200)
    args = parser.parse_args()
    tls = make_tls_material(tempfile.mkdtemp(prefix="bench-tls-"))
    results = {p: measure(p, tls, args.events, args.changes) for p in ("google", "microsoft")}
    print(f"Provider figures: N = {args.events} events, {args.changes} job changes pushed (sandbox, loopback)\n")
    print(f"{'figure':58} {'Google':>22} {'Microsoft':>22}")
    for key in results["google"]:
        print(f"{key:58} {results['google'][key]!s:>22} {results['microsoft'][key]!s:>22}")
    print("\nQuota: every batch item counts against the provider's quota, so batching cannot go below 1.0 unit per "
          "change; it only saves HTTP round trips (targets: Google <= 0.02, Microsoft <= 0.05 per change).")


if __name__ == "__main__":
    main()
