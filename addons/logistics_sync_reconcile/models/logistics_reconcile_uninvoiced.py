# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models
from odoo.addons.logistics_sync.lib.states import DELIVERED
from odoo.tools import SQL

from .logistics_reconcile_mixin import SALE_LINE_COLUMNS, SHIPMENT_COLUMNS

# A sale line with an amount at stake: delivered beyond what is invoiced.
UNINVOICED_LINE = "qty_delivered > qty_invoiced"


class LogisticsReconcileUninvoiced(models.Model):
    _name = "logistics.reconcile.uninvoiced"
    _inherit = "logistics.reconcile.shipment.mixin"
    _auto = False
    _description = "Delivered but not invoiced"
    _depends = {
        "logistics.shipment": SHIPMENT_COLUMNS,
        "sale.order.line": SALE_LINE_COLUMNS,
        "logistics.shipment.milestone": ["source"],
    }
    _order = "age_days desc"

    sale_id = fields.Many2one("sale.order", readonly=True)
    source = fields.Char("Backend", readonly=True)
    state = fields.Selection(related="shipment_id.state")
    pod_received = fields.Boolean("POD", readonly=True)
    date_delivered = fields.Datetime("Delivered On", readonly=True)
    age_days = fields.Float("Age (days)", readonly=True, aggregator="max")
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount_at_stake = fields.Monetary(readonly=True, currency_field="currency_id")

    def init(self):
        res = super().init()
        # The lines with an amount at stake: a few percent of all lines. Without it the
        # view read every line of every delivered order (docs/performance.md).
        self.env.cr.execute(SQL(
            "CREATE INDEX IF NOT EXISTS logistics_reconcile_sale_line_uninvoiced_index"
            " ON sale_order_line (order_id) WHERE %s", SQL(UNINVOICED_LINE)))
        return res

    def _view_query(self):
        # The order's currency and the current milestone's source are subqueries: read
        # only for the rows shown, not for every candidate shipment, nor by counts and
        # aggregates that do not select them (the metrics endpoint).
        return f"""
            SELECT s.id, s.id AS shipment_id, s.company_id, s.partner_id, s.carrier_id,
                   s.sale_id, s.pod_received,
                   (SELECT cm.source FROM logistics_shipment_milestone cm
                     WHERE cm.id = s.current_milestone_id) AS source,
                   COALESCE(s.date_delivered, s.pod_date) AS date_delivered,
                   EXTRACT(EPOCH FROM (now() AT TIME ZONE 'utc'
                       - COALESCE(s.date_delivered, s.pod_date, s.last_event_at))) / 86400.0
                       AS age_days,
                   (SELECT so.currency_id FROM sale_order so WHERE so.id = s.sale_id)
                       AS currency_id,
                   COALESCE(stake.amount, 0.0) AS amount_at_stake
              FROM logistics_shipment s
              LEFT JOIN (
                   SELECT sol.order_id, SUM((sol.qty_delivered - sol.qty_invoiced)
                              * sol.price_unit * (1 - COALESCE(sol.discount, 0) / 100.0)) AS amount
                     FROM sale_order_line sol WHERE {UNINVOICED_LINE}
                    GROUP BY sol.order_id
              ) stake ON stake.order_id = s.sale_id
             WHERE (s.state = '{DELIVERED}' OR s.pod_received)
               AND NOT s.invoice_released
               AND (s.sale_id IS NULL OR COALESCE(stake.amount, 0) > 0)
        """

    def action_release_invoices(self):
        return self.shipment_id.action_release_invoices()
