# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The Shippo adapter without a database, on Shippo's own examples
(tests/fixtures/SOURCES.md)."""

import copy
import json
from datetime import datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.addons.logistics_sync_connector.lib import adapters
from odoo.addons.logistics_sync_connector.lib.events import PayloadError
from odoo.tests import common

from ..lib import shippo

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name):
    return (FIXTURES / name).read_bytes()


class TestShippoPayload(common.BaseCase):
    def test_documented_track_becomes_events(self):
        body = fixture("shippo_track_updated_delivered.json")
        events = shippo.parse(body)
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
        [event] = shippo.parse(body)
        self.assertEqual((event.code, event.detail), ("TRANSIT", "package_accepted"))
        # The same status later in the history: same event id, deduplicated.
        later = shippo.parse(fixture("shippo_track_updated_delivered.json"))
        self.assertEqual(event.event_id, later[0].event_id)
        self.assertNotEqual(shippo.message_id(body),
                            shippo.message_id(fixture("shippo_track_updated_delivered.json")))

    def test_unknown_status_and_other_events_carry_no_milestone(self):
        data = json.loads(fixture("shippo_track_updated_transit.json"))
        data["data"]["tracking_status"]["status"] = "UNKNOWN"
        self.assertEqual(shippo.parse(json.dumps(data).encode()), [])
        data["event"] = "transaction_created"
        body = json.dumps(data).encode()
        self.assertEqual(shippo.parse(body), [])
        self.assertTrue(shippo.message_id(body).startswith("transaction_created:"))

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


class TestShippoFuzz(common.BaseCase):
    @settings(max_examples=300, deadline=None)
    @given(st.data())
    def test_mutated_examples_raise_only_payload_errors(self, data):
        """Any value anywhere in the published examples: parsed into storable events, or
        refused with a PayloadError (an invalid message), never another exception."""
        for name in ("shippo_track_updated_delivered.json", "shippo_track_updated_transit.json"):
            example = json.loads(fixture(name))
            path = data.draw(st.sampled_from(list(_paths(example))))
            body = json.dumps(_replaced(example, path, data.draw(json_values))).encode()
            try:
                shippo.message_id(body)
                parsed = shippo.parse(body)
            except PayloadError:
                continue
            for event in parsed:
                hash((event.event_id, event.code, event.shipment_external_id, event.tracking_number))
