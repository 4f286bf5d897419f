# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""AfterShip Tracking webhooks: ``{"event", "event_id", "msg": <Tracking>, "ts"}``.

Signature: the ``aftership-hmac-sha256`` header is the base64 HMAC-SHA256 of the raw
body, keyed with the account's webhook secret (AfterShip, "Webhook Signature").

Each checkpoint of the tracking becomes one canonical event: its code is the checkpoint's
``tag`` and its detail the ``subtag``, so the backend's status map is looked up with
``tag:subtag`` first, then ``tag``. Checkpoints keep their own time and location;
``signed_by`` is the proof of delivery of the ``Delivered`` checkpoints. AfterShip resends
the whole history with every update: a checkpoint's event id is its ``hash`` (API
2026-07) or is derived from the tracking id and the checkpoint itself, stable across
updates, and the milestone dedup does the rest.

The tracking's estimated delivery (:data:`EDD_FIELDS`), when it has one, becomes a
``shipment.updated`` event (ETA, carrier slug, service, carrier's tracking link) after
the milestones, for ``tracking_update`` and ``edd_revise`` deliveries (lib/tracking.py of
the connector). It is ordered by the tracking's ``updated_at``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timezone

from odoo.addons.logistics_sync_connector.lib import adapters, tracking
from odoo.addons.logistics_sync_connector.lib.events import (
    CanonicalEvent,
    PayloadError,
    check_event_id,
    parse_datetime,
    parse_json,
)
from odoo.addons.logistics_sync_connector.lib.signatures import SignatureError, header

HEADER = "aftership-hmac-sha256"
# Event codes whose msg is a tracking whose checkpoints are milestones; edd_revise (a new
# estimated delivery) carries no new checkpoint, only the ETA; tracking_pending_time nothing.
HANDLED = ("tracking_update",)
ETA_EVENTS = ("tracking_update", "edd_revise")
# "Pending": AfterShip has no information from the carrier yet, nothing happened.
IGNORED_TAGS = ("Pending",)

# AfterShip delivery status (tag) -> (canonical milestone, reason). "Expired" (no news
# for 30 days) is deliberately absent: such a message stays unmapped, for a person.
TAG_MAP = {
    "InfoReceived": ("created", None),
    "InTransit": ("in_transit", None),
    "OutForDelivery": ("out_for_delivery", None),
    "AvailableForPickup": ("available_for_pickup", None),
    "AttemptFail": ("delivery_failed", None),
    "Delivered": ("delivered", None),
    "Exception": ("exception", None),
}
# "tag:subtag" refinements (AfterShip delivery sub-statuses), looked up first.
SUBTAG_MAP = {
    "InTransit:InTransit_002": ("picked_up", None),  # acceptance scan at origin
    "Exception:Exception_002": ("exception", "address_issue"),  # customer moved
    "Exception:Exception_003": ("exception", "refused"),
    "Exception:Exception_004": ("exception", "delayed"),  # customs clearance
    "Exception:Exception_005": ("exception", "delayed"),  # external factors
    "Exception:Exception_007": ("exception", "address_issue"),
    "Exception:Exception_011": ("returned", None),  # returned to sender
    "Exception:Exception_012": ("exception", "damaged"),
    "Exception:Exception_013": ("exception", "lost"),
}


# ------------------------------------------------------------------ signature
def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify(headers, body: bytes, secrets) -> None:
    """Raise SignatureError unless ``aftership-hmac-sha256`` is the signature of ``body``
    with one of ``secrets`` (several during a rotation)."""
    value = header(headers, HEADER)
    if not value:
        raise SignatureError("missing_headers", f"{HEADER} header is required")
    secrets = list(secrets)
    if not secrets:
        raise SignatureError("no_secret", "no active secret for this backend")
    received = value.strip().encode()
    for secret in secrets:
        if hmac.compare_digest(sign(secret, body).encode(), received):
            return
    raise SignatureError("no_valid_signature")


# ------------------------------------------------------------------ payload
def _envelope(body: bytes) -> tuple[dict, dict]:
    data = parse_json(body)
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise PayloadError("not an AfterShip webhook (no event)")
    msg = data.get("msg")
    if not isinstance(msg, dict):
        raise PayloadError("AfterShip webhook without a msg object")
    return data, msg


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def tracking_key(msg: dict) -> str:
    """AfterShip's id of the tracking, else slug:tracking_number."""
    key = _text(msg.get("id"))
    if not key:
        number = _text(msg.get("tracking_number"))
        if not number:
            raise PayloadError("tracking without id or tracking_number")
        key = f"{_text(msg.get('slug')) or '?'}:{number}"
    return key


def message_id(body: bytes) -> str:
    """The delivery's ``event_id`` (a UUID, API 2025-01 and later); older deliveries have
    none: the tracking id and a hash of the body (a retry of a delivery sends the same
    body, another update differs at least by its ``ts``)."""
    data, msg = _envelope(body)
    event_id = data.get("event_id")
    if event_id is not None:
        return check_event_id(event_id, "AfterShip event_id")
    digest = hashlib.sha256(body).hexdigest()[:32]
    return check_event_id(f"{tracking_key(msg)}:{digest}", "AfterShip tracking id")


# Where a tracking's estimated delivery is, best first: AfterShip's own choice among the
# carrier's, its AI's and the account's custom estimate (API 2024-04 and later), the
# legacy field (earlier versions), then each estimate on its own.
EDD_FIELDS = ("latest_estimated_delivery", "expected_delivery", "courier_estimated_delivery_date",
              "custom_estimated_delivery_date", "aftership_estimated_delivery_date")
# In an estimate object: its date/time, else the end of its range (not late before it).
EDD_KEYS = ("datetime", "estimated_delivery_date", "datetime_max", "estimated_delivery_date_max")


def expected_delivery(msg: dict) -> str | None:
    """The estimated delivery AfterShip gives for a tracking (a date or a date/time, as
    AfterShip sends it), or None."""
    for field in EDD_FIELDS:
        value = msg.get(field)
        if isinstance(value, dict):
            value = next((value[k] for k in EDD_KEYS if _text(value.get(k))), None)
        if _text(value):
            return value
    return None


def _updated_at(data: dict, msg: dict, milestones) -> datetime | None:
    """When AfterShip last updated the tracking: its ``updated_at``, else the delivery's
    ``ts``, else the newest checkpoint."""
    moment = tracking.provider_datetime(msg.get("updated_at"))
    if moment is None and type(data.get("ts")) is int and 0 < data["ts"] < 253402300799:
        moment = datetime.fromtimestamp(data["ts"], timezone.utc).replace(tzinfo=None)
    return moment or max((e.occurred_at for e in milestones), default=None)


def eta_event(data: dict, msg: dict, key: str, milestones):
    """The shipment.updated event of a tracking with an estimated delivery, or None."""
    return tracking.eta_event(
        key, _updated_at(data, msg, milestones), tracking.provider_datetime(expected_delivery(msg)),
        external_id=_text(msg.get("id")), tracking_number=_text(msg.get("tracking_number")),
        carrier=_text(msg.get("slug")), service=_text(msg.get("shipment_type")),
        tracking_url=_text(msg.get("courier_tracking_link")))


def checkpoint_time(value) -> datetime:
    """A checkpoint time as naive UTC. AfterShip gives the carrier's local time, with its
    offset in recent API versions; a time without an offset is taken as UTC."""
    try:
        return parse_datetime(value)
    except PayloadError:
        if not isinstance(value, str):
            raise
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise PayloadError(f"invalid checkpoint_time {value!r}") from exc
    if parsed.tzinfo is not None:  # parse_datetime refused it for another reason
        raise PayloadError(f"invalid checkpoint_time {value!r}")
    return parsed


def _location(checkpoint: dict) -> str | None:
    text = _text(checkpoint.get("location"))
    if text:
        return text
    parts = [checkpoint.get(k) for k in ("city", "state", "zip")]
    parts.append(checkpoint.get("country_region") or checkpoint.get("country_iso3")
                 or checkpoint.get("country_name"))
    return ", ".join(str(p) for p in parts if isinstance(p, str) and p) or None


def _checkpoint_id(key, checkpoint: dict) -> str:
    own = _text(checkpoint.get("hash"))
    if own:
        return f"{key}:{own}"
    parts = "|".join(str(checkpoint.get(k) or "") for k in (
        "checkpoint_time", "tag", "subtag", "message", "location"))
    return f"{key}:{hashlib.sha1(parts.encode()).hexdigest()[:20]}"


def parse(body: bytes) -> list:
    """The tracking's checkpoints as milestones, then its estimated delivery as a
    shipment.updated event when it has one (last: the indexes of the milestones of a
    message stay those they had before ETAs were read)."""
    data, msg = _envelope(body)
    if data["event"] not in ETA_EVENTS:
        return []
    key = tracking_key(msg)
    events = _milestones(msg, key) if data["event"] in HANDLED else []
    eta = eta_event(data, msg, key, events)
    return [*events, eta] if eta else events


def _milestones(msg: dict, key: str) -> list[CanonicalEvent]:
    checkpoints = msg.get("checkpoints")
    checkpoints = [] if checkpoints is None else checkpoints
    if not isinstance(checkpoints, list):
        raise PayloadError("msg.checkpoints must be a list")
    signed_by = _text(msg.get("signed_by"))
    events = []
    for index, checkpoint in enumerate(checkpoints):
        if not isinstance(checkpoint, dict):
            raise PayloadError(f"msg.checkpoints[{index}] must be an object")
        tag = checkpoint.get("tag")
        if not isinstance(tag, str) or not tag:
            raise PayloadError(f"msg.checkpoints[{index}].tag is required")
        if tag in IGNORED_TAGS:
            continue
        occurred = checkpoint_time(checkpoint.get("checkpoint_time"))
        pod = tag == "Delivered" and signed_by
        events.append(CanonicalEvent(
            event_id=_checkpoint_id(key, checkpoint),
            code=tag,
            detail=_text(checkpoint.get("subtag")),
            occurred_at=occurred,
            shipment_external_id=_text(msg.get("id")),
            tracking_number=_text(msg.get("tracking_number")),
            carrier=_text(checkpoint.get("slug")) or _text(msg.get("slug")),
            location=_location(checkpoint),
            pod_signed_by=signed_by if pod else None,
            pod_received_at=occurred if pod else None,
            raw=checkpoint,
        ))
    return events


# ------------------------------------------------------------------ polling
# AfterShip Tracking API, version 2026-07: authenticated by the ``as-api-key`` header;
# a tracking is read by its AfterShip id. The v4 ``GET /trackings/<slug>/<number>`` is
# gone from the dated versions: without an id, the list is filtered by tracking number
# (and slug).
API = "https://api.aftership.com/tracking/2026-07"
API_KEY_HEADER = "as-api-key"


def tracking_delivery(tracking: dict) -> bytes:
    """A read tracking as the ``tracking_update`` webhook would deliver it, under an id
    made of the tracking's id and its ``updated_at`` (the same while it does not change)."""
    key = _text(tracking.get("id")) or f"{_text(tracking.get('slug')) or '?'}:{tracking.get('tracking_number')}"
    delivery = {
        "event": "tracking_update",
        "event_id": adapters.pull_event_id("pull", key, tracking.get("updated_at"), tracking),
        "msg": tracking,
    }
    return json.dumps(delivery, sort_keys=True, separators=(",", ":")).encode()


def _data(answer):
    """The ``data`` of AfterShip's ``{"meta", "data"}`` envelope."""
    return answer.get("data") if isinstance(answer, dict) else None


def _one_tracking(data):
    """``GET /trackings/<id>``: the tracking is ``data`` (``data.tracking`` in v4)."""
    if isinstance(data, dict) and isinstance(data.get("tracking"), dict):
        return data["tracking"]
    return data if isinstance(data, dict) and data.get("tracking_number") else None


def _listed_tracking(data, number, slug):
    trackings = data.get("trackings") if isinstance(data, dict) else None
    mine = [t for t in trackings or () if isinstance(t, dict) and t.get("tracking_number") == number
            and (not slug or t.get("slug") == slug)]
    if len({t.get("slug") for t in mine}) > 1:
        return None  # the same number at two carriers: a carrier cross-reference decides
    return max(mine, key=lambda t: str(t.get("created_at") or ""), default=None)


def pull_tracking(settings, reference, client=None) -> adapters.PullResult:
    """``GET /trackings/<id>`` (the binding's external id is AfterShip's tracking id),
    else ``GET /trackings?tracking_numbers=…&slug=…`` (the slug is the backend's code of
    the shipment's carrier)."""
    base = (settings.base_url or API).rstrip("/")
    headers = {API_KEY_HEADER: settings.secret or ""}
    url = adapters.pull_url(base, "trackings", reference, "tracking_numbers", "slug")
    if not url:
        return adapters.PullResult("skipped", reason="no AfterShip tracking id or tracking number")
    result = adapters.pull_get(settings, url, headers, client)
    if result.outcome != "ok":
        return adapters.PullResult.of(result)
    data = _data(adapters.answer_json(result))
    tracking = (_one_tracking(data) if reference.external_id
                else _listed_tracking(data, reference.tracking_number, reference.carrier))
    if not tracking:
        what = ("an answer that is not a tracking" if reference.external_id
                else "no single tracking of that number")
        return adapters.PullResult("fail", status_code=result.status_code,
                                   reason=f"AfterShip gave {what}")
    return adapters.PullResult.of(result, [tracking_delivery(tracking)])


@adapters.register
class AfterShipAdapter(adapters.InboundAdapter):
    """AfterShip Tracking webhooks (inbound only). The webhook secret is the one of
    AfterShip's Settings > Webhooks, pasted on the backend."""

    key = "aftership"
    label = "AfterShip tracking webhooks"

    def verify(self, headers, body, secrets, now=None):
        verify(headers, body, secrets)
        return None

    def message_id(self, headers, body, signed_id):
        return message_id(body)

    def parse(self, body):
        return parse(body)

    def default_status_map(self):
        return {**TAG_MAP, **SUBTAG_MAP}

    def pull(self, settings, reference, client=None):
        return pull_tracking(settings, reference, client)
