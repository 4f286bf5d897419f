# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
# isort: skip_file
# One module a line: parts of this addon are written in parallel and merged.

from . import test_alerts
from . import test_health
