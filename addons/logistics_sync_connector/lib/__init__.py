# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Plain-Python I/O of the connector (signatures, payload parsing, HTTP client).

No ORM here: these modules are testable without a database and shared by every
backend and adapter.
"""
