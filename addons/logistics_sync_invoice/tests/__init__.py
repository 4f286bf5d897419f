# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import test_hold_bypass, test_invoice_release, test_release_concurrency, test_release_facts
