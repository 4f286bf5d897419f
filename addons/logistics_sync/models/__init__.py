from . import logistics_milestone_code
from . import logistics_shipment
from . import logistics_shipment_milestone
from . import res_company
from . import res_config_settings
from . import stock_move
from . import stock_picking
from . import sale_order
