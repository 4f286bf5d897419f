# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models
from odoo.addons.logistics_sync.lib import lateness
from odoo.addons.logistics_sync.lib.states import SHIPMENT_TERMINAL, sql_in
from odoo.addons.logistics_sync.models.logistics_shipment import SHIPMENT_STATES

from .logistics_reconcile_mixin import SHIPMENT_COLUMNS


class LogisticsReconcileLatePromise(models.Model):
    """Open shipments whose estimated delivery (ETA) is after their promise (the
    promised delivery, else the planned one): the customer will wait longer than told,
    whether or not the shipment is late yet. The rule is logistics_sync/lib/lateness.py."""

    _name = "logistics.reconcile.late.promise"
    _inherit = "logistics.reconcile.shipment.mixin"
    _auto = False
    _description = "Late against promise"
    _depends = {
        "logistics.shipment": SHIPMENT_COLUMNS,
        "logistics.shipment.milestone": ["source"],
    }
    _order = "delay_hours desc, id"

    source = fields.Char("Backend", readonly=True)
    state = fields.Selection(SHIPMENT_STATES, "Shipment Status", readonly=True)
    date_promised = fields.Datetime(
        "Promised", readonly=True,
        help="The delivery the carrier or TMS promised, else the planned delivery.")
    date_estimated = fields.Datetime("ETA", readonly=True)
    delay_hours = fields.Float(
        "Delay (h)", readonly=True, aggregator="max",
        help="Hours between the promise and the estimated delivery.")

    def _view_query(self):
        promise = lateness.sql_promise("s")
        # Draft shipments included: a TMS may give an ETA before the first milestone.
        return f"""
            SELECT s.id, s.id AS shipment_id, s.company_id, s.partner_id, s.carrier_id,
                   cm.source, s.state,
                   {promise} AS date_promised,
                   s.date_estimated,
                   EXTRACT(EPOCH FROM (s.date_estimated - {promise})) / 3600.0 AS delay_hours
              FROM logistics_shipment s
              LEFT JOIN logistics_shipment_milestone cm ON cm.id = s.current_milestone_id
             WHERE s.state NOT IN {sql_in(SHIPMENT_TERMINAL)}
               AND s.date_estimated > {promise}
        """
