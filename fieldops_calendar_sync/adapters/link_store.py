"""The engine's ``LinkStore`` on the ORM: the Odoo side of one connection, for ``calsync.sync``.

All rules (what to push, echo suppression, conflicts, tombstones, the guard)
live in ``calsync``; this class only reads and writes rows. ``commit()`` is a
real ``cr.commit()``: the engine calls it per batch, so a crash repeats at most
one batch, and the base and cursor move in the same commit as what they cover.
"""

import json
import logging
from dataclasses import replace

import pytz
from odoo import _, fields

from calsync import mapping, sync
from calsync.guard import MassDeletionGuard
from calsync.store import LinkRecord, LinkStore

from ..tools.engine_words import words
from ..tools.odoo_time import aware, naive

_logger = logging.getLogger(__name__)


def job_values(job, connection):
    """The job as the engine sees it (UTC times, plain-text notes, what the calendar shows)."""
    cancelled_stage = job.env.ref("fieldservice.fsm_stage_cancelled", raise_if_not_found=False)
    location = job.location_id
    address = ", ".join(p for p in (location.street, location.street2, location.zip, location.city) if p)
    crew = job.person_ids | job.person_id
    tz = connection.responsible_user_id.tz or job.company_id.partner_id.tz or "UTC"
    if tz not in pytz.all_timezones_set:
        tz = "UTC"
    return mapping.JobValues(
        start=aware(job.scheduled_date_start),
        end=aware(job.scheduled_date_end),
        notes=mapping.normalise_notes(job.description or ""),
        title=job._fieldops_calendar_title(connection),
        location=address or (location.name or ""),
        crew=tuple(sorted(p.email or p.name for p in crew if p.email or p.name)),
        cancelled=bool(cancelled_stage and job.stage_id == cancelled_stage),
        time_zone=tz,
    )


def job_values_as_text(link):
    """The job's synced values as the conflict review shows them."""
    if not link.job_id:
        return {}
    values = job_values(link.job_id, link.connection_id)
    return {
        "start": fields.Datetime.to_string(naive(values.start)) if values.start else "",
        "end": fields.Datetime.to_string(naive(values.end)) if values.end else "",
        "notes": values.notes,
    }


