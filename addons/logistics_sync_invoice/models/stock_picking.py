# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        res = super()._action_done()
        # A delivery validated after its proof of delivery (a warehouse that reports the
        # shipment late): the release that waited for the validation is due now.
        shipments = self.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        ).logistics_shipment_id
        due = shipments.filtered(lambda s: s._logistics_release_due(False, None))
        if due:
            due._logistics_enqueue_release()
        return res
