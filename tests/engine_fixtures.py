"""Small builders for engine tests: a job table, links, and a connected memory calendar."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from calsync.mapping import JobValues
from calsync.memory import MemoryCalendar, MemoryProvider
from calsync.store import MemoryDatabase

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def make_job(n: int = 1, hours: int = 0, notes: str = "Bring ladder") -> JobValues:
    start = T0 + timedelta(days=n, hours=hours)
    return JobValues(start=start, end=start + timedelta(hours=2), notes=notes, title=f"WO{n:05d} Site {n}",
                     location=f"{n} Main St", crew=("Worker 1",))


class World:
    """One Odoo side (jobs + links) and one or two calendars, like the addon with its connections."""

    def __init__(self, connections=("google",)):
        self.db = MemoryDatabase()
        self.calendars = {name: MemoryCalendar() for name in connections}
        self.providers = {name: MemoryProvider(cal) for name, cal in self.calendars.items()}
        self.stores = {name: self.db.store(name) for name in connections}

    def add_job(self, key, job: JobValues, connection="google"):
        self.db.data.jobs[key] = job
        self.db.data.carried_by[key] = connection
        link = self.stores[connection].new_link(key, uuid.uuid4().hex)
        self.db.commit()
        return link

    def edit_job(self, key, **changes):
        self.db.data.jobs[key] = replace(self.db.data.jobs[key], **changes)
        for store in self.stores.values():
            store.mark_owed(key)
        self.db.commit()

    def job(self, key) -> JobValues:
        return self.db.data.jobs[key]

    def link_of(self, key, connection="google"):
        return next(link for link in self.stores[connection].all_links()
                    if link.job_key == key and link.live)
