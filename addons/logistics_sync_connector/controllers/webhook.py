# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""POST /logistics/webhook/<backend code>[/<URL token>]: verify, store raw, enqueue,
acknowledge.

Thin on purpose: the order of the checks is the contract (docs/inbound-contract.md):
backend lookup (404) -> source address in the backend's IP allowlist (403 + audit row)
-> URL token, when given or required (401 + audit row) -> body cap (413) -> signature
over the raw bytes (401 + audit row) -> dedup id / JSON well-formedness (400 + quarantined message) -> one INSERT …
ON CONFLICT (200 duplicate / 409 same id, another body + audit row / 202 accepted)
+ one job, unless the backend is paused (stored all the same: resuming processes it).
Everything after the lookup runs as the backend's integration user.
"""

import logging
import uuid

from werkzeug.exceptions import HTTPException

from odoo import http
from odoo.http import request

from ..lib import adapters, request_body, webhook_access
from ..lib.signatures import SignatureError
from ..models.ir_http import webhook_failure
from ..models.logistics_backend import CODE_RE
from ..models.logistics_inbox_store import CONFLICT, DUPLICATE, INVALID
from ..models.logistics_sync_message import is_concurrency_error

_logger = logging.getLogger(__name__)
# werkzeug logs each request line: mask the URL tokens in it (docs/security-model.md).
webhook_access.install_log_filter()


def _json(status, payload, headers=None):
    return request.make_json_response(payload, status=status, headers=headers)


ROUTE = {
    "type": "http",
    "auth": "none",
    "methods": ["POST"],
    "csrf": False,
    "save_session": False,
    "readonly": False,
    "logistics_raw_body": True,  # ir.http keeps the raw bytes of form-typed bodies
}


class LogisticsWebhookController(http.Controller):
    @http.route("/logistics/webhook/<string:code>", **ROUTE)
    def logistics_webhook(self, code, **_kwargs):
        """Answer a webhook; whatever it raises, the sender gets a generic 500 / 503 with a
        request id, never Odoo's text, and an authentic delivery is kept (_failed)."""
        return self._answer(code, None)

    @http.route("/logistics/webhook/<string:code>/<string:token>", **ROUTE)
    def logistics_webhook_token(self, code, token, **_kwargs):
        """The same, with a URL token (a query-string or form "token" is never read)."""
        return self._answer(code, token)

    def _answer(self, code, token):
        delivery = {}
        try:
            response = self._receive(code, token, delivery)
            request.env.flush_all()  # what the ORM still has to write may raise too
            return response
        except Exception as exc:
            if isinstance(exc, HTTPException) or is_concurrency_error(exc):
                raise  # werkzeug's own answers; Odoo retries a serialization failure
            return self._failed(code, delivery, exc)

    def _receive(self, code, token, delivery):
        Secret = request.env["logistics.backend.secret"]
        # Not a backend code (e.g. %00 in the URL): no query, no cache entry.
        config = Secret._webhook_config(code) if CODE_RE.fullmatch(code) else None
        if not config:
            return _json(404, {"error": "unknown backend"})
        httprequest = request.httprequest
        refused = self._refuse_sender(config, code, token)
        if refused:
            return refused
        max_body = Secret._webhook_max_body()
        # Read in pieces, up to one byte past the cap, whatever the transfer encoding; kept
        # for Odoo's re-run of this handler after a serialization failure.
        status, body = request_body.read(httprequest, max_body)
        if status == request_body.TOO_LARGE:
            return _json(413, {"error": f"body larger than {max_body} bytes"})
        if status == request_body.UNREADABLE:
            return _json(400, {"error": "unreadable body"})

        request.update_env(user=config["uid"], context={
            "allowed_company_ids": [config["company_id"]], "tracking_disable": True})
        env = request.env
        headers = httprequest.headers
        adapter = adapters.get(config["adapter"])
        try:
            # A token given was checked by _refuse_sender: here it is an active one.
            signed_id = adapter.authenticate(headers, body, Secret._active_secrets(config),
                                             url_token=token is not None)
        except SignatureError as exc:
            env["logistics.webhook.audit"]._record(config, code, httprequest.remote_addr,
                                                   exc.reason, str(exc), headers)
            return _json(401, {"error": "invalid signature", "reason": exc.reason})
        # Authentic: whatever fails from here on, the delivery is kept (see _failed).
        delivery.update(config=config, adapter=adapter, signed_id=signed_id, body=body,
                        headers=dict(headers))
        message_id, outcome, error = env["logistics.inbox"]._receive(
            config, adapter, signed_id, body, dict(headers), code, httprequest.remote_addr)
        if outcome == INVALID:
            return _json(400, {"error": "malformed payload", "detail": error,
                               "message_id": message_id})
        if outcome == CONFLICT:
            return _json(409, {"error": "event id already received with another body",
                               "message_id": message_id})
        if outcome == DUPLICATE:
            return _json(200, {"status": "duplicate", "message_id": message_id})
        if not config["paused"]:  # Resume enqueues what waits
            env["logistics.backend"].browse(config["backend_id"])._enqueue_inbox()
        return _json(202, {"status": "accepted", "message_id": message_id})

    def _refuse_sender(self, config, code, token):
        """403 for an address outside the backend's allowlist, 401 for a missing (when
        required) or wrong URL token, each with an audit row; None to go on. Before the
        body is read. The address is the one Odoo determined (proxy_mode: the proxy's
        X-Forwarded-For entry), as the audit rows record it; tokens are never recorded."""
        httprequest = request.httprequest
        addr = httprequest.remote_addr
        Audit = request.env["logistics.webhook.audit"]
        if not webhook_access.address_allowed(config["allowlist"], addr):
            Audit._record(config, code, addr, "address_not_allowed",
                          f"{addr} is not in the backend's IP allowlist", httprequest.headers)
            return _json(403, {"error": "address not allowed"})
        Secret = request.env["logistics.backend.secret"]
        fault = webhook_access.url_token_fault(
            token, config["url_token_required"], Secret._active_secrets(config, kind="url_tokens"))
        if fault:
            detail = ("this backend requires a URL token" if fault == "missing_url_token"
                      else "the URL token is not an active token of this backend")
            Audit._record(config, code, addr, fault, detail, httprequest.headers)
            return _json(401, {"error": "invalid URL token", "reason": fault})
        return None

    def _failed(self, code, delivery, exc):
        """The handling of a webhook raised: log it with the traceback under a request id,
        answer generically with that id, and keep an authentic delivery with what went
        wrong (logistics.inbox._keep), in a transaction without what the handling did."""
        request_id = uuid.uuid4().hex
        _logger.error("webhook %s: request %s failed", code, request_id, exc_info=exc)
        env = request.env
        env.cr.rollback()
        if delivery:
            note = f"Request {request_id} failed after the signature was verified: {exc!r}"
            try:
                env["logistics.inbox"].sudo()._keep(note=note, **delivery)
                env.flush_all()
            except Exception as keep_exc:
                if is_concurrency_error(keep_exc):
                    raise  # Odoo retries the whole request
                _logger.error("webhook %s: request %s: the delivery could not be kept either",
                              code, request_id, exc_info=keep_exc)
                env.cr.rollback()
        return webhook_failure(exc, request_id)
