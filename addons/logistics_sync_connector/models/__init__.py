from . import logistics_backend
from . import logistics_shipment_binding
from . import logistics_sync_message
from . import logistics_webhook_audit
from . import res_config_settings
from . import business_events
