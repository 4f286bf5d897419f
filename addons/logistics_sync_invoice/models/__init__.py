# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import (
    account_move,
    logistics_invoice_release,
    logistics_shipment,
    res_company,
    res_config_settings,
    res_partner,
    res_users,
    sale_order,
    stock_picking,
)
