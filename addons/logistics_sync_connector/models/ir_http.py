# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import models
from odoo.http import request

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _pre_dispatch(cls, rule, args):
        res = super()._pre_dispatch(rule, args)
        if rule.endpoint.routing.get("logistics_raw_body"):
            cls._logistics_keep_raw_body()
        return res

    @classmethod
    def _logistics_keep_raw_body(cls):
        """Keep the raw bytes of a webhook whose Content-Type announces a form.

        Odoo parses form bodies into the route's parameters before the controller
        runs, which consumes them: the controller would then verify the signature over
        an empty body and answer 401. Read (and cache) them first, under the webhook
        body cap; werkzeug parses the form from the cached bytes.
        """
        httprequest = request.httprequest
        if httprequest.mimetype not in FORM_TYPES:
            return
        max_body = request.env["logistics.backend.secret"]._webhook_max_body()
        if (httprequest.content_length or 0) > max_body:
            return  # announced too large: the controller answers, in the README's order
        # Only here the cap applies before the controller: werkzeug checks it before any
        # parsing (whatever the type), which would answer 413 before 404 / 503. A chunked
        # form body over the cap cannot be read twice: 413 here.
        httprequest.max_content_length = max_body
        httprequest.get_data(cache=True, parse_form_data=False)
