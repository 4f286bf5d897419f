# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models

from .res_company import POLICIES


class SaleOrder(models.Model):
    _inherit = "sale.order"

    logistics_invoice_policy = fields.Selection(
        POLICIES, "Invoice Release", compute="_compute_logistics_invoice_policy", store=True,
        readonly=False, precompute=True,
        help="Inherited from the customer (or the company default); may be changed per order.")

    @api.depends("partner_id", "company_id")
    def _compute_logistics_invoice_policy(self):
        for order in self:
            if order.partner_id:
                order.logistics_invoice_policy = order.partner_id._logistics_effective_policy(
                    order.company_id or self.env.company)
            else:
                order.logistics_invoice_policy = (order.company_id or self.env.company).logistics_invoice_policy

    def action_logistics_release_invoices(self):
        """Server action: release the invoices of these orders' shipments."""
        return self.logistics_shipment_ids.action_release_invoices()
