# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models

from .res_company import POLICIES


class SaleOrder(models.Model):
    _inherit = "sale.order"

    logistics_invoice_policy = fields.Selection(
        POLICIES, "Invoice Release", compute="_compute_logistics_invoice_policy", store=True,
        readonly=False, precompute=True, tracking=True,
        help="Inherited from the customer (or the company default); billing managers and "
        "Logistics Managers may change it per order.")
    logistics_invoice_policy_editable = fields.Boolean(
        compute="_compute_logistics_invoice_policy_editable")

    @api.depends("partner_id", "company_id")
    def _compute_logistics_invoice_policy(self):
        for order in self:
            order.logistics_invoice_policy = order._logistics_default_invoice_policy()

    @api.depends_context("uid")
    def _compute_logistics_invoice_policy_editable(self):
        self.logistics_invoice_policy_editable = (
            self.env["res.users"]._logistics_may_set_invoice_policy())

    def _logistics_default_invoice_policy(self):
        """The customer's policy, else the company default."""
        self.ensure_one()
        company = self.company_id or self.env.company
        if self.partner_id:
            return self.partner_id._logistics_effective_policy(company)
        return company.logistics_invoice_policy

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        # A salesperson's form sends the default it was shown: allowed, any other value not.
        if not self.env["res.users"]._logistics_may_set_invoice_policy():
            for order, vals in zip(orders, vals_list, strict=True):
                if "logistics_invoice_policy" in vals and (
                        order.logistics_invoice_policy != order._logistics_default_invoice_policy()):
                    raise self.env["res.users"]._logistics_policy_access_error()
        return orders

    def write(self, vals):
        if "logistics_invoice_policy" not in vals or (
                self.env["res.users"]._logistics_may_set_invoice_policy()):
            return super().write(vals)
        value = vals["logistics_invoice_policy"] or False
        changed = self.filtered(lambda o: o.logistics_invoice_policy != value)
        if changed and not ({"partner_id", "company_id"} & set(vals)):
            raise self.env["res.users"]._logistics_policy_access_error()
        res = super().write(vals)
        # A new customer (or company) derives the policy anew: only that default may be sent.
        if any(o.logistics_invoice_policy != o._logistics_default_invoice_policy() for o in changed):
            raise self.env["res.users"]._logistics_policy_access_error()
        return res

    def action_logistics_release_invoices(self):
        """Server action: release the invoices of these orders' shipments."""
        return self.logistics_shipment_ids.action_release_invoices()
