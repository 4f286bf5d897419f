# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models


class LogisticsSyncMessage(models.Model):
    """The invoices a sync message affected (this addon knows both messages and invoices)."""

    _inherit = "logistics.sync.message"

    logistics_invoice_ids = fields.Many2many(
        "account.move", string="Invoices", compute="_compute_logistics_invoice_ids",
        groups="account.group_account_invoice,account.group_account_readonly",
        help="Inbound: the invoices of the shipments it was applied to (released on their "
        "proof of delivery). Outbound: the invoice it sent.")

    @api.depends("direction", "res_model", "res_id", "shipment_ids.invoice_ids")
    def _compute_logistics_invoice_ids(self):
        Move = self.env["account.move"]
        for message in self:
            if message.direction == "out":
                invoices = Move.browse(message.res_id).exists() \
                    if message.res_model == "account.move" and message.res_id else Move
            else:
                invoices = message.shipment_ids.invoice_ids
            message.logistics_invoice_ids = invoices
