# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def action_confirm(self):
        res = super().action_confirm()
        for order in self:
            self.env["logistics.outbox"]._queue_event(
                "outbound_fulfillment", order.company_id, "fulfillment.request",
                f"fulfillment:{order.id}", order._logistics_fulfillment_data(),
                f"sale.order:{order.id}", order)
        return res

    def _logistics_fulfillment_data(self):
        self.ensure_one()
        return {
            "order": self.name,
            "customer_reference": self.client_order_ref,
            "customer": self.env["logistics.outbox"]._address(self.partner_id),
            "ship_to": self.env["logistics.outbox"]._address(self.partner_shipping_id),
            "warehouse": self.warehouse_id.code,
            "carrier": self.carrier_id.name,
            "commitment_date": fields.Datetime.to_string(self.commitment_date) or None,
            "lines": [
                {"sku": line.product_id.default_code or str(line.product_id.id),
                 "name": line.product_id.display_name, "quantity": line.product_uom_qty,
                 "uom": line.product_uom.name}
                for line in self.order_line if line.product_id.type == "consu"
            ],
        }
