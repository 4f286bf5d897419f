# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging
import uuid

from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from odoo import models
from odoo.exceptions import AccessError, UserError
from odoo.http import request

from ..lib import request_body, webhook_access

_logger = logging.getLogger(__name__)

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
WEBHOOK_PATH = "/logistics/webhook/"


def webhook_failure(exc, request_id=None):
    """The answer to a webhook whose handling raised: a generic 503 (Odoo's access and user
    errors: a misconfiguration, e.g. of the integration user) or 500, with a request id
    that the log line carrying the traceback names too. Odoo's own text never reaches the
    unauthenticated sender. The caller logs."""
    config_error = isinstance(exc, AccessError | UserError)
    status, error = (503, "service unavailable") if config_error else (500, "internal error")
    headers = {"X-Request-Id": request_id}
    if config_error:
        headers["Retry-After"] = "60"
    response = request.make_json_response(
        {"error": error, "request_id": request_id}, status=status, headers=headers)
    return request_body.drain_after(response, request.httprequest)


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _pre_dispatch(cls, rule, args):
        res = super()._pre_dispatch(rule, args)
        if rule.endpoint.routing.get("logistics_raw_body"):
            cls._logistics_keep_raw_body()
        return res

    @classmethod
    def _post_dispatch(cls, response):
        res = super()._post_dispatch(response)
        if request.httprequest.path.startswith(WEBHOOK_PATH):
            request_body.drain_after(response, request.httprequest)
        return res

    @classmethod
    def _handle_error(cls, exception):
        """What escapes the webhook controller (raised before or after it, or a
        serialization failure Odoo gave up retrying) is answered like what it catches:
        generically, with a request id in the answer and the log."""
        if (request.httprequest.path.startswith(WEBHOOK_PATH)
                and not isinstance(exception, HTTPException)):
            request_id = uuid.uuid4().hex
            _logger.error("webhook %s: request %s failed",
                          webhook_access.mask_path(request.httprequest.path), request_id,
                          exc_info=exception)
            return webhook_failure(exception, request_id)
        return super()._handle_error(exception)

    @classmethod
    def _logistics_keep_raw_body(cls):
        """Keep the raw bytes of a webhook whose Content-Type announces a form.

        Odoo parses form bodies into the route's parameters before the controller
        runs, which consumes them: the controller would then verify the signature over
        an empty body and answer 401. The route gets an empty form instead, never parsed
        (request_body.no_form), and the body is read (and kept) here, in pieces and under
        the webhook body cap (lib/request_body.py).
        """
        httprequest = request.httprequest
        if httprequest.mimetype not in FORM_TYPES:
            return  # read by the controller, after the backend lookup
        request_body.no_form(httprequest)
        max_body = request.env["logistics.backend.secret"]._webhook_max_body()
        if request_body.announced_too_large(httprequest, max_body):
            # Not read: the controller answers, in the documented order (404, then 413).
            request_body.mark_too_large(httprequest)
            return
        status, _body = request_body.read(httprequest, max_body)
        if status == request_body.TOO_LARGE:
            # A chunked form body passed the cap while read before the backend lookup:
            # 413 at once, known code or not.
            response = request.make_json_response(
                {"error": f"body larger than {max_body} bytes"}, status=413)
            raise RequestEntityTooLarge(response=request_body.drain_after(response, httprequest))
