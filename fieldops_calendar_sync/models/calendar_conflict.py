"""A job whose job and calendar both changed since the last sync: held for a person to decide."""

import json

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from calsync.mapping import describe, normalise_notes
from calsync.notes_merge import merge_notes
from calsync.sync import settle_if_sides_agree

from ..adapters.link_store import OdooLinkStore, job_values, job_values_as_text

FIELD_LABELS = {
    "start": "Start",
    "end": "End",
    "notes": "Notes",
    "deleted": "Event deleted",
}


class CalendarConflict(models.Model):
    _name = "fieldops.calendar.conflict"
    _description = "Calendar sync conflict"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    link_id = fields.Many2one("fieldops.calendar.link", required=True, ondelete="cascade", index=True)
    connection_id = fields.Many2one(
        "fieldops.calendar.connection", related="link_id.connection_id", store=True, index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, related="link_id.company_id", store=True, precompute=True
    )
    provider = fields.Selection(related="connection_id.provider", store=True)
    job_id = fields.Many2one("fsm.order", index=True, ondelete="set null", check_company=True)
    kind = fields.Selection(
        [("fields", "Both sides changed"), ("deletion", "Deleted in the calendar")],
        required=True,
        default="fields",
    )
    state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved"), ("dismissed", "Dismissed")],
        required=True,
        default="open",
        index=True,
        tracking=True,
    )
    line_ids = fields.One2many("fieldops.calendar.conflict.line", "conflict_id", string="Fields")
    remote_version = fields.Char(readonly=True, help="The calendar version the conflict was seen at.")
    job_fingerprint = fields.Char(readonly=True, help="The job values the conflict was seen at.")
    revision = fields.Integer(default=1, readonly=True, help="Bumped whenever either side changes again.")
    resolved_by_id = fields.Many2one("res.users", readonly=True)
    resolved_at = fields.Datetime(readonly=True)
    resolution = fields.Text(readonly=True)

    @api.depends("job_id.name", "kind")
    def _compute_name(self):
        for conflict in self:
            conflict.name = _("%(job)s: %(kind)s", job=conflict.job_id.name or "?",
                              kind=dict(self._fields["kind"].selection).get(conflict.kind))

    @api.model
    def _open_or_refresh(self, link, conflict):
        """Open the link's conflict, or refresh the open one with the newest values (a new revision)."""
        merges = getattr(conflict, "merges", None) or {}
        lines = [
            (0, 0, {"sequence": index, "field_name": name, "base_value": describe(name, base),
                    "job_value": describe(name, job), "calendar_value": describe(name, remote),
                    **_merge_vals(merges.get(name))})
            for index, (name, (base, job, remote)) in enumerate(sorted(conflict.fields.items()))
        ]
        vals = {"kind": "deletion" if conflict.deletion else "fields", "remote_version": conflict.remote_version,
                "line_ids": [(5, 0, 0), *lines]}
        existing = self.search([("link_id", "=", link.id), ("state", "=", "open")], limit=1)
        if existing:
            existing.write(dict(vals, revision=existing.revision + 1))
            return existing
        record = self.create(dict(vals, link_id=link.id, job_id=link.job_id.id))
        record._announce()
        return record

    def _announce(self):
        """An activity for the connection's reviewer and a note on the job."""
        for conflict in self:
            connection = conflict.connection_id
            reviewer = connection.reviewer_id or connection.responsible_user_id
            conflict.activity_schedule(
                "mail.mail_activity_data_todo", user_id=reviewer.id,
                summary=_("Review calendar conflict"),
                note=_("The job and its event in %s both changed. Choose which values to keep.", connection.name),
            )
            if conflict.job_id:
                conflict.job_id.message_post(
                    body=_("The job and its calendar event (%s) both changed since the last sync; nothing was "
                           "overwritten. A reviewer will choose which values to keep.", connection.name),
                    subtype_xmlid="mail.mt_note",
                )

    def action_review(self):
        self.ensure_one()
        self.check_access("write")
        return {
            "type": "ir.actions.act_window",
            "name": _("Review calendar conflict"),
            "res_model": "fieldops.calendar.conflict.review",
            "view_mode": "form",
            "target": "new",
            "context": {"default_conflict_id": self.id},
        }

    # -- bulk actions for the simple cases -------------------------------------------
    def action_bulk_keep_job(self):
        """Settle the selected field conflicts with the job's values (deletions need a person)."""
        return self._bulk_settle("job")

    def action_bulk_take_calendar(self):
        """Settle the selected field conflicts with the calendar's values (deletions need a person)."""
        return self._bulk_settle("calendar")

    def _bulk_settle(self, side):
        simple = self.filtered(lambda c: c.state == "open" and c.kind == "fields")
        if not simple:
            raise UserError(_("Select open conflicts where both sides changed; calendar deletions and settled "
                              "conflicts are reviewed one by one."))
        Review = self.env["fieldops.calendar.conflict.review"]
        for conflict in simple:
            review = Review.with_context(default_conflict_id=conflict.id).create({})
            review.line_ids.write({"choice": side})
            review.action_confirm()
        skipped = len(self) - len(simple)
        message = _("%(done)s conflict(s) settled with the %(side)s's values.", done=len(simple),
                    side=_("job") if side == "job" else _("calendar"))
        if skipped:
            message += " " + _("%s left for review one by one (deletions or already settled).", skipped)
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"message": message, "type": "success" if not skipped else "warning", "sticky": False,
                           "next": {"type": "ir.actions.act_window_close"}}}

    def _refresh_job_side(self):
        """Show the job's current values and bump the revision, so a review against stale values is refused."""
        for conflict in self:
            current = job_values_as_text(conflict.link_id)
            for line in conflict.line_ids:
                if line.field_name in current:
                    line.job_value = current[line.field_name]
                if line.field_name == "notes" and line.merged_segments:
                    line.write(_merge_vals(conflict._notes_merge_now()))
            conflict.revision += 1
        self._settle_where_sides_agree()

    def _notes_merge_now(self):
        """The line merge of the notes as they are now: the last agreed, the job's, the calendar's held value."""
        link = self.link_id.sudo()
        held = json.loads(link.held_json) if link.held_json else {}
        if "notes" not in held or not link.job_id:
            return None
        base = (link._base() or {}).get("notes") or ""
        return merge_notes(base, job_values(link.job_id, link.connection_id).notes, held["notes"] or "")

    def _settle_where_sides_agree(self):
        """A job edited to the calendar's value leaves nothing to review: settle it, naming no reviewer."""
        for conflict in self.filtered(lambda c: c.state == "open" and c.kind == "fields"):
            link = conflict.link_id.sudo()
            store = OdooLinkStore(link.connection_id)
            if not settle_if_sides_agree(store, store._record(link), message=_(
                    "The job now holds the calendar's values: the conflict settled itself.")):
                continue
            summary = _("both sides now hold the same values")
            conflict.sudo().write({"state": "resolved", "resolved_at": fields.Datetime.now(), "resolution": summary})
            conflict.sudo().activity_ids.action_feedback(feedback=summary)
            self.env["fieldops.calendar.sync.history"].sudo().create({
                "job_id": link.job_id.id, "link_id": link.id, "connection_id": link.connection_id.id,
                "company_id": link.company_id.id, "direction": "review", "action": "resolve", "outcome": "resolved",
                "changes": summary, "remote_version": link.remote_version or False,
            })


