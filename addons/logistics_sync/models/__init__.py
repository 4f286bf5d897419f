from . import (
    logistics_milestone_code,
    logistics_milestone_reason,
    logistics_shipment,
    logistics_shipment_milestone,
    logistics_shipment_milestone_duplicate,
    res_company,
    res_config_settings,
    sale_order,
    stock_move,
    stock_picking,
)
