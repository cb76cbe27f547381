"""One recurring order on one calendar: the event series, whose occurrences the order's jobs link to.

The series itself has no link and no job: each generated order keeps its own
link, bound to its occurrence, so the engine's occurrence rules apply to it
unchanged (a calendar move moves that job, a job edit becomes an exception, a
cancelled occurrence goes through the deletion rule).
"""

import json
import logging
from dataclasses import replace
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.addons.fieldops_calendar_sync.adapters.link_store import job_values
from odoo.addons.fieldops_calendar_sync.models.calendar_link import new_identity
from odoo.addons.fieldops_calendar_sync.tools.odoo_time import aware

from calsync import mapping, occurrences
from calsync.errors import SyncError
from calsync.events import EventData
from calsync.recurrence import Recurrence, Unrepresentable
from calsync.sync import CONNECTION_ERRORS

_logger = logging.getLogger(__name__)

STOPPED = ("suspend", "close")
# how far around the jobs to bind we ask the provider for occurrences
BIND_MARGIN = timedelta(days=1)


def _rule_text(recurrence):
    """What ``rule`` keeps: the RRULE and EXDATE lines (``Recurrence.from_rrule`` reads them back)."""
    return "\n".join(recurrence.lines())


class CalendarSeries(models.Model):
    _name = "fieldops.calendar.series"
    _description = "Recurring order as a calendar event series"
    _rec_name = "recurring_id"

    connection_id = fields.Many2one("fieldops.calendar.connection", required=True, ondelete="cascade", index=True)
    recurring_id = fields.Many2one("fsm.recurring", string="Recurring order", required=True, ondelete="cascade",
                                   index=True)
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    identity = fields.Char(required=True, readonly=True, copy=False, default=lambda self: new_identity())
    remote_id = fields.Char("Series id in the calendar", readonly=True, copy=False)
    remote_version = fields.Char(readonly=True, copy=False)
    rule = fields.Char("Rule sent", readonly=True, copy=False,
                       help="The RRULE (and EXDATE) lines the calendar holds for the series.")
    anchor_start = fields.Datetime("First occurrence", readonly=True, copy=False)
    duration_hours = fields.Float(readonly=True, copy=False)
    state = fields.Selection(
        [("active", "Series"), ("ended", "Ended"), ("fallback", "Separate events")],
        default="active", required=True, readonly=True,
    )
    note = fields.Char(readonly=True, help="Why the orders are sent as separate events, if they are.")
    needs_update = fields.Boolean(readonly=True, help="The recurring order changed; the next push updates "
                                                      "the series.")

    _sql_constraints = [
        ("recurring_unique", "UNIQUE(connection_id, recurring_id)",
         "A recurring order has one series per calendar."),
    ]

    # -- entry point (the connection's push job, under its lock) ---------------------------
    @api.model
    def _prepare_push(self, connection, client, store):
        """Create or update the series owed on ``connection`` and bind unbound order links to occurrences."""
        Link = self.env["fieldops.calendar.link"].sudo()
        unbound = Link.search([("connection_id", "=", connection.id), ("state", "=", "pending_push"),
                               ("event_id", "=", False), ("job_id.fsm_recurring_id", "!=", False)])
        owed = self.sudo().search([("connection_id", "=", connection.id), ("needs_update", "=", True)])
        for recurring in unbound.job_id.fsm_recurring_id | owed.recurring_id:
            series = self._for(connection, recurring)
            links = unbound.filtered(lambda link, r=recurring: link.job_id.fsm_recurring_id == r)
            try:
                series._sync(client, links)
            except Unrepresentable as exc:
                series._fall_back(str(exc))
            except CONNECTION_ERRORS:
                raise  # about the calendar, not this series: the links stay owed and the push job decides
            except SyncError as exc:
                # the provider refused this series (or it was deleted in the calendar): this order's jobs
                # go as separate events, and the rest of the calendar's push is not held up by it
                _logger.info("calendar %s: series of %s refused: %s", connection.id, recurring.name, exc)
                series._fall_back(_("the calendar refused the series: %s", exc))
            store.commit()

    @api.model
    def _for(self, connection, recurring):
        series = self.sudo().search([("connection_id", "=", connection.id), ("recurring_id", "=", recurring.id)])
        return series or self.sudo().create({"connection_id": connection.id, "recurring_id": recurring.id})

    # -- one series -----------------------------------------------------------------------
    def _sync(self, client, links):
        self.ensure_one()
        if self.state == "fallback":
            return
        recurring = self.recurring_id
        if not self.remote_id:
            if recurring.state != "progress":
                return  # a stopped order gets no new series; its orders are sent one by one
            if not self._create_series(client):
                return
        elif self.needs_update:
            self._update_series(client)
        self._bind(client, links)

    def _jobs(self):
        """The recurring order's jobs this calendar carries and can show, earliest first."""
        jobs = self.connection_id._carries(self.recurring_id.fsm_order_ids.sudo())
        return jobs.filtered(lambda j: j.scheduled_date_start and j.scheduled_date_end and not j.is_closed) \
            .sorted("scheduled_date_start")

    def _master_data(self, template_job, start, hours):
        """The series' content: what each occurrence's job shows, from the start the rule begins at."""
        # the template may itself be cancelled by now (a suspended order): its content still describes the series
        values = replace(job_values(template_job, self.connection_id), cancelled=False, start=start,
                         end=start + timedelta(hours=hours))
        event = mapping.job_to_event(values, self.connection_id.invite_crew)
        return EventData(title=event.title, start=start, end=start + timedelta(hours=hours),
                         description=event.description, location=event.location, attendees=event.attendees,
                         time_zone=event.time_zone, all_day=False)

    def _create_series(self, client):
        jobs = self._jobs()
        # orders that already have an event of their own (pushed before this module was installed) keep it:
        # the series starts after the last of them, so no occurrence doubles one of those events
        own = self.env["fieldops.calendar.link"].sudo().search([
            ("connection_id", "=", self.connection_id.id), ("job_id", "in", jobs.ids), ("state", "!=", "tombstone"),
            ("event_id", "!=", False)]).job_id
        if own:
            last = max(own.mapped("scheduled_date_start"))
            jobs = jobs.filtered(lambda job: job.scheduled_date_start > last)
        first = jobs[:1]
        if not first:
            return False
        start = aware(first.scheduled_date_start)
        hours = (first.scheduled_date_end - first.scheduled_date_start).total_seconds() / 3600
        data = self._master_data(first, start, hours)
        recurrence = self.recurring_id._fieldops_recurrence(start, data.time_zone)
        master = client.create_series(self.identity, data, recurrence)
        self.write({"remote_id": master.id, "remote_version": master.version, "rule": _rule_text(recurrence),
                    "anchor_start": first.scheduled_date_start, "duration_hours": hours, "needs_update": False})
        return True

    def _update_series(self, client):
        """The recurring order changed: send the new rule (a stopped order ends the series at now)."""
        start = aware(self.anchor_start)
        recurring = self.recurring_id
        state = "active"
        template = self._jobs()[:1] or recurring.fsm_order_ids.sorted("scheduled_date_start")[:1]
        hours = recurring.scheduled_duration or self.duration_hours
        data = self._master_data(template, start, hours)
        try:
            recurrence = recurring._fieldops_recurrence(start, data.time_zone)
        except Unrepresentable as exc:
            # the new schedule cannot be a series: end the old one now, later orders get events of their own
            recurrence = Recurrence.from_rrule(self.rule).ending(aware(fields.Datetime.now()))
            state, self.note = "fallback", str(exc)
        if recurring.state in STOPPED and state == "active":
            recurrence = recurrence.ending(aware(fields.Datetime.now()))
            state = "ended"
        master = client.update_series(self.remote_id, data, recurrence)
        self.write({"remote_version": master.version, "rule": _rule_text(recurrence), "state": state,
                    "duration_hours": hours, "needs_update": False})
        self._rebind_after_update(client)
        if state == "fallback":
            self._fall_back(self.note)

    def _instances(self, client, jobs):
        starts = [aware(j.scheduled_date_start) for j in jobs if j.scheduled_date_start]
        if not starts:
            return []
        return client.series_instances(self.remote_id, min(starts) - BIND_MARGIN, max(starts) + BIND_MARGIN)

    def _series_links(self):
        """Live links bound to one of this series' occurrences."""
        return self.env["fieldops.calendar.link"].sudo().search([
            ("calendar_series_id", "=", self.id), ("state", "!=", "tombstone"), ("event_id", "!=", False)])

    def _rebind_after_update(self, client):
        """After a rule change: jobs whose occurrence the rule no longer has keep an event of their own
        (pushed as a create); occurrences that stay take their new version (``calsync.occurrences``)."""
        links = self._series_links()
        if not links:
            return
        window_jobs = links.job_id.filtered("scheduled_date_start")
        bound = {link.id: occurrences.BoundLink(link.event_id, link.remote_version or None, link._base())
                 for link in links}
        refreshed, lost = occurrences.after_rule_change(bound, self._instances(client, window_jobs))
        for link in links.filtered(lambda link: link.id in refreshed):
            link.remote_version = refreshed[link.id]
        links.filtered(lambda link: link.id in lost).write({
            "event_id": False, "remote_version": False, "base_json": False, "state": "pending_push",
            "calendar_series_id": False})

    def _bind(self, client, links):
        """Bind each unbound order link to the occurrence that starts where the order does."""
        links = links.filtered(lambda link: not link.event_id and link.job_id.scheduled_date_start)
        if not links or not self.remote_id:
            return
        taken = set(self._series_links().mapped("event_id"))
        starts = {link.id: aware(link.job_id.scheduled_date_start) for link in links}
        # a job not on the rule (moved before its first push) stays unbound: it gets an event of its own
        for link_id, occurrence in occurrences.bind_by_start(starts, self._instances(client, links.job_id),
                                                             taken).items():
            # the occurrence holds the series' content: that is the base; if the job differs, the push
            # that follows sends the difference to this occurrence alone (an exception)
            self.env["fieldops.calendar.link"].sudo().browse(link_id).write({
                "event_id": occurrence.id, "remote_version": occurrence.version, "calendar_series_id": self.id,
                "base_json": json.dumps(occurrences.occurrence_base(occurrence), sort_keys=True)})

    def _fall_back(self, reason):
        self.ensure_one()
        self.write({"state": "fallback", "note": reason, "needs_update": False})
        self.recurring_id.sudo().message_post(body=_(
            "Calendar %(calendar)s: this recurring order's schedule cannot be one calendar series (%(reason)s). "
            "Its orders are sent as separate events instead.", calendar=self.connection_id.name, reason=reason))
