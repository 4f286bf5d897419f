# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

{
    "name": "Logistics Sync X12 214",
    "summary": "Carrier shipment status files (ASC X12 214): import, folder pickup, "
    "997 acknowledgments",
    "version": "18.0.1.0.0",
    "development_status": "Beta",
    "category": "Inventory/Delivery",
    "website": "https://github.com/logistics-sync/odoo-logistics-sync",
    "author": "Logistics Sync contributors",
    "maintainers": ["logistics-sync"],
    "license": "LGPL-3",
    "installable": True,
    "depends": ["logistics_sync_connector"],
    "data": [
        "security/ir.model.access.csv",
        "data/ir_sequence_data.xml",
        "data/ir_cron_data.xml",
        "views/logistics_backend_views.xml",
        "wizards/logistics_x12_import_wizard_views.xml",
    ],
    "demo": ["demo/logistics_x12_214_demo.xml"],
}
