# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

{
    "name": "Logistics Sync",
    "summary": "Canonical shipments and milestones, kept in sync with TMS, WMS, "
    "carrier tracking and finance systems",
    "version": "18.0.1.0.0",
    "development_status": "Beta",
    "category": "Inventory/Delivery",
    "website": "https://github.com/logistics-sync/odoo-logistics-sync",
    "author": "Logistics Sync contributors",
    "maintainers": ["logistics-sync"],
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    # stock_delivery is where Odoo 18 keeps the carrier and tracking reference of
    # pickings (auto-installed with stock + delivery).
    "depends": ["stock", "sale_stock", "account", "delivery", "stock_delivery", "mail"],
    "data": [
        "security/logistics_security.xml",
        "security/ir.model.access.csv",
        "security/logistics_rules.xml",
        "data/ir_sequence_data.xml",
        "data/logistics_milestone_code_data.xml",
        "wizards/logistics_milestone_add_views.xml",
        "wizards/logistics_shipment_correct_views.xml",
        "views/logistics_shipment_views.xml",
        "views/logistics_shipment_milestone_views.xml",
        "views/logistics_milestone_code_views.xml",
        "views/stock_picking_views.xml",
        "views/sale_order_views.xml",
        "views/res_config_settings_views.xml",
        "views/logistics_menus.xml",
    ],
    "demo": ["demo/logistics_demo.xml"],
}
