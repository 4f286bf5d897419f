# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    logistics_shipment_ids = fields.One2many("logistics.shipment", "sale_id", "Shipments")
    logistics_shipment_count = fields.Integer(compute="_compute_logistics_shipment_count")

    @api.depends("logistics_shipment_ids")
    def _compute_logistics_shipment_count(self):
        for order in self:
            order.logistics_shipment_count = len(order.logistics_shipment_ids)

    def action_view_logistics_shipments(self):
        self.ensure_one()
        return self.logistics_shipment_ids._logistics_open()

    @api.model
    def _logistics_demo_confirm(self, order_ids):
        """Demo data: confirm the demo orders that are still quotations."""
        orders = self.browse(order_ids)
        orders.filtered(lambda o: o.state in ("draft", "sent")).action_confirm()
