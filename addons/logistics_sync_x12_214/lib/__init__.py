# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Plain-Python X12 I/O: tokenizer and envelope (x12), 997 acknowledgments (ack997),
the 214 adapter (x12_214)."""
