# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""EasyPost tracker webhooks: Event objects (tracker.created / tracker.updated).

Each TrackingDetail of the Tracker becomes one canonical event whose external
code is the EasyPost ``status`` and whose detail is the ``status_detail``; the
backend's status map is looked up with ``status:status_detail`` first, then
``status``. EasyPost resends the whole history with every update, so a detail's
event id is derived from the tracker id and the detail itself (stable across
updates), and the milestone dedup does the rest. ``signed_by`` is the POD.
"""

from __future__ import annotations

import hashlib

from .events import CanonicalEvent, PayloadError, parse_datetime, parse_json

HANDLED = ("tracker.created", "tracker.updated")
IGNORED_STATUSES = ("unknown",)

# EasyPost tracker status -> (canonical milestone, reason)
EASYPOST_STATUS_MAP = {
    "pre_transit": ("created", None),
    "in_transit": ("in_transit", None),
    "out_for_delivery": ("out_for_delivery", None),
    "delivered": ("delivered", None),
    "available_for_pickup": ("available_for_pickup", None),
    "return_to_sender": ("returned", None),
    "failure": ("delivery_failed", None),
    "cancelled": ("cancelled", None),
    "error": ("exception", None),
}
# "status:status_detail" refinements, looked up first.
EASYPOST_DETAIL_MAP = {
    "in_transit:received_at_origin_facility": ("picked_up", None),
    "in_transit:delayed": ("exception", "delayed"),
    "in_transit:weather_delay": ("exception", "delayed"),
    "in_transit:held": ("on_hold", None),
    "in_transit:lost": ("exception", "lost"),
    "in_transit:damaged": ("exception", "damaged"),
    "in_transit:address_correction": ("exception", "address_issue"),
    "in_transit:transit_exception": ("exception", None),
    "failure:refused": ("exception", "refused"),
    "failure:lost": ("exception", "lost"),
    "failure:damaged": ("exception", "damaged"),
    "failure:address_correction": ("exception", "address_issue"),
    "return_to_sender:refused": ("exception", "refused"),
}


def _location(loc) -> str | None:
    if not isinstance(loc, dict):
        return None
    parts = [loc.get("city"), loc.get("state"), loc.get("zip"), loc.get("country")]
    return ", ".join(str(p) for p in parts if p) or None


def _detail_id(tracker_id, detail) -> str:
    key = "|".join(str(detail.get(k) or "") for k in ("datetime", "status", "status_detail",
                                                       "message"))
    return f"{tracker_id}:{hashlib.sha1(key.encode()).hexdigest()[:20]}"


def parse_easypost(body: bytes) -> tuple[str, list[CanonicalEvent]]:
    data = parse_json(body)
    if not isinstance(data, dict) or data.get("object") != "Event":
        raise PayloadError("not an EasyPost Event object")
    event_id = data.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise PayloadError("EasyPost Event without an id")
    if data.get("description") not in HANDLED:
        return event_id, []
    tracker = data.get("result")
    if not isinstance(tracker, dict) or tracker.get("object") != "Tracker":
        raise PayloadError("tracker event without a Tracker result")
    tracker_id = tracker.get("id")
    tracking_code = tracker.get("tracking_code")
    if not tracker_id and not tracking_code:
        raise PayloadError("Tracker without id or tracking_code")
    details = tracker.get("tracking_details") or []
    if not isinstance(details, list):
        raise PayloadError("tracking_details must be a list")
    signed_by = tracker.get("signed_by")
    events = []
    for index, detail in enumerate(details):
        if not isinstance(detail, dict):
            raise PayloadError(f"tracking_details[{index}] must be an object")
        status = detail.get("status")
        if not isinstance(status, str) or not status:
            raise PayloadError(f"tracking_details[{index}].status is required")
        if status in IGNORED_STATUSES:
            continue
        occurred = parse_datetime(detail.get("datetime"))
        delivered = status == "delivered"
        events.append(CanonicalEvent(
            event_id=_detail_id(tracker_id or tracking_code, detail),
            code=status,
            detail=detail.get("status_detail") or None,
            occurred_at=occurred,
            shipment_external_id=tracker_id,
            tracking_number=tracking_code,
            carrier=tracker.get("carrier"),
            location=_location(detail.get("tracking_location")),
            reason=None,
            pod_signed_by=signed_by if delivered and signed_by else None,
            pod_received_at=occurred if delivered and signed_by else None,
            raw=detail,
        ))
    return event_id, events
