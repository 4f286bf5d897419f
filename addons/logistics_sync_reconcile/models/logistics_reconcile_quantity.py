# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models

from .logistics_reconcile_mixin import SALE_LINE_COLUMNS


class LogisticsReconcileQuantity(models.Model):
    _name = "logistics.reconcile.quantity"
    _inherit = "logistics.reconcile.shipment.mixin"
    _auto = False
    _description = "Delivered vs invoiced quantity"
    _depends = {
        "sale.order.line": SALE_LINE_COLUMNS,
        "sale.order": ["state", "partner_id", "carrier_id"],
    }
    _order = "sale_id desc"

    sale_line_id = fields.Many2one("sale.order.line", readonly=True)
    sale_id = fields.Many2one("sale.order", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    qty_delivered = fields.Float(readonly=True)
    qty_invoiced = fields.Float(readonly=True)
    qty_difference = fields.Float("Delivered - Invoiced", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount_difference = fields.Monetary(readonly=True, currency_field="currency_id")

    def _view_query(self):
        return """
            SELECT sol.id, sol.id AS sale_line_id, sol.order_id AS sale_id,
                   (SELECT s.id FROM logistics_shipment s WHERE s.sale_id = sol.order_id
                     ORDER BY s.id LIMIT 1) AS shipment_id,
                   sol.company_id, so.partner_id, so.carrier_id, sol.product_id,
                   sol.qty_delivered, sol.qty_invoiced,
                   sol.qty_delivered - sol.qty_invoiced AS qty_difference,
                   so.currency_id,
                   (sol.qty_delivered - sol.qty_invoiced) * sol.price_unit
                       * (1 - COALESCE(sol.discount, 0) / 100.0) AS amount_difference
              FROM sale_order_line sol
              JOIN sale_order so ON so.id = sol.order_id
             WHERE so.state = 'sale' AND NOT COALESCE(sol.is_delivery, FALSE)
               AND sol.display_type IS NULL
               AND abs(sol.qty_delivered - sol.qty_invoiced) > 0.00001
               AND EXISTS (SELECT 1 FROM logistics_shipment s WHERE s.sale_id = sol.order_id)
        """
