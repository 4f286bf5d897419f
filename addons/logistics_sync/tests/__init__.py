# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import (
    test_company_rpc,
    test_concurrency,
    test_derive_chunks,
    test_facts_readonly,
    test_fulfillment,
    test_picking,
    test_security,
    test_shipment_milestones,
    test_state_machine,
    test_ui,
)
