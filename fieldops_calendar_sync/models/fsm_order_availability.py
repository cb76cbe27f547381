"""A warning before double-booking a crew (issue #26): the job's time against its calendars' busy times.

Only a warning: the dispatcher may know better (a private appointment that can move, a
calendar not up to date), so saving is never refused. Busy times are those stored per
connection (``fieldops.calendar.busy``); a connection counts when it carries the job.
"""

from datetime import timedelta

from odoo import _, api, models
from odoo.tools import format_datetime

# enough to say what is wrong without a wall of text
MAX_LISTED = 3


class FsmOrder(models.Model):
    # pylint: disable-next=consider-merging-classes-inherited; one file per concern keeps each under 400 lines
    _inherit = "fsm.order"

    def _fieldops_busy_overlaps(self):
        """The busy blocks overlapping this job's interval, of the calendars that carry it."""
        self.ensure_one()
        start, end = self.scheduled_date_start, self.scheduled_date_end
        if not (start and end) or end <= start:
            return self.env["fieldops.calendar.busy"]
        company = self.company_id or self.env.company
        blocks = self.env["fieldops.calendar.busy"].sudo().search([
            ("company_id", "=", company.id), ("start", "<", end), ("end", ">", start)])
        carrying = blocks.connection_id.filtered(lambda connection: connection._carries(self))
        return blocks.filtered(lambda block: block.connection_id in carrying)

    def _fieldops_busy_who(self, block):
        if block.person_id:
            return block.person_id.name
        if self.person_id and self.person_id in block.connection_id.person_ids:
            return self.person_id.name
        return block.connection_id.name

    @api.onchange("scheduled_date_start", "scheduled_date_end", "person_id", "team_id")
    def _onchange_fieldops_busy_warning(self):
        blocks = self._fieldops_busy_overlaps()
        if not blocks:
            return None
        statuses = dict(blocks._fields["status"]._description_selection(self.env))
        lines = [
            _("%(who)s is %(status)s from %(start)s to %(end)s (calendar %(calendar)s).",
              who=self._fieldops_busy_who(block), status=statuses[block.status].lower(),
              start=format_datetime(self.env, block.start), end=format_datetime(self.env, block.end),
              calendar=block.connection_id.name)
            for block in blocks[:MAX_LISTED]
        ]
        if len(blocks) > MAX_LISTED:
            lines.append(_("And %(count)s more busy times.", count=len(blocks) - MAX_LISTED))
        lines.append(_("You can still save the job."))
        return {"warning": {"title": _("The crew is busy then"), "message": "\n".join(lines)}}

    def _fieldops_slot_duration(self):
        """How long a slot the job needs: its scheduled duration, else its end minus its start; None if neither."""
        self.ensure_one()
        if self.scheduled_duration and self.scheduled_duration > 0:
            return timedelta(hours=self.scheduled_duration)
        start, end = self.scheduled_date_start, self.scheduled_date_end
        if start and end and end > start:
            return end - start
        return None

    def action_fieldops_find_free_slot(self):
        """The worker's free slots for this job, from their calendars' busy times and their other jobs."""
        self.ensure_one()
        wizard = self.env["fieldops.calendar.free.slots"]._build(self)
        return {
            "type": "ir.actions.act_window",
            "name": _("Free slots for %(job)s", job=self.display_name),
            "res_model": wizard._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "views": [[self.env.ref("fieldops_calendar_sync.view_free_slots_form").id, "form"]],
            "target": "new",
        }
