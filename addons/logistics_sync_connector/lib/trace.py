# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""W3C Trace Context (https://www.w3.org/TR/trace-context/): the ``traceparent`` header.

Plain Python (no ORM). An inbound ``traceparent`` is kept when it is well formed; every
outbound message gets one (a child of the inbound one that caused it, else a new trace),
sent with the message's id so that a request can be followed across systems.
"""

from __future__ import annotations

import re
import secrets

# Version 00 only: the one this module writes, and a later version's header may carry
# fields we would mangle.
TRACEPARENT_RE = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
INVALID_TRACE_ID = "0" * 32
INVALID_PARENT_ID = "0" * 16
SAMPLED = "01"
MESSAGE_ID_HEADER = "X-Logistics-Message-Id"


def parse(value) -> str | None:
    """``value`` when it is a valid version-00 traceparent (all-zero ids are invalid),
    else None. Never raises: it reads what any sender put in a header."""
    if not isinstance(value, str) or len(value) != 55:
        return None
    match = TRACEPARENT_RE.fullmatch(value)
    if not match or match[1] == INVALID_TRACE_ID or match[2] == INVALID_PARENT_ID:
        return None
    return value


def _span_id() -> str:
    span = secrets.token_hex(8)
    return span if span != INVALID_PARENT_ID else _span_id()


def new() -> str:
    """A traceparent starting a new trace."""
    trace_id = secrets.token_hex(16)
    if trace_id == INVALID_TRACE_ID:
        return new()
    return f"00-{trace_id}-{_span_id()}-{SAMPLED}"


def child(parent) -> str:
    """A traceparent continuing ``parent``'s trace with a new span id (its flags kept),
    or a new trace when ``parent`` is absent or invalid."""
    parent = parse(parent)
    if not parent:
        return new()
    _version, trace_id, _span, flags = parent.split("-")
    return f"00-{trace_id}-{_span_id()}-{flags}"


def headers(traceparent, message_ids) -> dict:
    """The trace headers of an outbound request: ``traceparent`` (when valid) and the id
    of the message it delivers (of each message of a batch, comma-separated)."""
    if isinstance(message_ids, int):
        message_ids = [message_ids]
    result = {}
    if parse(traceparent):
        result["traceparent"] = traceparent
    if message_ids:
        result[MESSAGE_ID_HEADER] = ",".join(str(i) for i in message_ids)
    return result
