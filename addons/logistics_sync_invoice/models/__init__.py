from . import res_company
from . import res_config_settings
from . import res_partner
from . import sale_order
from . import logistics_invoice_release
from . import logistics_shipment
from . import account_move
