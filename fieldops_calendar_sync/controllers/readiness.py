"""The readiness probe: the panel asks this Odoo, through its public URL, to prove it is this database."""

import re

from odoo import http
from odoo.http import request

from ..models.calendar_readiness import PROBE_PATH, probe_answer

NONCE = re.compile(r"[0-9a-f]{32}")


class ReadinessProbe(http.Controller):
    @http.route(PROBE_PATH, type="http", auth="none", methods=["GET"], csrf=False, save_session=False)
    def probe(self, nonce=None, **_ignored):
        if not isinstance(nonce, str) or not NONCE.fullmatch(nonce):
            return request.make_response("bad probe", status=400, headers=[("Content-Type", "text/plain")])
        return request.make_response(probe_answer(request.env, nonce), headers=[
            ("Content-Type", "text/plain"), ("Cache-Control", "no-store")])
