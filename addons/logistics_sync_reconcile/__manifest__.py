# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

{
    "name": "Logistics Sync Reconciliation",
    "summary": "Delivered-not-invoiced, invoiced-without-POD, stale and late shipments, "
    "late against promise, sync issues and quantity mismatches, with the fixing action at hand",
    "version": "18.0.1.0.0",
    "development_status": "Beta",
    "category": "Inventory/Delivery",
    "website": "https://github.com/logistics-sync/odoo-logistics-sync",
    "author": "Logistics Sync contributors",
    "maintainers": ["logistics-sync"],
    "license": "LGPL-3",
    "installable": True,
    "depends": ["logistics_sync_invoice", "logistics_sync_connector"],
    "data": [
        "security/ir.model.access.csv",
        "security/logistics_reconcile_rules.xml",
        "data/ir_cron_data.xml",
        "data/logistics_reconcile_summary_templates.xml",
        "views/logistics_reconcile_views.xml",
        "views/delivery_carrier_views.xml",
        "views/logistics_sync_message_views.xml",
        "views/logistics_reconcile_menus.xml",
    ],
    "assets": {
        "web.assets_tests": ["logistics_sync_reconcile/static/tests/tours/*.js"],
    },
}
