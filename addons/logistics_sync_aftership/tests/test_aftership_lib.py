# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The AfterShip adapter without a database, on AfterShip's own examples
(tests/fixtures/SOURCES.md)."""

import copy
import json
from datetime import datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.addons.logistics_sync_connector.lib import adapters
from odoo.addons.logistics_sync_connector.lib.events import PayloadError
from odoo.addons.logistics_sync_connector.lib.signatures import SignatureError
from odoo.tests import common

from ..lib import aftership

FIXTURES = Path(__file__).parent / "fixtures"
# AfterShip's documented algorithm, computed with openssl (SOURCES.md).
VECTOR_SECRET = "your_webhook_secret"
VECTOR_BODY = (
    b'{"event":"tracking_update","event_id":"94dadd60-ed26-46d0-aa52-3ced925a50ff",'
    b'"is_tracking_first_tag":true,"msg":{"tracking_number":"0000000000000000","slug":"usps",'
    b'"tag":"Delivered","subtag":"Delivered_001","subtag_message":"Delivered",'
    b'"order_number":"ORD-1001"},"ts":1712741696}'
)
VECTOR_SIGNATURE = "+3xeJt0zkkmj1zCFoTBMOc+abMKgZ44GOkZu9DdDHGM="


def fixture(name):
    return (FIXTURES / name).read_bytes()


class TestAfterShipSignature(common.BaseCase):
    def test_published_algorithm_vector(self):
        self.assertEqual(aftership.sign(VECTOR_SECRET, VECTOR_BODY), VECTOR_SIGNATURE)
        aftership.verify({"Aftership-Hmac-Sha256": VECTOR_SIGNATURE}, VECTOR_BODY, [VECTOR_SECRET])

    def test_any_secret_of_a_rotation_verifies(self):
        aftership.verify({"aftership-hmac-sha256": VECTOR_SIGNATURE + "\n"}, VECTOR_BODY,
                         ["the-new-secret", VECTOR_SECRET])

    def test_rejections(self):
        cases = [
            ({}, [VECTOR_SECRET], VECTOR_BODY, "missing_headers"),
            ({"aftership-hmac-sha256": VECTOR_SIGNATURE}, [], VECTOR_BODY, "no_secret"),
            ({"aftership-hmac-sha256": VECTOR_SIGNATURE}, ["other"], VECTOR_BODY,
             "no_valid_signature"),
            ({"aftership-hmac-sha256": VECTOR_SIGNATURE}, [VECTOR_SECRET], VECTOR_BODY + b" ",
             "no_valid_signature"),
            ({"aftership-hmac-sha256": "é"}, [VECTOR_SECRET], VECTOR_BODY, "no_valid_signature"),
        ]
        for headers, secrets, body, reason in cases:
            with self.subTest(reason=reason), self.assertRaises(SignatureError) as caught:
                aftership.verify(headers, body, secrets)
            self.assertEqual(caught.exception.reason, reason)

    def test_the_adapter_is_registered(self):
        adapter = adapters.get("aftership")
        self.assertIsNone(adapter.verify({"aftership-hmac-sha256": VECTOR_SIGNATURE},
                                         VECTOR_BODY, [VECTOR_SECRET]))
        self.assertEqual(adapter.default_status_map()["Delivered"], ("delivered", None))


class TestAfterShipPayload(common.BaseCase):
    def test_message_id_is_the_event_id(self):
        self.assertEqual(aftership.message_id(fixture("aftership_spec_sample.json")),
                         "94dadd60-ed26-46d0-aa52-3ced925a50ff")

    def test_message_id_without_event_id_is_stable_per_body(self):
        data = json.loads(fixture("aftership_info_received.json"))
        del data["event_id"]
        body = json.dumps(data).encode()
        first = aftership.message_id(body)
        self.assertTrue(first.startswith("q82bqhzdrcxbjlqdnzng5024:"))
        self.assertEqual(aftership.message_id(body), first)
        data["ts"] += 60
        self.assertNotEqual(aftership.message_id(json.dumps(data).encode()), first)

    def test_spec_sample_checkpoint_without_offset_is_read_as_utc(self):
        [event] = aftership.parse(fixture("aftership_spec_sample.json"))
        self.assertEqual((event.code, event.detail), ("InTransit", "InTransit_001"))
        self.assertEqual(event.occurred_at, datetime(2021, 1, 14, 0, 52))
        self.assertEqual(event.tracking_number, "0000000000000000")
        self.assertEqual(event.carrier, "usps")
        self.assertIsNone(event.location)

    def test_checkpoints_become_events_with_their_own_time_place_and_pod(self):
        events = aftership.parse(fixture("aftership_delivered.json"))
        self.assertEqual([(e.code, e.detail) for e in events], [
            ("InfoReceived", "InfoReceived_001"), ("InTransit", "InTransit_002"),
            ("OutForDelivery", "OutForDelivery_001"), ("Delivered", "Delivered_001")])
        first, accepted, _out, delivered = events
        self.assertEqual(first.occurred_at, datetime(2023, 12, 20, 8, 12))  # -06:00
        self.assertEqual(first.location, "FAYETTEVILLE, TX, 78940, USA, United States")
        self.assertEqual(accepted.location, "FAYETTEVILLE, TX, 78940, USA")
        self.assertEqual(delivered.occurred_at, datetime(2023, 12, 23, 17, 31))
        self.assertEqual((delivered.pod_signed_by, delivered.pod_received_at),
                         ("J SMITH", delivered.occurred_at))
        self.assertEqual({e.pod_signed_by for e in events[:3]}, {None})
        self.assertEqual({e.shipment_external_id for e in events}, {"q82bqhzdrcxbjlqdnzng5024"})
        self.assertEqual({e.tracking_number for e in events}, {"9434936105536968782556"})

    def test_checkpoint_ids_are_stable_across_deliveries(self):
        [early] = aftership.parse(fixture("aftership_info_received.json"))
        later = aftership.parse(fixture("aftership_delivered.json"))
        self.assertEqual(early.event_id, later[0].event_id)
        self.assertEqual(len({e.event_id for e in later}), 4)

    def test_checkpoint_hash_is_its_id(self):
        data = json.loads(fixture("aftership_spec_sample.json"))
        data["msg"]["checkpoints"][0]["hash"] = "c0ffee"
        [event] = aftership.parse(json.dumps(data).encode())
        self.assertEqual(event.event_id, "00000000000000000000000000000000:c0ffee")

    def test_pending_and_other_events_carry_no_milestone(self):
        data = json.loads(fixture("aftership_spec_sample.json"))
        data["msg"]["checkpoints"][0]["tag"] = "Pending"
        self.assertEqual(aftership.parse(json.dumps(data).encode()), [])
        data = json.loads(fixture("aftership_delivered.json"))
        data["event"] = "edd_revise"
        self.assertEqual(aftership.parse(json.dumps(data).encode()), [])

    def test_expected_delivery(self):
        delivered = json.loads(fixture("aftership_delivered.json"))["msg"]
        self.assertEqual(aftership.expected_delivery(delivered), "2023-12-23")
        info = json.loads(fixture("aftership_info_received.json"))["msg"]
        self.assertIsNone(aftership.expected_delivery(info))
        self.assertEqual(aftership.expected_delivery({"expected_delivery": "2024-01-02"}),
                         "2024-01-02")

    def test_malformed_payloads(self):
        cases = [
            b"[]", b'{"msg": {}}', b'{"event": "tracking_update"}',
            b'{"event": "tracking_update", "msg": {"checkpoints": []}}',
            b'{"event": "tracking_update", "msg": {"id": "t", "checkpoints": {}}}',
            b'{"event": "tracking_update", "msg": {"id": "t", "checkpoints": [1]}}',
            b'{"event": "tracking_update", "msg": {"id": "t", "checkpoints": [{"tag": "InTransit"}]}}',
            b'{"event": "tracking_update", "msg": {"id": "t", "checkpoints": '
            b'[{"tag": "InTransit", "checkpoint_time": "yesterday"}]}}',
        ]
        for body in cases:
            with self.subTest(body=body), self.assertRaises(PayloadError):
                aftership.parse(body)
        with self.assertRaises(PayloadError):
            aftership.message_id(b'{"event": "tracking_update", "event_id": "", "msg": {}}')

    def test_default_status_map(self):
        mapping = aftership.AfterShipAdapter().default_status_map()
        self.assertEqual(mapping["AttemptFail"], ("delivery_failed", None))
        self.assertEqual(mapping["Exception:Exception_013"], ("exception", "lost"))
        self.assertEqual(mapping["Exception:Exception_011"], ("returned", None))
        self.assertNotIn("Expired", mapping)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6)


def _paths(node, path=()):
    yield path
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        yield from _paths(value, (*path, key))


def _replaced(data, path, value):
    if not path:
        return value
    data = copy.deepcopy(data)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


class TestAftershipFuzz(common.BaseCase):
    @settings(max_examples=300, deadline=None)
    @given(st.data())
    def test_mutated_examples_raise_only_payload_errors(self, data):
        """Any value anywhere in the published examples: parsed into storable events, or
        refused with a PayloadError (an invalid message), never another exception."""
        for name in ("aftership_spec_sample.json", "aftership_info_received.json", "aftership_delivered.json"):
            example = json.loads(fixture(name))
            path = data.draw(st.sampled_from(list(_paths(example))))
            body = json.dumps(_replaced(example, path, data.draw(json_values))).encode()
            try:
                aftership.message_id(body)
                parsed = aftership.parse(body)
            except PayloadError:
                continue
            for event in parsed:
                hash((event.event_id, event.code, event.shipment_external_id, event.tracking_number))
