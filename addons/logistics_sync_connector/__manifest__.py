# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

{
    "name": "Logistics Sync Connector",
    "summary": "Backends, signed webhook inbox, queue_job processing and outbound push "
    "for TMS, WMS, carrier tracking and finance systems",
    "version": "18.0.1.1.0",
    "development_status": "Beta",
    "category": "Inventory/Delivery",
    "website": "https://github.com/logistics-sync/odoo-logistics-sync",
    "author": "Logistics Sync contributors",
    "maintainers": ["logistics-sync"],
    "license": "LGPL-3",
    "installable": True,
    "depends": ["logistics_sync", "queue_job"],
    "external_dependencies": {"python": ["jsonschema", "fastjsonschema", "requests"]},
    "data": [
        "security/logistics_connector_security.xml",
        "security/ir.model.access.csv",
        "security/logistics_connector_rules.xml",
        "data/queue_job_data.xml",
        "data/ir_cron_data.xml",
        "views/logistics_backend_views.xml",
        "views/logistics_sync_message_views.xml",
        "views/logistics_shipment_views.xml",
        "views/logistics_webhook_audit_views.xml",
        "views/res_config_settings_views.xml",
        "views/logistics_connector_menus.xml",
        "wizards/logistics_secret_rotate_views.xml",
    ],
    "demo": ["demo/logistics_connector_demo.xml"],
}
