# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.addons.logistics_sync_connector.lib import adapters


class LogisticsBackend(models.Model):
    _inherit = "logistics.backend"

    adapter = fields.Selection(
        selection_add=[("shippo", "Shippo tracking webhooks")],
        ondelete=adapters.ondelete("shippo"),
    )

    @api.onchange("adapter")
    def _onchange_adapter_shippo(self):
        # Shippo reports carrier tracking; a URL token authenticates it unless Shippo set up
        # HMAC signatures for the account (lib/shippo.py): required until an admin says so.
        if self.adapter == "shippo":
            self.backend_type = "carrier"
            self.webhook_url_token_required = True

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("adapter") == "shippo":
                vals.setdefault("webhook_url_token_required", True)
        return super().create(vals_list)
