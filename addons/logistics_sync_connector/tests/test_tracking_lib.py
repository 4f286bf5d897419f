# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""What the tracking providers' adapters share, without a database: the ETA event
(lib/tracking.py) and the inbound-only adapter base (lib/adapters.py)."""

from datetime import datetime

from odoo.tests import common

from ..lib import adapters, event_types, events, tracking

AT = datetime(2026, 11, 20, 14, 3)
ETA = datetime(2026, 11, 22, 23, 59, 59)


class TestProviderDatetime(common.BaseCase):
    def test_the_forms_providers_send(self):
        cases = [
            ("2026-11-22", ETA),  # a date alone: the end of that day
            ("2026-11-22T10:00:00", datetime(2026, 11, 22, 10, 0)),  # no offset: UTC
            ("2026-11-22T10:00:00-05:00", datetime(2026, 11, 22, 15, 0)),
            ("2026-11-22T10:00:00.250Z", datetime(2026, 11, 22, 10, 0, 0, 250000)),
            (" 2026-11-22 ", ETA),
        ]
        for value, expected in cases:
            with self.subTest(value=value):
                self.assertEqual(tracking.provider_datetime(value), expected)

    def test_what_is_not_a_date_is_none(self):
        for value in (None, "", " ", "soon", "2026-13-01", "22/11/2026", 20261122, {"date": "x"},
                      "0001-01-01T00:00:00+14:00", "2026-11-22T25:00"):
            with self.subTest(value=value):
                self.assertIsNone(tracking.provider_datetime(value))


class TestEtaEvent(common.BaseCase):
    def test_a_canonical_shipment_update(self):
        event = tracking.eta_event("trk_1", AT, ETA, external_id="trk_1", tracking_number="EZ1",
                                   carrier="usps", service="Ground", tracking_url="https://t.example/1")
        self.assertIsInstance(event, events.TypedEvent)
        self.assertEqual(event.type, event_types.SHIPMENT_UPDATED)
        self.assertEqual((event.occurred_at, event.times["dates.estimated_delivery"]), (AT, ETA))
        self.assertEqual((event.shipment_external_id, event.tracking_number), ("trk_1", "EZ1"))
        self.assertEqual(event.data["carrier"], {"code": "usps", "service": "Ground"})
        self.assertEqual(event.data["tracking"], {"number": "EZ1", "url": "https://t.example/1"})
        # What a TMS would send: the published schema accepts it as it is.
        self.assertEqual(events.validate(event.data)[0][1], event_types.SHIPMENT_UPDATED)

    def test_its_id_is_what_it_says(self):
        first = tracking.eta_event("trk_1", AT, ETA, external_id="trk_1")
        self.assertEqual(tracking.eta_event("trk_1", AT, ETA, external_id="trk_1").event_id,
                         first.event_id)
        self.assertRegex(first.event_id, r"^trk_1:eta:[0-9a-f]{20}$")
        for other in (tracking.eta_event("trk_1", AT, AT, external_id="trk_1"),
                      tracking.eta_event("trk_1", ETA, ETA, external_id="trk_1"),
                      tracking.eta_event("trk_1", AT, ETA, external_id="trk_1", carrier="ups")):
            self.assertNotEqual(other.event_id, first.event_id)
        long = tracking.eta_event("k" * 400, AT, ETA, tracking_number="1")
        self.assertLessEqual(len(long.event_id), events.MAX_EVENT_ID)

    def test_nothing_without_an_eta_a_time_or_a_shipment(self):
        self.assertIsNone(tracking.eta_event("k", AT, None, external_id="k"))
        self.assertIsNone(tracking.eta_event("k", None, ETA, external_id="k"))
        self.assertIsNone(tracking.eta_event("k", AT, ETA))

    def test_what_does_not_fit_is_left_out(self):
        event = tracking.eta_event("k", AT, ETA, tracking_number="1", carrier=7,
                                   tracking_url="https://t.example/" + "x" * 1100)
        self.assertNotIn("carrier", event.data)
        self.assertEqual(event.data["tracking"], {"number": "1"})


class TestInboundAdapter(common.BaseCase):
    def test_nothing_is_sent_and_the_secret_is_a_placeholder(self):
        @adapters.register
        class Provider(adapters.InboundAdapter):
            key, label = "test-inbound", "Test provider webhooks"

        try:
            adapter = adapters.get("test-inbound")
            result = adapter.test_connection(None)
            self.assertEqual((result.outcome, result.reason), ("fail", "Test provider webhooks: inbound only"))
            with self.assertRaises(NotImplementedError):
                adapter.send(None, "ping", "ping", {})
            self.assertGreaterEqual(len(adapter.new_secret()), 40)
            self.assertNotEqual(adapter.new_secret(), adapter.new_secret())
            self.assertEqual(adapter.default_flows("carrier"), [{"flow": "inbound_milestones"}])
        finally:
            adapters._REGISTRY.pop("test-inbound")
