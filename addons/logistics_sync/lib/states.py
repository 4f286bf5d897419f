# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The state sets that business rules depend on, for Python and SQL alike.

Every rule that asks "is this shipment finished?" or "does this message need a
person?" reads one of these constants; the reconciliation views render them with
:func:`sql_in` instead of repeating the literals.
"""

# ---------------------------------------------------------------- shipments
DELIVERED = "delivered"
PICKED_UP = "picked_up"
RETURNED = "returned"
# A terminal state is final: later milestones are history only.
SHIPMENT_TERMINAL = ("delivered", "returned", "cancelled")
# Shown in "Needs attention" and reported as exceptions by reconciliation.
SHIPMENT_ATTENTION = ("exception", "delivery_failed", "on_hold")
# Nothing is invoiced for these shipments.
SHIPMENT_NOT_INVOICED = ("cancelled", "returned")

# ---------------------------------------------------------------- sync messages
MESSAGE_PENDING = "pending"
MESSAGE_UNAUTHORIZED = "unauthorized"  # outside the backend's authority: kept, not applied
# Received but deliberately not applied: the backend's inbound flow was disabled, or
# the event only carried data Odoo owns (lib/ownership.py); replayed once that changes.
MESSAGE_SKIPPED = "skipped"
# Messages a manager may process or send again.
MESSAGE_REPLAYABLE = ("unmapped", "unmatched", "unauthorized", "invalid", "failed", "dead",
                      "cancelled", "skipped")
# Messages counted as failures on the backend.
MESSAGE_FAILED = ("failed", "invalid")
# Messages that need a person: Sync Issues, the backend's attention counter, the daily
# summary's oldest unresolved messages.
MESSAGE_ATTENTION = ("failed", "invalid", "dead", "unmapped", "unmatched", "unauthorized")
# Resolved messages: only their payload and row may be purged after the retention
# period. Unresolved ones (dead, failed, invalid, unmapped, unmatched, unauthorized,
# skipped) are kept, however old, until someone resolves them.
MESSAGE_PURGEABLE = ("done", "sent", "cancelled")
# Outbound messages that were not sent and will not be sent without a replay.
MESSAGE_NOT_SENT = ("failed", "dead", "cancelled")


def sql_in(states):
    """``('a', 'b')``: a constant tuple of states as a SQL list literal (for view
    definitions, which take no query parameters). States are identifiers, never input."""
    assert all(s.replace("_", "").isalnum() for s in states), states
    return "(" + ", ".join(f"'{s}'" for s in states) + ")"
