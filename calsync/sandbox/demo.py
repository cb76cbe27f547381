"""The seed's demo calendars and events, shared by both emulators and the Odoo demo data.

The seed page named Google events ``google-demo-evt-1001``; Google event ids
may only use base32hex (``a``-``v``, ``0``-``9``), so the Google ids here are
the nearest valid form. Each event carries the link identity the Odoo demo link
holds (for Google the identity is the client-supplied event id itself; for
Microsoft it is the ``transactionId``), so the first sync of a demo connection
matches instead of duplicating.
"""

from __future__ import annotations

GOOGLE_ACCOUNT = "ops@example.test"
GOOGLE_CALENDAR_NAME = "Operations dispatch calendar"
MICROSOFT_ACCOUNT = "dispatch@example.test"
MICROSOFT_CALENDAR_NAME = "Service team calendar"

# (provider, seed event id, event id we use, link identity, job title, start UTC, end UTC, notes)
DEMO_EVENTS = (
    ("google", "google-demo-evt-1001", "googledemoevt1001", "googledemoevt1001",
     "Kitchen Faucet Repair", "2026-12-07T09:00:00Z", "2026-12-07T11:00:00Z",
     "Leaking mixer tap in the staff kitchen; bring cartridge kit."),
    ("microsoft", "outlook-demo-evt-2001", "outlook-demo-evt-2001", "fodemo0000000000000000000002001",
     "HVAC Annual Maintenance", "2026-12-08T08:00:00Z", "2026-12-08T12:00:00Z",
     # the site edited the Outlook event while the dispatcher edited the job: the demo's open conflict
     "Annual service of rooftop units 1 and 2. Site asks to start after lunch."),
    ("google", "google-demo-evt-1002", "googledemoevt1002", "googledemoevt1002",
     "EV Charger Breaker Fault", "2026-12-09T13:00:00Z", "2026-12-09T15:00:00Z",
     "Breaker trips under load on bay 3 charger."),
    ("microsoft", "outlook-demo-evt-2002", "outlook-demo-evt-2002", "fodemo0000000000000000000002002",
     "Cold Room Temperature Drift", "2026-12-10T07:00:00Z", "2026-12-10T09:30:00Z",
     "Cold room reads 6 C instead of 2 C; check compressor and door seal."),
    ("google", "google-demo-evt-1003", "googledemoevt1003", "googledemoevt1003",
     "Potential Client Site Survey", "2026-12-11T10:00:00Z", "2026-12-11T11:30:00Z",
     "Survey for a maintenance contract; meet the facility manager at reception."),
)


def demo_events(provider: str) -> list[dict]:
    """The demo events of one provider as plain dicts (id, identity, title, start, end, notes)."""
    return [
        {"seed_id": seed_id, "id": event_id, "identity": identity, "title": title,
         "start": start, "end": end, "description": notes}
        for prov, seed_id, event_id, identity, title, start, end, notes in DEMO_EVENTS
        if prov == provider
    ]
