# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Adapters: how one kind of external system signs, shapes and receives payloads.

Plain Python (no ORM): an adapter verifies a webhook, names its dedup id, parses
it into canonical events and renders outbound payloads. To add one, write a provider
addon: subclass :class:`Adapter`, decorate it with :func:`register`, and add its key to
the backend's ``adapter`` selection with ``selection_add`` and
its :func:`ondelete` (docs/adapters.md)::

    adapter = fields.Selection(selection_add=[("<key>", "<Label>")],
                               ondelete=adapters.ondelete("<key>"))
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from . import events, outbound, signatures, trace

_REGISTRY: dict[str, type[Adapter]] = {}
PULL_MAX_BYTES = 1 << 20  # of a pulled answer: a tracker with its whole history


def register(cls):
    _REGISTRY[cls.key] = cls
    return cls


def get(key) -> Adapter:
    try:
        return _REGISTRY[key]()
    except KeyError:
        raise KeyError(f"no logistics adapter {key!r}") from None


def selection():
    return [(key, cls.label) for key, cls in _REGISTRY.items()]


def _keep_backends(backends):
    backends._adapter_uninstalled()  # models/logistics_backend_webhook.py


def ondelete(*keys):
    """The ``ondelete`` of a provider addon's ``selection_add`` on the backend's
    ``adapter``: when the addon is uninstalled, its backends are kept (never deleted:
    their messages, bindings and audit rows would go with them), switched to the
    generic adapter and paused, with a note in their chatter."""
    return dict.fromkeys(keys, _keep_backends)


@dataclass(frozen=True)
class OutboundSettings:
    base_url: str
    auth_type: str = "none"
    api_key_header: str | None = None
    username: str | None = None
    secret: str | None = None
    signing_secrets: tuple = ()  # newest first; all sign during a rotation's grace period
    timeout: tuple = (5.0, 30.0)
    deadline: float = outbound.DEFAULT_DEADLINE
    allow_private: bool = False
    allow_plain_http: bool = False


@dataclass(frozen=True)
class PullReference:
    """What a poll knows of one shipment to name it at the provider: the backend's own
    id of it (its binding's external id), its tracking number, and the backend's code
    of its carrier (a carrier cross-reference, else the carrier's name)."""

    shipment: str  # our reference, for messages and logs
    external_id: str | None = None
    tracking_number: str | None = None
    carrier: str | None = None


@dataclass
class PullResult:
    """A poll's outcome: ``ok`` with the answer as webhook-shaped bodies (each goes
    through ``message_id`` / ``parse`` like a delivery), ``retry`` (429, 5xx, network:
    counts against the circuit), ``fail`` (refused, not found, unreadable), or
    ``skipped`` when the reference cannot name the object (no request was made)."""

    outcome: str
    payloads: list = field(default_factory=list)
    status_code: int | None = None
    retry_after: float | None = None
    reason: str | None = None

    @classmethod
    def of(cls, result: outbound.SendResult, payloads=()):
        return cls(result.outcome, list(payloads), result.status_code, result.retry_after,
                   result.reason)


def pull_event_id(prefix: str, object_id: str, updated_at, answer) -> str:
    """The dedup id of a pulled answer: the provider's object id and its own update time
    when it gives one (an unchanged answer keeps it), else a hash of the answer."""
    if isinstance(updated_at, str) and updated_at:
        return f"{prefix}:{object_id}:{updated_at}"
    digest = hashlib.sha256(json.dumps(answer, sort_keys=True, default=str).encode()).hexdigest()
    return f"{prefix}:{object_id}:{digest[:32]}"


def pull_url(base: str, collection: str, reference: PullReference, number_key: str,
             carrier_key: str) -> str | None:
    """``<base>/<collection>/<external id>`` when the shipment's binding names the
    provider's object, else ``<base>/<collection>?<number_key>=<tracking number>`` (and
    ``<carrier_key>=<carrier>`` when known): the two ways a tracking API is asked; None
    when the reference names nothing."""
    if reference.external_id:
        return f"{base}/{collection}/{quote(reference.external_id, safe='')}"
    if not reference.tracking_number:
        return None
    query = {number_key: reference.tracking_number}
    if reference.carrier:
        query[carrier_key] = reference.carrier
    return f"{base}/{collection}?{urlencode(query)}"


def pull_get(settings: OutboundSettings, url: str, headers: dict,
             client: outbound.Client | None = None) -> outbound.SendResult:
    """One GET of a poll, under the outbound guards (SSRF, timeouts, deadline)."""
    return (client or outbound).send(
        "GET", url, b"", {"Accept": "application/json", **headers},
        timeout=settings.timeout, deadline=settings.deadline,
        allow_private=settings.allow_private, allow_plain_http=settings.allow_plain_http,
        max_bytes=PULL_MAX_BYTES)


def answer_json(result: outbound.SendResult):
    """The JSON of a successful answer, or None when it is cut or not JSON."""
    if result.truncated:
        return None
    try:
        return json.loads(result.content or b"")
    except ValueError:
        return None


