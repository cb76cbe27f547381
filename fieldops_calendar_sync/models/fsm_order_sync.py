"""Job -> calendar triggers: a change marks the job's links owed in the same transaction, then enqueues.

Nothing here calls a provider: the user's transaction only records owed work
(``pending_push``) and enqueues the connection's push job, which runs after the
commit.
"""

from odoo import _, api, models
from odoo.exceptions import UserError

# fields whose change the calendar must hear about
SYNC_TRIGGER_FIELDS = {
    "scheduled_date_start", "scheduled_date_end", "description", "stage_id", "location_id",
    "team_id", "person_id", "person_ids", "company_id",
}
SOURCE_LINK_KEY = "fieldops_calendar_source_link"


class FsmOrder(models.Model):
    # pylint: disable-next=consider-merging-classes-inherited; one file per concern keeps each under 400 lines
    _inherit = "fsm.order"

    @api.model_create_multi
    def create(self, vals_list):
        jobs = super().create(vals_list)
        jobs._fieldops_mark_owed()
        return jobs

    def write(self, vals):
        self._fieldops_refuse_calendar_owned(vals)
        result = super().write(vals)
        if SYNC_TRIGGER_FIELDS & set(vals):
            self._fieldops_mark_owed()
        return result

    def unlink(self):
        links = self.env["fieldops.calendar.link"].sudo().search(
            [("job_id", "in", self.ids), ("state", "!=", "tombstone")]
        )
        result = super().unlink()
        # the link outlives its job (job_id set null): the push deletes the event, then tombstones it
        links.write({"state": "pending_push"})
        links.connection_id._enqueue_push()
        return result

    def _fieldops_refuse_calendar_owned(self, vals):
        """A field the calendar owns is changed in the calendar only, while the job is linked to it."""
        if self.env.context.get(SOURCE_LINK_KEY):
            return  # the sync itself writing what the calendar says
        owned = {"owner_schedule": {"scheduled_date_start", "scheduled_date_end", "scheduled_duration"},
                 "owner_notes": {"description"}}
        touched = [owner for owner, names in owned.items() if names & set(vals)]
        if not touched or not self.ids:
            return
        links = self.env["fieldops.calendar.link"].sudo().search(
            [("job_id", "in", self.ids), ("state", "!=", "tombstone")])
        for link in links:
            for owner in touched:
                if link.connection_id[owner] == "calendar" and link.event_id:
                    what = _("notes") if owner == "owner_notes" else _("schedule")
                    raise UserError(_(
                        "The %(what)s of job %(job)s is owned by the calendar %(calendar)s: change it there, "
                        "and the job follows.", what=what, job=link.job_id.display_name,
                        calendar=link.connection_id.name))

    def _fieldops_mark_owed(self):
        """Mark every link of these jobs owed, create links where a calendar now carries a job."""
        if not self:
            return
        Link = self.env["fieldops.calendar.link"].sudo()
        Connection = self.env["fieldops.calendar.connection"].sudo()
        source_link = self.env.context.get(SOURCE_LINK_KEY)
        connections = Connection.search(
            [("company_id", "in", self.company_id.ids), ("direction", "!=", "pull_only"),
             ("state", "!=", "disconnected")]
        )
        existing = Link.search([("job_id", "in", self.ids)])
        touched = Connection
        for connection in connections:
            carried = connection._carries(self.sudo())
            links = existing.filtered(lambda link, c=connection: link.connection_id == c)
            live = links.filtered(lambda link: link.state != "tombstone")
            # calendars that carry a job now but have no live link: revive a tombstone or create one
            for job in carried - live.job_id:
                tombstone = links.filtered(lambda link, j=job: link.job_id == j)[:1]
                if tombstone:
                    tombstone.write({"state": "pending_push"})
                else:
                    Link.create({"connection_id": connection.id, "job_id": job.id, "state": "pending_push"})
                touched |= connection
            # live links: owed a push (an update, or a delete when the job left this calendar); a field
            # conflict still lets the other fields flow, a deletion under review waits for its reviewer
            # unless the job left this calendar
            owed = live.filtered(lambda link, carried=carried: link.id != source_link and (
                link.state != "conflict" or link.held_json or link.job_id not in carried))
            if owed:
                owed.write({"state": "pending_push"})
                touched |= connection
            # the link whose calendar is writing this change has its conflict kept by the engine itself
            conflicted = live.filtered(lambda link: link.id != source_link and (
                link.state == "conflict" or link.held_json))
            if conflicted:
                conflicted._fieldops_job_changed_during_conflict()
        touched._enqueue_push()
