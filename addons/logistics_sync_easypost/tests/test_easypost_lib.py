# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""lib/easypost.py: no database, no Odoo environment (plain BaseCase classes).

Fixtures (tests/fixtures/): EasyPost Event objects shaped as EasyPost's API reference
documents them (Events and Trackers: the tracker.created / tracker.updated Event with
its Tracker and TrackingDetail objects, test tracking code EZ4000000004); ids and
times are placeholders, the secret is ours."""

import contextlib
import json
from datetime import datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.addons.logistics_sync_connector.lib import adapters, events, signatures
from odoo.addons.logistics_sync_connector.tests import provider_lib
from odoo.addons.logistics_sync_connector.tests.test_lib import (
    extreme_datetimes,
    json_values,
    junk_or_text,
)
from odoo.tests import common

from ..lib import easypost

FIXTURES = Path(__file__).parent / "fixtures"
EASYPOST_WRONG_TYPES = [
    ({"id": {"nested": 1}}, {}, "shipment_external_id"),
    ({"tracking_code": ["EZ1"]}, {}, "tracking_number"),
    ({"carrier": 7}, {}, "carrier"),
    ({"signed_by": {"name": "x"}}, {"status": "delivered"}, "pod_signed_by"),
    ({}, {"status_detail": 3}, "detail"),
    ({"id": "trk_" + "é" * 600}, {}, "longer than 1024 bytes"),
]



class TestEasyPostSignature(common.BaseCase):
    def test_easypost_signature(self):
        body = (FIXTURES / "easypost_tracker_updated.json").read_bytes()
        value = easypost.sign_easypost("s3cret", body)
        self.assertTrue(value.startswith("hmac-sha256-hex="), value)
        self.assertEqual(len(value), 16 + 64)
        easypost.verify_easypost({"x-hmac-signature": value}, body, ["old", "s3cret"])
        for headers, secrets in (({"X-Hmac-Signature": value}, ["other"]), ({}, ["s3cret"]),
                                 ({"X-Hmac-Signature": value + "0"}, ["s3cret"])):
            with self.subTest(headers=headers, secrets=secrets), self.assertRaises(signatures.SignatureError):
                easypost.verify_easypost(headers, body, secrets)


    def test_easypost_published_vector(self):
        """EasyPost's own test vector (EasyPost/examples, official/fixtures: the webhook
        secret "sécret", its hmac_signature, over event-body.json): a non-ASCII secret,
        normalised NFKD as EasyPost's client libraries do."""
        body = (FIXTURES / "easypost_event_body_published.json").read_bytes()
        signature = "hmac-sha256-hex=38f3f53c103713df81616a0a186d77141957323ec21d5fe9363db93840f527db"
        easypost.verify_easypost({"X-Hmac-Signature": signature}, body, ["sécret"])
        self.assertEqual(easypost.sign_easypost("sécret", body), signature)
        with self.assertRaises(signatures.SignatureError):
            easypost.verify_easypost({"X-Hmac-Signature": signature}, body, ["secret"])

    def test_the_adapter_is_registered(self):
        adapter = adapters.get("easypost")
        self.assertIsInstance(adapter, easypost.EasyPostAdapter)
        self.assertEqual(adapter.default_status_map()["delivered"], ("delivered", None))


