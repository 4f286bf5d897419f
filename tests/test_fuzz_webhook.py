"""Fuzzing the real webhook controller over HTTP: hypothesis against a running server.

Every generated request goes to ``POST /logistics/webhook/<code>`` on the session's
server (with its job runner). A small model of the README's inbound contract, written
from the README and the Standard Webhooks / EasyPost documentation rather than from the
addon's code, predicts each answer, and JSON-RPC (as admin) checks what it left behind:

* never a 5xx;
* 404 for an unknown code, 413 above the body cap (checked before the signature);
* 401 for every signature fault, with exactly one new *Rejected Webhooks* row of that
  backend carrying the same reason;
* 400 for an authentic delivery that is not JSON PostgreSQL can store or has no usable
  event id, with a quarantined message (state ``invalid``) whose id is returned;
* 202 for an authentic new delivery (a stored inbound message with the body's hash and
  the delivery's event id), 200 with the same id when the same event id comes again
  with the same body, 409 with that id and one *conflict* audit row with another body;
* a paused backend answers like the others, and its messages wait (stay pending).

Then the job runner must classify every accepted message: none stays pending, no
inbox job fails, and nothing that breaks the published JSON Schema is applied.
"""

import base64
import hashlib
import hmac
import itertools
import json
import os
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from .test_e2e_webhooks import wait_for

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parent.parent
SCHEMA = REPO / "addons/logistics_sync_connector/lib/schemas/shipment_event.schema.json"
GEN, EP, PAUSED = "fuzz-gen", "fuzz-ep", "fuzz-paused"
SECRET_A = "whsec_" + base64.b64encode(b"fuzz secret A, 32 bytes long....").decode()
SECRET_B = "whsec_" + base64.b64encode(bytes(range(32))).decode()
SECRET_EXPIRED = "whsec_" + base64.b64encode(b"E" * 32).decode()
SECRET_WRONG = "whsec_" + base64.b64encode(b"W" * 32).decode()
EP_SECRET, EP_EXPIRED, EP_WRONG = "fuzz-easypost-secret", "fuzz-easypost-old", "not-the-secret"
CAP = 262144  # default webhook body cap (README)
TOLERANCE = 300  # Standard Webhooks timestamp tolerance (README)
GEN_SHIPMENT, GEN_TRACKING = "FUZZ-SHP-1", "GENFUZZ0001"
EP_SHIPMENT, EP_TRACKING = "FUZZ-SHP-2", "EZFUZZ0001"
UNIQUE = "<unique event id>"  # replaced by a fresh id when the request is sent
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 200))  # more for a longer local run

# Header values as they survive HTTP/1.1 and Python's header parser: latin-1, no CR/LF,
# and none of the characters str.splitlines() breaks lines on (email.feedparser does).
HEADER_CHARS = st.characters(min_codepoint=0, max_codepoint=255,
                             blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85")


# ---------------------------------------------------------------- the model
def signature(secret, msg_id, timestamp, body):
    key = base64.b64decode(secret.removeprefix("whsec_"))
    return base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body,
                                     hashlib.sha256).digest()).decode()


def easypost_signature(secret, body):
    return "hmac-sha256-hex=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def storable(text):
    """A string PostgreSQL can store: no NUL, valid Unicode (no lone surrogate)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_body(body):
    """(True, data) for JSON in UTF-8 whose every string is storable, else (False, None)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False, None
    stack = [data]
    for _step in range(10**6):
        if not stack:
            return True, data
        item = stack.pop()
        if isinstance(item, str) and not storable(item):
            return False, None
        if isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    raise AssertionError("body too large for the model")


def usable_id(value):
    """Event ids: 1 to 255 characters, no control character, storable."""
    return (isinstance(value, str) and 0 < len(value) <= 255 and storable(value)
            and not any(ord(c) < 32 or ord(c) == 127 for c in value))


