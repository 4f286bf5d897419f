# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models
from odoo.exceptions import UserError


class StockPicking(models.Model):
    _inherit = "stock.picking"

    logistics_shipment_id = fields.Many2one(
        "logistics.shipment",
        "Shipment",
        copy=False,
        index="btree_not_null",
        check_company=True,
        tracking=True,
    )
    logistics_shipment_state = fields.Selection(
        related="logistics_shipment_id.state", string="Shipment Status"
    )

    def _logistics_shipment_candidates(self):
        return self.filtered(
            lambda p: p.picking_type_code == "outgoing"
            and not p.logistics_shipment_id
            and p.state not in ("draft", "cancel")
        )

    def _logistics_autocreate_shipment(self):
        """Create shipments for confirmed outgoing deliveries (company setting)."""
        pickings = self._logistics_shipment_candidates().filtered(
            lambda p: p.company_id.logistics_auto_create_shipment
        )
        if pickings:
            self.env["logistics.shipment"]._create_from_pickings(pickings)

    def action_logistics_create_shipment(self):
        pickings = self._logistics_shipment_candidates()
        if not pickings:
            raise UserError(
                self.env._("Shipments are created for confirmed outgoing deliveries without one.")
            )
        shipments = self.env["logistics.shipment"]._create_from_pickings(pickings)
        return shipments._logistics_open()

    def action_logistics_open_shipment(self):
        return self.logistics_shipment_id._logistics_open()

    def write(self, vals):
        res = super().write(vals)
        if "carrier_tracking_ref" in vals or "carrier_id" in vals:
            for picking in self.filtered("logistics_shipment_id"):
                shipment = picking.logistics_shipment_id
                update = {}
                if picking.carrier_tracking_ref and not shipment.tracking_number:
                    update["tracking_number"] = picking.carrier_tracking_ref
                if picking.carrier_id and not shipment.carrier_id:
                    update["carrier_id"] = picking.carrier_id.id
                if update:
                    shipment.write(update)
        return res
