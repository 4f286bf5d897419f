# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Webhook signature schemes: Standard Webhooks v1 (provider schemes live in their addons).

Everything compares in constant time and works on the raw request bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping

DEFAULT_TOLERANCE = 300  # seconds, as the Standard Webhooks reference libraries


class SignatureError(Exception):
    """The request is not authentic. ``reason`` is short and machine-readable."""

    def __init__(self, reason: str, message: str | None = None):
        super().__init__(message or reason)
        self.reason = reason


def header(headers: Mapping, name: str) -> str | None:
    """Case-insensitive header lookup on any mapping (werkzeug Headers, dict…)."""
    value = headers.get(name)
    if value is None:
        lname = name.lower()
        for key, val in headers.items():
            if key.lower() == lname:
                return val
    return value


# ---------------------------------------------------------------- Standard Webhooks
def decode_secret(secret: str) -> bytes:
    """``whsec_<base64>`` -> key bytes; any other string is used as UTF-8 bytes."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_"):], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SignatureError("bad_secret", "webhook secret is not valid base64") from exc
    return secret.encode()


def sign_standard(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(decode_secret(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def standard_headers(secret: str | Iterable[str], msg_id: str, body: bytes,
                     timestamp: int | None = None) -> dict:
    """Standard Webhooks headers, with one signature per secret (space-separated, as the
    scheme allows: a receiver still on the previous secret verifies during a rotation)."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    secrets = [secret] if isinstance(secret, str) else list(secret)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign_standard(s, msg_id, timestamp, body) for s in secrets),
    }


def verify_standard(headers: Mapping, body: bytes, secrets: Iterable[str], now: float | None = None,
                    tolerance: int = DEFAULT_TOLERANCE) -> str:
    """Verify a Standard Webhooks v1 delivery; returns its ``webhook-id``."""
    msg_id = header(headers, "webhook-id")
    timestamp = header(headers, "webhook-timestamp")
    signature_header = header(headers, "webhook-signature")
    if not msg_id or not timestamp or not signature_header:
        raise SignatureError("missing_headers", "webhook-id, webhook-timestamp and "
                             "webhook-signature headers are required")
    try:
        ts = int(timestamp)
    except ValueError as exc:
        raise SignatureError("bad_timestamp") from exc
    now = time.time() if now is None else now
    if ts < now - tolerance:
        raise SignatureError("timestamp_too_old")
    if ts > now + tolerance:
        raise SignatureError("timestamp_too_new")
    secrets = list(secrets)
    if not secrets:
        raise SignatureError("no_secret", "no active secret for this backend")
    candidates = []
    for part in signature_header.split(" "):
        version, _sep, value = part.partition(",")
        if version == "v1" and value:
            candidates.append(value.encode())
    for secret in secrets:
        try:
            expected = sign_standard(secret, msg_id, ts, body).split(",", 1)[1].encode()
        except SignatureError:
            continue
        for candidate in candidates:
            if hmac.compare_digest(expected, candidate):
                return msg_id
    raise SignatureError("no_valid_signature")
