# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Outbound HTTP: SSRF guard, auth headers, one delivery attempt, backoff.

``send`` never raises for HTTP or network trouble: it classifies the outcome as
``ok`` (2xx), ``retry`` (408, 429, 5xx, timeouts, connection errors, the deadline)
or ``fail`` (other statuses, unsafe URLs), so the caller decides what to persist.

The receiving systems are not ours: the request goes to the address the SSRF guard
checked (never to a second lookup of the name), at most ``MAX_RESPONSE_BYTES`` of the
answer are read, and the whole request ends within its deadline.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import math
import os
import random
import socket
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection

from .deadline import Deadline, Sockets, Watchdog

RETRY_STATUSES = {408, 425, 429}
MAX_RESPONSE_BYTES = 64 * 1024  # of an answer, kept for diagnosis; the rest is not read
CHUNK_BYTES = 8192
DEFAULT_DEADLINE = 60.0  # seconds for a whole request: connect, send, headers, body


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
    truncated: bool = False  # the answer was longer than MAX_RESPONSE_BYTES, or cut
    content: bytes = b""  # the bytes read of a 2xx answer (a poll reads its JSON)


def _unsafe(ip) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified or not ip.is_global)


def check_url(url: str, allow_private: bool = False, resolver=None,
              allow_plain_http: bool = False) -> list[str]:
    """The addresses ``url``'s host resolves to, all checked: refuse non-HTTP(S) URLs,
    plain ``http://`` unless allowed (``allow_private`` allows it too: a test setup),
    and hosts resolving to non-public addresses unless ``allow_private``."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURLError(f"not an http(s) URL: {url!r}")
    if parts.scheme == "http" and not (allow_plain_http or allow_private):
        raise UnsafeURLError(
            f"plain http:// refused (credentials and payloads would travel in clear): {url!r}; "
            "use https://, or flag the backend to allow plain HTTP for testing")
    host = parts.hostname
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise UnsafeURLError(f"bad port in {url!r}") from exc
        try:
            infos = (resolver or socket.getaddrinfo)(host, port, proto=socket.IPPROTO_TCP)
        except OSError as exc:
            raise UnsafeURLError(f"cannot resolve {host}: {exc}") from exc
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise UnsafeURLError(f"{host} resolves to no address")
    if not allow_private:
        for address in addresses:
            if _unsafe(address):
                raise UnsafeURLError(f"{host} resolves to non-public address {address}")
    return [str(address) for address in addresses]


class _Watched:
    """A connection whose socket its request's deadline watches (for TLS, the raw socket
    under the TLS one: shutting it down ends the TLS reads too)."""

    def __init__(self, *args, deadline=None, **kwargs):
        self._deadline = deadline
        super().__init__(*args, **kwargs)

    def _new_conn(self):
        sock = super()._new_conn()
        if self._deadline is not None:
            self._deadline.watch(sock)
        return sock


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


# ------------------------------------------------------------------ pinned address
class _PinnedPoolManager(urllib3.PoolManager):
    """Pools that connect to the checked address: the name is not resolved again (a
    name that flips to 127.0.0.1 after the check changes nothing), while TLS still
    sends it (SNI) and verifies the certificate against it."""

    def __init__(self, *args, hostname=None, address=None, deadline=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._hostname, self._address, self._deadline = hostname, address, deadline

    def _new_pool(self, scheme, host, port, request_context=None):
        context = dict(self.connection_pool_kw if request_context is None else request_context)
        if scheme == "https":
            context.update(server_hostname=self._hostname, assert_hostname=self._hostname)
        pool = super()._new_pool(scheme, self._address, port, context)
        pool.ConnectionCls = _WatchedHTTPSConnection if scheme == "https" else _WatchedHTTPConnection
        pool.conn_kw["deadline"] = self._deadline
        return pool


class PinnedAdapter(HTTPAdapter):
    """A transport adapter for one request to ``hostname``, connecting to ``address``."""

    def __init__(self, hostname, address, deadline=None, **kwargs):
        self._pin = {"hostname": hostname, "address": address, "deadline": deadline}
        super().__init__(**kwargs)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        self._pool_connections, self._pool_maxsize, self._pool_block = connections, maxsize, block
        self.poolmanager = _PinnedPoolManager(num_pools=connections, maxsize=maxsize,
                                              block=block, **self._pin, **pool_kwargs)


def _host_header(parts) -> str:
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    default = 443 if parts.scheme == "https" else 80
    return f"{host}:{parts.port}" if parts.port and parts.port != default else host


def _pinned_session(hostname, address, deadline) -> requests.Session:
    session = requests.Session()
    # No proxy or .netrc from the environment: the request goes to the checked address.
    session.trust_env = False
    adapter = PinnedAdapter(hostname, address, deadline)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _read_capped(response, limit, max_bytes=MAX_RESPONSE_BYTES) -> tuple[bytes, bool]:
    """At most ``max_bytes`` of the body (undecoded: a compressed answer is not
    inflated), and whether there was more or the read was cut short."""
    chunks, size, cut = [], 0, False
    try:
        for chunk in response.raw.stream(CHUNK_BYTES, decode_content=False):
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                cut = True
                break
    except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError):
        cut = True  # reset, or shut down at the deadline: keep what arrived
    finally:
        response.close()
    # A socket shut down at the deadline may read as a clean end of the answer.
    return b"".join(chunks)[:max_bytes], cut or limit.expired


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


class Client:
    """Requests over kept-alive connections: one pinned session per checked address (and
    scheme, host, port, certificate check), so that a batch of deliveries to one receiver
    reuses its connection. Every request is checked (and its name resolved) again, goes
    to the address just checked, and ends at its own deadline. Not thread-safe: one
    client per job."""

    def __init__(self, watchdog=True):
        self._sessions = {}
        # Without: a timer thread per request (a single request: one thread either way).
        self._watchdog = Watchdog() if watchdog else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        for session, _sockets in self._sessions.values():
            session.close()
        self._sessions.clear()
        if self._watchdog is not None:
            self._watchdog.stop()

    def _session(self, parts, address, verify):
        key = (parts.scheme, parts.hostname, parts.port, address, verify)
        if key not in self._sessions:
            sockets = Sockets()
            self._sessions[key] = (_pinned_session(parts.hostname, address, sockets), sockets)
        return self._sessions[key]

    def send(self, method: str, url: str, body: bytes, headers: dict, timeout,
             allow_private: bool = False, allow_plain_http: bool = False,
             deadline: float = DEFAULT_DEADLINE, verify=True, resolver=None,
             max_bytes: int = MAX_RESPONSE_BYTES) -> SendResult:
        """One request, to the first address the guard checked, ended at ``deadline``
        seconds whatever the server does; at most ``max_bytes`` of the answer are read."""
        start = time.monotonic()
        try:
            address = check_url(url, allow_private=allow_private, resolver=resolver,
                                allow_plain_http=allow_plain_http)[0]
        except UnsafeURLError as exc:
            return SendResult("fail", reason=f"unsafe URL refused: {exc}")
        parts = urlsplit(url)
        connect, read = timeout if isinstance(timeout, tuple | list) else (timeout, timeout)
        headers = {**headers, "Host": _host_header(parts), "Accept-Encoding": "identity"}
        if verify is True:  # trust_env is off (see _pinned_session): still honour a CA bundle set there
            verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        deadline = max(float(deadline or DEFAULT_DEADLINE), 0.1)  # a zero or negative setting
        limit = Deadline(deadline, self._watchdog)
        session, sockets = self._session(parts, address, verify)
        sockets.begin(limit)
        try:
            with limit:
                try:
                    response = session.request(
                        method, url, data=body, headers=headers, allow_redirects=False,
                        stream=True, timeout=(min(connect, deadline), min(read, deadline)),
                        verify=verify)
                except requests.RequestException as exc:
                    if limit.expired:
                        reason = f"deadline of {deadline:g} s exceeded"
                    elif isinstance(exc, requests.Timeout):
                        reason = f"timeout: {exc}"
                    else:
                        reason = f"connection error: {exc}"
                    return SendResult("retry", reason=reason, elapsed=time.monotonic() - start)
                if limit.expired:  # headers cut short can parse as a complete answer
                    response.close()
                    return SendResult("retry", reason=f"deadline of {deadline:g} s exceeded",
                                      elapsed=time.monotonic() - start)
                # Read whole, the connection goes back to the pool; cut, it is closed.
                data, truncated = _read_capped(response, limit, max_bytes)
        finally:
            sockets.end()
        status = response.status_code
        text = data.decode("utf-8", errors="replace")[:2000]
        elapsed = time.monotonic() - start
        if 200 <= status < 300:
            return SendResult("ok", status, response_body=text, elapsed=elapsed, truncated=truncated,
                              content=data)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status in RETRY_STATUSES or status >= 500:
            return SendResult("retry", status, retry_after, f"HTTP {status}", text, elapsed, truncated)
        return SendResult("fail", status, None, f"HTTP {status}: {text[:200]}", text, elapsed, truncated)


def send(method: str, url: str, body: bytes, headers: dict, timeout, allow_private: bool = False,
         allow_plain_http: bool = False, deadline: float = DEFAULT_DEADLINE, verify=True,
         resolver=None, max_bytes: int = MAX_RESPONSE_BYTES) -> SendResult:
    """One request on a connection of its own (see ``Client.send``)."""
    with Client(watchdog=False) as client:
        return client.send(method, url, body, headers, timeout, allow_private=allow_private,
                           allow_plain_http=allow_plain_http, deadline=deadline, verify=verify,
                           resolver=resolver, max_bytes=max_bytes)
