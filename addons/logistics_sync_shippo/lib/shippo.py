# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Shippo ``track_updated`` webhooks: ``{"event": "track_updated", "test": …, "data": <Track>}``.

Authentication: Shippo's documented options are an IP allowlist, a self-generated token
in the webhook URL, and an HMAC signature that Shippo's team sets up per account. A
delivery is authentic with a valid ``Shippo-Auth-Signature`` (``t=<unix time>,v1=<hex
HMAC-SHA256 of "<t>.<raw body>">``, keyed with the secret Shippo gave, stored as the
backend's webhook secret) or, without that header, with an active URL token of the
backend (checked by the connector before the adapter is asked). A signature present is
always checked, token or not.

Each entry of the track's ``tracking_history`` (and ``tracking_status`` when the history
does not hold it yet) becomes a canonical event whose code is Shippo's ``status`` and
whose detail is the ``substatus.code``: the status map is looked up with
``status:substatus`` first, then ``status``. Shippo names every tracking status with an
``object_id``, which is the event id (stable across updates); the delivery's id is the
track and the ``object_id`` of its current status.

The track's ``eta``, when it has one, becomes a ``shipment.updated`` event (ETA,
carrier, service level) after the milestones (lib/tracking.py of the connector).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from odoo.addons.logistics_sync_connector.lib import adapters, tracking
from odoo.addons.logistics_sync_connector.lib.events import (
    CanonicalEvent,
    PayloadError,
    check_event_id,
    parse_datetime,
    parse_json,
)
from odoo.addons.logistics_sync_connector.lib.signatures import (
    DEFAULT_TOLERANCE,
    SignatureError,
    header,
)

HANDLED = ("track_updated",)
IGNORED_STATUSES = ("UNKNOWN",)

# Shippo tracking status -> (canonical milestone, reason)
STATUS_MAP = {
    "PRE_TRANSIT": ("created", None),
    "TRANSIT": ("in_transit", None),
    "DELIVERED": ("delivered", None),
    "RETURNED": ("returned", None),
    "FAILURE": ("delivery_failed", None),
}
# "status:substatus" refinements (Shippo's tracking substatus codes), looked up first.
SUBSTATUS_MAP = {
    "TRANSIT:package_accepted": ("picked_up", None),
    "TRANSIT:out_for_delivery": ("out_for_delivery", None),
    "TRANSIT:pickup_available": ("available_for_pickup", None),
    "TRANSIT:package_held": ("on_hold", None),
    "TRANSIT:delayed": ("exception", "delayed"),
    "TRANSIT:address_issue": ("exception", "address_issue"),
    "TRANSIT:package_damaged": ("exception", "damaged"),
    "TRANSIT:delivery_attempted": ("delivery_failed", None),
    "FAILURE:address_issue": ("exception", "address_issue"),
    "FAILURE:package_damaged": ("exception", "damaged"),
    "FAILURE:package_lost": ("exception", "lost"),
}


# ------------------------------------------------------------------ payload
def _envelope(body: bytes) -> tuple[str, dict]:
    data = parse_json(body)
    if not isinstance(data, dict) or not isinstance(data.get("event"), str) or not data["event"]:
        raise PayloadError("not a Shippo webhook (no event)")
    track = data.get("data")
    if not isinstance(track, dict):
        raise PayloadError("Shippo webhook without a data object")
    return data["event"], track


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def track_key(track: dict) -> str:
    number = _text(track.get("tracking_number"))
    if not number:
        raise PayloadError("track without tracking_number")
    return f"{_text(track.get('carrier')) or '?'}:{number}"


def message_id(body: bytes) -> str:
    """The track and the ``object_id`` of its current tracking status: a retry, or
    Shippo's resending of a status it already sent (its tracking webhooks are not
    idempotent), is a duplicate. Without them: a hash of the body."""
    event, track = _envelope(body)
    status = track.get("tracking_status")
    object_id = _text(status.get("object_id")) if isinstance(status, dict) else None
    number = _text(track.get("tracking_number"))
    if event in HANDLED and object_id and number:
        return check_event_id(f"{track_key(track)}:{object_id}", "Shippo tracking status id")
    return check_event_id(f"{event}:{hashlib.sha256(body).hexdigest()[:32]}", "Shippo delivery")


def _location(loc) -> str | None:
    if not isinstance(loc, dict):
        return None
    parts = [loc.get(k) for k in ("city", "state", "zip", "country")]
    return ", ".join(str(p) for p in parts if isinstance(p, str) and p) or None


def _status_id(key, status: dict) -> str:
    object_id = _text(status.get("object_id"))
    if object_id:
        return f"{key}:{object_id}"
    parts = "|".join(str(status.get(k) or "") for k in ("status_date", "status", "status_details"))
    return f"{key}:{hashlib.sha1(parts.encode()).hexdigest()[:20]}"


def _statuses(track: dict) -> list:
    history = track.get("tracking_history")
    history = [] if history is None else history
    if not isinstance(history, list):
        raise PayloadError("data.tracking_history must be a list")
    current = track.get("tracking_status")
    if current is not None and not isinstance(current, dict):
        raise PayloadError("data.tracking_status must be an object")
    # The current status is usually the history's last entry, under another object_id.
    seen = {(str(h.get("status")), str(h.get("status_date"))) for h in history if isinstance(h, dict)}
    if current and (str(current.get("status")), str(current.get("status_date"))) not in seen:
        history = [*history, current]
    return history


