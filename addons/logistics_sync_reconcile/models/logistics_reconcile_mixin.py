# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""SQL-backed reconciliation reports: read-only models over PostgreSQL views.

Each view reads only indexed columns of large tables and filters on them first, so
that it stays fast on hundreds of thousands of shipments (see bench/). State sets
come from logistics_sync/lib/states.py, rendered with ``sql_in``.
"""

from odoo import models, tools
from odoo.tools import SQL

# The columns the views read, for their _depends.
SHIPMENT_COLUMNS = [
    "state", "pod_received", "pod_date", "date_delivered", "last_event_at",
    "current_milestone_id", "invoice_released", "sale_id", "partner_id", "carrier_id",
    "company_id", "date_planned", "date_estimated", "date_promised",
]
SALE_LINE_COLUMNS = ["qty_delivered", "qty_invoiced", "price_unit", "discount", "order_id",
                     "product_id"]


class ReconcileReportMixin(models.AbstractModel):
    _name = "logistics.reconcile.mixin"
    _description = "Reconciliation report"
    _auto = False

    def _view_query(self):
        raise NotImplementedError

    def init(self):
        if self._abstract:
            return
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table),
                                SQL(self._view_query())))

    def action_open_shipment(self):
        self.ensure_one()
        return self.shipment_id._logistics_open()
