"""The conflict review: per field, keep the job's value, take the calendar's, or enter one; then apply."""

import json
from datetime import timezone

from markupsafe import Markup, escape
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from calsync.mapping import describe, from_base
from calsync.sync import resolve_conflict
from calsync.textdiff import ADDED, REMOVED, word_diff

from ..adapters.link_store import OdooLinkStore, job_values

CHOICES = [("job", "Keep the job's"), ("calendar", "Take the calendar's"), ("merged", "Take the merged notes"),
           ("custom", "Enter a value")]


class CalendarConflictReview(models.TransientModel):
    _name = "fieldops.calendar.conflict.review"
    _description = "Review a calendar conflict"

    conflict_id = fields.Many2one("fieldops.calendar.conflict", required=True, readonly=True, ondelete="cascade")
    job_id = fields.Many2one(related="conflict_id.job_id")
    connection_id = fields.Many2one(related="conflict_id.connection_id")
    kind = fields.Selection([("fields", "Both sides changed"), ("deletion", "Deleted in the calendar")],
                            readonly=True)
    revision = fields.Integer(readonly=True)
    line_ids = fields.One2many("fieldops.calendar.conflict.review.line", "review_id")
    deletion_choice = fields.Selection(
        [("restore", "Restore the event in the calendar"), ("cancel", "Cancel the job")], default="restore",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        conflict = self.env["fieldops.calendar.conflict"].browse(
            values.get("conflict_id") or self.env.context.get("default_conflict_id")
            or self.env.context.get("active_id"))
        if conflict:
            values["conflict_id"] = conflict.id
            values["revision"] = conflict.revision
            values["kind"] = conflict.kind
            # the values stay on the conflict's own lines: the review only points at them, so they survive
            # every save of the dialog (a bulk choice saves it and opens it again)
            values["line_ids"] = [(0, 0, {"conflict_line_id": line.id, "field_name": line.field_name,
                                          "choice": "job"}) for line in conflict.line_ids]
        return values

    @api.constrains("conflict_id")
    def _check_conflict_access(self):
        # a review shows the conflict's values: only for someone who may settle that conflict
        for review in self:
            review.conflict_id.check_access("write")

    def action_all_job(self):
        self.line_ids.write({"choice": "job"})
        return self._reopen()

    def action_all_calendar(self):
        self.line_ids.write({"choice": "calendar"})
        return self._reopen()

    def _reopen(self):
        return {"type": "ir.actions.act_window", "name": _("Review calendar conflict"), "res_model": self._name,
                "res_id": self.id, "view_mode": "form", "views": [(False, "form")], "target": "new"}

    def action_confirm(self):
        self.ensure_one()
        conflict = self.conflict_id
        conflict.check_access("write")
        if conflict.state != "open":
            raise UserError(_("This conflict was already settled by %s.", conflict.resolved_by_id.name or _("someone")))
        if conflict.revision != self.revision:
            raise UserError(_("The job or its calendar event changed while you were reviewing. Close this window "
                              "and open the review again to see the newest values."))
        link = conflict.link_id.sudo()
        store = OdooLinkStore(link.connection_id)
        record = store._record(link)
        who = self.env.user.name
        if conflict.kind == "deletion":
            if self.deletion_choice == "cancel":
                resolve_conflict(store, record, cancel_job=True,
                                 message=_("%s cancelled the job after the calendar deleted its event.", who))
                summary = _("cancel the job")
            else:
                resolve_conflict(store, record, restore=True)
                summary = _("restore the event")
        else:
            chosen, lines = self._chosen_values(link)
            summary = "; ".join(lines)
            applied = resolve_conflict(store, record, chosen,
                                       message=_("%(who)s settled a calendar conflict: %(what)s", who=who,
                                                 what=summary))
        conflict.write({"state": "resolved", "resolved_by_id": self.env.uid, "resolved_at": fields.Datetime.now(),
                        "resolution": summary})
        conflict.activity_ids.action_feedback(feedback=summary)
        self.env["fieldops.calendar.sync.history"].sudo().create({
            "job_id": conflict.job_id.id, "link_id": link.id, "connection_id": link.connection_id.id,
            "company_id": link.company_id.id, "direction": "review", "action": "resolve", "outcome": "resolved",
            "changes": summary, "remote_version": link.remote_version or False, "user_id": self.env.uid,
        })
        # one note per settlement: the engine wrote one when it changed the job; otherwise say it here
        if conflict.job_id and not (conflict.kind == "fields" and applied) and not (
                conflict.kind == "deletion" and self.deletion_choice == "cancel"):
            conflict.job_id.message_post(body=_("%(who)s resolved the calendar conflict: %(what)s", who=who,
                                                what=summary), subtype_xmlid="mail.mt_note")
        link.connection_id._enqueue_push()
        return {"type": "ir.actions.act_window_close"}

    def _chosen_values(self, link):
        job = job_values(link.job_id, link.connection_id).synced() if link.job_id else {}
        held = from_base(json.loads(link.held_json)) if link.held_json else {}
        chosen, lines = {}, []
        for line in self.line_ids:
            name = line.field_name
            if line.choice == "job":
                value, side = job.get(name), _("job")
            elif line.choice == "calendar":
                if name not in held:
                    raise UserError(_("The calendar's value of %s is no longer held; open the review again.", name))
                value, side = held[name], _("calendar")
            elif line.choice == "merged":
                if not line.merged_segments:
                    raise UserError(_("%s has no merged value: keep the job's, take the calendar's or enter one.",
                                      line.label))
                value, side = line.merged_value or "", _("merged")
            else:
                if name in ("start", "end"):
                    if not line.custom_datetime:
                        raise UserError(_("Enter a date and time for %s.", line.label))
                    value = fields.Datetime.to_datetime(line.custom_datetime).replace(tzinfo=timezone.utc)
                else:
                    value = line.custom_text or ""
                side = _("entered")
            chosen[name] = value
            lines.append(f"{line.label}: {describe(name, value)} ({side})")
        if "start" in chosen and "end" in chosen and chosen["end"] < chosen["start"]:
            raise UserError(_("The end you chose is before the start."))
        return chosen, lines


class CalendarConflictReviewLine(models.TransientModel):
    _name = "fieldops.calendar.conflict.review.line"
    _description = "Review a calendar conflict: one field"

    review_id = fields.Many2one("fieldops.calendar.conflict.review", required=True, ondelete="cascade")
    conflict_line_id = fields.Many2one("fieldops.calendar.conflict.line", required=True, ondelete="cascade")
    field_name = fields.Char(required=True)
    label = fields.Char(compute="_compute_label")
    # Text, not Char: the table shows whole notes side by side, wrapped, instead of cutting them off
    base_value = fields.Text(related="conflict_line_id.base_value", string="Last synced")
    job_value = fields.Text(related="conflict_line_id.job_value", string="Job")
    calendar_value = fields.Text(related="conflict_line_id.calendar_value", string="Calendar")
    job_diff = fields.Html(compute="_compute_diffs", string="Job, as changed", sanitize=False,
                           help="The job's value, with what it added (underlined) or removed (struck) since the "
                                "last sync")
    calendar_diff = fields.Html(compute="_compute_diffs", string="Calendar, as changed", sanitize=False,
                                help="The calendar's value, with what it added or removed since the last sync")
    merged_value = fields.Text(related="conflict_line_id.merged_value", string="Merged text")
    merged_segments = fields.Text(related="conflict_line_id.merged_segments")
    merged_diff = fields.Html(compute="_compute_merged_diff", string="Merged", sanitize=False,
                              help="Both sides' notes merged line by line; where they clash, the job's lines "
                                   "then the calendar's, marked")
    choice = fields.Selection(CHOICES, required=True, default="job")
    custom_datetime = fields.Datetime(string="Your date and time")
    custom_text = fields.Text(string="Your text")

    @api.depends("base_value", "job_value", "calendar_value")
    def _compute_diffs(self):
        for line in self:
            line.job_diff = self._render_diff(line.base_value, line.job_value)
            line.calendar_diff = self._render_diff(line.base_value, line.calendar_value)

    @api.depends("merged_segments")
    def _compute_merged_diff(self):
        labels = {"job": _("Job"), "calendar": _("Calendar")}
        for line in self:
            out = Markup()
            for kind, lines in json.loads(line.merged_segments) if line.merged_segments else []:
                if kind == "same":
                    out += Markup("<br/>").join(escape(text) for text in lines) + Markup("<br/>")
                    continue
                body = Markup("<br/>").join(escape(text) for text in lines) if lines else Markup(
                    "<em>%s</em>") % _("(removed)")
                out += Markup('<mark class="o_fieldops_clash o_fieldops_clash_%s" title="%s"><b>%s:</b> %s</mark>'
                              '<br/>') % (kind, _("Clashing lines"), labels.get(kind, kind), body)
            line.merged_diff = out or False

    @staticmethod
    def _render_diff(base, value):
        """The engine's word diff as HTML: additions in <ins>, removals in <del>, the rest as it reads."""
        out = Markup()
        for piece in word_diff(base or "", value or ""):
            text = escape(piece.text).replace("\n", Markup("<br/>"))
            if piece.op == ADDED:
                out += Markup('<ins class="o_fieldops_added">%s</ins>') % text
            elif piece.op == REMOVED:
                out += Markup('<del class="o_fieldops_removed">%s</del>') % text
            else:
                out += text
        return out

    @api.depends("field_name")
    def _compute_label(self):
        labels = {"start": _("Start"), "end": _("End"), "notes": _("Notes")}
        for line in self:
            line.label = labels.get(line.field_name, line.field_name)
