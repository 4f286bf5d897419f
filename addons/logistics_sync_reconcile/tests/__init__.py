# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import (
    test_company_rpc,
    test_lateness,
    test_reconcile,
    test_tours,
    test_trace_links,
    test_withdrawn,
)
