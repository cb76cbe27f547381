"""Webhook routes take no form bodies: refused before Odoo's dispatcher would read and parse one.

For a ``type='http'`` route, Odoo parses a form-encoded or multipart body into the
request's parameters before the route runs, reading it whole with no timeout of
ours. Neither provider sends one (Google's notifications carry headers only,
Graph's are JSON), so such a request is refused here, before that read.
"""

from odoo import models
from odoo.http import request
from werkzeug.exceptions import UnsupportedMediaType

from .calendar_webhook_rejection import count_rejection

ROUTE = "/fieldops_calendar_sync/webhook"

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _pre_dispatch(cls, rule, args):
        httprequest = request.httprequest
        if httprequest.path.startswith(ROUTE + "/") and httprequest.mimetype in FORM_TYPES:
            provider = "google" if httprequest.path.startswith(ROUTE + "/google") else "microsoft"
            count_rejection(provider, "form body (not a notification)", httprequest.mimetype)
            raise UnsupportedMediaType()
        return super()._pre_dispatch(rule, args)
