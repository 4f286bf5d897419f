# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""What a backend is entitled to assert (no ORM, no I/O).

Finance trusts "delivered with proof" only when a system entitled to say it said it:
each backend may assert some canonical milestone codes, proof of delivery only when
allowed to, and only about the shipments in its scope. An event outside that is kept
on its message, unapplied, with the reason this module gives.
"""

from dataclasses import dataclass

from . import event_types

SCOPE_BOUND = "bound"  # shipments bound to the backend (binding or carrier)
SCOPE_COMPANY = "company"  # every shipment of the backend's company (a trusted TMS)

# Default codes by backend type: the tracking codes up to delivered for carriers;
# a TMS may also cancel; a WMS only creates and hands over. Proof of delivery codes and
# returned are never default: an admin ticks them.
TRACKING_CODES = (
    "created", "picked_up", "in_transit", "out_for_delivery", "on_hold",
    "available_for_pickup", "delivery_failed", "exception", "delivered",
)
DEFAULT_CODES = {
    "carrier": TRACKING_CODES,
    "generic": TRACKING_CODES,
    "tms": (*TRACKING_CODES, "cancelled"),
    "wms": ("created", "picked_up"),
    "finance": (),
}

# The event types other than milestones that a backend may send, by default by its type
# (an admin changes them on the backend): what a TMS or carrier knows about a shipment
# (carrier, tracking, ETA), what a warehouse knows about an order release.
DEFAULT_EVENT_TYPES = {
    "carrier": (event_types.SHIPMENT_UPDATED,),
    "generic": (event_types.SHIPMENT_UPDATED,),
    "tms": (event_types.SHIPMENT_UPDATED,),
    "wms": event_types.FULFILLMENT_TYPES,
    "finance": (),
}


@dataclass(frozen=True)
class Authority:
    """What one backend may assert."""

    backend: str  # its code, for the reasons
    codes: frozenset  # canonical codes it may assert
    may_assert_pod: bool
    scope: str
    event_types: frozenset = frozenset()  # types other than milestones it may send


def refusal(authority, code, is_pod, shipment, bound):
    """Why the backend may not assert milestone ``code`` about ``shipment`` (its reference,
    or a callable that returns it: only needed for a refusal), or None when it may.
    ``is_pod``: the event is a proof of delivery (the state machine's rule); ``bound``:
    the shipment is bound to this backend."""
    if code not in authority.codes:
        return f"{authority.backend} may not assert {code} (not among its milestone codes)"
    if is_pod and not authority.may_assert_pod:
        return (f"{authority.backend} may not assert proof of delivery "
                f"({code} on {_label(shipment)})")
    return scope_refusal(authority, shipment, bound)


def scope_refusal(authority, shipment, bound):
    """Why ``shipment`` is outside the backend's scope, or None (every event type)."""
    if authority.scope == SCOPE_BOUND and not bound:
        return (f"{_label(shipment)} is not bound to {authority.backend} (its scope is the "
                "shipments bound to it: booked through it, linked by an admin, or of one of "
                "its carriers)")
    return None


def type_refusal(authority, type_):
    """Why the backend may not send events of ``type_`` (not a milestone), or None."""
    if type_ not in authority.event_types:
        return f"{authority.backend} may not send {type_} events (not among its event types)"
    return None


def _label(shipment):
    return shipment() if callable(shipment) else shipment