class Adapter:
    key = "base"
    label = "Base"
    #: outbound flows this adapter can send
    outbound_flows: tuple = ()
    #: request headers (lowercase) kept with an inbound message besides the generic ones
    kept_headers: tuple = ()

    # -- inbound -----------------------------------------------------------
    def new_secret(self) -> str:
        raise NotImplementedError

    def verify(self, headers, body: bytes, secrets, now=None) -> str | None:
        """Raise signatures.SignatureError, or return the id the signature covers."""
        raise NotImplementedError

    def authenticate(self, headers, body: bytes, secrets, url_token=False) -> str | None:
        """What the webhook controller asks: ``verify``. ``url_token`` tells that the
        delivery came with an active URL token of its backend (checked before); an
        adapter whose provider may authenticate by that token alone overrides this."""
        return self.verify(headers, body, secrets)

    def message_id(self, headers, body: bytes, signed_id: str | None) -> str:
        """The provider's id of this delivery, for deduplication (PayloadError if none or
        unusable: see events.check_event_id)."""
        raise NotImplementedError

    def parse(self, body: bytes) -> list[events.CanonicalEvent]:
        raise NotImplementedError

    def default_status_map(self) -> dict:
        return {}

    def default_flows(self, backend_type) -> list[dict]:
        return [{"flow": "inbound_milestones"}]

    # -- outbound ----------------------------------------------------------
    def new_signing_secret(self) -> str:
        """A secret to sign outbound requests with (Standard Webhooks, whatever the
        adapter's inbound scheme)."""
        import base64
        import secrets as pysecrets

        return "whsec_" + base64.b64encode(pysecrets.token_bytes(32)).decode()

    def render(self, event_type: str, idempotency_key: str, data: dict) -> dict:
        return {"type": event_type, "id": idempotency_key, "data": data}

    def url(self, settings: OutboundSettings, event_type: str) -> str:
        return settings.base_url

    def headers(self, settings: OutboundSettings, idempotency_key: str, body: bytes,
                traceparent=None, message_ids=()) -> dict:
        headers = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key}
        headers.update(trace.headers(traceparent, message_ids))
        headers.update(
            outbound.build_auth_headers(
                settings.auth_type,
                api_key_header=settings.api_key_header,
                secret=settings.secret,
                username=settings.username,
                password=settings.secret,
            )
        )
        if settings.signing_secrets:
            headers.update(
                signatures.standard_headers(settings.signing_secrets, idempotency_key, body)
            )
        return headers

    def send(self, settings: OutboundSettings, event_type, idempotency_key,
             payload: dict, traceparent=None, message_ids=(),
             client: outbound.Client | None = None) -> outbound.SendResult:
        """POST ``payload``, over ``client``'s kept-alive connections when given (a
        batch); ``traceparent`` and ``message_ids`` (the messages it delivers) go in the
        trace headers (lib/trace.py)."""
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()
        return (client or outbound).send(
            "POST",
            self.url(settings, event_type),
            body,
            self.headers(settings, idempotency_key, body, traceparent, message_ids),
            timeout=settings.timeout,
            deadline=settings.deadline,
            allow_private=settings.allow_private,
            allow_plain_http=settings.allow_plain_http,
        )

    def test_connection(self, settings: OutboundSettings) -> outbound.SendResult:
        return self.send(settings, "ping", "ping", {"type": "ping"})

    # -- polling -----------------------------------------------------------
    @classmethod
    def supports_pull(cls) -> bool:
        return cls.pull is not Adapter.pull

    def pull(self, settings: OutboundSettings, reference: PullReference,
             client: outbound.Client | None = None) -> PullResult:
        """Ask the provider for the current state of one shipment (polling, for systems
        without webhooks or after an outage): one GET through ``client`` (the outbound
        guards, timeouts and deadline apply), the answer returned as bodies shaped as
        this adapter's webhook delivers them, each with a ``message_id`` that stays the
        same while the answer does not change (``pull_event_id``). Not supported by
        default (docs/adapters.md)."""
        raise NotImplementedError(f"adapter {self.key!r} cannot pull")


class InboundAdapter(Adapter):
    """The base of an adapter of a system that only posts webhooks (a tracking provider):
    nothing is sent to it, and its webhook secret is the provider's, pasted by an admin
    (a random placeholder until then)."""

    def new_secret(self):
        import secrets as pysecrets

        return pysecrets.token_urlsafe(32)

    def send(self, *args, **kwargs):
        raise NotImplementedError(f"{self.label}: inbound only, nothing is sent")

    def test_connection(self, settings):
        return outbound.SendResult("fail", None, None, f"{self.label}: inbound only", "", 0.0)


@register
class GenericAdapter(Adapter):
    """Canonical JSON events signed with the Standard Webhooks v1 scheme."""

    key = "generic"
    label = "Generic (canonical JSON, Standard Webhooks)"
    outbound_flows = ("outbound_fulfillment", "outbound_shipment", "outbound_finance")

    def new_secret(self):
        return self.new_signing_secret()

    def verify(self, headers, body, secrets, now=None):
        return signatures.verify_standard(headers, body, secrets, now=now)

    def message_id(self, headers, body, signed_id):
        # Standard Webhooks: webhook-id is the idempotency key of the delivery.
        events.parse_json(body)  # malformed bodies are rejected before storage
        return events.check_event_id(signed_id, "webhook-id")

    def parse(self, body):
        return events.parse_generic(body)[1]

    def default_status_map(self):
        return {}

    def default_flows(self, backend_type):
        flows = [{"flow": "inbound_milestones"}]
        if backend_type == "wms":
            flows.append({"flow": "outbound_fulfillment"})
        if backend_type == "tms":
            flows.append({"flow": "outbound_shipment"})
        if backend_type == "finance":
            flows.append({"flow": "outbound_finance", "mode": "batch"})
        return flows
