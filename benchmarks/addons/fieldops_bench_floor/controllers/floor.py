"""The floor under every webhook figure: same route type and auth as the receivers, no work at all."""

from odoo import http
from odoo.http import request


class Floor(http.Controller):
    @http.route("/fieldops_bench/floor", type="http", auth="none", methods=["POST"], csrf=False,
                save_session=False, readonly=False)
    def floor(self, **_kwargs):
        return request.make_response("", status=200)
