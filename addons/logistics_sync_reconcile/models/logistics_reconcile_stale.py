# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models
from odoo.addons.logistics_sync.lib import lateness
from odoo.addons.logistics_sync.lib.states import SHIPMENT_ATTENTION, SHIPMENT_TERMINAL, sql_in

from .logistics_reconcile_mixin import SHIPMENT_COLUMNS

NOW = "(now() AT TIME ZONE 'utc')"


class LogisticsReconcileStale(models.Model):
    """Open shipments that need a look: in exception, past their deadline (the ETA, else
    the planned delivery: the *Late* filter's rule) or without news past the carrier's
    SLA. One row per shipment, its issue by precedence exception > late > stale."""

    _name = "logistics.reconcile.stale"
    _inherit = "logistics.reconcile.shipment.mixin"
    _auto = False
    _description = "Stale, late and exception shipments"
    _depends = {
        "logistics.shipment": SHIPMENT_COLUMNS,
        "delivery.carrier": ["logistics_sla_hours"],
        "logistics.shipment.milestone": ["source"],
    }
    _order = "hours_silent desc"

    source = fields.Char("Backend", readonly=True)
    state = fields.Selection(related="shipment_id.state")
    issue = fields.Selection(
        [("stale", "No news past the SLA"), ("late", "Past its ETA / planned delivery"),
         ("exception", "Exception")], readonly=True,
        help="Exception first, then late, then stale: a shipment in exception and past its "
        "deadline is listed once, as an exception.")
    deadline = fields.Datetime(
        readonly=True, help="The estimated delivery (ETA), else the planned delivery.")
    past_sla = fields.Boolean(
        "No news past the SLA", readonly=True,
        help="No milestone for longer than the carrier's SLA, whatever the issue shown.")
    last_event_at = fields.Datetime(readonly=True)
    hours_silent = fields.Float("Hours without news", readonly=True, aggregator="max")
    sla_hours = fields.Integer("SLA (h)", readonly=True)

    def _view_query(self):
        # Draft shipments are not silent (nothing was handed over yet), but they are late
        # past their deadline, as in the shipments' Late filter.
        return f"""
            SELECT t.*,
                   CASE WHEN t.state IN {sql_in(SHIPMENT_ATTENTION)} THEN 'exception'
                        WHEN t.deadline < {NOW} THEN 'late'
                        ELSE 'stale' END AS issue
              FROM (
                SELECT s.id, s.id AS shipment_id, s.company_id, s.partner_id, s.carrier_id,
                       s.state, cm.source, s.last_event_at,
                       {lateness.sql_deadline("s")} AS deadline,
                       s.state != 'draft' AND COALESCE(s.last_event_at, s.create_date)
                           < {NOW} - make_interval(hours => COALESCE(c.logistics_sla_hours, 48))
                           AS past_sla,
                       EXTRACT(EPOCH FROM ({NOW} - COALESCE(s.last_event_at, s.create_date)))
                           / 3600.0 AS hours_silent,
                       COALESCE(c.logistics_sla_hours, 48) AS sla_hours
                  FROM logistics_shipment s
                  LEFT JOIN logistics_shipment_milestone cm ON cm.id = s.current_milestone_id
                  LEFT JOIN delivery_carrier c ON c.id = s.carrier_id
                 WHERE s.state NOT IN {sql_in(SHIPMENT_TERMINAL)}) t
             WHERE t.state IN {sql_in(SHIPMENT_ATTENTION)} OR t.past_sla OR t.deadline < {NOW}
        """
