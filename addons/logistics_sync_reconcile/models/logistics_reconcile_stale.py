# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models
from odoo.addons.logistics_sync.lib.states import SHIPMENT_ATTENTION, SHIPMENT_TERMINAL, sql_in

from .logistics_reconcile_mixin import SHIPMENT_COLUMNS


class LogisticsReconcileStale(models.Model):
    _name = "logistics.reconcile.stale"
    _inherit = "logistics.reconcile.shipment.mixin"
    _auto = False
    _description = "Stale and exception shipments"
    _depends = {
        "logistics.shipment": SHIPMENT_COLUMNS,
        "delivery.carrier": ["logistics_sla_hours"],
        "logistics.shipment.milestone": ["source"],
    }
    _order = "hours_silent desc"

    source = fields.Char("Backend", readonly=True)
    state = fields.Selection(related="shipment_id.state")
    issue = fields.Selection(
        [("stale", "No news past the SLA"), ("exception", "Exception")], readonly=True
    )
    last_event_at = fields.Datetime(readonly=True)
    hours_silent = fields.Float("Hours without news", readonly=True, aggregator="max")
    sla_hours = fields.Integer("SLA (h)", readonly=True)

    def _view_query(self):
        return f"""
            SELECT s.id, s.id AS shipment_id, s.company_id, s.partner_id, s.carrier_id,
                   cm.source,
                   CASE WHEN s.state IN {sql_in(SHIPMENT_ATTENTION)}
                        THEN 'exception' ELSE 'stale' END AS issue,
                   s.last_event_at,
                   EXTRACT(EPOCH FROM (now() AT TIME ZONE 'utc'
                       - COALESCE(s.last_event_at, s.create_date))) / 3600.0 AS hours_silent,
                   COALESCE(c.logistics_sla_hours, 48) AS sla_hours
              FROM logistics_shipment s
              LEFT JOIN logistics_shipment_milestone cm ON cm.id = s.current_milestone_id
              LEFT JOIN delivery_carrier c ON c.id = s.carrier_id
             WHERE s.state NOT IN {sql_in(SHIPMENT_TERMINAL)} AND s.state != 'draft'
               AND (s.state IN {sql_in(SHIPMENT_ATTENTION)}
                    OR COALESCE(s.last_event_at, s.create_date) < (now() AT TIME ZONE 'utc')
                       - make_interval(hours => COALESCE(c.logistics_sla_hours, 48)))
        """
