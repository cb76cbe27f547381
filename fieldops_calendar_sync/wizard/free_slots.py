"""Find a free slot (issue #26): the worker's free times for a job, from the busy times their calendars last
gave and their other jobs, in working hours of their time zone; one click schedules the job there.

The rules (the job itself is never an obstacle, working hours in the worker's wall clock, the earliest
slots first) are the engine's (``calsync.slots.slots_for_job``); this wizard gathers what it needs from
the database and writes the chosen slot on the job, whose usual sync then pushes it.
"""

from datetime import datetime, timedelta, timezone

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_date

from calsync.availability import BusyBlock
from calsync.errors import InvalidEvent
from calsync.slots import slots_for_job

from ..models.calendar_connection_busy import REFRESHED_STATES
from ..tools.availability_params import hours_text
from ..tools.odoo_time import aware, naive

SLOT_STEP = timedelta(minutes=15)  # slots start on the quarter hour: times a dispatcher would pick


def _quarter_up(moment):
    """The first quarter hour at or after ``moment`` (aware)."""
    floor = moment.replace(minute=0, second=0, microsecond=0)
    steps = -(-(moment - floor) // SLOT_STEP)  # ceiling division of timedeltas
    return floor + steps * SLOT_STEP


class FreeSlots(models.TransientModel):
    _name = "fieldops.calendar.free.slots"
    _description = "Free slots for a job"

    job_id = fields.Many2one("fsm.order", required=True, readonly=True, ondelete="cascade")
    person_id = fields.Many2one("fsm.person", string="Worker", readonly=True)
    duration = fields.Float(readonly=True, help="The job's duration, in hours")
    time_zone = fields.Char(string="Time zone", readonly=True,
                            help="The working hours are in this time zone: the worker's, else yours.")
    searched_text = fields.Char(string="Searched", readonly=True)
    busy_read_at = fields.Datetime(string="Busy times read", readonly=True,
                                   help="When the calendars were last read; they are read every 15 minutes.")
    note = fields.Char(readonly=True)
    empty_reason = fields.Char(readonly=True)
    line_ids = fields.One2many("fieldops.calendar.free.slots.line", "wizard_id", string="Free slots", readonly=True)

    @api.model
    def _build(self, job):
        """The wizard for ``job``, its slots computed now."""
        job.ensure_one()
        job.check_access("write")
        if not (self.env.su or self.env.user.has_group("fieldservice.group_fsm_dispatcher")):
            raise AccessError(_("Only dispatchers can look for a free slot."))
        worker = job.person_id
        if not worker:
            raise UserError(_("Assign the job to a worker first: the free slots are the worker's."))
        duration = job._fieldops_slot_duration()
        if not duration:
            raise UserError(_("Give the job a duration (or a scheduled start and end) first."))
        Connection = self.env["fieldops.calendar.connection"]
        window, hours = Connection._busy_window(), Connection._working_hours()
        zone_name = worker.tz or self.env.user.tz or "UTC"
        now = datetime.now(timezone.utc)
        start, end = _quarter_up(now), now + window
        values = {
            "job_id": job.id, "person_id": worker.id, "duration": duration.total_seconds() / 3600,
            "time_zone": zone_name,
            "searched_text": _(
                "Free times of at least %(duration)s for %(worker)s, %(day_start)s to %(day_end)s (%(zone)s), "
                "Monday to Friday, over the next %(days)s days.",
                duration=hours_text(duration.total_seconds() / 3600), worker=worker.name,
                day_start=hours_text(hours[0]), day_end=hours_text(hours[1]), zone=zone_name, days=window.days),
        }
        connections = Connection.sudo().search([("company_id", "=", job.company_id.id),
                                                ("state", "in", REFRESHED_STATES)])
        connections = connections.filtered(lambda c: worker in c.person_ids or c._carries(job))
        read = connections.filtered("busy_refreshed_at")
        if connections and not read:
            values["empty_reason"] = _(
                "The busy times of %(worker)s's calendars (%(calendars)s) have not been read yet: they are read "
                "every 15 minutes. Try again in a few minutes.",
                worker=worker.name, calendars=", ".join(connections.mapped("name")))
            return self.create(values)
        if not connections:
            values["note"] = _(
                "No connected calendar carries %(worker)s's jobs: only their other jobs are taken into account.",
                worker=worker.name)
        else:
            values["busy_read_at"] = min(read.mapped("busy_refreshed_at"))
            if connections - read:
                values["note"] = _(
                    "The busy times of %(calendars)s have not been read yet: they are not taken into account.",
                    calendars=", ".join((connections - read).mapped("name")))
        blocks = self.env["fieldops.calendar.busy"].sudo().search([
            ("connection_id", "in", read.ids), ("start", "<", naive(end)), ("end", ">", naive(start))])
        others = self.env["fsm.order"].sudo().search([
            ("person_id", "=", worker.id), ("id", "!=", job.id), ("company_id", "=", job.company_id.id),
            ("stage_id.is_closed", "=", False), ("scheduled_date_start", "<", naive(end)),
            ("scheduled_date_end", ">", naive(start))])
        try:
            slots = slots_for_job(
                [BusyBlock(aware(block.start), aware(block.end), block.status) for block in blocks],
                [(aware(other.scheduled_date_start), aware(other.scheduled_date_end)) for other in others],
                start, end, duration, zone_name, hours)
        except InvalidEvent:
            raise UserError(_("The time zone %(zone)s of %(worker)s is not known: choose another one on the "
                              "worker or in your preferences.", zone=zone_name, worker=worker.name)) from None
        if not slots:
            values["empty_reason"] = _(
                "%(worker)s has no free time of %(duration)s in working hours over the next %(days)s days. Shorten "
                "the job, choose another worker, or widen the busy times window in Settings.",
                worker=worker.name, duration=hours_text(duration.total_seconds() / 3600), days=window.days)
        values["line_ids"] = [(0, 0, {"start": naive(slot.start), "end": naive(slot.job_end(duration)),
                                      "free_until": naive(slot.end)}) for slot in slots]
        return self.create(values)


class FreeSlotsLine(models.TransientModel):
    _name = "fieldops.calendar.free.slots.line"
    _description = "A free slot for a job"
    _order = "start, id"

    wizard_id = fields.Many2one("fieldops.calendar.free.slots", required=True, ondelete="cascade", readonly=True)
    day = fields.Char(compute="_compute_day", help="The start's day of the week, in your time zone")
    start = fields.Datetime(required=True, readonly=True)
    end = fields.Datetime(string="Ends", required=True, readonly=True, help="When the job would end")
    free_until = fields.Datetime(string="Free until", readonly=True)

    @api.depends("start")
    def _compute_day(self):
        for line in self:
            local = fields.Datetime.context_timestamp(line, line.start) if line.start else None
            line.day = format_date(self.env, local.date(), date_format="EEEE") if local else False

    def action_use(self):
        """Schedule the job in this slot (start and end together); its links owe a push, as after any edit."""
        self.ensure_one()
        job = self.wizard_id.job_id
        job.check_access("write")
        if self.start < fields.Datetime.now():
            raise UserError(_("This slot has begun or passed since the list was made: look for a free slot again."))
        job.write({"scheduled_date_start": self.start, "scheduled_date_end": self.end})
        job.message_post(body=_("Scheduled in a free slot of %(worker)s, found from their calendars.",
                                worker=self.wizard_id.person_id.name))
        return {"type": "ir.actions.act_window_close"}
