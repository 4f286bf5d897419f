# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""EasyPost tracker webhooks: Event objects (tracker.created / tracker.updated).

Each TrackingDetail of the Tracker becomes one canonical event whose external
code is the EasyPost ``status`` and whose detail is the ``status_detail``; the
backend's status map is looked up with ``status:status_detail`` first, then
``status``. EasyPost resends the whole history with every update, so a detail's
event id is derived from the tracker id and the detail itself (stable across
updates), and the milestone dedup does the rest. ``signed_by`` is the POD.
The Tracker's ``est_delivery_date``, when it has one, becomes a ``shipment.updated``
event (ETA, carrier, service, EasyPost's public tracking page) after the milestones
(lib/tracking.py of the connector).

Signatures: ``X-Hmac-Signature: hmac-sha256-hex=<hex HMAC-SHA256 of the raw body>``,
keyed with the NFKD-normalised webhook secret, as EasyPost documents it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from collections.abc import Iterable, Mapping

from odoo.addons.logistics_sync_connector.lib import adapters, events, outbound, tracking
from odoo.addons.logistics_sync_connector.lib.events import (
    CanonicalEvent,
    PayloadError,
    parse_datetime,
    parse_json,
)
from odoo.addons.logistics_sync_connector.lib.signatures import SignatureError, header

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


def parse_easypost(body: bytes) -> tuple[str, list]:
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
    eta = eta_event(data, tracker, tracker_id or tracking_code, events)
    return event_id, [*events, eta] if eta else events


def eta_event(data: dict, tracker: dict, key, milestones):
    """The shipment.updated event of a Tracker with an ``est_delivery_date``, or None;
    ordered by the Tracker's ``updated_at``, else the Event's, else its newest detail."""
    detail = tracker.get("carrier_detail") if isinstance(tracker.get("carrier_detail"), dict) else {}
    updated = (tracking.provider_datetime(tracker.get("updated_at"))
               or tracking.provider_datetime(data.get("updated_at"))
               or max((e.occurred_at for e in milestones), default=None))
    return tracking.eta_event(
        str(key), updated, tracking.provider_datetime(tracker.get("est_delivery_date")),
        external_id=_str(tracker.get("id")), tracking_number=_str(tracker.get("tracking_code")),
        carrier=_str(tracker.get("carrier")), service=_str(detail.get("service")),
        tracking_url=_str(tracker.get("public_url")))


def _str(value) -> str | None:
    return value if isinstance(value, str) and value else None


# ---------------------------------------------------------------- signatures
EASYPOST_HEADER = "X-Hmac-Signature"
EASYPOST_PREFIX = "hmac-sha256-hex="


def _easypost_key(secret: str) -> bytes:
    return unicodedata.normalize("NFKD", secret).encode()


def sign_easypost(secret: str, body: bytes) -> str:
    return EASYPOST_PREFIX + hmac.new(_easypost_key(secret), body, hashlib.sha256).hexdigest()


def verify_easypost(headers: Mapping, body: bytes, secrets: Iterable[str]) -> None:
    value = header(headers, EASYPOST_HEADER)
    if not value:
        raise SignatureError("missing_headers", f"{EASYPOST_HEADER} header is required")
    secrets = list(secrets)
    if not secrets:
        raise SignatureError("no_secret", "no active secret for this backend")
    received = value.strip().encode()
    for secret in secrets:
        if hmac.compare_digest(sign_easypost(secret, body).encode(), received):
            return
    raise SignatureError("no_valid_signature")


# ---------------------------------------------------------------- polling
EASYPOST_API = "https://api.easypost.com/v2"


def tracker_event(tracker: dict) -> bytes:
    """A retrieved Tracker as the ``tracker.updated`` Event its webhook would deliver,
    under an id made of the tracker's id and its ``updated_at`` (the same while the
    tracker does not change)."""
    key = tracker.get("id") or tracker.get("tracking_code") or "?"
    event = {
        "object": "Event",
        "id": adapters.pull_event_id("pull", str(key), tracker.get("updated_at"), tracker),
        "description": "tracker.updated",
        "result": tracker,
    }
    return json.dumps(event, sort_keys=True, separators=(",", ":")).encode()


def _latest_tracker(answer, tracking_code):
    """The most recent tracker of ``tracking_code`` in a ``GET /trackers`` answer."""
    trackers = answer.get("trackers") if isinstance(answer, dict) else None
    mine = [t for t in trackers or () if isinstance(t, dict) and t.get("object") == "Tracker"
            and t.get("tracking_code") == tracking_code]
    return max(mine, key=lambda t: str(t.get("created_at") or ""), default=None)


def pull_tracker(settings, reference, client=None) -> adapters.PullResult:
    """``GET /trackers/<id>`` (the binding's external id is the tracker id), else
    ``GET /trackers?tracking_code=…&carrier=…`` (its latest tracker); basic
    authentication with the API key as the user name."""
    base = (settings.base_url or EASYPOST_API).rstrip("/")
    key = settings.secret or settings.username or ""
    headers = outbound.build_auth_headers("basic", username=key, password="")
    url = adapters.pull_url(base, "trackers", reference, "tracking_code", "carrier")
    if not url:
        return adapters.PullResult("skipped", reason="no EasyPost tracker id or tracking number")
    result = adapters.pull_get(settings, url, headers, client)
    if result.outcome != "ok":
        return adapters.PullResult.of(result)
    answer = adapters.answer_json(result)
    tracker = answer if reference.external_id else _latest_tracker(answer, reference.tracking_number)
    if not isinstance(tracker, dict) or tracker.get("object") != "Tracker":
        what = "no tracker of it" if reference.tracking_number and not reference.external_id \
            else "an answer that is not a Tracker"
        return adapters.PullResult("fail", status_code=result.status_code,
                                   reason=f"EasyPost gave {what}")
    return adapters.PullResult.of(result, [tracker_event(tracker)])


# ---------------------------------------------------------------- adapter
@adapters.register
class EasyPostAdapter(adapters.InboundAdapter):
    """EasyPost tracker webhooks (tracker.created / tracker.updated Event objects)."""

    key = "easypost"
    label = "EasyPost tracker webhooks"
    kept_headers = ("x-easypost-event-id",)

    def verify(self, headers, body, secrets, now=None):
        verify_easypost(headers, body, secrets)
        return None

    def message_id(self, headers, body, signed_id):
        data = parse_json(body)
        event_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(event_id, str) or not event_id:
            raise PayloadError("EasyPost Event without an id")
        return events.check_event_id(event_id, "EasyPost Event id")

    def parse(self, body):
        return parse_easypost(body)[1]

    def default_status_map(self):
        mapping = dict(EASYPOST_STATUS_MAP)
        mapping.update(EASYPOST_DETAIL_MAP)
        return {k: v for k, v in mapping.items() if v and v[0]}

    def pull(self, settings, reference, client=None):
        return pull_tracker(settings, reference, client)
