"""A technician calendar of an organization connection (issue #25): the connection side.

Such a connection has no token of its own: its client acts through the organization's grant,
its requests count against the technician's quota and the organization's project (Google) or
app (Graph) quota together, and what the provider says of the grant is said to the organization.
"""

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from calsync.errors import MailboxOutOfScope, NeedsReauth
from calsync.quota import GOOGLE_PROJECT_LIMIT, GRAPH_APP_LIMIT, MeterChain, QuotaMeter

from ..adapters import providers
from ..adapters.quota_ledger import OdooQuotaLedger

# what an organization decides of its technician calendars (one technician, their address, its grant): changed
# only by the organization itself (``fieldops_organization_write``)
ORGANIZATION_OWNED = frozenset({"organization_id", "provider", "account_email", "person_ids"})


class CalendarConnection(models.Model):
    # pylint: disable-next=consider-merging-classes-inherited; one file per concern keeps each under 400 lines
    _inherit = "fieldops.calendar.connection"

    organization_id = fields.Many2one(
        "fieldops.calendar.organization", index=True, ondelete="restrict", readonly=True,
        check_company=True, help="This technician's calendar is reached through the organization's grant.")

    technician_problem = fields.Char(
        compute="_compute_technician_problem", string="Problem",
        help="What keeps this technician calendar from syncing, in a few words.")

    @api.depends("state", "last_error_kind")
    def _compute_technician_problem(self):
        words = {"out_of_scope": _("Outside the grant"), "reauth": _("Grant refused: reconnect the organization")}
        for conn in self:
            if conn.state in ("connected", "sandbox_connected"):
                conn.technician_problem = False
            elif conn.last_error_kind in words:
                conn.technician_problem = words[conn.last_error_kind]
            else:
                conn.technician_problem = conn.error_help or conn.last_error or False

    @api.constrains("organization_id", "person_ids", "company_id", "provider")
    def _check_organization(self):
        for conn in self.filtered("organization_id"):
            org = conn.organization_id
            if conn.provider != org.provider or conn.company_id != org.company_id:
                raise ValidationError(_("A technician calendar has its organization's provider and company."))
            if len(conn.person_ids) != 1 or conn.person_ids.company_id not in (org.company_id, conn.env["res.company"]):
                raise ValidationError(_("A technician calendar of %(org)s carries one worker of %(company)s.",
                                        org=org.name, company=org.company_id.name))

    def write(self, vals):
        if ORGANIZATION_OWNED & set(vals):
            owned = self.filtered("organization_id")
            if owned and not self.env.context.get("fieldops_organization_write"):
                raise UserError(_("The organization decides the technician and address of %s: remove the "
                                  "technician from the organization and add them again instead.",
                                  ", ".join(owned.mapped("name"))))
        return super().write(vals)

    # -- the client, through the grant ---------------------------------------------------------------
    def _make_client(self, meter=None):
        self.ensure_one()
        if self.organization_id:
            return self.organization_id._technician_client(self, meter=meter)
        return super()._make_client(meter=meter)

    def _quota_meter(self):
        """The technician's own quota and the organization's project (Google) or app (Graph) quota at once."""
        meter = super()._quota_meter()
        if not self.organization_id:
            return meter
        org = self.organization_id
        if org.provider == "google":  # Google counts per project, Graph per app
            limit, shared = GOOGLE_PROJECT_LIMIT, f"google-project:{org.google_client_email or org.id}"
        else:
            limit, shared = GRAPH_APP_LIMIT, f"microsoft-app:{org.microsoft_client_id or org.id}"
        ledger = OdooQuotaLedger(self, key=shared)
        return MeterChain(meter, QuotaMeter(limit, ledger, headroom=self._quota_headroom()))

    # -- what the provider says of the grant ---------------------------------------------------------
    def _carry_out(self, decision, exc, now, maximum):
        if self.organization_id and isinstance(exc, MailboxOutOfScope):
            self.organization_id._mailbox_out_of_scope(self, str(exc))
            # pylint: disable-next=invalid-commit; the mark shown to users survives the job's end
            self.env.cr.commit()
            return False
        if self.organization_id and isinstance(exc, NeedsReauth):
            self.organization_id._grant_lost(str(exc))
            # pylint: disable-next=invalid-commit; the state shown to users survives the job's end
            self.env.cr.commit()
            return False
        return super()._carry_out(decision, exc, now, maximum)

    def _organization_connected(self):
        """The organization's grant works: these technician calendars sync (again) at once."""
        state = "sandbox_connected" if providers.sandbox_mode(self.env) else "connected"
        for conn in self:
            first = conn.state == "draft"
            conn.sudo().write({"state": state, "sandbox": providers.sandbox_mode(self.env), "last_error": False,
                               "last_error_kind": False})
            if first:
                # the admin chose these technicians: their calendars start at once, as a person's sign-in does
                conn.with_context(fieldops_first_sync_confirmed=True)._after_connect()
            else:
                conn._enqueue_pull()
                conn._enqueue_push()

    def _compute_health(self):
        """The board says what an organization's technician needs in its words, not a bare 'Error'."""
        result = super()._compute_health()
        for conn in self.filtered("organization_id"):
            if conn.last_error_kind == "out_of_scope" and conn.state == "error":
                conn.health_summary = _("Outside the grant of %s: add this calendar to the grant's scope in the "
                                        "provider's console, then retry.", conn.organization_id.name)
            elif conn.state == "needs_reauth":
                conn.health_summary = _("The organization %s must be reconnected; changes wait.",
                                        conn.organization_id.name)
        return result

    def action_retry_failed(self):
        if self.organization_id and self.last_error_kind == "out_of_scope":
            self.action_retry_technician()
            return self._notify_action(_("%s is tried again through the organization's grant.", self.name))
        return super().action_retry_failed()

    # -- buttons -------------------------------------------------------------------------------------
    def action_connect(self):
        if self.organization_id:
            self.ensure_one()
            if self.last_error_kind == "out_of_scope":
                return self.action_retry_technician()
            return self.organization_id.action_connect()
        return super().action_connect()

    def action_reconnect(self):
        return self.action_connect()

    def action_retry_technician(self):
        """A technician once outside the grant, tried again (after the admin widened its scope)."""
        for conn in self.filtered("organization_id"):
            conn.check_access("write")
            if conn.organization_id.state != "connected":
                raise UserError(_("Reconnect the organization %s first.", conn.organization_id.name))
            conn._organization_connected()
        return True

    def action_remove_from_organization(self):
        """Let a technician go: their calendar is disconnected (events left in place) and archived."""
        for conn in self.filtered("organization_id"):
            conn.check_access("write")
            if conn.state != "disconnected":
                conn._disconnect(_("%(user)s removed %(name)s from the organization %(org)s. The events were left "
                                   "in place.", user=self.env.user.name, name=conn.name,
                                   org=conn.organization_id.name))
            conn.active = False
            conn.organization_id.message_post(body=_("%(user)s removed %(name)s.", user=self.env.user.name,
                                                     name=conn.name))
        return True
