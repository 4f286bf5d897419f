# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.addons.logistics_sync_connector.lib import adapters
from odoo.exceptions import ValidationError


class LogisticsBackend(models.Model):
    _inherit = "logistics.backend"

    adapter = fields.Selection(
        selection_add=[("shippo", "Shippo tracking webhooks")],
        ondelete=adapters.ondelete("shippo"),
    )

    @api.onchange("adapter")
    def _onchange_adapter_shippo(self):
        # Shippo reports carrier tracking, and authenticates by the token of the URL only.
        if self.adapter == "shippo":
            self.backend_type = "carrier"
            self.webhook_url_token_required = True

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("adapter") == "shippo":
                vals["webhook_url_token_required"] = True
        return super().create(vals_list)

    @api.constrains("adapter", "webhook_url_token_required")
    def _check_shippo_url_token(self):
        # What lets the Shippo adapter accept what reaches its verify (lib/shippo.py).
        for rec in self:
            if rec.adapter == "shippo" and not rec.webhook_url_token_required:
                raise ValidationError(self.env._(
                    "A Shippo backend authenticates its webhooks by the token of its URL only: "
                    "it must require a URL token."))
