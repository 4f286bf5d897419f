# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
# isort: skip_file

# The company guard first: the models below inherit it.
from . import logistics_company_guard
from . import (
    account_move,
    ir_http,
    logistics_backend_inbound,
    logistics_backend_polling,
    logistics_backend,
    logistics_backend_webhook,
    logistics_backend_circuit,
    logistics_backend_flow,
    logistics_backend_secret,
    logistics_backend_status_map,
    logistics_backend_xref,
    logistics_inbox,
    logistics_inbox_store,
    logistics_inbox_typed,
    logistics_inbox_fulfillment,
    logistics_outbox,
    logistics_outbox_batch,
    logistics_shipment,
    logistics_shipment_binding,
    logistics_shipment_poll,
    logistics_sync_message,
    logistics_sync_message_trace,
    logistics_webhook_audit,
    res_company,
    res_config_settings,
    sale_order,
    stock_move,
    stock_picking,
)
