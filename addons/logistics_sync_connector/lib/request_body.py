# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""A webhook's body, read without trusting its size.

Werkzeug's ``get_data()`` reads a chunked body (no ``Content-Length``) whole, whatever
``max_content_length`` says, and so does its form parser. Here the body is read in pieces
of at most ``PIECE`` bytes and the reading stops one byte past the cap: however large the
body, memory holds at most the cap plus one piece.

What a request's body turned out to be is remembered on the request: the second caller
(the webhook controller after ``ir.http``, or Odoo's retry of the handler after a
serialization failure) gets the same answer. A body announced as a form is never parsed
as one (``no_form``): werkzeug would read the stream on its own, or answer its own HTML
400 for a multipart body it cannot parse (one not kept because it is too large).

After the answer is written, what the sender still sends is read and thrown away
(``drain``): otherwise closing the connection with unread bytes makes the kernel reset it,
and the sender, still busy sending, loses the answer (a 413, a 404) it should get.
"""

import logging
import time

from werkzeug.exceptions import ClientDisconnected

_logger = logging.getLogger(__name__)

PIECE = 65536
OK, TOO_LARGE, UNREADABLE = "ok", "too_large", "unreadable"
# After the answer: read and thrown away, at most this much for at most this long.
DRAIN_BYTES = 128 * 1024 * 1024  # Odoo's own request size limit
DRAIN_SECONDS = 10.0


def werkzeug_request(httprequest):
    """The werkzeug request behind odoo.http.HTTPRequest, which proxies a fixed list of
    its attributes (neither its stream nor its cached body among them)."""
    return getattr(httprequest, "_HTTPRequest__wrapped", httprequest)


def announced_too_large(httprequest, max_body):
    return (werkzeug_request(httprequest).content_length or 0) > max_body


def read(httprequest, max_body):
    """``(status, body)``: ``(OK, raw bytes)``; ``(TOO_LARGE, b"")`` as soon as more than
    ``max_body`` bytes are announced or read; ``(UNREADABLE, b"")`` when the sender went away
    or broke the chunked encoding mid-body."""
    wz = werkzeug_request(httprequest)
    known = getattr(wz, "_logistics_body", None)
    if known is None:
        known = _read(wz, max_body)
        wz._logistics_body = known
        wz._cached_data = known[1]  # werkzeug's own cache: get_data() answers from it
    return known


def no_form(httprequest):
    """Give the request an empty form and no files without parsing its body: a webhook's
    body is raw bytes for the controller, whatever its Content-Type says."""
    wz = werkzeug_request(httprequest)
    wz.__dict__.setdefault("form", wz.parameter_storage_class())
    wz.__dict__.setdefault("files", wz.parameter_storage_class())


def mark_too_large(httprequest):
    """Remember the body as too large without reading it (announced by Content-Length)."""
    wz = werkzeug_request(httprequest)
    wz._logistics_body = (TOO_LARGE, b"")
    wz._cached_data = b""


def _read(wz, max_body):
    cached = getattr(wz, "_cached_data", None)
    if cached is not None:  # read by someone else before
        return (OK, cached) if len(cached) <= max_body else (TOO_LARGE, b"")
    if (wz.content_length or 0) > max_body:
        return TOO_LARGE, b""
    stream = wz.stream
    pieces, size = [], 0
    try:
        while size <= max_body:
            piece = stream.read(min(PIECE, max_body + 1 - size))
            if not piece:
                break
            pieces.append(piece)
            size += len(piece)
    except (ClientDisconnected, OSError, ValueError):
        return UNREADABLE, b""
    if size > max_body:
        return TOO_LARGE, b""
    return OK, b"".join(pieces)


def drain_after(response, httprequest):
    """Once ``response`` is written, read and throw away what is left of the body."""
    wz = werkzeug_request(httprequest)
    response.call_on_close(lambda: drain(wz))
    return response


def drain(wz, max_bytes=DRAIN_BYTES, seconds=DRAIN_SECONDS):
    """Read what the sender still sends, in pieces, keeping nothing: at most ``max_bytes``
    and ``seconds`` (then the connection is closed, reset if need be). Returns the number
    of bytes read."""
    if getattr(wz, "_logistics_drained", False):
        return 0
    wz._logistics_drained = True
    sock = wz.environ.get("socket")  # set by Odoo's request handler
    deadline = time.monotonic() + seconds
    total = 0
    try:
        stream = wz.stream
        while total < max_bytes:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if sock is not None:
                sock.settimeout(remaining)  # the connection is closed after this request
            piece = stream.read(PIECE)
            if not piece:
                break
            total += len(piece)
    except (ClientDisconnected, OSError, ValueError) as exc:
        _logger.debug("webhook body drained after %s bytes: %r", total, exc)
    return total
