# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.addons.logistics_sync.tools import guard


class LogisticsInvoiceRelease(models.Model):
    """One row per released shipment: the trace, and the exactly-once guarantee."""

    _name = "logistics.invoice.release"
    _description = "Invoice Release"
    _order = "id desc"

    shipment_id = fields.Many2one("logistics.shipment", required=True, ondelete="restrict",
                                  index=True, readonly=True)
    company_id = fields.Many2one(related="shipment_id.company_id", store=True, index=True)
    invoice_id = fields.Many2one("account.move", required=True, readonly=True, index=True,
                                 ondelete="restrict")
    user_id = fields.Many2one("res.users", "Released By", required=True, readonly=True,
                              default=lambda self: self.env.user)
    trigger = fields.Selection(
        [("manual", "Manual action"), ("auto", "Automatic (job)")], required=True, readonly=True)
    milestone_id = fields.Many2one("logistics.shipment.milestone", readonly=True,
                                   ondelete="set null")
    origin = fields.Char(readonly=True, help="Source system and event id of the milestone.")
    amount_total = fields.Monetary(related="invoice_id.amount_total")
    currency_id = fields.Many2one(related="invoice_id.currency_id")

    _sql_constraints = [
        ("shipment_uniq", "unique(shipment_id)", "A shipment's invoice is released only once."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        # A release row says an invoice was released: only the release path writes one.
        guard.require(self.env, guard.RELEASE, self._logistics_refusal(),
                      records=self.env["logistics.shipment"].browse(
                          {vals["shipment_id"] for vals in vals_list if vals.get("shipment_id")}))
        return super().create(vals_list)

    def write(self, vals):
        guard.require(self.env, guard.RELEASE, self._logistics_refusal(), records=self.shipment_id)
        return super().write(vals)

    def _logistics_refusal(self):
        return self.env._("Invoice releases are recorded only by the release of an invoice.")
