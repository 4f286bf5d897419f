# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The canonical event (generic adapter): JSON Schema validation and parsing."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

from . import event_types

ENVELOPE_SCHEMA_PATH = Path(__file__).parent / "schemas" / "shipment_event.schema.json"
MAX_EVENTS = 500
MAX_EVENT_ID = 255  # characters of a delivery's dedup id (webhook-id, EasyPost Event id)
MAX_KEY_BYTES = 1024  # UTF-8 bytes of identifiers that are indexed (PostgreSQL btree limit ~2.7 KB)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Only a \u escape can put NUL or a lone surrogate in a string parsed from UTF-8 JSON.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


class PayloadError(ValueError):
    """A payload that cannot be processed as it is (stored as an invalid message)."""


def check_text(value, what) -> str:
    """A string PostgreSQL can store: no NUL, no unpaired surrogate."""
    if "\x00" in value:
        raise PayloadError(f"{what} contains NUL (\\u0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise PayloadError(f"{what} contains an unpaired surrogate") from exc
    return value


def storable_text(body: bytes) -> str:
    """A body as PostgreSQL text, which cannot hold NUL (only possible in a malformed
    body: JSON has no raw NUL): shown as U+FFFD, like invalid UTF-8."""
    return body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def check_event_id(value, what="event id") -> str:
    """The dedup id of a delivery: 1 to 255 characters, no control character."""
    if not isinstance(value, str) or not value:
        raise PayloadError(f"{what} is missing")
    if len(value) > MAX_EVENT_ID:
        raise PayloadError(f"{what} is longer than {MAX_EVENT_ID} characters")
    if _CONTROL.search(value):
        raise PayloadError(f"{what} contains a control character")
    return check_text(value, what)


def is_event_id(value) -> bool:
    try:
        check_event_id(value)
    except PayloadError:
        return False
    return True


@dataclass(frozen=True)
class CanonicalEvent:
    event_id: str
    code: str  # the status code as the external system sent it
    occurred_at: datetime  # naive UTC
    shipment_reference: str | None = None
    shipment_external_id: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    location: str | None = None
    reason: str | None = None
    detail: str | None = None
    pod_signed_by: str | None = None
    pod_received_at: datetime | None = None
    pod_document_url: str | None = None
    schema_version: str = "1"
    deprecated: bool = False  # sent in a deprecated major version of its type
    raw: dict = field(default_factory=dict, compare=False, repr=False)
    type = event_types.MILESTONE  # not a field: every milestone event is of this type

    def __post_init__(self):
        # Whatever an adapter extracted must be storable and hashable: a wrong type here
        # would otherwise fail the whole inbox batch, not just this message.
        for name in ("event_id", "code"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise PayloadError(f"{name}: a non-empty string is required")
        for name in _EVENT_TEXT_FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, str):
                raise PayloadError(f"{name}: a string is expected, got {type(value).__name__}")
            check_text(value, name)
            if (name in _EVENT_KEY_FIELDS and len(value) > MAX_KEY_BYTES // 4
                    and len(value.encode("utf-8")) > MAX_KEY_BYTES):
                raise PayloadError(f"{name} is longer than {MAX_KEY_BYTES} bytes")
        if not isinstance(self.occurred_at, datetime):
            raise PayloadError("occurred_at: a date/time is required")
        if self.pod_received_at is not None and not isinstance(self.pod_received_at, datetime):
            raise PayloadError("pod_received_at: a date/time is expected")


_EVENT_TEXT_FIELDS = ("event_id", "code", "shipment_reference", "shipment_external_id", "carrier",
                      "tracking_number", "location", "reason", "detail", "pod_signed_by", "pod_document_url")
_EVENT_KEY_FIELDS = ("event_id", "code", "shipment_reference", "shipment_external_id", "tracking_number")


@dataclass(frozen=True)
class TypedEvent:
    """An inbound event of a type other than ``shipment.milestone``, validated by its
    schema: ``data`` is the event as sent, ``times`` its dates parsed (naive UTC, by
    JSON path such as ``dates.estimated_delivery``); what matching needs is lifted out."""

    type: str
    event_id: str
    occurred_at: datetime  # naive UTC: when it happened at the sender (shipped_at, ...)
    schema_version: str = "1"
    deprecated: bool = False
    shipment_reference: str | None = None  # shipment.updated: which shipment
    shipment_external_id: str | None = None
    tracking_number: str | None = None
    order_reference: str | None = None  # fulfillment.*: which order release
    order_release: str | None = None
    order_external_id: str | None = None
    times: dict = field(default_factory=dict, compare=False, repr=False)
    data: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        for name in _TYPED_KEY_FIELDS:
            value = getattr(self, name)
            if (isinstance(value, str) and len(value) > MAX_KEY_BYTES // 4
                    and len(value.encode("utf-8")) > MAX_KEY_BYTES):
                raise PayloadError(f"{name} is longer than {MAX_KEY_BYTES} bytes")


_TYPED_KEY_FIELDS = ("shipment_reference", "shipment_external_id", "tracking_number",
                     "order_reference", "order_release", "order_external_id")
# The dates of each type, parsed once (an unreadable one makes the message invalid).
_TIMES = {
    event_types.SHIPMENT_UPDATED: ("occurred_at", "dates.promised_delivery",
                                   "dates.estimated_delivery", "dates.planned_pickup"),
    event_types.FULFILLMENT_ACKNOWLEDGED: ("occurred_at", "expected_ship_at"),
    event_types.FULFILLMENT_REJECTED: ("occurred_at",),
    event_types.FULFILLMENT_SHIPPED: ("shipped_at",),
}


def typed_event(data: dict, type_, deprecated=False) -> TypedEvent:
    """A validated event of another type than milestone -> TypedEvent."""
    times = {}
    for path in _TIMES[type_]:
        value = data
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            times[path] = parse_datetime(value)
    shipment = data.get("shipment") or {}
    order = data.get("order") or {}
    return TypedEvent(
        type=type_, event_id=data["id"], occurred_at=times.get("occurred_at") or times["shipped_at"],
        schema_version=data["schema_version"], deprecated=deprecated,
        shipment_reference=shipment.get("reference") or None,
        shipment_external_id=shipment.get("external_id") or None,
        tracking_number=shipment.get("tracking_number") or None,
        order_reference=order.get("reference"), order_release=order.get("release") or None,
        order_external_id=order.get("external_id") or None,
        times=times, data=data,
    )


def _check_strings(data):
    """Every string (keys too) of parsed JSON is storable; iterative, any depth."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            check_text(item, "a string of the body")
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def parse_json(body: bytes):
    """UTF-8 JSON whose strings PostgreSQL can store (PayloadError otherwise)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PayloadError(f"body is not UTF-8: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise PayloadError(f"body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except ValueError as exc:  # e.g. an integer beyond Python's 4,300-digit conversion limit
        raise PayloadError(f"body holds a value that cannot be read: {str(exc)[:200]}") from exc
    except RecursionError as exc:
        raise PayloadError("body is nested too deeply") from exc
    if _SUSPECT_ESCAPE.search(body):
        _check_strings(data)
    return data


def parse_datetime(value) -> datetime:
    """RFC 3339 with a time zone -> naive UTC datetime."""
    if not isinstance(value, str):
        raise PayloadError(f"date/time expected, got {type(value).__name__}")
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise PayloadError(f"invalid date/time {value!r}") from exc
    if parsed.tzinfo is None:
        raise PayloadError(f"date/time without time zone {value!r}")
    try:
        return parsed.astimezone(timezone.utc).replace(tzinfo=None)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00:00+14:00
        raise PayloadError(f"date/time out of range {value!r}") from exc


def load_schema(type_=event_types.MILESTONE, major=1) -> dict:
    """The published schema of one event type and major version."""
    return json.loads(event_types.schema_path(type_, major).read_text())


def load_envelope_schema() -> dict:
    """The request schema: one event, or ``{"events": [...]}``, of any type (each
    event is validated by the schema of its type and version)."""
    return json.loads(ENVELOPE_SCHEMA_PATH.read_text())


def _inline_refs(node, defs):
    """Replace local ``{"$ref": "#/$defs/x"}`` by their definitions (the published
    schemas have no recursion): resolving references at validation time is costly on
    the inbox hot path (docs/performance.md)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and len(node) == 1:
            return _inline_refs(defs[ref[len("#/$defs/"):]], defs)
        return {k: _inline_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


def _event_schema(type_, major) -> dict:
    schema = load_schema(type_, major)
    inlined = _inline_refs(schema, schema.get("$defs", {}))
    inlined.pop("$schema", None)
    inlined.pop("$id", None)
    return inlined


@cache
def _event_validator(type_=event_types.MILESTONE, major=1):
    """The reference validator of one event type and major version (inlined): it
    words the error of an invalid event."""
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(load_schema(type_, major))
    return jsonschema.Draft202012Validator(_event_schema(type_, major))


@cache
def _event_check(type_=event_types.MILESTONE, major=1):
    """A compiled validator of one event type and major version: the hot path of the
    inbox job.

    The event schemas use only keywords that draft-07 and 2020-12 define alike
    (type, const, enum, required, properties, items, anyOf, pattern, min/max...), so
    fastjsonschema compiles them to plain Python, an order of magnitude faster than
    jsonschema on the inbox hot path (docs/performance.md).
    An invalid event is worded by :func:`_event_validator`; a test checks that both
    always agree.
    """
    import fastjsonschema

    schema = dict(_event_schema(type_, major), **{"$schema": "http://json-schema.org/draft-07/schema#"})
    return fastjsonschema.compile(schema)


def _version_of(item):
    """``(type, major, deprecated)`` of an event; PayloadError when its type or version
    is not accepted."""
    try:
        type_ = item["type"]
        return (type_, *event_types.resolve(type_, item.get("schema_version")))
    except KeyError:
        raise PayloadError("'type' is a required property") from None
    except (ValueError, TypeError) as exc:  # TypeError: an unhashable type
        raise PayloadError(str(exc)) from None


def event_is_valid(item) -> bool:
    from fastjsonschema import JsonSchemaValueException

    try:
        type_, major, _deprecated = _version_of(item) if isinstance(item, dict) else (None, 0, 0)
        if type_ is None:
            return False
        _event_check(type_, major)(item)
    except (JsonSchemaValueException, PayloadError):
        return False
    return True


def _items(data):
    """``[(JSON path, event)]`` of a request: one event, or a batch ``{"events": [...]}``
    (an object with ``events`` whose ``type`` is not an event type)."""
    if isinstance(data, dict) and "events" in data and data.get("type") not in event_types.VERSIONS:
        if not isinstance(data["events"], list):
            raise PayloadError("$.events: an array of events is expected")
        if len(data["events"]) > MAX_EVENTS:
            raise PayloadError(f"at most {MAX_EVENTS} events per request")
        if not data["events"]:
            raise PayloadError("$.events: at least one event is required")
        return [(f"$.events[{i}]", e) for i, e in enumerate(data["events"])]
    return [("$", data)]


def validate(data) -> list:
    """``[(event, type, major, deprecated)]`` of a request; PayloadError naming the
    first event that its type's schema refuses."""
    from fastjsonschema import JsonSchemaValueException

    out = []
    for path, item in _items(data):
        if not isinstance(item, dict):
            raise PayloadError(f"{path}: an object is expected, got {type(item).__name__}")
        try:
            type_, major, deprecated = _version_of(item)
        except PayloadError as exc:
            raise PayloadError(f"{path}: {exc}") from None
        try:
            _event_check(type_, major)(item)
        except JsonSchemaValueException:
            from jsonschema.exceptions import best_match

            error = best_match(_event_validator(type_, major).iter_errors(item))
            if error is not None:  # else the validators disagree: trust the reference one
                where = path + "".join(
                    f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
                raise PayloadError(f"{where}: {error.message}") from None
        out.append((item, type_, major, deprecated))
    return out


def _event(data: dict, major=1, deprecated=False) -> CanonicalEvent:
    shipment = data["shipment"]
    milestone = data["milestone"]
    pod = data.get("pod") or {}
    return CanonicalEvent(
        event_id=data["id"],
        code=milestone["code"],
        occurred_at=parse_datetime(milestone["occurred_at"]),
        shipment_reference=shipment.get("reference"),
        shipment_external_id=shipment.get("external_id"),
        carrier=shipment.get("carrier"),
        tracking_number=shipment.get("tracking_number"),
        location=milestone.get("location"),
        reason=milestone.get("reason"),
        detail=milestone.get("detail"),
        pod_signed_by=pod.get("signed_by"),
        pod_received_at=parse_datetime(pod["received_at"]) if pod.get("received_at") else None,
        pod_document_url=pod.get("document_url"),
        schema_version=str(major) if "schema_version" not in data else data["schema_version"],
        deprecated=deprecated,
        raw=data,
    )


def parse_generic(body: bytes) -> tuple[str | None, list]:
    """Body -> (envelope id or None, events: CanonicalEvent for milestones, TypedEvent
    for the other types). Raises PayloadError."""
    data = parse_json(body)
    items = validate(data)
    parsed = [_event(item, major, deprecated) if type_ == event_types.MILESTONE
              else typed_event(item, type_, deprecated) for item, type_, major, deprecated in items]
    envelope = data.get("id") if items[0][0] is not data else data["id"]
    return envelope, parsed
