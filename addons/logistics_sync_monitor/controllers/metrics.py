# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""GET /logistics/metrics: the Prometheus exposition (lib/metrics.py), behind a bearer token.

No token in Settings: 404 (the endpoint is off). A missing or wrong token: 401 with a
Bearer challenge. No user runs it: the token is its authentication, and it reads
aggregates with SQL only (models/logistics_metrics.py), on a read-only cursor.
"""

import hmac

from odoo import http
from odoo.http import request

NO_STORE = {"Cache-Control": "no-store"}


class LogisticsMetricsController(http.Controller):
    @http.route(
        "/logistics/metrics",
        type="http",
        auth="none",
        methods=["GET"],
        csrf=False,
        save_session=False,
        readonly=True,
    )
    def logistics_metrics(self, **_kwargs):
        Metrics = request.env["logistics.metrics"]
        token = Metrics._token()
        if not token:
            return request.make_response("Not Found\n", status=404, headers=NO_STORE)
        scheme, _sep, given = request.httprequest.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
                given.strip().encode(), token.encode()):
            return request.make_response("Unauthorized\n", status=401, headers={
                **NO_STORE, "WWW-Authenticate": 'Bearer realm="logistics-metrics"'})
        body, content_type = Metrics._render()
        return request.make_response(body, headers={**NO_STORE, "Content-Type": content_type})
