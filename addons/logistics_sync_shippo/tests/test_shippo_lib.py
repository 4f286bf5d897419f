# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The Shippo adapter without a database, on Shippo's own examples
(tests/fixtures/SOURCES.md)."""

import hashlib
import hmac
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

from ..lib import shippo

FIXTURES = Path(__file__).parent / "fixtures"
fixture = provider_lib.reader(FIXTURES)


class TestShippoPayload(common.BaseCase):
    def test_documented_track_becomes_events(self):
        body = fixture("shippo_track_updated_delivered.json")
        events, _eta = provider_lib.split(shippo.parse(body))
        self.assertEqual([(e.code, e.detail) for e in events],
                         [("TRANSIT", "package_accepted"), ("DELIVERED", "delivered")])
        accepted, delivered = events
        self.assertEqual(accepted.occurred_at, datetime(2023, 7, 21, 15, 33))
        self.assertEqual(accepted.location, "Las Vegas, NV, 89101, US")
        self.assertEqual(delivered.occurred_at, datetime(2023, 7, 23, 13, 3))
        self.assertEqual(delivered.event_id, "usps:9205590164917312751089:aab1d7c0559d43ccbba4ff8603089e56")
        self.assertEqual({(e.tracking_number, e.carrier, e.shipment_external_id) for e in events},
                         {("9205590164917312751089", "usps", "usps:9205590164917312751089")})
        self.assertEqual(shippo.message_id(body),
                         "usps:9205590164917312751089:ce48ff3d52a34e91b77aa98370182624")

    def test_current_status_counts_when_the_history_lacks_it(self):
        body = fixture("shippo_track_updated_transit.json")
        [event], _eta = provider_lib.split(shippo.parse(body))
        self.assertEqual((event.code, event.detail), ("TRANSIT", "package_accepted"))
        # The same status later in the history: same event id, deduplicated.
        later = shippo.parse(fixture("shippo_track_updated_delivered.json"))
        self.assertEqual(event.event_id, later[0].event_id)
        self.assertNotEqual(shippo.message_id(body),
                            shippo.message_id(fixture("shippo_track_updated_delivered.json")))

    def test_unknown_status_and_other_events_carry_no_milestone(self):
        data = json.loads(fixture("shippo_track_updated_transit.json"))
        data["data"]["tracking_status"]["status"] = "UNKNOWN"
        self.assertEqual(provider_lib.split(shippo.parse(json.dumps(data).encode()))[0], [])
        data["event"] = "transaction_created"
        body = json.dumps(data).encode()
        self.assertEqual(shippo.parse(body), [])
        self.assertTrue(shippo.message_id(body).startswith("transaction_created:"))

    def test_eta_is_a_shipment_update_after_the_milestones(self):
        parsed = shippo.parse(fixture("shippo_track_updated_transit.json"))
        [accepted], [eta] = provider_lib.split(parsed)
        self.assertEqual(parsed, [accepted, eta])
        # As Shippo sends it; ordered by the update of the current status.
        self.assertEqual(eta.times["dates.estimated_delivery"], datetime(2023, 7, 23))
        self.assertEqual(eta.occurred_at, datetime(2023, 7, 22, 14, 36, 50))
        self.assertEqual((eta.shipment_external_id, eta.tracking_number),
                         ("usps:9205590164917312751089", "9205590164917312751089"))
        self.assertEqual(eta.data["carrier"], {"code": "usps", "service": "Priority Mail"})
        self.assertEqual(eta.data["tracking"], {"number": "9205590164917312751089"})
        # A replay: the same event; the next update of the track: another one.
        self.assertEqual(shippo.parse(fixture("shippo_track_updated_transit.json"))[-1], eta)
        later = shippo.parse(fixture("shippo_track_updated_delivered.json"))[-1]
        self.assertEqual(later.type, "shipment.updated")
        self.assertNotEqual(later.event_id, eta.event_id)
        data = json.loads(fixture("shippo_track_updated_transit.json"))
        data["data"]["eta"] = None
        self.assertEqual(shippo.parse(json.dumps(data).encode()), [accepted])

    def test_malformed_payloads(self):
        for body in (b"[]", b'{"data": {}}', b'{"event": "track_updated"}',
                     b'{"event": "track_updated", "data": {}}',
                     b'{"event": "track_updated", "data": {"tracking_number": "1", "tracking_history": {}}}',
                     b'{"event": "track_updated", "data": {"tracking_number": "1", "tracking_status": []}}',
                     b'{"event": "track_updated", "data": {"tracking_number": "1", "tracking_history": [2]}}',
                     b'{"event": "track_updated", "data": {"tracking_number": "1", '
                     b'"tracking_history": [{"status": "TRANSIT"}]}}',
                     b'{"event": "track_updated", "data": {"tracking_number": "1", '
                     b'"tracking_history": [{"status": "TRANSIT", "status_date": {}}]}}'):
            with self.subTest(body=body), self.assertRaises(PayloadError):
                shippo.parse(body)

    def test_default_status_map(self):
        mapping = adapters.get("shippo").default_status_map()
        self.assertEqual(mapping["PRE_TRANSIT"], ("created", None))
        self.assertEqual(mapping["TRANSIT:package_accepted"], ("picked_up", None))
        self.assertEqual(mapping["FAILURE:package_lost"], ("exception", "lost"))
        self.assertNotIn("UNKNOWN", mapping)


class TestShippoFuzz(common.BaseCase):
    @settings(max_examples=300, deadline=None)
    @given(st.data())
    def test_mutated_examples_raise_only_payload_errors(self, data):
        provider_lib.fuzz_examples(data, shippo, fixture, (
            "shippo_track_updated_delivered.json", "shippo_track_updated_transit.json"))


class TestShippoSignature(common.BaseCase):
    """Shippo-Auth-Signature: ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""

    BODY = b'{"event":"track_updated","data":{}}'
    NOW = 1_767_225_600

    def headers(self, secret="shippo-hmac-key", timestamp=NOW, body=BODY):
        return {"Shippo-Auth-Signature": f"t={timestamp},v1={shippo.sign(secret, timestamp, body)}"}

    def test_the_signature_is_the_hex_hmac_of_time_dot_body(self):
        # Computed independently of the module: HMAC-SHA256 keyed with the secret's bytes.
        expected = hmac.new(b"k", b"1700000000." + self.BODY, hashlib.sha256).hexdigest()
        self.assertEqual(shippo.sign("k", 1700000000, self.BODY), expected)

    def test_a_valid_signature_passes_with_any_active_secret(self):
        adapter = adapters.get("shippo")
        self.assertIsNone(adapter.verify(self.headers(), self.BODY, ["shippo-hmac-key"], now=self.NOW))
        # During a rotation the previous secret still verifies; several v1 are accepted.
        self.assertIsNone(adapter.verify(self.headers(), self.BODY, ["new", "shippo-hmac-key"],
                                         now=self.NOW + 299))
        both = {"shippo-auth-signature": f"t={self.NOW},v1={'0' * 64},"
                f"v1={shippo.sign('shippo-hmac-key', self.NOW, self.BODY)}"}
        self.assertIsNone(adapter.verify(both, self.BODY, ["shippo-hmac-key"], now=self.NOW))

    def test_bad_signatures_are_refused_with_their_reason(self):
        adapter = adapters.get("shippo")
        cases = [
            ({}, ["k"], "missing_signature"),
            ({"Shippo-Auth-Signature": "v1=00"}, ["k"], "malformed_signature"),
            ({"Shippo-Auth-Signature": "t=abc,v1=00"}, ["k"], "malformed_signature"),
            ({"Shippo-Auth-Signature": f"t={self.NOW},t={self.NOW},v1=00"}, ["k"],
             "malformed_signature"),
            (self.headers("k"), [], "no_secret"),
            (self.headers("other"), ["k"], "invalid_signature"),
            (self.headers("k", body=b"{}"), ["k"], "invalid_signature"),
            (self.headers("k", timestamp=self.NOW - 301), ["k"], "timestamp_out_of_tolerance"),
            (self.headers("k", timestamp=self.NOW + 301), ["k"], "timestamp_out_of_tolerance"),
        ]
        for headers, secrets, reason in cases:
            with self.subTest(reason=reason, headers=headers):
                with self.assertRaises(SignatureError) as caught:
                    adapter.verify(headers, self.BODY, secrets, now=self.NOW)
                self.assertEqual(caught.exception.reason, reason)

    def test_a_url_token_suffices_only_without_a_signature(self):
        adapter = adapters.get("shippo")
        self.assertIsNone(adapter.authenticate({}, self.BODY, ["k"], url_token=True))
        with self.assertRaises(SignatureError) as caught:
            adapter.authenticate({}, self.BODY, ["k"], url_token=False)
        self.assertEqual(caught.exception.reason, "missing_signature")
        # A signature sent is checked even with a valid token.
        with self.assertRaises(SignatureError):
            adapter.authenticate({"Shippo-Auth-Signature": "t=1,v1=00"}, self.BODY, ["k"],
                                 url_token=True)
