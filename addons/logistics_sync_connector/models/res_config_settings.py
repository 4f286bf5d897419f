# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    logistics_payload_retention_days = fields.Integer(
        "Payload retention (days)", default=30,
        config_parameter="logistics_sync_connector.payload_retention_days",
        help="Raw payloads are blanked after this many days; deduplication records are "
        "kept at least 30 days.",
    )
    logistics_webhook_max_body = fields.Integer(
        "Webhook body size cap (bytes)", default=262144,
        config_parameter="logistics_sync_connector.webhook_max_body",
    )
    logistics_webhook_audit_per_minute = fields.Integer(
        "Rejected webhooks recorded per minute", default=60,
        config_parameter="logistics_sync_connector.webhook_audit_per_minute",
        help="Per backend: at most this many rejected webhooks (401) are recorded one by one "
        "each minute; the others are counted per minute, reason and source address.",
    )
    logistics_fulfillment_user_id = fields.Many2one(
        related="company_id.logistics_fulfillment_user_id", readonly=False)
    logistics_backend_count = fields.Integer(compute="_compute_logistics_backend_count")

    def _compute_logistics_backend_count(self):
        count = self.env["logistics.backend"].search_count([])
        for rec in self:
            rec.logistics_backend_count = count

    def set_values(self):
        res = super().set_values()
        self.env.registry.clear_cache()
        return res
