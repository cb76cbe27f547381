"""Organization connections at scale: the first sync and the steady state of N technician calendars.

    .venv/bin/python benchmarks/org_calendars.py [--technicians 200] [--jobs 5] [--personal 10]

One organization grant (a Google service account with domain-wide delegation; a Microsoft 365
app with admin consent) reaches every technician's own calendar, against the sandbox emulators over
real HTTPS through the real client libraries (google-auth's JWT-bearer grant, msal's client
credentials). Each technician has ``--jobs`` jobs to push and ``--personal`` events of their own.

Prints, per provider, per calendar: requests and seconds of the first sync (push of the jobs, then
the full pull that sets the cursor), of a steady-state pull with nothing changed, and of a pull
after one of the technician's own events was edited (read and left alone: it is no job); the token
requests for the whole organization (Google: one signed assertion per technician and hour;
Microsoft: one app token for every mailbox). In Odoo each technician calendar is its own
connection, so each step above is one queue job per calendar (its push, its pull), spread over
the workers; the engine run here does exactly the work of those jobs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, __file__.rsplit("/benchmarks/", 1)[0])

from calsync import sync
from calsync.google import GoogleConfig
from calsync.google.config import SCOPE_EVENTS, SCOPE_FREEBUSY
from calsync.google.delegation import DelegatedCalendarClient
from calsync.mapping import JobValues
from calsync.microsoft import MicrosoftConfig
from calsync.microsoft.app_only import AppOnlyTokens, app_only_client
from calsync.sandbox.google import GoogleEmulator
from calsync.sandbox.kernel.tls import make_tls_material
from calsync.sandbox.microsoft import MicrosoftEmulator
from calsync.store import MemoryDatabase

DOMAIN = "bench-org.test"
T0 = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)


def google_org(tls):
    """A Workspace domain whose admin authorized the service account: (emulator, make_client(technician))."""
    emu = GoogleEmulator(tls, enforce_quotas=False, allow_http_loopback=True).start()
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    email = "calsync@bench-project.iam.gserviceaccount.com"
    client_id = emu.register_service_account(email, public, DOMAIN)  # the key's upload in Google Cloud
    emu.authorize_delegation(client_id, [SCOPE_EVENTS, SCOPE_FREEBUSY])
    key = {"type": "service_account", "private_key_id": "k1", "private_key": pem, "client_email": email,
           "client_id": client_id, "token_uri": "https://oauth2.googleapis.com/token"}
    config = GoogleConfig.sandbox(emu.base_url, tls.cert_path, emu.client_id, emu.client_secret)
    return emu, lambda who: DelegatedCalendarClient(config, key, who, scopes=(SCOPE_EVENTS, SCOPE_FREEBUSY),
                                                    sleep=lambda s: None)


def microsoft_org(tls):
    """A tenant whose admin consented to Calendars.ReadWrite (application): (emulator, make_client(mailbox))."""
    emu = MicrosoftEmulator(tls, enforce_limits=False, duplicate_notifications=0, allow_http_loopback=True).start()
    emu.grant_admin_consent(["Calendars.ReadWrite"])
    config = MicrosoftConfig.sandbox(emu.base_url, tls.cert_path, tenant=DOMAIN, client_id=emu.client_id,
                                     client_secret=emu.client_secret)
    tokens = AppOnlyTokens(config)  # one app token for the whole organization
    return emu, lambda who: app_only_client(config, who, tokens=tokens, sleep=lambda s: None)


def technician_store(jobs):
    db = MemoryDatabase()
    store = db.store("cal")
    for n in range(jobs):
        start = T0 + timedelta(hours=2 * n)
        db.data.jobs[n] = JobValues(start=start, end=start + timedelta(hours=1), notes=f"job {n}",
                                    title=f"WO{n:05d}", location="Depot")
        db.data.carried_by[n] = "cal"
        store.new_link(n, uuid.uuid4().hex)
    db.commit()
    return store


def run(provider, emu, make_client, people, jobs, personal):
    own_events = {}
    for who in people:
        if who not in emu.accounts:
            emu.create_account(who)  # the admin provisioned the technician in the domain / tenant
        own_events[who] = [
            emu.person_create(who, {"title": f"Private {n}", "start": T0 + timedelta(hours=2 * n + 1),
                                    "end": T0 + timedelta(hours=2 * n + 1, minutes=30)})
            for n in range(personal)]
    clients = {who: make_client(who) for who in people}
    stores = {who: technician_store(jobs) for who in people}
    sign_in_before = emu.log.round_trips["oauth"]
    figures = {}

    def step(name, action):
        before = sum(c.requests_sent for c in clients.values())
        started = time.perf_counter()
        for who in people:
            action(who, clients[who], stores[who])
        seconds = time.perf_counter() - started
        sent = sum(c.requests_sent for c in clients.values()) - before
        figures[name] = (sent / len(people), 1000 * seconds / len(people))

    step("first sync (push + full pull)",
         lambda who, c, s: (sync.push(c, s), sync.pull(c, s)))
    step("steady state, nothing changed", lambda who, c, s: sync.pull(c, s))

    def one_change(who, client, store):
        if own_events[who]:
            emu.person_edit(own_events[who][0], {"title": "Private, moved"}, account=who)
        sync.pull(client, store)

    step("steady state, one own event edited", one_change)
    tokens = emu.log.round_trips["oauth"] - sign_in_before
    in_sync = sum(1 for s in stores.values() for link in s.all_links() if link.state == "in_sync")
    print(f"\n{provider}: {len(people)} technician calendars, {jobs} jobs and {personal} own events each")
    for name, (per_calendar, ms) in figures.items():
        print(f"  {name:34s} {per_calendar:6.2f} requests/calendar  {ms:7.1f} ms/calendar")
    print(f"  sign-in service requests, whole run {tokens} ({tokens / len(people):.2f} per calendar)")
    print(f"  jobs in sync                       {in_sync} of {jobs * len(people)}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--technicians", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=5)
    parser.add_argument("--personal", type=int, default=10)
    parser.add_argument("--provider", choices=("google", "microsoft", "both"), default="both")
    args = parser.parse_args(argv)
    tls = make_tls_material(tempfile.mkdtemp(prefix="org-bench-"))
    people = [f"tech{n:03d}@{DOMAIN}" for n in range(args.technicians)]
    if args.provider in ("google", "both"):
        emu, make = google_org(tls)
        try:
            run("Google Workspace (domain-wide delegation)", emu, make, people, args.jobs, args.personal)
        finally:
            emu.stop()
    if args.provider in ("microsoft", "both"):
        emu, make = microsoft_org(tls)
        try:
            run("Microsoft 365 (app-only)", emu, make, people, args.jobs, args.personal)
        finally:
            emu.stop()


if __name__ == "__main__":
    main()
