# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

{
    "name": "Logistics Sync Monitoring",
    "summary": "Prometheus metrics, alerts per backend that reach a person, and backend health",
    "version": "18.0.1.0.0",
    "development_status": "Beta",
    "category": "Inventory/Delivery",
    "website": "https://github.com/logistics-sync/odoo-logistics-sync",
    "author": "Logistics Sync contributors",
    "maintainers": ["logistics-sync"],
    "license": "LGPL-3",
    "installable": True,
    "depends": ["logistics_sync_reconcile", "resource"],
    "external_dependencies": {"python": ["prometheus_client"]},
    "data": [
        "security/ir.model.access.csv",
        "security/logistics_monitor_rules.xml",
        "data/ir_cron_alerts_data.xml",
        "views/logistics_backend_views.xml",
        "views/logistics_backend_alert_views.xml",
        "views/res_config_settings_views.xml",
    ],
}
