from . import (
    logistics_milestone_code,
    logistics_shipment,
    logistics_shipment_milestone,
    res_company,
    res_config_settings,
    sale_order,
    stock_move,
    stock_picking,
)
