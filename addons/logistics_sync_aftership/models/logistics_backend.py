# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.addons.logistics_sync_connector.lib import adapters


class LogisticsBackend(models.Model):
    _inherit = "logistics.backend"

    adapter = fields.Selection(
        selection_add=[("aftership", "AfterShip tracking webhooks")],
        ondelete=adapters.ondelete("aftership"),
    )

    @api.onchange("adapter")
    def _onchange_adapter_aftership(self):
        # AfterShip reports carrier tracking: a carrier backend (its default codes).
        if self.adapter == "aftership":
            self.backend_type = "carrier"
