# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models

from .res_company import POLICIES


class ResPartner(models.Model):
    _inherit = "res.partner"

    logistics_invoice_policy = fields.Selection(
        POLICIES, "Invoice Release Policy", company_dependent=True, tracking=True,
        help="Empty: the company default (Settings > Logistics). Billing managers and "
        "Logistics Managers may change it.")
    logistics_invoice_policy_editable = fields.Boolean(
        compute="_compute_logistics_invoice_policy_editable")

    @api.depends_context("uid")
    def _compute_logistics_invoice_policy_editable(self):
        self.logistics_invoice_policy_editable = (
            self.env["res.users"]._logistics_may_set_invoice_policy())

    @api.model_create_multi
    def create(self, vals_list):
        # Empty is the company default: anyone creating a contact may leave it so.
        if any(vals.get("logistics_invoice_policy") for vals in vals_list) and (
                not self.env["res.users"]._logistics_may_set_invoice_policy()):
            raise self.env["res.users"]._logistics_policy_access_error()
        return super().create(vals_list)

    def write(self, vals):
        if "logistics_invoice_policy" in vals and not (
                self.env["res.users"]._logistics_may_set_invoice_policy()):
            value = vals["logistics_invoice_policy"] or False
            if any(partner.logistics_invoice_policy != value for partner in self):
                raise self.env["res.users"]._logistics_policy_access_error()
        return super().write(vals)

    def _logistics_effective_policy(self, company):
        self.ensure_one()
        partner = self.commercial_partner_id.with_company(company)
        return partner.logistics_invoice_policy or company.logistics_invoice_policy or "manual"
