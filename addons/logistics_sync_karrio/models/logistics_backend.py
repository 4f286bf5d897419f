# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.addons.logistics_sync_connector.lib import adapters


class LogisticsBackend(models.Model):
    _inherit = "logistics.backend"

    adapter = fields.Selection(
        selection_add=[("karrio", "Karrio tracker webhooks")],
        ondelete=adapters.ondelete("karrio"),
    )

    @api.onchange("adapter")
    def _onchange_adapter_karrio(self):
        # karrio reports carrier tracking: a carrier backend (its default codes).
        if self.adapter == "karrio":
            self.backend_type = "carrier"
