# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The karrio adapter without a database, on karrio's own examples
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

from ..lib import karrio

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "whsec_626bb46d31cf4d0b802b660e84ddf1c8"  # the format of karrio's webhook sample
fixture = provider_lib.reader(FIXTURES)


class TestKarrioAuthentication(common.BaseCase):
    def test_the_webhook_secret_in_x_event_id(self):
        karrio.verify({"X-Event-Id": SECRET}, b"{}", [SECRET])
        karrio.verify({"x-event-id": f" {SECRET}\n"}, b"{}", ["whsec_new", SECRET])
        self.assertIsNone(adapters.get("karrio").verify({"X-Event-Id": SECRET}, b"{}", [SECRET]))

    def test_rejections(self):
        cases = [
            ({}, [SECRET], "missing_headers"),
            ({"X-Event-Id": ""}, [SECRET], "missing_headers"),
            ({"X-Event-Id": SECRET}, [], "no_secret"),
            ({"X-Event-Id": SECRET[:-1]}, [SECRET], "no_valid_signature"),
            ({"X-Event-Id": SECRET + "0"}, [SECRET], "no_valid_signature"),
            ({"X-Event-Id": "evt_f31270d74fb94e3cb534bdfbf904ccb1"}, [SECRET], "no_valid_signature"),
            ({"X-Event-Id": "\udcff"}, [SECRET], "no_valid_signature"),
        ]
        for headers, secrets, reason in cases:
            with self.subTest(headers=headers), self.assertRaises(SignatureError) as caught:
                karrio.verify(headers, b"{}", secrets)
            self.assertEqual(caught.exception.reason, reason)


