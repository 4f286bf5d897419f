# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

{
    "name": "Logistics Sync Invoice Release",
    "summary": "Hold customer invoices until proof of delivery and release them exactly once",
    "version": "18.0.1.0.0",
    "development_status": "Beta",
    "category": "Accounting/Accounting",
    "website": "https://github.com/logistics-sync/odoo-logistics-sync",
    "author": "Logistics Sync contributors",
    "maintainers": ["logistics-sync"],
    "license": "LGPL-3",
    "installable": True,
    "depends": ["logistics_sync", "sale_stock", "account", "queue_job"],
    "data": [
        "security/ir.model.access.csv",
        "security/logistics_invoice_rules.xml",
        "data/ir_actions_server_data.xml",
        "data/queue_job_function_data.xml",
        "wizards/logistics_invoice_override_views.xml",
        "views/res_partner_views.xml",
        "views/sale_order_views.xml",
        "views/account_move_views.xml",
        "views/logistics_shipment_views.xml",
        "views/logistics_invoice_release_views.xml",
        "views/res_config_settings_views.xml",
    ],
}
