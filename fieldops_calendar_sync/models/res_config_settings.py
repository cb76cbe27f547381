"""Provider app credentials and sandbox mode in Settings; secrets are write-only and encrypted."""

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError

from calsync.availability import DEFAULT_WINDOW
from calsync.slots import DEFAULT_DAY, working_hours

from ..adapters import providers
from ..tools.availability_params import (
    WINDOW_MAX_DAYS,
    WINDOW_MIN_DAYS,
    WINDOW_PARAM,
    WORK_END_PARAM,
    WORK_START_PARAM,
    hours_text,
)
from ..tools.cipher import get_cipher

SECRET_PARAMS = {
    "fieldops_google_client_secret": "fieldops_calendar_sync.google_client_secret",
    "fieldops_microsoft_client_secret": "fieldops_calendar_sync.microsoft_client_secret",
}


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    fieldops_sandbox_mode = fields.Boolean(
        string="Calendar sandbox mode",
        config_parameter="fieldops_calendar_sync.sandbox_mode",
        help="Use the local sandbox providers instead of Google and Microsoft: no credentials needed.",
    )
    fieldops_public_base_url = fields.Char(
        string="Public base URL",
        config_parameter="fieldops_calendar_sync.public_base_url",
        help="The HTTPS address at which Google and Microsoft reach this Odoo for webhooks and sign-in "
        "redirects, for example https://erp.example.com",
    )
    fieldops_push_warning = fields.Char(compute="_compute_push_warning")
    fieldops_google_client_id = fields.Char(
        string="Google client id", config_parameter="fieldops_calendar_sync.google_client_id"
    )
    fieldops_google_client_secret = fields.Char(
        string="Google client secret", help="Write-only: enter a new secret to replace the stored one."
    )
    fieldops_google_secret_set = fields.Boolean(compute="_compute_secret_set")
    fieldops_microsoft_client_id = fields.Char(
        string="Microsoft client id", config_parameter="fieldops_calendar_sync.microsoft_client_id"
    )
    fieldops_microsoft_client_secret = fields.Char(
        string="Microsoft client secret", help="Write-only: enter a new secret to replace the stored one."
    )
    fieldops_microsoft_secret_set = fields.Boolean(compute="_compute_secret_set")
    fieldops_microsoft_tenant = fields.Char(
        string="Microsoft tenant",
        config_parameter="fieldops_calendar_sync.microsoft_tenant",
        default="common",
        help="'common' for any Microsoft 365 organisation, or your tenant id to admit only yours.",
    )

    # Datetime, not Date: Settings keep only some field types in system parameters
    fieldops_google_secret_expires_on = fields.Datetime(
        string="Google client secret expires on",
        config_parameter="fieldops_calendar_sync.google_client_secret_expires_on",
        help="Admins get an activity two weeks before, to replace it in time.",
    )
    fieldops_microsoft_secret_expires_on = fields.Datetime(
        string="Microsoft client secret expires on",
        config_parameter="fieldops_calendar_sync.microsoft_client_secret_expires_on",
        help="Entra ID client secrets expire (at most 24 months). Admins get an activity two weeks before.",
    )
    fieldops_google_quota_units = fields.Integer(
        string="Google requests per minute per user",
        config_parameter="fieldops_calendar_sync.google_quota_units", default=600,
        help="Your project's per-user quota in the Google Cloud console (600 by default). Pushes are paced "
        "to stay under it.",
    )
    fieldops_microsoft_quota_units = fields.Integer(
        string="Graph requests per 10 minutes per mailbox",
        config_parameter="fieldops_calendar_sync.microsoft_quota_units", default=10000,
        help="Microsoft Graph's Outlook limit (10,000). Pushes are paced to stay under it.",
    )
    fieldops_quota_headroom_percent = fields.Integer(
        string="Quota share used",
        config_parameter="fieldops_calendar_sync.quota_headroom_percent", default=90,
        help="The share of each quota the sync allows itself (percent); the rest is left for other "
        "applications and clock differences.",
    )

    fieldops_busy_window_days = fields.Integer(
        string="Busy times window (days)", config_parameter=WINDOW_PARAM, default=DEFAULT_WINDOW.days,
        help="How far ahead the crews' busy times are read from their calendars, and free slots are looked for "
        "(days, 1 to 62).",
    )
    fieldops_working_hours_start = fields.Float(
        string="Working day starts", config_parameter=WORK_START_PARAM, default=DEFAULT_DAY[0],
        help="Free slots are offered from this time of day, in the worker's time zone.",
    )
    fieldops_working_hours_end = fields.Float(
        string="Working day ends", config_parameter=WORK_END_PARAM, default=DEFAULT_DAY[1],
        help="Free slots end by this time of day, in the worker's time zone.",
    )

    @api.constrains("fieldops_busy_window_days")
    def _check_fieldops_busy_window_days(self):
        for settings in self:
            if not WINDOW_MIN_DAYS <= settings.fieldops_busy_window_days <= WINDOW_MAX_DAYS:
                raise ValidationError(_(
                    "The busy times window is %(days)s days: choose between %(low)s and %(high)s days.",
                    days=settings.fieldops_busy_window_days, low=WINDOW_MIN_DAYS, high=WINDOW_MAX_DAYS))

    @api.constrains("fieldops_working_hours_start", "fieldops_working_hours_end")
    def _check_fieldops_working_hours(self):
        for settings in self:
            try:
                working_hours(settings.fieldops_working_hours_start, settings.fieldops_working_hours_end)
            except ValueError:
                raise ValidationError(_(
                    "The working day must start before it ends, both between 00:00 and 23:59 (it is set from "
                    "%(start)s to %(end)s).",
                    start=hours_text(settings.fieldops_working_hours_start),
                    end=hours_text(settings.fieldops_working_hours_end))) from None

    @api.depends("company_id")
    def _compute_secret_set(self):
        params = self.env["ir.config_parameter"].sudo()
        for settings in self:
            settings.fieldops_google_secret_set = bool(params.get_param(SECRET_PARAMS["fieldops_google_client_secret"]))
            settings.fieldops_microsoft_secret_set = bool(
                params.get_param(SECRET_PARAMS["fieldops_microsoft_client_secret"])
            )

    @api.depends("fieldops_public_base_url", "fieldops_sandbox_mode")
    def _compute_push_warning(self):
        """Said while the admin types: a public base URL that is not https gets no push notifications."""
        web_base = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        for settings in self:
            base = (settings.fieldops_public_base_url or web_base or "").rstrip("/")
            settings.fieldops_push_warning = providers.push_refusal_text(self.env, base,
                                                                         settings.fieldops_sandbox_mode)

    def set_values(self):
        # reachable through call_kw on an empty recordset, bypassing execute()'s admin check
        self._fieldops_check_admin()
        result = super().set_values()
        params = self.env["ir.config_parameter"].sudo()
        for field_name, param in SECRET_PARAMS.items():
            new_secret = (self[field_name] or "").strip()
            if new_secret:
                params.set_param(param, get_cipher().encrypt(new_secret))
                self[field_name] = False
        return result

    @api.model
    def _fieldops_client_secret(self, provider):
        """The decrypted client secret of ``provider``; only for building a provider client."""
        param = SECRET_PARAMS[f"fieldops_{provider}_client_secret"]
        stored = self.env["ir.config_parameter"].sudo().get_param(param)
        return get_cipher().decrypt(stored) if stored else False

    def _fieldops_check_admin(self):
        if not self.env.is_system():
            raise AccessError(_("Only administrators can change these settings."))

    def action_fieldops_reencrypt_secrets(self):
        """Key rotation: re-encrypt every stored secret with the first configured key."""
        self._fieldops_check_admin()
        count = self.env["fieldops.calendar.connection"]._reencrypt_all_secrets()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Calendar credentials re-encrypted"),
                "message": _("%s secrets now use the newest key. You may remove the old key.", count),
                "type": "success",
                "sticky": False,
            },
        }