class TestKarrioPayload(common.BaseCase):
    def test_documented_event_object(self):
        body = fixture("karrio_tracker_created_event.json")
        self.assertEqual(karrio.message_id(body), "evt_f31270d74fb94e3cb534bdfbf904ccb1")
        [event] = karrio.parse(body)
        self.assertEqual((event.code, event.detail), ("pending", None))
        self.assertEqual(event.occurred_at, datetime(2023, 5, 25, 16, 44))
        self.assertEqual(event.shipment_external_id, "trk_d34e7d3759ee4a2e8694c5affb90c62f")
        self.assertEqual((event.tracking_number, event.carrier), ("398779539840", "fedex"))
        self.assertIsNone(event.location)

    def test_webhook_task_form_without_event_statuses(self):
        """Only the newest event takes the tracker status; older events (no status of
        their own) are skipped."""
        body = fixture("karrio_tracker_updated.json")
        self.assertRegex(karrio.message_id(body), r"^trk_6792cdaef07a46a88b944044333c6af3:[0-9a-f]{32}$")
        self.assertEqual(karrio.message_id(body), karrio.message_id(body))
        [event], _eta = provider_lib.split(karrio.parse(body))
        self.assertEqual(event.code, "delivered")
        self.assertEqual(event.occurred_at, datetime(2023, 5, 25, 15, 21))
        self.assertEqual(event.location, "ARVADA, CO, 80004, US")
        self.assertEqual((event.pod_signed_by, event.pod_received_at), ("Jane Doe", event.occurred_at))

    def test_events_with_their_own_status_timestamp_and_reason(self):
        events = karrio.parse(fixture("karrio_tracker_event_statuses.json"))
        self.assertEqual([(e.code, e.detail) for e in events],
                         [("delivery_delayed", "weather_delay"), ("picked_up", None)])
        self.assertEqual(events[0].occurred_at, datetime(2025, 12, 4, 7, 16))
        self.assertEqual(events[1].location, "KOELN")
        self.assertEqual({e.pod_signed_by for e in events}, {None})

    def test_event_ids_are_stable_when_the_tracker_status_moves_on(self):
        data = json.loads(fixture("karrio_tracker_updated.json"))
        [delivered], _eta = provider_lib.split(karrio.parse(json.dumps(data).encode()))
        data["data"]["status"] = "in_transit"
        data["data"]["events"][0]["status"] = "delivered"
        [again], _eta = provider_lib.split(karrio.parse(json.dumps(data).encode()))
        self.assertEqual(again.event_id, delivered.event_id)

    def test_estimated_delivery_is_a_shipment_update_after_the_milestones(self):
        parsed = karrio.parse(fixture("karrio_tracker_updated.json"))
        [delivered], [eta] = provider_lib.split(parsed)
        self.assertEqual(parsed, [delivered, eta])
        # A date alone: the end of that day (UTC); no updated_at: the newest event's time.
        self.assertEqual(eta.times["dates.estimated_delivery"], datetime(2023, 5, 25, 23, 59, 59))
        self.assertEqual(eta.occurred_at, datetime(2023, 5, 25, 15, 21))
        self.assertEqual((eta.shipment_external_id, eta.tracking_number),
                         ("trk_6792cdaef07a46a88b944044333c6af3", "398678121664"))
        self.assertEqual(eta.data["carrier"], {"code": "fedex", "service": "FedEx International Economy"})
        self.assertEqual(eta.data["tracking"], {
            "number": "398678121664", "url": "https://www.fedex.com/fedextrack/?trknbr=398678121664"})
        self.assertEqual(provider_lib.split(karrio.parse(fixture("karrio_tracker_updated.json")))[1], [eta])
        data = json.loads(fixture("karrio_tracker_updated.json"))
        data["data"]["updated_at"] = "2023-05-25T16:00:00Z"
        [later] = provider_lib.split(karrio.parse(json.dumps(data).encode()))[1]
        self.assertEqual(later.occurred_at, datetime(2023, 5, 25, 16, 0))
        self.assertNotEqual(later.event_id, eta.event_id)
        # The documented Event sample has no estimated delivery: its milestone only.
        self.assertEqual(provider_lib.split(karrio.parse(fixture("karrio_tracker_created_event.json")))[1], [])

    def test_times(self):
        for time, expected in (("07:16 AM", (7, 16)), ("7:16 pm", (19, 16)), ("20:34:05", (20, 34)),
                               (None, (0, 0))):
            moment = karrio.event_time({"date": "2021-01-11", "time": time}, 0)
            self.assertEqual((moment.hour, moment.minute), expected)
        for event in ({"date": "11/01/2021"}, {"date": "2021-01-11", "time": "late"}, {},
                      {"timestamp": "2021-01-11T20:34:00"}):
            with self.subTest(event=event), self.assertRaises(PayloadError):
                karrio.event_time(event, 0)

    def test_unknown_status_and_other_events_carry_no_milestone(self):
        data = json.loads(fixture("karrio_tracker_updated.json"))
        data["data"]["status"] = "unknown"
        self.assertEqual(karrio.parse(json.dumps(data).encode()), [])
        data["event"] = "shipment.purchased"
        self.assertEqual(karrio.parse(json.dumps(data).encode()), [])

    def test_only_image_links_are_proof_documents(self):
        data = json.loads(fixture("karrio_tracker_updated.json"))
        data["data"]["signature_image_url"] = "data:image/png;base64,AAAA"
        data["data"]["delivery_image_url"] = "https://karrio.example/pod.png"
        [event], _eta = provider_lib.split(karrio.parse(json.dumps(data).encode()))
        self.assertEqual(event.pod_document_url, "https://karrio.example/pod.png")

    def test_malformed_payloads(self):
        for body in (b"[]", b'{"data": {}}', b'{"event": "tracker.updated"}',
                     b'{"event": "tracker.updated", "data": {"events": []}}',
                     b'{"event": "tracker.updated", "data": {"id": "t", "events": {}}}',
                     b'{"event": "tracker.updated", "data": {"id": "t", "events": ["x"]}}',
                     b'{"event": "tracker.updated", "data": {"id": "t", "status": "delivered", '
                     b'"events": [{"time": "10:00"}]}}',
                     b'{"event": "tracker.updated", "data": {"id": "t", '
                     b'"events": [{"status": 3, "date": "2021-01-11"}]}}'):
            with self.subTest(body=body), self.assertRaises(PayloadError):
                karrio.parse(body)
        with self.assertRaises(PayloadError):
            karrio.message_id(b'{"id": "", "event": "tracker.updated", "data": {}}')

    def test_default_status_map(self):
        mapping = adapters.get("karrio").default_status_map()
        self.assertEqual(mapping["ready_for_pickup"], ("available_for_pickup", None))
        self.assertEqual(mapping["delivery_delayed"], ("exception", "delayed"))
        self.assertEqual(mapping["return_to_sender"], ("returned", None))
        self.assertNotIn("unknown", mapping)


class TestKarrioFuzz(common.BaseCase):
    @settings(max_examples=300, deadline=None)
    @given(st.data())
    def test_mutated_examples_raise_only_payload_errors(self, data):
        provider_lib.fuzz_examples(data, karrio, fixture, (
            "karrio_tracker_created_event.json", "karrio_tracker_updated.json",
            "karrio_tracker_event_statuses.json"))
