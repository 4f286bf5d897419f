from . import (
    business_events,
    logistics_backend,
    logistics_shipment_binding,
    logistics_sync_message,
    logistics_webhook_audit,
    res_config_settings,
)
