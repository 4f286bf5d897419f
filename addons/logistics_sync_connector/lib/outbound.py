# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Outbound HTTP: SSRF guard, auth headers, one delivery attempt, backoff.

``send`` never raises for HTTP or network trouble: it classifies the outcome as
``ok`` (2xx), ``retry`` (408, 429, 5xx, timeouts, connection errors) or ``fail``
(other statuses, unsafe URLs), so the caller decides what to persist.
"""

from __future__ import annotations

import base64
import ipaddress
import math
import random
import socket
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests

RETRY_STATUSES = {408, 425, 429}


class UnsafeURLError(ValueError):
    pass


@dataclass
class SendResult:
    outcome: str  # "ok" | "retry" | "fail"
    status_code: int | None = None
    retry_after: float | None = None
    reason: str | None = None
    response_body: str = ""
    elapsed: float = 0.0


def _unsafe(ip) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified or not ip.is_global)


def check_url(url: str, allow_private: bool = False, resolver=socket.getaddrinfo) -> None:
    """Refuse non-HTTP(S) URLs and hosts resolving to non-public addresses."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURLError(f"not an http(s) URL: {url!r}")
    if allow_private:
        return
    host = parts.hostname
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = resolver(host, parts.port or (443 if parts.scheme == "https" else 80),
                             proto=socket.IPPROTO_TCP)
        except OSError as exc:
            raise UnsafeURLError(f"cannot resolve {host}: {exc}") from exc
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for address in addresses:
        if _unsafe(address):
            raise UnsafeURLError(f"{host} resolves to non-public address {address}")


def parse_retry_after(value, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date. None
    when absent or unusable (infinite, not a number, negative, neither a number nor a
    date): the caller falls back to its backoff."""
    if value is None or value == "":
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = None  # not seconds: an HTTP date
    if seconds is not None:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def backoff_delay(attempt: int, base: float = 5, cap: float = 3600, retry_after=None,
                  rng=random.random) -> float:
    """Exponential backoff with jitter: in [d/2, d] for d = min(cap, base·2^(attempt-1)),
    never below ``retry_after`` up to the cap (a server may not park a message for ever)."""
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    delay = ceiling / 2 + rng() * ceiling / 2
    if retry_after:
        delay = max(delay, min(float(retry_after), cap))
    return delay


def build_auth_headers(auth_type: str, api_key_header: str | None = None, secret: str | None = None,
                       username: str | None = None, password: str | None = None) -> dict:
    if auth_type == "api_key" and secret:
        return {api_key_header or "X-API-Key": secret}
    if auth_type == "bearer" and secret:
        return {"Authorization": f"Bearer {secret}"}
    if auth_type == "basic" and username:
        token = base64.b64encode(f"{username}:{password or ''}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    return {}


def send(method: str, url: str, body: bytes, headers: dict, timeout, allow_private: bool = False,
         session=None) -> SendResult:
    start = time.monotonic()
    try:
        check_url(url, allow_private=allow_private)
    except UnsafeURLError as exc:
        return SendResult("fail", reason=f"unsafe URL refused: {exc}")
    http = session or requests
    try:
        response = http.request(method, url, data=body, headers=headers, timeout=timeout,
                                allow_redirects=False)
    except requests.Timeout as exc:
        return SendResult("retry", reason=f"timeout: {exc}", elapsed=time.monotonic() - start)
    except requests.RequestException as exc:
        return SendResult("retry", reason=f"connection error: {exc}",
                          elapsed=time.monotonic() - start)
    status = response.status_code
    text = (response.text or "")[:2000]
    elapsed = time.monotonic() - start
    if 200 <= status < 300:
        return SendResult("ok", status, response_body=text, elapsed=elapsed)
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if status in RETRY_STATUSES or status >= 500:
        return SendResult("retry", status, retry_after, f"HTTP {status}", text, elapsed)
    return SendResult("fail", status, None, f"HTTP {status}: {text[:200]}", text, elapsed)