def standard_fault(headers, body, now):
    """The first Standard Webhooks check that fails (README order), or None."""
    msg_id, ts, sig = (headers.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not msg_id or not ts or not sig:
        return "missing_headers"
    try:
        ts = int(ts)
    except ValueError:
        return "bad_timestamp"
    if ts < now - TOLERANCE:
        return "timestamp_too_old"
    if ts > now + TOLERANCE:
        return "timestamp_too_new"
    valid = {"v1," + signature(secret, msg_id, ts, body) for secret in (SECRET_A, SECRET_B)}
    return None if valid & set(sig.split(" ")) else "no_valid_signature"


def easypost_fault(headers, body):
    value = headers.get("X-Hmac-Signature")
    if not value:
        return "missing_headers"
    return None if value.strip() == easypost_signature(EP_SECRET, body) else "no_valid_signature"


# ---------------------------------------------------------------- strategies
def junk():
    return st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(),
                     st.lists(st.integers(), max_size=3),
                     st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


def texts():
    """Strings a sender may well send."""
    return st.text(max_size=20) | st.sampled_from(["", " ", "😀", "Zürich", "\u202e", "a\tb", "1Z999AA1"])


def nasty():
    """What breaks things: wrong types, strings PostgreSQL cannot store, sizes around the
    schema's 1024-character limit in 1- to 4-byte characters, impossible date/times."""
    return st.one_of(
        junk(),
        st.sampled_from(["\x00", "a\x00b", "\ud800", "x\udfff"]),
        st.builds(lambda n, c: c * n, st.integers(1000, 1100), st.sampled_from(["a", "é", "漢", "😀"])),
        st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=900, max_size=1024),
        st.tuples(st.sampled_from(["0001-01-01T00:00:00", "9999-12-31T23:59:59", "2030-02-30T08:00:00",
                                   "2030-01-01 08:00:00.123456", "2030-01-01T25:61:00"]),
                  st.sampled_from(["Z", "+14:00", "-14:00", "+0530", "+99:99", ""])).map("".join),
    )


NOW = datetime.utcnow()


def datetimes():
    """Mostly plausible event times (the shipments are created by the test); some from
    1970 to 2100, which the inbox keeps unapplied (invalid)."""
    plausible = st.datetimes(min_value=NOW - timedelta(days=300), max_value=NOW + timedelta(hours=12))
    anything = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1))
    return st.one_of(plausible, plausible, plausible, anything).map(
        lambda d: d.isoformat(timespec="seconds") + "Z")


def mutate(draw, obj, paths):
    """Up to three times: drop a key or give it a nasty value."""
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(paths))
        parent = obj
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if not isinstance(parent, dict):
            continue
        if draw(st.integers(0, 3)) == 0:
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = draw(nasty())
    return obj


CANONICAL_PATHS = [("type",), ("id",), ("shipment",), ("milestone",), ("pod",), ("shipment", "reference"),
                   ("shipment", "external_id"), ("shipment", "tracking_number"), ("shipment", "carrier"),
                   ("milestone", "code"), ("milestone", "occurred_at"), ("milestone", "location"),
                   ("milestone", "reason"), ("milestone", "detail"), ("pod", "received_at"),
                   ("pod", "signed_by"), ("pod", "document_url"), ("events",)]


@st.composite
def canonical_events(draw):
    event = {
        "type": "shipment.milestone",
        "id": draw(texts().filter(bool)),
        "shipment": draw(st.fixed_dictionaries({"reference": st.sampled_from([GEN_SHIPMENT] * 3 + ["FUZZ-NOPE"])},
                                               optional={"external_id": st.sampled_from(["ext-1", "ext-2"]) | texts(),
                                                         "tracking_number": st.just(GEN_TRACKING) | texts(),
                                                         "carrier": texts()})),
        "milestone": draw(st.fixed_dictionaries(
            {"code": st.sampled_from(["picked_up", "in_transit", "delivered", "exception", "pod_received",
                                      "on_hold", "bogus"]),
             "occurred_at": datetimes()},
            optional={"location": texts(), "reason": st.sampled_from(["delayed", "nope", None]),
                      "detail": texts()})),
    }
    if draw(st.booleans()):
        event["pod"] = draw(st.none() | st.fixed_dictionaries({}, optional={
            "signed_by": texts(), "received_at": datetimes(), "document_url": texts()}))
    return mutate(draw, event, CANONICAL_PATHS)


EASYPOST_PATHS = [("id",), ("object",), ("description",), ("result",), ("result", "id"), ("result", "object"),
                  ("result", "tracking_code"), ("result", "tracking_details"), ("result", "signed_by"),
                  ("result", "carrier"), ("detail", "status"), ("detail", "datetime"), ("detail", "status_detail"),
                  ("detail", "message"), ("detail", "tracking_location"), ("location", "city"), ("location", "zip")]


