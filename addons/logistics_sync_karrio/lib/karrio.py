# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Karrio tracker webhooks: ``{"event": "tracker.updated", "data": <tracker>}``.

Karrio does not sign its webhooks: it sends the webhook's ``secret`` itself in the
``X-Event-Id`` header of every delivery (karrio server, events module, webhook task),
which is compared in constant time with the backend's secrets. The secret travels with
every request: restrict the backend to karrio's addresses as well (readme).

The tracker's events (newest first) become canonical events. Their code is the event's
own normalized ``status`` (karrio 2025 and later); an event without one is only known by
its carrier code, so only the newest takes the tracker's ``status`` and the older ones
are skipped (they were reported with the tracker status of their time). The detail is
the event's normalized ``reason``: the status map is looked up with ``status:reason``
first, then ``status``. An event's time is its ``timestamp``, else its ``date`` and
``time``, read as UTC as karrio itself does when it builds timestamps.

The tracker's ``estimated_delivery`` (a date), when it has one, becomes a
``shipment.updated`` event (ETA, carrier name, service, carrier's tracking link) after
the milestones (lib/tracking.py of the connector).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from odoo.addons.logistics_sync_connector.lib import adapters, tracking
from odoo.addons.logistics_sync_connector.lib.events import (
    CanonicalEvent,
    PayloadError,
    check_event_id,
    parse_datetime,
    parse_json,
)
from odoo.addons.logistics_sync_connector.lib.signatures import SignatureError, header

HEADER = "X-Event-Id"
# The event names of the webhook task ("event"), and of karrio's Event objects ("type")
# as its documentation shows them.
HANDLED = ("tracker.created", "tracker.updated", "tracker_created", "tracker_updated")
IGNORED_STATUSES = ("unknown",)
TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M%p", "%H:%M:%S.%f")

# karrio tracker / event status -> (canonical milestone, reason)
STATUS_MAP = {
    "pending": ("created", None),
    "picked_up": ("picked_up", None),
    "in_transit": ("in_transit", None),
    "out_for_delivery": ("out_for_delivery", None),
    "on_hold": ("on_hold", None),
    "ready_for_pickup": ("available_for_pickup", None),
    "delivery_failed": ("delivery_failed", None),
    "delivery_delayed": ("exception", "delayed"),
    "delivered": ("delivered", None),
    "return_to_sender": ("returned", None),
    "cancelled": ("cancelled", None),
}


# ------------------------------------------------------------------ authentication
def _digest(value: str) -> bytes:
    # Equal-length digests: the comparison reveals neither the secret nor its length.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def verify(headers, body: bytes, secrets) -> None:
    """Raise SignatureError unless ``X-Event-Id`` is one of ``secrets``."""
    value = header(headers, HEADER)
    if not value:
        raise SignatureError("missing_headers", f"{HEADER} header (the karrio webhook secret) "
                             "is required")
    secrets = list(secrets)
    if not secrets:
        raise SignatureError("no_secret", "no active secret for this backend")
    received = _digest(value.strip())
    matched = False
    for secret in secrets:  # every secret is compared: no early exit
        matched |= hmac.compare_digest(_digest(secret), received)
    if not matched:
        raise SignatureError("no_valid_signature", "X-Event-Id is not a secret of this backend")


# ------------------------------------------------------------------ payload
def _envelope(body: bytes) -> tuple[str, dict, dict]:
    data = parse_json(body)
    if not isinstance(data, dict):
        raise PayloadError("not a karrio webhook (not an object)")
    event = data.get("event") or data.get("type")
    if not isinstance(event, str) or not event:
        raise PayloadError("karrio webhook without an event")
    tracker = data.get("data")
    if not isinstance(tracker, dict):
        raise PayloadError("karrio webhook without a data object")
    return event, data, tracker


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def tracker_key(tracker: dict) -> str:
    key = _text(tracker.get("id"))
    if not key:
        number = _text(tracker.get("tracking_number"))
        if not number:
            raise PayloadError("tracker without id or tracking_number")
        key = f"{_text(tracker.get('carrier_name')) or '?'}:{number}"
    return key


def message_id(body: bytes) -> str:
    """The Event id when karrio sends one; the webhook task sends none: the tracker id and
    a hash of the body (a retry sends the same body; karrio only sends a tracker when it
    changed)."""
    _event, data, tracker = _envelope(body)
    if data.get("id") is not None:
        return check_event_id(data["id"], "karrio event id")
    digest = hashlib.sha256(body).hexdigest()[:32]
    return check_event_id(f"{tracker_key(tracker)}:{digest}", "karrio tracker id")


def event_time(event: dict, index: int) -> datetime:
    if event.get("timestamp"):
        return parse_datetime(event["timestamp"])
    date = event.get("date")
    if not isinstance(date, str):
        raise PayloadError(f"data.events[{index}].date is required")
    try:
        day = datetime.strptime(date.strip(), "%Y-%m-%d")
    except ValueError as exc:
        raise PayloadError(f"data.events[{index}].date {date!r} is not YYYY-MM-DD") from exc
    time = event.get("time")
    if not time:
        return day
    if isinstance(time, str):
        for fmt in TIME_FORMATS:
            try:
                moment = datetime.strptime(time.strip().upper(), fmt)
            except ValueError:
                continue
            return datetime.combine(day.date(), moment.time())
    raise PayloadError(f"data.events[{index}].time {time!r} is not a time of day")


def _event_id(key, event: dict) -> str:
    # The carrier's event, not the status karrio gives it: stable across updates.
    parts = "|".join(str(event.get(k) or "") for k in (
        "timestamp", "date", "time", "code", "description", "location"))
    return f"{key}:{hashlib.sha1(parts.encode()).hexdigest()[:20]}"


def _image_url(value) -> str | None:
    # Karrio may inline images as data URLs: only links are kept.
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def eta_event(data: dict, tracker: dict, key: str, milestones):
    """The shipment.updated event of a tracker with an ``estimated_delivery``, or None;
    ordered by the tracker's ``updated_at``, else the Event's ``created_at``, else its
    newest milestone."""
    info = tracker.get("info") if isinstance(tracker.get("info"), dict) else {}
    updated = (tracking.provider_datetime(tracker.get("updated_at"))
               or tracking.provider_datetime(data.get("created_at"))
               or max((e.occurred_at for e in milestones), default=None))
    return tracking.eta_event(
        key, updated, tracking.provider_datetime(tracker.get("estimated_delivery")),
        external_id=_text(tracker.get("id")), tracking_number=_text(tracker.get("tracking_number")),
        carrier=_text(tracker.get("carrier_name")), service=_text(info.get("shipment_service")),
        tracking_url=_text(info.get("carrier_tracking_link")))


def parse(body: bytes) -> list:
    """The tracker's events as milestones, then its estimated delivery as a
    shipment.updated event when it has one (last: the indexes of the milestones of a
    message stay those they had before ETAs were read)."""
    event_name, data, tracker = _envelope(body)
    if event_name not in HANDLED:
        return []
    key = tracker_key(tracker)
    events = _milestones(tracker, key)
    eta = eta_event(data, tracker, key, events)
    return [*events, eta] if eta else events


def _milestones(tracker: dict, key: str) -> list[CanonicalEvent]:
    items = tracker.get("events")
    items = [] if items is None else items
    if not isinstance(items, list):
        raise PayloadError("data.events must be a list")
    info = tracker.get("info") if isinstance(tracker.get("info"), dict) else {}
    signed_by = _text(info.get("signed_by"))
    document = _image_url(tracker.get("signature_image_url")) or _image_url(
        tracker.get("delivery_image_url"))
    events = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise PayloadError(f"data.events[{index}] must be an object")
        status = item.get("status") or (tracker.get("status") if index == 0 else None)
        if status is None or status in IGNORED_STATUSES:
            continue
        if not isinstance(status, str):
            raise PayloadError(f"data.events[{index}].status must be a string")
        occurred = event_time(item, index)
        pod = status == "delivered" and (signed_by or document)
        events.append(CanonicalEvent(
            event_id=_event_id(key, item),
            code=status,
            detail=_text(item.get("reason")),
            occurred_at=occurred,
            shipment_external_id=_text(tracker.get("id")),
            tracking_number=_text(tracker.get("tracking_number")),
            carrier=_text(tracker.get("carrier_name")),
            location=_text(item.get("location")),
            pod_signed_by=signed_by if pod else None,
            pod_received_at=occurred if pod else None,
            pod_document_url=document if pod else None,
            raw=item,
        ))
    return events


@adapters.register
class KarrioAdapter(adapters.InboundAdapter):
    """Karrio tracker webhooks (inbound only). The secret is the one karrio shows for
    its webhook (whsec_…), pasted on the backend."""

    key = "karrio"
    label = "Karrio tracker webhooks"

    def verify(self, headers, body, secrets, now=None):
        verify(headers, body, secrets)
        return None

    def message_id(self, headers, body, signed_id):
        return message_id(body)

    def parse(self, body):
        return parse(body)

    def default_status_map(self):
        return dict(STATUS_MAP)
