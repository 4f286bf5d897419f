# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The AfterShip adapter without a database, on AfterShip's own examples
(tests/fixtures/SOURCES.md)."""

import json
from datetime import datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.addons.logistics_sync_connector.lib import adapters
from odoo.addons.logistics_sync_connector.lib.events import PayloadError
from odoo.addons.logistics_sync_connector.lib.signatures import SignatureError
from odoo.addons.logistics_sync_connector.tests import provider_lib
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

fixture = provider_lib.reader(FIXTURES)


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
        events, _eta = provider_lib.split(aftership.parse(fixture("aftership_delivered.json")))
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
        later, _eta = provider_lib.split(aftership.parse(fixture("aftership_delivered.json")))
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
        data["event"] = "tracking_pending_time"
        self.assertEqual(aftership.parse(json.dumps(data).encode()), [])

    def test_expected_delivery(self):
        delivered = json.loads(fixture("aftership_delivered.json"))["msg"]
        self.assertEqual(aftership.expected_delivery(delivered), "2023-12-23")
        info = json.loads(fixture("aftership_info_received.json"))["msg"]
        self.assertIsNone(aftership.expected_delivery(info))
        cases = [
            ({"expected_delivery": "2024-01-02"}, "2024-01-02"),  # API 2024-01 and before
            ({"latest_estimated_delivery": {"type": "range", "datetime": None,
                                            "datetime_min": "2024-01-02", "datetime_max": "2024-01-04"},
              "expected_delivery": "2024-01-01"}, "2024-01-04"),
            ({"latest_estimated_delivery": None,
              "aftership_estimated_delivery_date": {"estimated_delivery_date": "2024-01-03",
                                                    "confidence_code": 9}}, "2024-01-03"),
            ({"custom_estimated_delivery_date": {"type": "specific", "datetime": "2024-01-05T10:00:00"}},
             "2024-01-05T10:00:00"),
            ({"latest_estimated_delivery": {"datetime": 20240102}}, None),
        ]
        for msg, expected in cases:
            with self.subTest(msg=msg):
                self.assertEqual(aftership.expected_delivery(msg), expected)

    def test_expected_delivery_is_a_shipment_update_after_the_milestones(self):
        parsed = aftership.parse(fixture("aftership_delivered.json"))
        milestones, [eta] = provider_lib.split(parsed)
        self.assertEqual(parsed, [*milestones, eta])
        self.assertEqual(len(milestones), 4)
        # A date alone: the end of that day (UTC); ordered by the tracking's updated_at.
        self.assertEqual(eta.times["dates.estimated_delivery"], datetime(2023, 12, 23, 23, 59, 59))
        self.assertEqual(eta.occurred_at, datetime(2023, 12, 23, 17, 40, 5))
        self.assertEqual((eta.shipment_external_id, eta.tracking_number),
                         ("q82bqhzdrcxbjlqdnzng5024", "9434936105536968782556"))
        self.assertEqual(eta.data["carrier"], {"code": "usps", "service": "USPS Ground Advantage"})
        self.assertEqual(eta.data["tracking"], {"number": "9434936105536968782556"})
        self.assertTrue(eta.event_id.startswith("q82bqhzdrcxbjlqdnzng5024:eta:"), eta.event_id)
        # The same delivery again (a replay): the same event; a later update: another one.
        self.assertEqual(provider_lib.split(aftership.parse(fixture("aftership_delivered.json")))[1],
                         [eta])
        data = json.loads(fixture("aftership_delivered.json"))
        data["msg"]["updated_at"] = "2023-12-23T18:00:00+00:00"
        [later] = provider_lib.split(aftership.parse(json.dumps(data).encode()))[1]
        self.assertNotEqual(later.event_id, eta.event_id)
        # Without an estimate, or with one that is not a date: milestones only.
        self.assertEqual(provider_lib.split(aftership.parse(fixture("aftership_info_received.json")))[1], [])
        data["msg"]["latest_estimated_delivery"]["datetime"] = "next week"
        self.assertEqual(provider_lib.split(aftership.parse(json.dumps(data).encode())),
                         (milestones, []))

    def test_edd_revise_carries_only_the_new_estimate(self):
        data = json.loads(fixture("aftership_delivered.json"))
        data["event"] = "edd_revise"
        data["msg"]["latest_estimated_delivery"]["datetime"] = "2023-12-24T12:00:00-05:00"
        [eta] = aftership.parse(json.dumps(data).encode())
        self.assertEqual(eta.type, "shipment.updated")
        self.assertEqual(eta.times["dates.estimated_delivery"], datetime(2023, 12, 24, 17, 0))

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


class TestAftershipFuzz(common.BaseCase):
    @settings(max_examples=300, deadline=None)
    @given(st.data())
    def test_mutated_examples_raise_only_payload_errors(self, data):
        provider_lib.fuzz_examples(data, aftership, fixture, (
            "aftership_spec_sample.json", "aftership_info_received.json", "aftership_delivered.json"))
