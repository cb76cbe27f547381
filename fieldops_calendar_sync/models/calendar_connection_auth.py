"""Connecting, reconnecting and disconnecting a calendar: OAuth, encrypted tokens, provider clients."""

import json
import logging
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import psycopg2
import requests
from odoo import _, fields, models
from odoo.exceptions import AccessError, UserError

from calsync.errors import SyncError
from calsync.events import Channel, OpKind, WriteOp
from calsync.google import GoogleCalendarClient
from calsync.google import oauth as google_oauth
from calsync.microsoft import GraphCalendarClient
from calsync.microsoft import auth as microsoft_auth
from calsync.oauth_state import issue_state, verify_state
from calsync.signin import calendar_key
from calsync.token_expiry import access_token_expiry

from ..adapters import providers
from ..tools.cipher import get_cipher

_logger = logging.getLogger(__name__)
SESSION_TTL = timedelta(minutes=15)


class CalendarConnection(models.Model):
    # pylint: disable-next=consider-merging-classes-inherited; one file per concern keeps each under 400 lines
    _inherit = "fieldops.calendar.connection"

    # -- OAuth -----------------------------------------------------------------
    def _state_secret(self):
        return self.env["ir.config_parameter"].sudo().get_param("database.secret")

    def action_connect(self):
        """Start the provider's sign-in: a signed, single-use state and PKCE, then redirect."""
        self.ensure_one()
        self.check_access("write")
        cipher = get_cipher()  # refuse early and clearly when no key is configured
        config = providers.provider_config(self.env, self.provider)
        redirect_uri = providers.redirect_uri(self.env, self.provider)
        state, nonce = issue_state(self._state_secret(), self.env.uid, self.company_id.id)
        # the typed address only preselects the account: whoever really signs in is recorded at the callback
        hint = (self.account_email or "").strip() or None
        if self.provider == "google":
            url, verifier = google_oauth.authorization_url(config, redirect_uri, state, login_hint=hint)
            payload = {"code_verifier": verifier}
        else:
            flow = microsoft_auth.start_auth(config, redirect_uri, state, login_hint=hint)
            url, payload = flow["auth_uri"], {"flow": flow}
        self.env["fieldops.calendar.oauth.session"].sudo().create(
            {
                "nonce": nonce,
                "user_id": self.env.uid,
                "company_id": self.company_id.id,
                "connection_id": self.id,
                "payload_encrypted": cipher.encrypt(json.dumps(payload)),
                "expires_at": fields.Datetime.now() + SESSION_TTL,
            }
        )
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}

    action_reconnect = action_connect

    def _oauth_take_session(self, state):
        """Verify ``state`` for the current user and consume its session (single use)."""
        Session = self.env["fieldops.calendar.oauth.session"].sudo()
        nonce = (state or "").split(".")[0]
        session = Session.search([("nonce", "=", nonce)], limit=1) if nonce else Session
        if not session or session.user_id.id != self.env.uid:
            raise UserError(_("This sign-in link is unknown or was already used. Start the connection again."))
        try:
            verify_state(self._state_secret(), state, self.env.uid, session.company_id.id)
        except SyncError as exc:
            raise UserError(str(exc)) from None
        # as the signed-in user, not sudo: finishing needs the right to configure this calendar
        company = session.company_id
        connection = session.connection_id.sudo(False).with_company(company)
        payload = json.loads(get_cipher().decrypt(session.payload_encrypted))
        expired = session.expires_at < fields.Datetime.now()
        session.unlink()
        if expired:
            raise UserError(_("The sign-in took too long. Start the connection again."))
        return connection, payload

    def _oauth_spend_state(self, state):
        """Consume the current user's sign-in session of ``state`` after a refused callback."""
        nonce = (state or "").split(".")[0]
        if nonce:
            Session = self.env["fieldops.calendar.oauth.session"].sudo()
            Session.search([("nonce", "=", nonce), ("user_id", "=", self.env.uid)]).unlink()

    def _oauth_finish(self, provider, params):
        """Exchange the callback's code for tokens, store them encrypted, mark the connection connected."""
        connection, payload = self._oauth_take_session(params.get("state"))
        if connection.provider != provider:
            raise UserError(_("This sign-in belongs to another kind of calendar. Start the connection again."))
        connection.check_access("write")
        if params.get("error"):
            raise UserError(
                _("The provider refused the sign-in: %(reason)s. Try again, or ask your administrator.",
                  reason=params.get("error_description") or params["error"])
            )
        config = providers.provider_config(self.env, provider)
        redirect_uri = providers.redirect_uri(self.env, provider)
        try:
            if provider == "google":
                signed_in = google_oauth.exchange_code(config, redirect_uri, params.get("code"),
                                                       payload["code_verifier"])
            else:
                signed_in = microsoft_auth.finish_auth(config, payload["flow"], dict(params))
        except SyncError as exc:
            raise UserError(_("Connecting the calendar failed: %s", exc)) from None
        vals = connection._signed_in_values(signed_in.account_email)
        connection._check_calendar_free(calendar_key(provider, vals["account_email"], connection.calendar_ref))
        connection._store_token(signed_in.token)
        vals.update({
            "state": "sandbox_connected" if providers.sandbox_mode(self.env) else "connected",
            "sandbox": providers.sandbox_mode(self.env),
            "last_error": False,
            "last_error_kind": False,
        })
        if connection.provider == "google" and not connection.calendar_ref:
            vals["calendar_ref"] = "primary"
        try:
            with self.env.cr.savepoint():
                connection.sudo().write(vals)
                connection.flush_recordset()
        except psycopg2.errors.UniqueViolation:  # another sign-in took this calendar a moment ago
            raise UserError(connection._calendar_taken_message(connection._calendar_holder())) from None
        connection.message_post(body=_("Calendar connected by %s.", self.env.user.name))
        if vals.get("typed_account_email"):
            connection.message_post(body=connection.account_notice)
        connection._after_connect()
        return connection

    def _signed_in_values(self, signed_in_email):
        """The account that really signed in replaces the typed one; the typed one is kept when they differ.

        A connection whose jobs already have events in the typed account's calendar is only reconnected by
        that account: another one would be another calendar, where those events do not exist.
        """
        self.ensure_one()
        typed = (self.account_email or "").strip()
        if not signed_in_email:  # the provider did not say: keep what was typed
            return {"account_email": typed, "typed_account_email": False}
        differs = bool(typed) and typed.lower() != signed_in_email.lower()
        if differs and self.link_ids.filtered("event_id"):
            raise UserError(_(
                "This connection already has events in the calendar of %(typed)s, but %(signed)s signed in. "
                "Sign in as %(typed)s to reconnect it; to sync the calendar of %(signed)s, create a new "
                "connection.", typed=typed, signed=signed_in_email))
        return {"account_email": signed_in_email, "typed_account_email": typed if differs else False}

    def _after_connect(self):
        """Hook for the sync layer: first full sync and push channels."""
        return True

    # -- tokens ----------------------------------------------------------------
    def _store_token(self, token):
        """Encrypt and store a provider token blob (never logged, never in chatter)."""
        self.ensure_one()

        expiry = access_token_expiry(self.provider, token)
        self.sudo().write({"token_encrypted": get_cipher().encrypt(token) if token else False,
                           "token_expires_at": expiry.replace(tzinfo=None) if expiry else False})

    def _load_token(self):
        self.ensure_one()
        blob = self.sudo().token_encrypted
        if not blob:
            raise UserError(_("This calendar is not connected. Click Connect first."))
        return get_cipher().decrypt(blob)

    def _make_client(self, meter=None):
        """The provider client for this connection; the only place a token is decrypted.

        ``meter`` (a ``calsync.quota.QuotaMeter``) paces its requests under the provider's quota.
        """
        self.ensure_one()
        config = providers.provider_config(self.env, self.provider)
        token = self._load_token()
        connection = self.sudo()

        def store(new_token):
            connection._store_token(new_token)

        if self.provider == "google":
            return GoogleCalendarClient(
                config, token, calendar_id=self.calendar_ref or "primary",
                send_updates="all" if self.invite_crew else "none", invite_attendees=self.invite_crew,
                on_token_refresh=store, meter=meter,
            )

        return GraphCalendarClient(
            config, token, account_email=self.account_email, calendar_id=self.calendar_ref or None,
            window=(self.window_past_days, self.window_future_days), invite_attendees=self.invite_crew,
            on_token_cache_changed=store, meter=meter,
        )

    # -- disconnect / key rotation -------------------------------------------------
    def action_disconnect(self):
        """Stop channels, delete subscriptions, wipe tokens; events stay in the calendar."""
        for connection in self:
            connection.check_access("write")
            connection._disconnect(_("Calendar disconnected by %s. Its events were left in place.",
                                     self.env.user.name))
        return self._notify_action(_("Disconnected. The events already in the calendar were left in place."),
                                   title=_("Disconnect"))

    def _disconnect(self, note):
        self.ensure_one()
        self._stop_channels()
        self.sudo().write({"token_encrypted": False, "sync_cursor": False, "state": "disconnected",
                           "token_expires_at": False})
        self.message_post(body=note)

    def action_disconnect_remove_events(self):
        """Disconnect after removing every event this calendar got from Odoo (in a job: it calls the provider)."""
        for connection in self:
            connection.check_access("write")
            connection._job_env().with_delay(
                channel="root.fieldops_calendar", identity_key=f"fieldops-calendar-remove-{connection.id}",
                description=_("Remove the events of %s and disconnect", connection.name),
            )._job_remove_events_and_disconnect()
            total = len(connection.link_ids.filtered(lambda link: link.state != "tombstone" and link.event_id))
            connection._report_progress("remove", 0, total)
            connection.message_post(body=_("%s asked to remove this calendar's job events and disconnect it.",
                                           self.env.user.name))
        return self._notify_action(_("Removing the job events from the calendar, then disconnecting. Progress "
                                     "shows on the connection."), title=_("Disconnect and remove events"))

    def _job_remove_events_and_disconnect(self):
        self.ensure_one()
        with self._provider_job():
            client = self._make_client()
            links = self.link_ids.filtered(lambda link: link.state != "tombstone" and link.event_id)
            ops = [WriteOp(OpKind.DELETE, identity=link.identity, event_id=link.event_id) for link in links]
            removed = 0
            for start in range(0, len(ops), client.max_batch):
                chunk = links[start:start + client.max_batch]
                for link, result in zip(chunk, client.apply(ops[start:start + client.max_batch]), strict=True):
                    if result.ok:
                        link.write({"state": "tombstone", "remote_version": False, "base_json": False})
                        removed += 1
                # pylint: disable-next=invalid-commit; per batch: deleted events stay recorded after a crash
                self.env.cr.commit()
                self._report_progress("remove", start + len(chunk), len(ops))
        left = len(ops) - removed
        self._clear_progress()
        self._disconnect(_("%(removed)s job events removed from the calendar, then disconnected.", removed=removed)
                         if not left else
                         _("%(removed)s job events removed from the calendar, %(left)s could not be removed (they "
                           "were left in place); then disconnected.", removed=removed, left=left))
        return _("%s events removed", removed)

    def _stop_channels(self):
        """Stop every active channel at the provider; failures are recorded, never block a disconnect."""
        self.ensure_one()
        channels = self.channel_ids.filtered(lambda c: c.state in ("pending", "active"))
        if not channels:
            return
        try:
            client = self._make_client()
        except (UserError, SyncError) as exc:
            channels.write({"state": "stopped", "last_error": str(exc)})
            return

        for channel in channels:
            try:
                client.unwatch(Channel(id=channel.external_id, resource_id=channel.resource_id or "",
                                       expires_at=channel.expires_at))
                channel.write({"state": "stopped"})
            except SyncError as exc:
                channel.write({"state": "stopped", "last_error": str(exc)})

    def _reencrypt_all_secrets(self):
        """Re-encrypt every token and client secret with the newest key (all companies)."""
        if not self.env.is_system():
            raise AccessError(_("Only administrators can re-encrypt the calendar credentials."))
        cipher = get_cipher()
        count = 0
        for connection in self.sudo().with_context(active_test=False).search([("token_encrypted", "!=", False)]):
            connection.token_encrypted = cipher.reencrypt(connection.token_encrypted)
            count += 1
        params = self.env["ir.config_parameter"].sudo()
        for param in ("fieldops_calendar_sync.google_client_secret", "fieldops_calendar_sync.microsoft_client_secret"):
            stored = params.get_param(param)
            if stored:
                params.set_param(param, cipher.reencrypt(stored))
                count += 1
        Organization = self.env["fieldops.calendar.organization"].sudo().with_context(active_test=False)
        for org in Organization.search([]):
            for name in ("google_key_encrypted", "microsoft_secret_encrypted"):
                if org[name]:
                    org[name] = cipher.reencrypt(org[name])
                    count += 1
        Session = self.env["fieldops.calendar.oauth.session"].sudo()
        for session in Session.search([]):
            session.payload_encrypted = cipher.reencrypt(session.payload_encrypted)
        return count

    # -- demo ------------------------------------------------------------------------
    def _demo_connect_sandbox(self, review_first_sync=False):
        """Connect the demo calendars through the sandbox's consent page, if the sandbox is running.

        The same code path as a person clicking Connect (signed state, PKCE, code exchange), with the
        consent page filled in server-side as the person would: the connection's account, allowed.
        """
        if not providers.sandbox_mode(self.env):
            return False
        try:
            providers.sandbox_info(self.env)
            get_cipher()
        except UserError as exc:
            _logger.info("demo calendars left unconnected: %s", exc.args[0])
            return False
        session = requests.Session()
        session.trust_env = False
        for connection in self.exists():
            if connection.state not in ("draft", "disconnected"):
                continue
            try:
                url = connection.action_connect()["url"]
                answer = session.post(url, data={"account": connection.account_email or "", "decision": "allow"},
                                      allow_redirects=False, timeout=10)

                params = dict(parse_qsl(urlsplit(answer.headers.get("Location", "")).query))
                # nobody is there to review a first-sync preview: the demo (and the tests) sync at once
                self.with_context(fieldops_first_sync_confirmed=not review_first_sync)._oauth_finish(
                    connection.provider, params)
            except (UserError, SyncError, requests.RequestException) as exc:
                _logger.warning("demo calendar %s not connected: %s", connection.name, exc)
        return True
