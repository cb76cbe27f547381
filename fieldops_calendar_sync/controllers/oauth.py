"""OAuth callbacks of the connect flows: the one place a controller talks to a provider (code exchange)."""

import logging

from odoo import _, http
from odoo.exceptions import AccessError, UserError
from odoo.http import request
from werkzeug.utils import redirect

_logger = logging.getLogger(__name__)


class CalendarOAuthController(http.Controller):
    @http.route(
        ["/fieldops_calendar_sync/oauth/google/callback", "/fieldops_calendar_sync/oauth/microsoft/callback"],
        type="http",
        auth="user",
        methods=["GET"],
        sitemap=False,
    )
    def oauth_callback(self, **params):
        """Finish a sign-in; every answer carries ``Referrer-Policy: no-referrer``, as the code is in the URL."""
        response = self._finish_sign_in(params)
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def _finish_sign_in(self, params):
        provider = "google" if "/google/" in request.httprequest.path else "microsoft"
        Connection = request.env["fieldops.calendar.connection"]
        try:
            connection = Connection._oauth_finish(provider, params)
        except (UserError, AccessError) as exc:
            request.env.cr.rollback()
            # single use even when it fails: a state that met a bad code, an error or a timeout is spent
            Connection._oauth_spend_state(params.get("state"))
            _logger.info("calendar sign-in refused for user %s: %s", request.env.uid, exc.args[0])
            return request.render(
                "fieldops_calendar_sync.oauth_result",
                {"ok": False, "message": exc.args[0], "title": _("The calendar was not connected")},
                status=400,
            )
        return redirect(
            f"/odoo/calendar-connections/{connection.id}", code=303
        )
