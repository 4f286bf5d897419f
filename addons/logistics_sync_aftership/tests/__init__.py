# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import test_aftership_lib, test_aftership_polling, test_aftership_pull, test_aftership_webhook