class CalendarConflictLine(models.Model):
    _name = "fieldops.calendar.conflict.line"
    _description = "Calendar sync conflict field"
    _order = "sequence, id"

    conflict_id = fields.Many2one("fieldops.calendar.conflict", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(
        "res.company", required=True, related="conflict_id.company_id", store=True, precompute=True, index=True
    )
    sequence = fields.Integer(default=10)
    field_name = fields.Char(required=True)
    label = fields.Char(compute="_compute_label")
    base_value = fields.Text(string="Last synced")
    job_value = fields.Text(string="Job")
    calendar_value = fields.Text(string="Calendar")
    # the line merge of the notes (issue #24): the merged text offered as a choice, and its parts as JSON
    # [[kind, [line, ...]], ...] with kind "same", or "job" / "calendar" for each side's clashing lines
    merged_value = fields.Text(string="Merged text")
    merged_segments = fields.Text()

    @api.depends("field_name")
    def _compute_label(self):
        for line in self:
            line.label = _(FIELD_LABELS.get(line.field_name, line.field_name))


def _merge_vals(result):
    """Conflict line values of a ``calsync.notes_merge.NotesMerge`` (none: the field has no line merge)."""
    if result is None:
        return {"merged_value": False, "merged_segments": False}
    return {"merged_value": normalise_notes(result.text),
            "merged_segments": json.dumps([[kind, list(lines)] for kind, lines in result.segments])}
