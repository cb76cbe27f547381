"""Refreshing a connection's busy times from its calendar (issue #26).

A rolling window (``fieldops_calendar_sync.busy_window_days``, two weeks by default)
is read with the client's ``busy_times`` and replaces the connection's rows at once,
so a dispatcher never sees half of an old answer and half of a new one. Our own job
events are passed as ``own``: a job is never busy against itself. A Google calendar
connected before availability existed lacks the freebusy permission; the sync goes on,
and the connection says once, in its chatter, to reconnect for availability.
"""

import logging
from datetime import datetime, timedelta, timezone

from odoo import _, api, fields, models

from calsync.availability import DEFAULT_WINDOW, default_window
from calsync.errors import Backpressure, ProviderError, SyncError
from calsync.mapping import from_base
from calsync.slots import DEFAULT_DAY, working_hours

from ..tools.availability_params import WINDOW_MAX_DAYS, WINDOW_MIN_DAYS, WINDOW_PARAM, WORK_END_PARAM, WORK_START_PARAM
from ..tools.odoo_time import aware, naive

_logger = logging.getLogger(__name__)

REFRESHED_STATES = ("connected", "sandbox_connected", "review")


class CalendarConnection(models.Model):
    # pylint: disable-next=consider-merging-classes-inherited; one file per concern keeps each under 400 lines
    _inherit = "fieldops.calendar.connection"

    busy_refreshed_at = fields.Datetime(string="Busy times read", readonly=True, copy=False)
    busy_needs_reconnect = fields.Boolean(
        string="Reconnect for availability", readonly=True, copy=False,
        help="The calendar was connected without the permission to read busy times: reconnect it to see its "
             "crew's availability. The sync itself is not affected.")

    @api.model
    def _busy_window(self):
        """How far ahead busy times are read: a system parameter in days, two weeks unless set."""
        value = self.env["ir.config_parameter"].sudo().get_param(WINDOW_PARAM)
        try:
            days = int(value) if value else DEFAULT_WINDOW.days
        except ValueError:
            days = DEFAULT_WINDOW.days
        return timedelta(days=min(WINDOW_MAX_DAYS, max(WINDOW_MIN_DAYS, days)))

    @api.model
    def _working_hours(self):
        """The crews' working day as decimal hours (start, end), from the system parameters; 08:00 to 17:00
        unless set, and unless what is stored does not make a day (Settings refuse such values)."""
        params = self.env["ir.config_parameter"].sudo()
        try:
            hours = (float(params.get_param(WORK_START_PARAM) or DEFAULT_DAY[0]),
                     float(params.get_param(WORK_END_PARAM) or DEFAULT_DAY[1]))
            working_hours(*hours)
        except ValueError:
            _logger.warning("working hours in the system parameters are not a day; using %s to %s", *DEFAULT_DAY)
            return DEFAULT_DAY
        return hours

    def _own_busy_intervals(self):
        """The (start, end) of this calendar's events that are our jobs: as the calendar last agreed, else the
        job's schedule (a job not pushed yet has no event to leave out, but its times cost nothing)."""
        self.ensure_one()
        links = self.env["fieldops.calendar.link"].sudo().search([
            ("connection_id", "=", self.id), ("state", "!=", "tombstone"), ("event_id", "!=", False)])
        own = []
        for link in links:
            base = from_base(link._base()) or {}
            start, end = base.get("start"), base.get("end")
            if not (start and end) and link.job_id.scheduled_date_start and link.job_id.scheduled_date_end:
                start, end = link.job_id.scheduled_date_start, link.job_id.scheduled_date_end
            if start and end:
                own.append((aware(start), aware(end)))
        return own

    def _refresh_busy_times(self):
        """Read this calendar's busy times over the rolling window and replace its rows with them.

        Raises what the client raises; the one exception handled here is Google's missing freebusy
        permission, which marks the connection instead (the sync itself does not need it). The reads count
        against the provider's quota of the account with the sync's own (the same meter as pushes and pulls):
        past its budget, ``calsync.errors.Backpressure`` leaves before the request is sent.
        """
        self.ensure_one()
        start, end = default_window(datetime.now(timezone.utc), self._busy_window())
        client = self._make_client(meter=self._quota_meter())
        try:
            answer = client.busy_times(None, start, end, own=self._own_busy_intervals())
        except ProviderError as exc:
            if self.provider == "google" and exc.status == 403 and exc.reason == "insufficientPermissions":
                self._mark_busy_needs_reconnect()
                return False
            raise
        (result,) = answer.values()
        if result.error:
            raise ProviderError(_("The calendar's busy times could not be read (%(reason)s).", reason=result.error))
        person = self.person_ids if len(self.person_ids) == 1 else self.env["fsm.person"]
        Busy = self.env["fieldops.calendar.busy"].sudo()
        Busy.search([("connection_id", "=", self.id)]).unlink()
        Busy.create([{"connection_id": self.id, "person_id": person.id, "start": naive(block.start),
                      "end": naive(block.end), "status": block.status} for block in result.blocks])
        values = {"busy_refreshed_at": fields.Datetime.now()}
        if self.busy_needs_reconnect:
            values["busy_needs_reconnect"] = False
        self.sudo().write(values)
        return True

    def _mark_busy_needs_reconnect(self):
        """Say once (not at every refresh) that availability needs a reconnection."""
        if self.busy_needs_reconnect:
            return
        self.sudo().busy_needs_reconnect = True
        self.sudo().message_post(body=_(
            "This calendar was connected without the permission to read busy times, so the crew's availability "
            "cannot be shown. The sync goes on; reconnect the calendar to see availability."))

    @api.model
    def _cron_refresh_busy_times(self):
        """Refresh every connected calendar's busy times; one calendar failing never stops the others."""
        for connection in self.sudo().search([("state", "in", REFRESHED_STATES)]):
            try:
                with self.env.cr.savepoint():
                    connection._job_env()._refresh_busy_times()
            except Backpressure as exc:
                # the account's quota is taken by the sync (or other readers): busy times wait for the next round
                _logger.info("busy times of calendar connection %s not refreshed this round: %s", connection.id, exc)
            except Exception as exc:  # one calendar failing must not stop the others
                # our own messages only: a library's exception text could carry a request, so just its class
                detail = str(exc) if isinstance(exc, SyncError) else type(exc).__name__
                _logger.warning("busy times of calendar connection %s not refreshed: %s", connection.id, detail)