@st.composite
def easypost_events(draw):
    details = draw(st.lists(st.fixed_dictionaries(
        {"object": st.just("TrackingDetail"),
         "status": st.sampled_from(["pre_transit", "in_transit", "delivered", "failure", "unknown", "bogus"]),
         "datetime": datetimes()},
        optional={"status_detail": st.sampled_from(["delayed", "held", "status_update", None]),
                  "message": texts(),
                  "tracking_location": st.fixed_dictionaries({"object": st.just("TrackingLocation")}, optional={
                      "city": texts(), "state": texts(), "zip": texts(), "country": texts()})}), max_size=4))
    event = {
        "object": "Event",
        "id": draw(st.sampled_from([UNIQUE] * 4 + ["evt_dup_1", "evt_dup_2"])),
        "description": draw(st.sampled_from(["tracker.created", "tracker.updated", "tracker.updated",
                                             "batch.created"])),
        "result": {
            "object": "Tracker",
            "id": draw(st.sampled_from(["trk_fuzz_1", "trk_fuzz_2"]) | texts()),
            "tracking_code": draw(st.sampled_from([EP_TRACKING] * 3) | texts()),
            "carrier": "USPS",
            "signed_by": draw(st.none() | texts()),
            "tracking_details": details,
        },
        # where mutate() finds a detail and a location to spoil
        "detail": details[0] if details else {},
        "location": (details[0].get("tracking_location") or {}) if details else {},
    }
    mutate(draw, event, EASYPOST_PATHS)
    event.pop("detail")
    event.pop("location")
    return event


def json_values():
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)
    return st.recursive(scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c,
                                                                                       max_size=4),
                        max_leaves=20)


def encode(obj, ascii_only):
    text = json.dumps(obj, ensure_ascii=ascii_only)
    return text.encode("utf-8", "surrogatepass")  # lone surrogates become invalid UTF-8


