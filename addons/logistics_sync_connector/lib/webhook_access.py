# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Who may post to a backend's webhook at all, checked before its body is read: the
source address against the backend's IP allowlist, and the secret token of the URL
form ``/logistics/webhook/<code>/<token>``. Plain Python, no ORM."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,128}")
# A token in a webhook path, as logged: masked in log records (see TokenMaskFilter).
TOKEN_PATH_RE = re.compile(r"(/logistics/webhook/[^/\s?\"]+/)[^/\s?\"]+")
MASK = "***"


def parse_allowlist(text) -> tuple:
    """The networks of an allowlist: CIDRs or addresses, one per line or separated by
    commas or spaces; empty: any address. ValueError names the first bad entry."""
    networks = []
    for entry in re.split(r"[\s,]+", text or ""):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(entry) from None
    return tuple(networks)


def address_allowed(networks, address) -> bool:
    """Whether ``address`` (the client address Odoo determined: with proxy_mode behind a
    proxy that sends X-Forwarded-Host, the last X-Forwarded-For entry) is in one of
    ``networks``; always, when there are none. An unparsable address never is."""
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # ::ffff:192.0.2.1 is 192.0.2.1
    # None: an entry that does not parse (the backend was written around its constraint)
    return any(net is not None and ip.version == net.version and ip in net for net in networks)


def url_token_fault(token, required, tokens):
    """None when the URL token (None: the plain URL form) is acceptable, else the audit
    reason: ``missing_url_token`` or ``invalid_url_token``. A token given is always
    checked, required or not; every active token is compared, in constant time."""
    if token is None:
        return "missing_url_token" if required else None
    if not TOKEN_RE.fullmatch(token):
        return "invalid_url_token"
    matched = False
    for candidate in tokens:
        matched |= hmac.compare_digest(token.encode(), candidate.encode())
    return None if matched else "invalid_url_token"


def mask_path(text: str) -> str:
    """``text`` with the token of any webhook URL path replaced by ***."""
    return TOKEN_PATH_RE.sub(r"\1" + MASK, text)


class TokenMaskFilter(logging.Filter):
    """Masks webhook URL tokens in the request lines werkzeug logs (``"POST /path
    HTTP/1.1" 202 -``) and in any other record of the logger it is added to."""

    def filter(self, record):
        if isinstance(record.msg, str) and "/logistics/webhook/" in record.msg:
            record.msg = mask_path(record.msg)
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(
                mask_path(arg) if isinstance(arg, str) and "/logistics/webhook/" in arg else arg
                for arg in record.args)
        return True


def install_log_filter(logger_name="werkzeug"):
    """Add the token mask to ``logger_name`` once per process."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, TokenMaskFilter) for f in logger.filters):
        logger.addFilter(TokenMaskFilter())
