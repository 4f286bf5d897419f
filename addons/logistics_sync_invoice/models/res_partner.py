# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models

from .res_company import POLICIES


class ResPartner(models.Model):
    _inherit = "res.partner"

    logistics_invoice_policy = fields.Selection(
        POLICIES, "Invoice Release Policy", company_dependent=True,
        help="Empty: the company default (Settings > Logistics).")

    def _logistics_effective_policy(self, company):
        self.ensure_one()
        partner = self.commercial_partner_id.with_company(company)
        return partner.logistics_invoice_policy or company.logistics_invoice_policy or "manual"
