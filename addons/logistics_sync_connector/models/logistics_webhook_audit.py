# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import hashlib
from datetime import timedelta

from odoo import api, fields, models

from ..lib.events import storable_text

KEPT = ("user-agent", "webhook-id", "webhook-timestamp", "content-type", "x-forwarded-for")


class LogisticsWebhookAudit(models.Model):
    _name = "logistics.webhook.audit"
    _inherit = ["logistics.company.guard"]
    _description = "Rejected Webhook"
    _order = "id desc"

    backend_id = fields.Many2one(
        "logistics.backend", index=True, ondelete="cascade", readonly=True, check_company=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    code = fields.Char("Requested Code", readonly=True)
    remote_addr = fields.Char("Remote Address", readonly=True)
    reason = fields.Char(readonly=True, index=True)
    detail = fields.Char(readonly=True)
    headers = fields.Text(readonly=True)
    # reason "conflict": an authentic delivery under the event id of this message, with
    # another body (kept here: the message keeps the first one)
    message_id = fields.Many2one(
        "logistics.sync.message", "Original Message", readonly=True, ondelete="set null",
        index="btree_not_null", check_company=True)
    payload = fields.Text(readonly=True)
    payload_hash = fields.Char(readonly=True)

    @api.model
    def _record(self, config, code, remote_addr, reason, detail, headers):
        def text(value):  # whatever the sender put in its headers: PostgreSQL refuses NUL
            return value.replace("\x00", "\ufffd") if isinstance(value, str) else value

        self.create({
            "backend_id": config["backend_id"] if config else False,
            "code": text(code),
            "remote_addr": remote_addr,
            "reason": reason,
            "detail": text((detail or "")[:500]),
            "headers": text("\n".join(f"{k}: {v}" for k, v in headers.items() if k.lower() in KEPT)),
        })

    @api.model
    def _record_conflict(self, config, code, remote_addr, message_id, body, headers):
        """Keep the body of a delivery whose event id is stored with another body, once
        per (message, body): a sender that retries a 409 adds no row."""
        payload_hash = hashlib.sha256(body).hexdigest()
        # The integration user may create audit rows, not read them: an existence check.
        self.env.cr.execute(
            "SELECT 1 FROM logistics_webhook_audit WHERE message_id = %s AND payload_hash = %s",
            [message_id, payload_hash])
        if self.env.cr.fetchone():
            return
        self.create({
            "backend_id": config["backend_id"],
            "code": code,
            "remote_addr": remote_addr,
            "reason": "conflict",
            "detail": self.env._("Event id already received (message %s) with another body.",
                                 message_id),
            "headers": "\n".join(f"{k}: {v}" for k, v in headers.items()
                                 if k.lower() in KEPT).replace("\x00", "\ufffd"),
            "message_id": message_id,
            "payload": storable_text(body),
            "payload_hash": payload_hash,
        })

    @api.model
    def _cron_purge(self, days=90):
        self.search([("create_date", "<", fields.Datetime.now() - timedelta(days=days))]).unlink()
