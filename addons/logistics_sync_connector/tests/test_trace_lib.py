# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""lib/trace.py and the adapter's trace headers: no database, no Odoo environment."""

import re

from odoo.tests import common

from ..lib import adapters, trace

VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
TRACEPARENT_RE = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


class TestTraceLib(common.BaseCase):
    def test_parse_keeps_a_valid_traceparent_only(self):
        self.assertEqual(trace.parse(VALID), VALID)
        self.assertEqual(trace.parse(VALID[:-2] + "00"), VALID[:-2] + "00", "not sampled: valid")
        for bad in [
            None, "", 42, b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            VALID.upper(),  # hex is lowercase
            "00-" + "0" * 32 + "-00f067aa0ba902b7-01",  # all-zero trace id
            "00-4bf92f3577b34da6a3ce929d0e0e4736-" + "0" * 16 + "-01",  # all-zero parent id
            "ff" + VALID[2:],  # version ff is forbidden
            "01" + VALID[2:],  # a later version: not ours to relay
            VALID + "-extra", VALID + "\n", " " + VALID,
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  # short trace id
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
            "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        ]:
            self.assertIsNone(trace.parse(bad), bad)

    def test_new_traces_are_valid_and_distinct(self):
        values = {trace.new() for _i in range(50)}
        self.assertEqual(len(values), 50)
        self.assertEqual(len({v.split("-")[1] for v in values}), 50, "a new trace id each")
        for value in values:
            self.assertRegex(value, TRACEPARENT_RE)
            self.assertEqual(trace.parse(value), value)

    def test_child_keeps_the_trace_id_and_flags_with_a_new_span(self):
        child = trace.child(VALID)
        self.assertEqual(trace.parse(child), child)
        _v, trace_id, span, flags = child.split("-")
        self.assertEqual((trace_id, flags), ("4bf92f3577b34da6a3ce929d0e0e4736", "01"))
        self.assertNotEqual(span, "00f067aa0ba902b7")
        self.assertEqual(trace.child(VALID[:-2] + "00").split("-")[3], "00")
        for parent in (None, "", "garbage", VALID.upper()):
            orphan = trace.child(parent)
            self.assertEqual(trace.parse(orphan), orphan, "an invalid parent starts a new trace")
            self.assertNotEqual(orphan.split("-")[1], "4bf92f3577b34da6a3ce929d0e0e4736")

    def test_headers(self):
        self.assertEqual(trace.headers(VALID, 42),
                         {"traceparent": VALID, "X-Logistics-Message-Id": "42"})
        self.assertEqual(trace.headers(VALID, [7, 8, 9]),
                         {"traceparent": VALID, "X-Logistics-Message-Id": "7,8,9"})
        self.assertEqual(trace.headers("bogus", [7]), {"X-Logistics-Message-Id": "7"},
                         "never relays an invalid traceparent")
        self.assertEqual(trace.headers(None, ()), {})

    def test_adapter_request_headers_carry_the_trace(self):
        adapter = adapters.get("generic")
        settings = adapters.OutboundSettings(base_url="https://example.com", auth_type="bearer",
                                             secret="tok")
        headers = adapter.headers(settings, "key-1", b"{}", VALID, [5])
        self.assertEqual(headers["traceparent"], VALID)
        self.assertEqual(headers["X-Logistics-Message-Id"], "5")
        self.assertEqual(headers["Idempotency-Key"], "key-1")
        self.assertEqual(headers["Authorization"], "Bearer tok")
        plain = adapter.headers(settings, "ping", b"{}")
        self.assertNotIn("traceparent", plain)
        self.assertNotIn("X-Logistics-Message-Id", plain)
