# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import (
    test_adapter_addons,
    test_authority,
    test_inbox_jobs,
    test_job_channels,
    test_least_privilege,
    test_lib,
    test_multi_company,
    test_outbound,
    test_outbound_batch,
    test_outbound_transport,
    test_outbox_safety_net,
    test_security,
    test_trace,
    test_trace_lib,
    test_ui,
    test_webhook,
    test_webhook_access,
    test_webhook_hostile,
    test_webhook_limits,
)
