# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

{
    "name": "Logistics Sync EasyPost",
    "summary": "EasyPost tracker webhooks as milestones: signature, status maps, proof of delivery",
    "version": "18.0.1.0.0",
    "development_status": "Beta",
    "category": "Inventory/Delivery",
    "website": "https://github.com/logistics-sync/odoo-logistics-sync",
    "author": "Logistics Sync contributors",
    "maintainers": ["logistics-sync"],
    "license": "LGPL-3",
    "installable": True,
    "depends": ["logistics_sync_connector"],
    "demo": ["demo/logistics_easypost_demo.xml"],
}
