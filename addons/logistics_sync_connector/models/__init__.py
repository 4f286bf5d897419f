from . import (
    business_events,
    ir_http,
    logistics_backend,
    logistics_shipment_binding,
    logistics_sync_message,
    logistics_webhook_audit,
    res_config_settings,
)
