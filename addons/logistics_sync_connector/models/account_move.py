# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        for move in posted.filtered(lambda m: m.move_type in ("out_invoice", "out_refund")):
            self.env["logistics.outbox"]._queue_event(
                "outbound_finance", move.company_id, "invoice.posted",
                f"invoice:{move.id}", move._logistics_finance_data(),
                f"account.move:{move.id}", move)
        return posted

    def _logistics_finance_data(self):
        self.ensure_one()
        freight = self.invoice_line_ids.filtered(
            lambda l: any(l.sale_line_ids.mapped("is_delivery")))
        return {
            "invoice": self.name,
            "type": self.move_type,
            "partner": self.env["logistics.outbox"]._address(self.partner_id),
            "date": fields.Date.to_string(self.invoice_date),
            "currency": self.currency_id.name,
            "amount_untaxed": self.amount_untaxed,
            "amount_total": self.amount_total,
            "origin": self.invoice_origin,
            "freight_charges": [
                {"description": l.name, "amount": l.price_subtotal} for l in freight
            ],
        }
