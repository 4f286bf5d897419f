# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        res = super()._action_done()
        self.filtered(lambda p: p.state == "done")._logistics_shipment_event("done")
        return res

    def _logistics_shipment_event(self, stage):
        for picking in self.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.logistics_shipment_id
        ):
            shipment = picking.logistics_shipment_id
            event_type = "shipment.booking" if stage == "ready" else "shipment.update"
            self.env["logistics.outbox"]._queue_event(
                "outbound_shipment", picking.company_id, event_type,
                f"shipment-{stage}:{picking.id}", picking._logistics_shipment_data(stage),
                f"logistics.shipment:{shipment.id}", shipment)

    def _logistics_shipment_data(self, stage):
        self.ensure_one()
        shipment = self.logistics_shipment_id
        return {
            "stage": stage,
            "shipment": {"reference": shipment.name, "tracking_number": shipment.tracking_number,
                         "carrier": shipment.carrier_id.name},
            "picking": self.name,
            "origin": self.origin,
            "scheduled_date": fields.Datetime.to_string(self.scheduled_date),
            "date_done": fields.Datetime.to_string(self.date_done) or None,
            "ship_to": self.env["logistics.outbox"]._address(self.partner_id),
            "weight": self.shipping_weight if "shipping_weight" in self._fields else None,
            "lines": [
                {"sku": move.product_id.default_code or str(move.product_id.id),
                 "quantity": move.quantity if stage == "done" else move.product_uom_qty,
                 "uom": move.product_uom.name}
                for move in self.move_ids
            ],
        }
