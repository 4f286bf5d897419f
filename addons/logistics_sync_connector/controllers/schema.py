# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""GET /logistics/schema/<type>/<major>.json: the published JSON Schema of an inbound
event type, so that integrators validate before they send. Public, read-only, cacheable:
files of the addon, no database query."""

import re

from odoo import http
from odoo.http import request

from ..lib import event_types

_MAJOR = re.compile(r"[0-9]{1,4}")


class LogisticsSchemaController(http.Controller):
    @http.route(
        "/logistics/schema/<string:type_>/<string:version>.json",
        type="http", auth="none", methods=["GET", "HEAD"], csrf=False,
        save_session=False, readonly=True,
    )
    def logistics_schema(self, type_, version, **_kwargs):
        path = event_types.schema_path(type_, int(version)) if _MAJOR.fullmatch(version) else None
        if path is None:
            return request.make_json_response(
                {"error": "unknown schema",
                 "types": {t: event_types.supported(t) for t in event_types.VERSIONS}},
                status=404)
        return request.make_response(path.read_bytes(), headers=[
            ("Content-Type", "application/schema+json"),
            ("Cache-Control", "public, max-age=86400"),
            ("Access-Control-Allow-Origin", "*"),
        ])