class TestEasyPost(common.BaseCase):
    """EasyPost tracker events."""

    def test_easypost_fixture_parsing_and_stable_ids(self):
        created_id, created = easypost.parse_easypost((FIXTURES / "easypost_tracker_created.json").read_bytes())
        updated_id, updated = easypost.parse_easypost((FIXTURES / "easypost_tracker_updated.json").read_bytes())
        (created, _eta), (updated, _eta) = provider_lib.split(created), provider_lib.split(updated)
        self.assertTrue(created_id.startswith("evt_"), created_id)
        self.assertNotEqual(updated_id, created_id)
        self.assertEqual([e.code for e in updated], ["pre_transit", "pre_transit", "in_transit",
                                                     "out_for_delivery", "delivered"])
        self.assertEqual(created[0].event_id, updated[0].event_id, "the same detail keeps its id")
        delivered = updated[-1]
        self.assertEqual((delivered.pod_signed_by, delivered.tracking_number, delivered.shipment_external_id),
                         ("John Tester", "EZ4000000004", "trk_c8e0edb5bb284caa934a0d3db23a148z"))
        self.assertEqual(updated[2].detail, "received_at_origin_facility")
        self.assertTrue(all(e.pod_signed_by is None for e in updated[:-1]))

    def test_est_delivery_date_is_a_shipment_update_after_the_milestones(self):
        _id, parsed = easypost.parse_easypost((FIXTURES / "easypost_tracker_updated.json").read_bytes())
        milestones, [eta] = provider_lib.split(parsed)
        self.assertEqual(parsed, [*milestones, eta])
        self.assertEqual(eta.times["dates.estimated_delivery"], datetime(2026, 11, 20, 14, 3))
        self.assertEqual(eta.occurred_at, datetime(2026, 11, 20, 14, 3))  # the Tracker's updated_at
        self.assertEqual((eta.shipment_external_id, eta.tracking_number),
                         ("trk_c8e0edb5bb284caa934a0d3db23a148z", "EZ4000000004"))
        self.assertEqual(eta.data["carrier"], {"code": "USPS", "service": "First-Class Package Service"})
        self.assertEqual(eta.data["tracking"]["url"],
                         "https://track.easypost.com/djE6dHJrX2M4ZTBlZGI1YmIyODRjYWE5MzRhMGQzZGIyM2ExNDhk")
        self.assertEqual(easypost.parse_easypost(
            (FIXTURES / "easypost_tracker_updated.json").read_bytes())[1][-1], eta)
        data = json.loads((FIXTURES / "easypost_tracker_updated.json").read_bytes())
        data["result"]["est_delivery_date"] = None
        self.assertEqual(easypost.parse_easypost(json.dumps(data).encode())[1], milestones)

    def test_easypost_other_events_and_malformed(self):
        self.assertEqual(
            easypost.parse_easypost(b'{"object": "Event", "id": "evt_1", "description": "batch.updated"}'),
            ("evt_1", []))
        for body in (b"[]", b'{"object": "Event"}', b'{"object": "Event", "id": "e", "description": "tracker.updated"}',
                     b'{"object": "Event", "id": "e", "description": "tracker.updated", "result": {"object": "Tracker", "id": "t", "tracking_details": [{"status": "delivered", "datetime": "never"}]}}'):
            with self.subTest(body=body), self.assertRaises(events.PayloadError):
                easypost.parse_easypost(body)

    def test_easypost_values_of_the_wrong_type_are_payload_errors(self):
        """Found by the fuzzer: a dict as tracker id reached a set() in the shipment matching
        (TypeError) and failed the inbox job of the backend for every message."""
        for tracker, detail, fragment in EASYPOST_WRONG_TYPES:
            with self.subTest(fragment=fragment):
                body = {"object": "Event", "id": "evt_1", "description": "tracker.updated",
                        "result": dict({"object": "Tracker", "id": "trk_1", "tracking_code": "EZ1",
                                        "tracking_details": [dict({"status": "in_transit",
                                                                   "datetime": "2026-11-20T14:03:00Z"}, **detail)]},
                                       **tracker)}
                with self.assertRaisesRegex(events.PayloadError, fragment):
                    easypost.parse_easypost(json.dumps(body).encode())


class TestEasyPostFuzz(common.BaseCase):
    @settings(max_examples=400, deadline=None)
    @given(st.binary(max_size=512))
    def test_fuzz_parser_raises_only_payload_errors(self, body):
        with contextlib.suppress(events.PayloadError):
            easypost.parse_easypost(body)

    @settings(max_examples=400, deadline=None)
    @given(json_values, st.sampled_from(["result", "tracking_details", "status", "id"]))
    def test_fuzz_structured_json(self, value, key):
        data = {"object": "Event", "id": "e", "description": "tracker.updated",
                "result": {"object": "Tracker", "id": "t", key: value}}
        with contextlib.suppress(events.PayloadError):
            easypost.parse_easypost(json.dumps(data).encode())

    @settings(max_examples=300, deadline=None)
    @given(st.fixed_dictionaries({}, optional={k: junk_or_text for k in ("id", "tracking_code", "carrier", "signed_by")}),
           st.lists(st.fixed_dictionaries({"status": st.sampled_from(["in_transit", "delivered"]) | junk_or_text,
                                           "datetime": extreme_datetimes},
                                          optional={"status_detail": junk_or_text, "message": junk_or_text,
                                                    "tracking_location": junk_or_text}), max_size=3),
           extreme_datetimes)
    def test_fuzz_parsed_events_are_storable(self, tracker, details, _occurred_at):
        """Whatever the parsers accept can be matched and stored: strings or None, no NUL."""
        easypost_body = {"object": "Event", "id": "e", "description": "tracker.updated",
                         "result": dict({"object": "Tracker", "tracking_details": details}, **tracker)}
        try:
            _id, parsed = easypost.parse_easypost(json.dumps(easypost_body).encode())
        except events.PayloadError:
            return
        for event in parsed:
            hash((event.shipment_external_id, event.tracking_number, event.shipment_reference, event.code))
            for name in ("event_id", "code", "shipment_reference", "shipment_external_id", "tracking_number",
                         "carrier", "location", "detail", "pod_signed_by"):
                value = getattr(event, name)
                self.assertTrue(value is None or (isinstance(value, str) and "\x00" not in value), (name, value))

    @settings(max_examples=300, deadline=None)
    @given(st.dictionaries(st.sampled_from(["X-Hmac-Signature", "x-hmac-signature"]),
                           st.text(max_size=80)), st.binary(max_size=64))
    def test_fuzz_verifier_raises_only_signature_errors(self, headers, body):
        with self.assertRaises(signatures.SignatureError):
            easypost.verify_easypost(headers, body, ["plain"])