@st.composite
def bodies(draw, target):
    kind = draw(st.sampled_from(
        ["binary", "json", "unicode", "deep", "huge"] + ["event"] * 3 + ["batch"] * 2
        + (["easypost"] * 5 if target == "ep" else [])))
    ascii_only = draw(st.booleans())
    if kind == "binary":
        return draw(st.binary(max_size=600))
    if kind == "json":
        return encode(draw(json_values()), ascii_only)
    if kind == "unicode":
        text = draw(st.text(max_size=200))
        return text.encode(draw(st.sampled_from(["utf-8", "utf-16", "utf-32"])), "surrogatepass")
    if kind == "deep":
        # clear of Python's recursion limit (~1000), where the server's and this
        # process's stack depths would make the outcome depend on the caller
        depth = draw(st.integers(1, 400) | st.integers(5000, CAP // 2))
        return b"[" * depth + b"]" * depth
    if kind == "huge":  # around the body cap: a JSON string or not JSON at all
        size = draw(st.integers(CAP - 3, CAP + 3))
        return (b'"' + b"x" * (size - 2) + b'"') if draw(st.booleans()) else b"{" * size
    if kind == "event":
        return encode(draw(canonical_events()), ascii_only)
    if kind == "batch":
        events = draw(st.lists(canonical_events(), max_size=4))
        if draw(st.integers(0, 9)) == 0:
            events = events[:1] * 501  # one more than allowed
        return encode({"events": events, "id": draw(st.text(max_size=8))}, ascii_only)
    return encode(draw(easypost_events()), ascii_only)  # the id is placed when sent


def sig_garbage():
    return st.one_of(
        st.text(HEADER_CHARS, max_size=60).map("v1,".__add__),
        st.text(HEADER_CHARS, max_size=40),
        st.sampled_from(["v1,", "v1", "v2," + "A" * 44, ",", "v1a,x"]),
    )


@st.composite
def cases(draw):
    target = draw(st.sampled_from([GEN] * 6 + [EP] * 3 + [PAUSED, "unknown"]))
    case = {
        "target": target,
        "body": draw(bodies("ep" if target == EP else "gen")),
        "content_type": draw(st.sampled_from(["application/json", "application/json; charset=utf-8",
                                              "text/plain", "", None, "application/x-www-form-urlencoded",
                                              "multipart/form-data; boundary=x", "multipart/form-data"])),
        "chunked": draw(st.integers(0, 9)) == 0,  # no Content-Length: the cap is enforced while reading
        "replay": draw(st.integers(0, 5)) == 0,  # the very same request again
    }
    if target == "unknown":
        case["code"] = "zz" + draw(st.text(max_size=70))
    if target == EP:
        case["ep"] = {
            "sig": draw(st.sampled_from(["ok"] * 9 + ["padded", "missing", "empty", "wrong", "expired", "garbage",
                                                      "upper", "other_body", "no_prefix"])),
            "garbage": draw(st.text(HEADER_CHARS, max_size=80)),
        }
    else:
        authentic = draw(st.booleans())  # half of them without any fault in the headers
        case["std"] = {
            "id": "unique" if authentic else draw(st.sampled_from(["unique", "dup", "missing", "empty", "long"])),
            "id_tail": draw(st.text(HEADER_CHARS, max_size=30)),
            "dup": draw(st.sampled_from(["dup-1", "dup-2"])),
            "long": draw(st.integers(250, 2000)),
            "ts": "ok" if authentic else draw(st.sampled_from(["ok", "missing", "garbage", "stale", "future"])),
            "offset": draw(st.integers(-(TOLERANCE - 60), TOLERANCE - 60)),
            "far": draw(st.integers(TOLERANCE + 60, 10**9)),
            "ts_garbage": draw(st.text(HEADER_CHARS, max_size=12)),
            "sig": "ok" if authentic else draw(st.sampled_from(["ok", "missing", "wrong", "expired", "other_body",
                                                                "other_id", "no_version"])),
            "secret": draw(st.sampled_from([SECRET_A, SECRET_B])),
            "extra": draw(st.lists(sig_garbage(), max_size=3)),
            "position": draw(st.integers(0, 3)),
        }
    return case


# ---------------------------------------------------------------- building a request
def clean(value):
    """requests refuses header values starting with whitespace."""
    return value.lstrip()


def build(ctx, case):
    body = case["body"]
    target = case["target"]
    headers = {}
    if case["content_type"] is not None:
        headers["Content-Type"] = case["content_type"]
    if target == EP and b'"' + UNIQUE.encode() + b'"' in body:
        body = body.replace(UNIQUE.encode(), f"evt_fuzz_{next(ctx['counter'])}".encode())
    if "std" in case:
        spec, now = case["std"], int(time.time())
        msg_id = {
            "unique": lambda: f"msg_{next(ctx['counter'])}_{spec['id_tail']}",
            "dup": lambda: spec["dup"],
            "missing": lambda: None,
            "empty": lambda: "",
            "long": lambda: f"msg_{next(ctx['counter'])}_" + "L" * spec["long"],
        }[spec["id"]]()
        ts = {"ok": str(now + spec["offset"]), "missing": None, "garbage": clean(spec["ts_garbage"]),
              "stale": str(now - spec["far"]), "future": str(now + spec["far"])}[spec["ts"]]
        try:
            signed_ts = int(ts)
        except (TypeError, ValueError):
            signed_ts = ts
        sig_id, sig_body, secret, prefix = msg_id or "", body, spec["secret"], "v1,"
        if spec["sig"] == "wrong":
            secret = SECRET_WRONG
        elif spec["sig"] == "expired":
            secret = SECRET_EXPIRED
        elif spec["sig"] == "other_body":
            sig_body = body + b" "
        elif spec["sig"] == "other_id":
            sig_id += "x"
        elif spec["sig"] == "no_version":
            prefix = ""
        parts = list(spec["extra"])
        if spec["sig"] != "missing":
            parts.insert(spec["position"], prefix + signature(secret, sig_id, signed_ts, sig_body))
        sig = clean(" ".join(parts)) if parts else None
        for name, value in (("webhook-id", msg_id), ("webhook-timestamp", ts), ("webhook-signature", sig)):
            if value is not None:
                headers[name] = value
    elif target == EP:
        spec = case["ep"]
        value = {
            "ok": lambda: easypost_signature(EP_SECRET, body),
            "padded": lambda: easypost_signature(EP_SECRET, body) + "  ",
            "missing": lambda: None,
            "empty": lambda: "",
            "wrong": lambda: easypost_signature(EP_WRONG, body),
            "expired": lambda: easypost_signature(EP_EXPIRED, body),
            "garbage": lambda: clean(spec["garbage"]),
            "upper": lambda: easypost_signature(EP_SECRET, body).upper(),
            "other_body": lambda: easypost_signature(EP_SECRET, body + b"\n"),
            "no_prefix": lambda: easypost_signature(EP_SECRET, body).split("=", 1)[1],
        }[spec["sig"]]()
        if value is not None:
            headers["X-Hmac-Signature"] = value
    return body, headers


def expect(ctx, case, body, headers):
    """(status, reason for a 401 / event id for a stored message)."""
    target = case["target"]
    if target == "unknown":
        return 404, None
    if len(body) > CAP:
        return 413, None
    if target in (GEN, PAUSED):
        fault = standard_fault(headers, body, time.time())
        if fault:
            return 401, fault
        ok, _data = parse_body(body)
        event_id = headers["webhook-id"]
        if not ok or not usable_id(event_id):
            return 400, event_id if usable_id(event_id) else None
    else:
        fault = easypost_fault(headers, body)
        if fault:
            return 401, fault
        ok, data = parse_body(body)
        event_id = data.get("id") if ok and isinstance(data, dict) else None
        if not usable_id(event_id):
            return 400, None
    if (target, event_id) not in ctx["seen"]:
        return 202, event_id
    return (200 if ctx["hashes"][(target, event_id)] == hashlib.sha256(body).hexdigest() else 409), event_id


# ---------------------------------------------------------------- checking an answer
def check(ctx, case, body, headers, response):
    s = ctx["server"]
    status = response.status_code
    ctx["statuses"][status] = ctx["statuses"].get(status, 0) + 1
    assert status < 500, f"{status} {response.text[:300]}"
    expected, detail = expect(ctx, case, body, headers)
    if (status == 413 and expected == 404 and case["chunked"] and len(body) > CAP
            and (case["content_type"] or "").startswith(("application/x-www-form", "multipart/form-data"))):
        return  # a chunked form body is read before the backend lookup (see ir_http.py): 413 first
    assert status == expected, f"expected {expected} ({detail}), got {status} {response.text[:300]}"
    target = case["target"]
    if status in (404, 413):
        return
    payload = response.json()
    backend = ctx["backends"][target]
    if status == 401:
        assert payload["reason"] == detail, payload
        rows = s.call("logistics.webhook.audit", "search_read",
                      [["backend_id", "=", backend], ["id", ">", ctx["last_audit"]],
                       ["reason", "!=", "conflict"]], fields=["reason"])  # 409s keep bodies there
        assert [r["reason"] for r in rows] == [detail], rows  # exactly one new row
        ctx["last_audit"] = rows[0]["id"]
        return
    message = s.call("logistics.sync.message", "read", [payload["message_id"]],
                     ["backend_id", "direction", "state", "event_id", "payload_hash", "error"])[0]
    assert message["backend_id"][0] == backend and message["direction"] == "in", message
    if status == 400:
        previous = ctx["seen"].get((target, detail))
        if previous:  # an event id already stored: that message answers
            assert payload["message_id"] == previous
        else:
            assert message["state"] == "invalid" and message["error"], message
            if detail:
                assert message["event_id"] == detail
                ctx["seen"][(target, detail)] = payload["message_id"]
                ctx["hashes"][(target, detail)] = hashlib.sha256(body).hexdigest()
        return
    assert message["event_id"] == detail, (message, detail)
    if status == 200:
        assert payload == {"status": "duplicate", "message_id": ctx["seen"][(target, detail)]}
        return
    if status == 409:
        assert payload["message_id"] == ctx["seen"][(target, detail)], payload
        assert message["payload_hash"] == ctx["hashes"][(target, detail)], "the stored body stays"
        assert s.call("logistics.webhook.audit", "search_count", [
            ["message_id", "=", payload["message_id"]], ["reason", "=", "conflict"],
            ["payload_hash", "=", hashlib.sha256(body).hexdigest()]]) == 1
        return
    assert payload["status"] == "accepted"
    assert message["payload_hash"] == hashlib.sha256(body).hexdigest()
    ctx["seen"][(target, detail)] = payload["message_id"]
    ctx["hashes"][(target, detail)] = message["payload_hash"]
    ctx["accepted"].append((payload["message_id"], target, body))


def send(ctx, case, body, headers):
    code = case.get("code", case["target"])
    data = body
    if case["chunked"]:
        data = iter([body[i:i + 65536] for i in range(0, len(body), 65536)] or [b""])
    return ctx["http"].post(f"{ctx['server'].url}/logistics/webhook/{quote(code, safe='')}",
                            data=data, headers=headers, timeout=30)


# ---------------------------------------------------------------- what it found, run every time
def regression(target, body, std=None, **overrides):
    case = {"target": target, "body": body, "content_type": "application/json", "chunked": False,
            "replay": True}
    if target == EP:
        case["ep"] = {"sig": "ok", "garbage": ""}
    elif target != "unknown":
        case["std"] = dict({"id": "unique", "id_tail": "", "dup": "dup-1", "long": 250, "ts": "ok", "offset": 0,
                            "far": 360, "ts_garbage": "", "sig": "ok", "secret": SECRET_A, "extra": [],
                            "position": 0}, **(std or {}))
    return dict(case, **overrides)


def _event_body(occurred_at):
    return json.dumps({"type": "shipment.milestone", "id": "e1", "shipment": {"reference": GEN_SHIPMENT},
                       "milestone": {"code": "in_transit", "occurred_at": occurred_at}}).encode()


REGRESSIONS = [  # each answered 500, or failed the inbox job of its backend, before it was fixed
    regression(GEN, b"abc\x00def"),  # NUL in a quarantined body
    regression(GEN, b'{"a": "\\u0000"}'),  # NUL in a JSON string
    regression(GEN, b"{}", std={"id_tail": "a\x00b"}),  # NUL in the webhook-id (dedup id)
    regression(GEN, b"{}", std={"id_tail": "a\x00b", "sig": "wrong"}),  # ... and in the audit row
    regression(GEN, b"{}", std={"id": "long", "long": 3000}),  # dedup id beyond PostgreSQL's btree limit
    regression("unknown", b"{}", code="zz\x00"),  # %00 in the backend code
    regression(GEN, _event_body("0001-01-01T00:00:00+14:00")),  # OverflowError in the inbox job
    regression(EP, json.dumps({"object": "Event", "id": UNIQUE, "description": "tracker.updated", "result": {
        "object": "Tracker", "id": {"a": 1}, "tracking_code": EP_TRACKING, "tracking_details": [
            {"status": "in_transit", "datetime": "2030-01-01T08:00:00Z"}]}}).encode()),  # TypeError in the job
    regression(PAUSED, b"{}"),  # answered 503 before any check: now verified, stored, 202
    regression(GEN, b'{"n": ' + b"1" * 5000 + b"}"),  # an int beyond Python's 4,300 digits
    regression(GEN, _event_body("1970-01-01T00:00:00Z")),  # an implausible event time: invalid
    # werkzeug's own HTML 400 (it parsed the form of a body not kept as too large), not 413
    regression(EP, b"{" * (CAP + 1), content_type="multipart/form-data; boundary=x"),
    # a multipart body cut short: 400 "malformed payload" from the connector, not werkzeug's
    regression(GEN, b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nab',
               content_type="multipart/form-data; boundary=x"),
]
# A well-formed, mapped event for a known shipment, an hour old: that some message ends
# "done" (asserted below) must not depend on what the fuzzer happened to draw.
VALID = regression(GEN, _event_body(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))))


