# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The plain-Python I/O modules: no database, no Odoo environment.

Plain ``BaseCase`` classes: Odoo's test runner (``--test-enable``) collects them as
well as pytest."""

import contextlib
import json
import socket
import time

import requests
import responses
from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.tests import common

from ..lib import events, outbound, signatures

SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


# ------------------------------------------------------------------ signatures
STANDARD_REJECTIONS = [
    (lambda h: h.pop("webhook-id"), "missing_headers"),
    (lambda h: h.update({"webhook-timestamp": "soon"}), "bad_timestamp"),
    (lambda h: h.update({"webhook-timestamp": "699"}), "timestamp_too_old"),
    (lambda h: h.update({"webhook-timestamp": "1301"}), "timestamp_too_new"),
    (lambda h: h.update({"webhook-signature": "v1,AAAA"}), "no_valid_signature"),
]


class TestSignatures(common.BaseCase):
    """Standard Webhooks signatures."""

    def test_standard_webhooks_reference_vector(self):
        headers = {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
                   "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}
        body = b'{"test": 2432232314}'
        self.assertEqual(signatures.sign_standard(SW_SECRET, headers["webhook-id"], 1614265330, body),
                         headers["webhook-signature"])
        self.assertEqual(signatures.verify_standard(headers, body, [SW_SECRET], now=1614265330),
                         "msg_p5jXN8AQM9LWM0D4loKWxJek")

    def test_standard_accepts_any_listed_signature_and_any_secret(self):
        body = b"{}"
        good = signatures.standard_headers(SW_SECRET, "m1", body, timestamp=1000)
        other = signatures.standard_headers("whsec_" + "Zm9v" * 8, "m1", body, timestamp=1000)
        headers = dict(good, **{"Webhook-Signature": f"v2,abc {other['webhook-signature']} "
                                                     f"{good['webhook-signature']}"})
        del headers["webhook-signature"]
        self.assertTrue(signatures.verify_standard(headers, body, ["whsec_" + "YmFy" * 8, SW_SECRET], now=1000))

    def test_standard_rejections(self):
        for mutate, reason in STANDARD_REJECTIONS:
            with self.subTest(reason=reason):
                headers = signatures.standard_headers(SW_SECRET, "m1", b"{}", timestamp=1000)
                mutate(headers)
                with self.assertRaises(signatures.SignatureError) as err:
                    signatures.verify_standard(headers, b"{}", [SW_SECRET], now=1000)
                self.assertEqual(err.exception.reason, reason)

    def test_standard_without_secret_and_with_tampered_body(self):
        headers = signatures.standard_headers(SW_SECRET, "m1", b"{}", timestamp=1000)
        with self.assertRaises(signatures.SignatureError) as err:
            signatures.verify_standard(headers, b"{}", [], now=1000)
        self.assertEqual(err.exception.reason, "no_secret")
        with self.assertRaises(signatures.SignatureError):
            signatures.verify_standard(headers, b"{ }", [SW_SECRET], now=1000)



# ------------------------------------------------------------------ events
def _event(**milestone):
    return {"type": "shipment.milestone", "id": "e1", "shipment": {"reference": "S1"},
            "milestone": dict({"code": "delivered", "occurred_at": "2026-11-20T14:03:00Z"}, **milestone),
            "pod": {"signed_by": "Ann", "received_at": "2026-11-20T15:03:00+01:00",
                    "document_url": "https://x/pod.pdf"}}


PARSE_ERRORS = [
    (b"not json", "not JSON"),
    (b"\xff\xfe", "not UTF-8"),
    (json.dumps({"events": []}).encode(), "at least one"),
    (json.dumps({"events": [_event()] * 501}).encode(), "at most 500"),
    (json.dumps(dict(_event(), milestone={"occurred_at": "2026-11-20T14:03:00Z"})).encode(), "code"),
    (json.dumps(_event(occurred_at="2026-11-20 14:03")).encode(), "occurred_at"),
    (json.dumps(_event(occurred_at="2026-13-45T14:03:00Z")).encode(), "invalid date"),
    (json.dumps(dict(_event(), shipment={})).encode(), "shipment"),
    (json.dumps([1, 2]).encode(), "object"),
]
UNSTORABLE_JSON = [
    (b'{"a": "x\\u0000y"}', "NUL"),
    (b'{"a\\u0000": 1}', "NUL"),
    (b'["\\ud800"]', "surrogate"),
    (b'{"a": ["ok", {"b": "\\uDFFF"}]}', "surrogate"),
]
OUT_OF_RANGE_DATETIMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-01:00"]
EVENT_IDS = [
    ("msg_2KWPBgLlAfxdpx2AI54pPJ85f1W", True), ("é" * 255, True), ("a b", True),
    ("", False), (None, False), (42, False), ("x" * 256, False), ("a\x00b", False), ("a\tb", False),
    ("a\x7f", False), ("\ud800", False),
]


class TestEvents(common.BaseCase):
    """The generic event format: parsing, validation, what PostgreSQL can store."""

    def test_parse_single_and_batch(self):
        envelope, parsed = events.parse_generic(json.dumps(_event(location="Dock")).encode())
        self.assertEqual(envelope, "e1")
        (event,) = parsed
        self.assertEqual((event.code, event.shipment_reference, event.location, event.pod_signed_by),
                         ("delivered", "S1", "Dock", "Ann"))
        self.assertEqual(event.occurred_at.isoformat(), "2026-11-20T14:03:00")
        self.assertEqual(event.pod_received_at.isoformat(), "2026-11-20T14:03:00")
        _env, batch = events.parse_generic(json.dumps({"events": [_event()] * 3}).encode())
        self.assertEqual(len(batch), 3)

    def test_parse_errors_are_clear(self):
        for body, fragment in PARSE_ERRORS:
            with self.subTest(fragment=fragment), self.assertRaisesRegex(events.PayloadError, fragment):
                events.parse_generic(body)

    def test_json_postgresql_cannot_store_is_a_payload_error(self):
        """Found by tests/test_fuzz_webhook.py: such strings made the webhook answer 500
        (INSERT of the dedup id) or failed the inbox job (milestone values)."""
        for body, fragment in UNSTORABLE_JSON:
            with self.subTest(body=body), self.assertRaisesRegex(events.PayloadError, fragment):
                events.parse_json(body)

    def test_json_escapes_that_are_storable_pass(self):
        self.assertEqual(events.parse_json(b'["\\ud83d\\ude00", "\\\\u0000", "\\u00e9"]'),
                         ["\U0001F600", "\\u0000", "\u00e9"])

    def test_datetime_out_of_range_is_a_payload_error(self):
        """Found by the fuzzer: OverflowError escaped and failed the whole inbox batch."""
        for value in OUT_OF_RANGE_DATETIMES:
            with self.subTest(value=value):
                with self.assertRaisesRegex(events.PayloadError, "out of range"):
                    events.parse_datetime(value)
                with self.assertRaisesRegex(events.PayloadError, "out of range"):
                    events.parse_generic(json.dumps(_event(occurred_at=value)).encode())

    def test_event_ids(self):
        for value, ok in EVENT_IDS:
            with self.subTest(value=value):
                self.assertIs(events.is_event_id(value), ok)

    def test_canonical_event_keys_fit_an_index(self):
        ok = {"event_id": "e", "code": "delivered", "occurred_at": events.parse_datetime("2026-11-20T14:03:00Z")}
        events.CanonicalEvent(**ok, shipment_external_id="é" * 512)  # 1024 bytes
        with self.assertRaisesRegex(events.PayloadError, "1024 bytes"):
            events.CanonicalEvent(**ok, shipment_external_id="漢" * 342)
        with self.assertRaisesRegex(events.PayloadError, "occurred_at"):
            events.CanonicalEvent(**dict(ok, occurred_at="2026-11-20"))
        with self.assertRaisesRegex(events.PayloadError, "code"):
            events.CanonicalEvent(**dict(ok, code=""))

    def test_published_schema_is_valid_json_schema(self):
        import jsonschema

        jsonschema.Draft202012Validator.check_schema(events.load_schema())


# ------------------------------------------------------------------ outbound
def _resolver(address):
    return lambda host, port, proto=0: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]


UNSAFE_URLS = ["http://127.0.0.1/x", "http://[::1]/x", "http://10.0.0.1/",
               "http://169.254.169.254/latest/meta-data", "http://[::ffff:127.0.0.1]/",
               "http://0.0.0.0/", "ftp://93.184.216.34/", "not a url"]
URL = "https://93.184.216.34/hook"
SEND_OUTCOMES = [
    ({"status": 200}, "ok"), ({"status": 204}, "ok"), ({"status": 400}, "fail"), ({"status": 404}, "fail"),
    ({"status": 301, "headers": {"Location": "http://127.0.0.1/"}}, "fail"),
    ({"status": 429, "headers": {"Retry-After": "7"}}, "retry"), ({"status": 500}, "retry"),
    ({"status": 503}, "retry"), ({"body": requests.exceptions.ConnectionError("reset")}, "retry"),
    ({"body": requests.exceptions.ReadTimeout("slow")}, "retry"),
]


class TestOutboundLib(common.BaseCase):
    """Outbound delivery: SSRF guard, retry timing, authentication, outcome of a send."""

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # BaseCase blocks requests to other hosts than localhost (and raises short
        # timeouts to 10 s): the requests to URL go on to ``responses``, which mocks the
        # transport below Session.send.
        if r.url == URL:
            return common._super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    def test_ssrf_guard_refuses(self):
        for url in UNSAFE_URLS:
            with self.subTest(url=url), self.assertRaises(outbound.UnsafeURLError):
                outbound.check_url(url)

    def test_ssrf_guard_resolves_names_and_can_be_allowed(self):
        with self.assertRaises(outbound.UnsafeURLError):
            outbound.check_url("https://internal.example/", resolver=_resolver("192.168.1.5"))
        outbound.check_url("https://api.example/", resolver=_resolver("93.184.216.34"))
        outbound.check_url("http://127.0.0.1:9/", allow_private=True)

    def test_retry_after_and_backoff(self):
        self.assertEqual(outbound.parse_retry_after("120"), 120)
        self.assertIsNone(outbound.parse_retry_after(None))
        http_date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 60))
        self.assertTrue(55 <= outbound.parse_retry_after(http_date) <= 61)
        self.assertIsNone(outbound.parse_retry_after("garbage"))
        for unusable in ("inf", "-inf", "nan", "-5", "1e309"):
            with self.subTest(retry_after=unusable):
                self.assertIsNone(outbound.parse_retry_after(unusable))
        self.assertEqual(outbound.parse_retry_after("1e300"), 1e300)
        for attempt in range(1, 15):
            delay = outbound.backoff_delay(attempt, base=10, cap=600)
            ceiling = min(600, 10 * 2 ** (attempt - 1))
            self.assertTrue(ceiling / 2 <= delay <= ceiling, (attempt, delay, ceiling))
        self.assertEqual(outbound.backoff_delay(1, base=10, cap=600, retry_after=300), 300)
        # Capped at the backend's maximum delay: a server may not park a message for ever.
        self.assertEqual(outbound.backoff_delay(1, base=10, cap=600, retry_after=900), 600)
        self.assertEqual(outbound.backoff_delay(1, base=10, cap=600, retry_after=1e300), 600)

    def test_auth_headers(self):
        self.assertEqual(outbound.build_auth_headers("bearer", secret="t"), {"Authorization": "Bearer t"})
        self.assertEqual(outbound.build_auth_headers("api_key", "X-Key", secret="k"), {"X-Key": "k"})
        self.assertEqual(outbound.build_auth_headers("basic", username="u", password="p"),
                         {"Authorization": "Basic dTpw"})
        self.assertEqual(outbound.build_auth_headers("none", secret="t"), {})

    def test_send_outcomes(self):
        for kwargs, outcome in SEND_OUTCOMES:
            with self.subTest(kwargs=kwargs, outcome=outcome):
                self._check_send_outcome(kwargs, outcome)

    @responses.activate
    def _check_send_outcome(self, kwargs, outcome):
        responses.add(responses.POST, URL, **kwargs)
        result = outbound.send("POST", URL, b"{}", {"Content-Type": "application/json"}, timeout=(1, 2))
        self.assertEqual(result.outcome, outcome)
        if kwargs.get("status") == 429:
            self.assertEqual(result.retry_after, 7)
        self.assertEqual(len(responses.calls), 1, "no redirect is followed")


# ------------------------------------------------------------------ fuzz
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20)
junk_or_text = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) | st.lists(
    st.integers(), max_size=2) | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
extreme_datetimes = st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                     "2026-11-20T14:03:00Z", "2026-02-30T00:00:00Z"]) | junk_or_text

# Near-valid events: every field of the schema, each either a good value or a wrong one.
_texts = st.none() | st.text(max_size=6) | st.integers() | st.just("x" * 1025) | st.just("")
_times = st.sampled_from(["2026-11-20T14:03:00Z", "2026-11-20 14:03+01:00", "2026-11-20T14:03:00",
                          "20-11-2026", "", "2026-11-20T14:03:00.123-0530"]) | st.integers() | st.none()
_shipments = st.fixed_dictionaries({}, optional={
    "reference": _texts, "external_id": _texts, "tracking_number": _texts, "carrier": _texts})
_milestones = st.fixed_dictionaries({}, optional={
    "code": _texts | st.just("c" * 129), "occurred_at": _times, "location": _texts,
    "reason": _texts, "detail": _texts})
near_valid_events = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["shipment.milestone", "shipment.created", 1]),
    "id": _texts | st.just("i" * 256),
    "shipment": _shipments | st.lists(st.integers(), max_size=1),
    "milestone": _milestones | st.none(),
    "pod": st.none() | st.fixed_dictionaries({}, optional={
        "signed_by": _texts, "received_at": _times, "document_url": _texts}) | st.integers(),
    "extra": st.integers(),
})


class TestFuzz(common.BaseCase):
    """Parsers and verifiers on generated input (hypothesis)."""

    @settings(max_examples=400, deadline=None)
    @given(st.binary(max_size=512))
    def test_fuzz_parsers_raise_only_payload_errors(self, body):
        with contextlib.suppress(events.PayloadError):
            events.parse_generic(body)

    @settings(max_examples=400, deadline=None)
    @given(json_values, st.sampled_from(["events", "milestone", "shipment", "result", "tracking_details"]))
    def test_fuzz_structured_json(self, value, key):
        for data in (value, {key: value}):
            with contextlib.suppress(events.PayloadError):
                events.parse_generic(json.dumps(data).encode())

    @settings(max_examples=300, deadline=None)
    @given(junk_or_text, extreme_datetimes)
    def test_fuzz_parsed_events_are_storable(self, external_id, occurred_at):
        """Whatever the parser accepts can be matched and stored: strings or None, no NUL."""
        body = dict(_event(occurred_at=occurred_at), shipment={"reference": "S1", "external_id": external_id})
        try:
            _id, parsed = events.parse_generic(json.dumps(body).encode())
        except events.PayloadError:
            return
        for event in parsed:
            for name in ("event_id", "code", "shipment_reference", "shipment_external_id", "location", "detail",
                         "pod_signed_by"):
                value = getattr(event, name)
                self.assertTrue(value is None or (isinstance(value, str) and "\x00" not in value), (name, value))

    @settings(max_examples=300, deadline=None)
    @given(st.dictionaries(st.sampled_from(["webhook-id", "webhook-timestamp", "webhook-signature",
                                            "X-Hmac-Signature"]), st.text(max_size=80)), st.binary(max_size=64))
    def test_fuzz_verifiers_raise_only_signature_errors(self, headers, body):
        with self.assertRaises(signatures.SignatureError):
            signatures.verify_standard(headers, body, [SW_SECRET, "plain"])

    @settings(max_examples=600, deadline=None)
    @given(near_valid_events | json_values)
    def test_compiled_event_validator_agrees_with_the_reference(self, item):
        """The inbox validates with a compiled schema; it must accept exactly what the
        published JSON Schema (2020-12, jsonschema) accepts."""
        self.assertEqual(events.event_is_valid(item), events._event_validator().is_valid(item), item)