def eta_event(track: dict, key: str, milestones):
    """The shipment.updated event of a track with an ``eta``, or None; ordered by the
    update of its current status, else that status's date, else its newest milestone."""
    status = track.get("tracking_status") if isinstance(track.get("tracking_status"), dict) else {}
    level = track.get("servicelevel") if isinstance(track.get("servicelevel"), dict) else {}
    updated = (tracking.provider_datetime(status.get("object_updated"))
               or tracking.provider_datetime(status.get("status_date"))
               or max((e.occurred_at for e in milestones), default=None))
    return tracking.eta_event(
        key, updated, tracking.provider_datetime(track.get("eta")), external_id=key,
        tracking_number=_text(track.get("tracking_number")), carrier=_text(track.get("carrier")),
        service=_text(level.get("name")))


def parse(body: bytes) -> list:
    """The track's statuses as milestones, then its ``eta`` as a shipment.updated event
    when it has one (last: the indexes of the milestones of a message stay those they
    had before ETAs were read)."""
    event, track = _envelope(body)
    if event not in HANDLED:
        return []
    key = track_key(track)
    events = _milestones(track, key)
    eta = eta_event(track, key, events)
    return [*events, eta] if eta else events


def _milestones(track: dict, key: str) -> list[CanonicalEvent]:
    events = []
    for index, status in enumerate(_statuses(track)):
        if not isinstance(status, dict):
            raise PayloadError(f"data.tracking_history[{index}] must be an object")
        code = status.get("status")
        if not isinstance(code, str) or not code:
            raise PayloadError(f"data.tracking_history[{index}].status is required")
        if code in IGNORED_STATUSES:
            continue
        substatus = status.get("substatus")
        events.append(CanonicalEvent(
            event_id=_status_id(key, status),
            code=code,
            detail=_text(substatus.get("code")) if isinstance(substatus, dict) else None,
            occurred_at=parse_datetime(status.get("status_date")),
            shipment_external_id=key,
            tracking_number=_text(track.get("tracking_number")),
            carrier=_text(track.get("carrier")),
            location=_location(status.get("location")),
            raw=status,
        ))
    return events


# ------------------------------------------------------------------ signature
SIGNATURE_HEADER = "Shippo-Auth-Signature"


def _signature_fields(value: str) -> tuple[str, list[str]]:
    """``t=<unix time>,v1=<hex>[,v1=<hex>…]`` -> (t, [v1, …])."""
    timestamp, signatures = None, []
    for part in value.split(","):
        key, sep, item = part.strip().partition("=")
        if not sep or not item:
            raise SignatureError("malformed_signature", f"{SIGNATURE_HEADER}: '{part.strip()}'")
        if key == "t":
            if timestamp is not None:
                raise SignatureError("malformed_signature", f"{SIGNATURE_HEADER}: two t= fields")
            timestamp = item
        elif key == "v1":
            signatures.append(item.lower())
    if not timestamp or not timestamp.isascii() or not timestamp.isdigit() or not signatures:
        raise SignatureError("malformed_signature", f"{SIGNATURE_HEADER} needs t= and v1=")
    return timestamp, signatures


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``v1`` signature of ``body`` at ``timestamp`` (hex HMAC-SHA256 of "t.body")."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify_signature(headers, body: bytes, secrets, now=None,
                     tolerance: int = DEFAULT_TOLERANCE) -> None:
    """Check the ``Shippo-Auth-Signature`` header against each active secret, in constant
    time; its time must be within ``tolerance`` seconds of now (a replayed capture)."""
    value = header(headers, SIGNATURE_HEADER)
    if not value:
        raise SignatureError("missing_signature", f"no {SIGNATURE_HEADER} header")
    timestamp, given = _signature_fields(value)
    if not secrets:
        raise SignatureError("no_secret", "the backend has no active webhook secret")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > tolerance:
        raise SignatureError("timestamp_out_of_tolerance",
                             f"{SIGNATURE_HEADER} time {timestamp} is too far from now")
    matched = False
    for secret in secrets:
        expected = sign(secret, timestamp, body)
        for candidate in given:
            matched |= hmac.compare_digest(expected.encode(), candidate.encode())
    if not matched:
        raise SignatureError("invalid_signature", f"{SIGNATURE_HEADER} does not match")


@adapters.register
class ShippoAdapter(adapters.InboundAdapter):
    """Shippo track_updated webhooks (inbound only), authenticated by Shippo's HMAC
    signature where the account has it, else by the backend's URL token."""

    key = "shippo"
    label = "Shippo tracking webhooks"

    def verify(self, headers, body, secrets, now=None):
        verify_signature(headers, body, secrets, now=now)

    def authenticate(self, headers, body, secrets, url_token=False):
        if url_token and not header(headers, SIGNATURE_HEADER):
            return None  # Shippo's self-generated token: the connector checked it
        return self.verify(headers, body, secrets)

    def message_id(self, headers, body, signed_id):
        return message_id(body)

    def parse(self, body):
        return parse(body)

    def default_status_map(self):
        return {**STATUS_MAP, **SUBSTATUS_MAP}