# ---------------------------------------------------------------- set-up and the test
@pytest.fixture(scope="module")
def fuzz_ctx(odoo_server):
    s = odoo_server
    uid = s.login()["uid"]
    company = s.call("res.users", "read", [uid], ["company_id"])[0]["company_id"][0]
    integration = s.call("res.users", "search", [["login", "=", "demo-integration"]])[0]
    codes = s.call("logistics.milestone.code", "search", [])
    # Trusted for everything: the fuzzer attacks the parsing, not the authority.
    common = {"company_id": company, "integration_user_id": integration, "max_attempts": 1,
              "shipment_scope": "company", "may_assert_pod": True,
              "allowed_milestone_code_ids": [[6, 0, codes]]}
    backends = {}
    for code, adapter, paused in ((GEN, "generic", False), (EP, "easypost", False), (PAUSED, "generic", True)):
        backends[code] = s.call("logistics.backend", "create", dict(
            common, name=code, code=code, adapter=adapter, paused=paused,
            backend_type="carrier" if adapter == "easypost" else "tms"),
            context={"logistics_new_secret": False})
    for backend, secret, expires in ((GEN, SECRET_A, False), (GEN, SECRET_B, False),
                                     (GEN, SECRET_EXPIRED, "2020-01-01 00:00:00"),
                                     (EP, EP_SECRET, False), (EP, EP_EXPIRED, "2020-01-01 00:00:00"),
                                     (PAUSED, SECRET_A, False), (PAUSED, SECRET_B, False)):
        s.call("logistics.backend.secret", "create",
               {"backend_id": backends[backend], "secret": secret, "expires_at": expires})
    for name, tracking in ((GEN_SHIPMENT, GEN_TRACKING), (EP_SHIPMENT, EP_TRACKING)):
        s.call("logistics.shipment", "create", {"name": name, "tracking_number": tracking, "company_id": company})
    audits = s.call("logistics.webhook.audit", "search_read", [], fields=["id"], order="id desc", limit=1)
    # Every 401 is checked for its own audit row: no cap per minute here (it has its own tests).
    cap_key = "logistics_sync_connector.webhook_audit_per_minute"
    cap = s.call("ir.config_parameter", "get_param", cap_key)
    s.call("ir.config_parameter", "set_param", cap_key, "1000000")
    http = requests.Session()
    yield {"server": s, "backends": backends, "counter": itertools.count(),
           "last_audit": audits[0]["id"] if audits else 0, "seen": {}, "hashes": {}, "accepted": [], "http": http,
           "statuses": {}}
    http.close()
    s.call("ir.config_parameter", "set_param", cap_key, cap or "60")


