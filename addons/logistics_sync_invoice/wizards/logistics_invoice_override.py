# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class LogisticsInvoiceOverrideWizard(models.TransientModel):
    _name = "logistics.invoice.override.wizard"
    _description = "Post an Invoice without Proof of Delivery"

    invoice_id = fields.Many2one("account.move", required=True)
    reason = fields.Char(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.invoice_id._logistics_override_and_post(self.reason)
        return {"type": "ir.actions.act_window_close"}
