# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
# isort: skip_file
# The abstract models first: the reports and the dashboard inherit them.
from . import logistics_reconcile_counts, logistics_reconcile_mixin
from . import logistics_reconcile_shipment_mixin
from . import (
    delivery_carrier,
    logistics_reconcile_dashboard,
    logistics_reconcile_invoiced_nopod,
    logistics_reconcile_late_promise,
    logistics_reconcile_quantity,
    logistics_reconcile_stale,
    logistics_reconcile_summary,
    logistics_reconcile_sync,
    logistics_reconcile_uninvoiced,
    logistics_reconcile_withdrawn,
    logistics_sync_message,
)
