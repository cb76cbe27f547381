"""Uninstall: stop every push channel at the provider and wipe tokens; events stay in the calendars."""

import logging

_logger = logging.getLogger(__name__)


def uninstall_hook(env):
    connections = env["fieldops.calendar.connection"].sudo().with_context(active_test=False).search([])
    for connection in connections:
        try:
            connection._stop_channels()
        except Exception as exc:  # an unreachable provider must not block the uninstall
            _logger.warning("could not stop the push channels of calendar %s: %s", connection.id, exc)
    connections.write({"token_encrypted": False, "sync_cursor": False, "state": "disconnected"})
    params = env["ir.config_parameter"].sudo()
    for key in ("fieldops_calendar_sync.google_client_secret", "fieldops_calendar_sync.microsoft_client_secret"):
        params.set_param(key, False)
