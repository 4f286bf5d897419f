# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import timedelta

from odoo import api, fields, models

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
    def _cron_purge(self, days=90):
        self.search([("create_date", "<", fields.Datetime.now() - timedelta(days=days))]).unlink()