class OdooLinkStore(LinkStore):
    """One connection's links and jobs, read and written through the ORM."""

    def __init__(self, connection):
        self.connection = connection
        self.env = connection.env
        self.Link = self.env["fieldops.calendar.link"].sudo()
        self._history = []  # timeline entries, written with the commit that makes their step durable
        self._primed = {}  # link id -> job values read in one batch by pending_links

    # -- reading -----------------------------------------------------------------
    def _record(self, link):
        return LinkRecord(
            key=link.id, identity=link.identity, job_key=link.job_id.id or None, event_id=link.event_id or None,
            version=link.remote_version or None, base=link._base(), state=link.state,
            last_error=link.last_error or None, held=json.loads(link.held_json) if link.held_json else None,
            sent=json.loads(link.sent_json) if link.sent_json else None,
            series_id=link.series_event_id or None,
        )

    def _domain(self, *extra):
        return [("connection_id", "=", self.connection.id), *extra]

    def links(self):
        return [self._record(link) for link in self.Link.search(self._domain(("state", "!=", "tombstone")))]

    def field_owners(self):
        return self.connection._field_owners()

    def direction(self):
        return self.connection.direction or "two_way"

    def job_label(self, record):
        job = self.Link.browse(record.key).job_id
        return _("job %s", job.display_name) if job else _("a job no longer here")

    def count_links(self):
        return self.Link.search_count(self._domain(("state", "!=", "tombstone")))

    def series_links(self, series_id):
        return [self._record(link) for link in self.connection.sudo()._series_occurrence_links(series_id)]

    def link_by_identity(self, identity):
        link = self.Link.search(self._domain(("identity", "=", identity)), limit=1)
        return self._record(link) if link else None

    def link_by_event_id(self, event_id):
        links = self.Link.search(self._domain(("event_id", "=", event_id)), order="id")
        # a live link before a tombstone of the same event (Odoo's order clause takes field names only)
        link = links.filtered(lambda candidate: candidate.state != "tombstone")[:1] or links[:1]
        return self._record(link) if link else None

    def pending_links(self):
        links = self.Link.search(self._domain(("state", "=", "pending_push")))
        self._prime_job_values(links)
        return [self._record(link) for link in links]

    def _prime_job_values(self, links):
        """The jobs of ``links`` read in one pass: the recordset's prefetch reads each field once for all,
        and one query tells which of them this calendar carries. Each value serves the first ask only,
        so a later ask in the same push (after a 412 re-plan wrote the job, say) reads the job again."""
        carried = self.connection._carries(links.job_id.sudo())
        self._primed = {link.id: job_values(link.job_id, self.connection) if link.job_id in carried else None
                        for link in links}

    def job_values(self, record):
        if record.key in self._primed:
            return self._primed.pop(record.key)
        link = self.Link.browse(record.key)
        job = link.job_id
        if not job or not self.connection._carries(job.sudo()):
            return None
        return job_values(job, self.connection)

    # -- writing -----------------------------------------------------------------
    def _error_text(self, record):
        """The link's error in the user's language, where the engine's notice still says what the text says."""
        if not record.last_error:
            return False
        notice = record.error_notice
        if notice is not None and str(notice) == record.last_error:
            return words(self.env, notice)
        return record.last_error

    def save_link(self, record):
        link = self.Link.browse(record.key) if record.key else self.Link
        vals = {
            "identity": record.identity,
            "event_id": record.event_id or False,
            "remote_version": record.version or False,
            "base_json": json.dumps(record.base, sort_keys=True) if record.base is not None else False,
            "state": record.state,
            "held_json": json.dumps(record.held, sort_keys=True) if record.held else False,
            "sent_json": json.dumps(record.sent, sort_keys=True) if record.sent else False,
            "last_error": self._error_text(record),
            "series_event_id": record.series_id or False,
            "last_synced_at": fields.Datetime.now(),
        }
        if record.base is not None:
            vals["local_fingerprint"] = vals["remote_fingerprint"] = mapping.fingerprint(record.base)
        if link:
            link.write(vals)
        else:
            link = self.Link.create(dict(vals, connection_id=self.connection.id, job_id=record.job_key or False))
            record.key = link.id
        return record

    def apply_to_job(self, record, changes, message):
        """Write the calendar's changes to the job (start and end always together) with a chatter note."""
        self._primed.pop(record.key, None)
        link = self.Link.browse(record.key)
        job = link.job_id.with_context(fieldops_calendar_source_link=link.id)
        if not job:
            return
        vals = {}
        if "start" in changes or "end" in changes:
            start = changes.get("start", aware(job.scheduled_date_start))
            end = changes.get("end", aware(job.scheduled_date_end))
            vals.update(scheduled_date_start=naive(start), scheduled_date_end=naive(end))
        if "notes" in changes:
            vals["description"] = mapping.notes_to_html(changes["notes"])
        if changes.get("cancelled"):
            job.action_cancel()
        if vals:
            job.write(vals)
        job.message_post(body=words(self.env, message), subtype_xmlid="mail.mt_note")

    def open_conflict(self, record, conflict):
        link = self.Link.browse(record.key)
        self.env["fieldops.calendar.conflict"].sudo()._open_or_refresh(link, conflict)

    def note_pushonly_edit(self, record, fields_changed, message):
        link = self.Link.browse(record.key)
        if link.job_id:
            link.job_id.message_post(body=words(self.env, message), subtype_xmlid="mail.mt_note")

    def note_invalid(self, event_id, reason):
        _logger.info("calendar %s: event %s skipped: %s", self.connection.id, event_id, reason)
        self.connection.sudo().message_post(
            body=_("A calendar event could not be read and was skipped: %s", reason)
        )

    def note_history(self, entry):
        if not isinstance(entry.detail, str):
            entry = replace(entry, detail=words(self.env, entry.detail))
        self._history.append(entry)

    def get_cursor(self):
        return self.connection.sudo().sync_cursor or None

    def set_cursor(self, cursor):
        self.connection.sudo().sync_cursor = cursor or False

    def commit(self):
        entries, self._history = self._history, []
        self.env["fieldops.calendar.sync.history"]._from_entries(self.connection, entries)
        # pylint: disable-next=invalid-commit; the engine's per-batch commit: a crash never redoes a batch
        self.env.cr.commit()


def run_push(connection, meter=None):
    client, store = connection._make_client(meter=meter), OdooLinkStore(connection)
    connection._fieldops_before_push(client, store)
    return sync.push(client, store, invite_attendees=connection.invite_crew,
                     allow_calendar_cancel=connection.allow_calendar_cancel)


def run_pull(connection, full=False, confirmed_mass_deletion=False, meter=None, on_progress=None):
    guard = MassDeletionGuard(ratio=connection.mass_deletion_ratio, confirmed=confirmed_mass_deletion)
    client = connection._make_client(meter=meter)
    client.on_progress = on_progress
    return sync.pull(client, OdooLinkStore(connection), full=full,
                     allow_calendar_cancel=connection.allow_calendar_cancel, guard=guard)
