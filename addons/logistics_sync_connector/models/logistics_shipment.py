# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import models


class LogisticsShipment(models.Model):
    _inherit = "logistics.shipment"

    def _create_from_pickings(self, pickings):
        shipments = super()._create_from_pickings(pickings)
        # Deliveries reserved while being confirmed were ready before their shipment existed.
        pickings.filtered(lambda p: p.state == "assigned")._logistics_shipment_event("ready")
        return shipments
