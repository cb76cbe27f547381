"""Webhook routes take no form bodies: Odoo's dispatcher must not read and parse one before the route runs.

For a ``type='http'`` route, Odoo parses a form-encoded or multipart body into the
request's parameters before the route runs, reading it whole with no timeout of
ours. Neither provider sends one (Google's notifications carry headers only,
Graph's are JSON), so for the webhook routes the parsed form is set to empty here,
before that read, and the route itself refuses the request (415, counted).
"""

from odoo import models
from odoo.http import request
from werkzeug.datastructures import ImmutableMultiDict

ROUTE = "/fieldops_calendar_sync/webhook/"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _pre_dispatch(cls, rule, args):
        httprequest = request.httprequest
        if httprequest.path.startswith(ROUTE) and httprequest.mimetype in FORM_TYPES:
            # werkzeug keeps the parsed form and files as cached attributes: present, they are never parsed
            wrapped = httprequest._HTTPRequest__wrapped
            wrapped.__dict__.update(form=ImmutableMultiDict(), files=ImmutableMultiDict())
        return super()._pre_dispatch(rule, args)
