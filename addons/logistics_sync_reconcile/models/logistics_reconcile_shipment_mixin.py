# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class ReconcileShipmentMixin(models.AbstractModel):
    """A report whose rows are about shipments: the columns each such view selects."""

    _name = "logistics.reconcile.shipment.mixin"
    _inherit = "logistics.reconcile.mixin"
    _description = "Reconciliation report of shipments"
    _auto = False

    shipment_id = fields.Many2one("logistics.shipment", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    carrier_id = fields.Many2one("delivery.carrier", readonly=True)