def test_fuzzed_webhook_requests_follow_the_inbound_contract(fuzz_ctx):
    ctx, s = fuzz_ctx, fuzz_ctx["server"]

    def one_request(case):
        body, headers = build(ctx, case)
        check(ctx, case, body, headers, send(ctx, case, body, headers))
        if case["replay"]:
            check(ctx, case, body, headers, send(ctx, case, body, headers))

    for case in [*REGRESSIONS, VALID]:
        one_request = example(case=case)(one_request)
    one_request = settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
                           suppress_health_check=list(HealthCheck))(given(case=cases())(one_request))

    started = time.monotonic()
    one_request()
    print(f"{EXAMPLES} examples in {time.monotonic() - started:.1f} s, {len(ctx['accepted'])} accepted", ctx["statuses"])
    accepted = {mid: (target, body) for mid, target, body in ctx["accepted"]}
    assert len(accepted) > EXAMPLES // 10, "the fuzzer hardly reached the inbox"
    assert any(target == EP for target, _b in accepted.values())

    # The job runner classifies every accepted message, whatever it contains; those of
    # the paused backend wait.
    ids = [mid for mid, (target, _b) in accepted.items() if target != PAUSED]
    paused = [mid for mid, (target, _b) in accepted.items() if target == PAUSED]
    wait_for(lambda: not s.call("logistics.sync.message", "search_count",
                                [["id", "in", ids], ["state", "=", "pending"]]), timeout=90)
    print(f"drained in {time.monotonic() - started:.1f} s")
    messages = s.call("logistics.sync.message", "read", ids, ["state", "error"])
    bad = [m for m in messages if m["state"] not in ("done", "invalid", "unmapped", "unmatched")]
    assert not bad, bad[:5]
    assert s.call("logistics.sync.message", "search_count", [["id", "in", paused], ["state", "=", "pending"]]) == len(paused)
    failed_jobs = s.call("queue.job", "search_read", [
        ["state", "=", "failed"], ["name", "in", [f"Process inbound messages of {c}" for c in (GEN, EP)]]],
        fields=["exc_info"])
    assert not failed_jobs, failed_jobs[0]["exc_info"][-2000:]

    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    state = {m["id"]: m["state"] for m in messages}
    for mid, (target, body) in accepted.items():
        if target == GEN and not validator.is_valid(json.loads(body)):
            assert state[mid] == "invalid", (mid, body[:300])
    assert "done" in state.values() and "invalid" in state.values(), sorted(set(state.values()))
