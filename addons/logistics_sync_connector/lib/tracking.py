# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""What the tracking providers' adapters share (no ORM, no I/O): the ``shipment.updated``
event that carries a tracking's estimated delivery (ETA), with its carrier, service and
tracking link, besides its milestones; and the provider dates it is read from.

The event is a canonical one, validated by the published schema like one a TMS sends: it
is applied by the same typed path, with the backend's authority (``May Send Shipment
Updates``), its scope and the inbound flow's field ownership.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time

from . import event_types
from .events import MAX_EVENT_ID, PayloadError, TypedEvent, parse_datetime, typed_event, validate

MAX_TEXT = 1024  # characters of a text of the shipment.updated schema
# A date without a time: the end of that day, UTC (a shipment expected on a day is not
# late before the day is over).
END_OF_DAY = time(23, 59, 59)


def provider_datetime(value) -> datetime | None:
    """A provider's date or date/time as naive UTC, or None when it is not one: RFC 3339
    with an offset as such, a date/time without one as UTC, a date alone as the end of
    that day (UTC)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return parse_datetime(text)
    except PayloadError:
        return _without_offset(text)


def _without_offset(text) -> datetime | None:
    try:
        if len(text) <= 10:
            return datetime.combine(date.fromisoformat(text), END_OF_DAY)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return None if parsed.tzinfo is not None else parsed  # with an offset: out of range


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


def _text(value) -> str | None:
    # What does not fit the schema is left out, not a reason to refuse the delivery.
    return value if isinstance(value, str) and value and len(value) <= MAX_TEXT else None


def eta_event(key, occurred_at, eta, *, external_id=None, tracking_number=None, carrier=None,
              service=None, tracking_url=None) -> TypedEvent | None:
    """The ``shipment.updated`` event of a provider's tracking ``key`` that gives an
    estimated delivery ``eta`` (naive UTC) at ``occurred_at`` (naive UTC: when the
    provider last updated the tracking, which orders the updates of a shipment); None
    without both. Its id is derived from what it says, so a replay of the delivery, or
    the provider's resending of the same tracking, gives the same event."""
    if not isinstance(eta, datetime) or not isinstance(occurred_at, datetime):
        return None
    shipment = {"external_id": _text(external_id), "tracking_number": _text(tracking_number)}
    carrier_group = {"code": _text(carrier), "service": _text(service)}
    tracking = {"number": _text(tracking_number), "url": _text(tracking_url)}
    said = "|".join(str(v or "") for v in (
        key, occurred_at.isoformat(), eta.isoformat(), *carrier_group.values(), *tracking.values()))
    suffix = f":eta:{hashlib.sha1(said.encode('utf-8', 'surrogatepass')).hexdigest()[:20]}"
    data = {
        "type": event_types.SHIPMENT_UPDATED, "schema_version": "1",
        "id": f"{str(key)[:MAX_EVENT_ID - len(suffix)]}{suffix}",
        "occurred_at": _rfc3339(occurred_at),
        "shipment": {k: v for k, v in shipment.items() if v},
        "dates": {"estimated_delivery": _rfc3339(eta)},
    }
    for name, group in (("carrier", carrier_group), ("tracking", tracking)):
        if any(group.values()):
            data[name] = {k: v for k, v in group.items() if v}
    if not data["shipment"]:
        return None
    [(item, type_, _major, deprecated)] = validate(data)
    return typed_event(item, type_, deprecated)
