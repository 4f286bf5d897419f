# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import (
    logistics_backend,
    logistics_backend_alert,
    logistics_backend_stat_hourly,
    logistics_metrics,
    logistics_reconcile_dashboard,
    res_config_settings,
)
