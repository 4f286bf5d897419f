# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import (
    test_easypost_lib,
    test_easypost_migration,
    test_easypost_polling,
    test_easypost_pull,
    test_easypost_webhook,
)
