# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
# isort: skip_file
# The mixins first: logistics.shipment inherits them.
from . import (
    logistics_milestone_code,
    logistics_milestone_reason,
    logistics_shipment_state_mixin,
    logistics_shipment_transport,
    logistics_shipment,
    logistics_shipment_milestone,
    logistics_shipment_milestone_duplicate,
    logistics_shipment_package,
    res_company,
    res_config_settings,
    sale_order,
    stock_move,
    stock_picking,
)
