# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""lib/aftership.py polling, without a database: the Tracking API (2026-07) answered by
`responses` (fixtures: tests/fixtures/SOURCES.md)."""

import json
from pathlib import Path

import responses

from odoo.addons.logistics_sync_connector.lib import adapters
from odoo.addons.logistics_sync_connector.tests.common import ProviderApiMixin
from odoo.tests import common

from ..lib import aftership

FIXTURES = Path(__file__).parent / "fixtures"
ANSWER = json.loads((FIXTURES / "aftership_get_tracking.json").read_text())
TRACKING = ANSWER["data"]
TRACKING_ID = TRACKING["id"]
API = "https://api.aftership.com/tracking/2026-07"
SETTINGS = adapters.OutboundSettings(base_url="", secret="asat_test_key", timeout=(2.0, 5.0))
BY_ID = adapters.PullReference("SHP-1", external_id=TRACKING_ID,
                               tracking_number=TRACKING["tracking_number"])


class TestAfterShipPull(ProviderApiMixin, common.BaseCase):
    def setUp(self):
        super().setUp()
        self.adapter = adapters.get("aftership")

    @responses.activate
    def test_a_tracking_is_read_by_id_with_the_api_key_header(self):
        responses.add(responses.GET, f"{API}/trackings/{TRACKING_ID}", json=ANSWER)
        self.assertTrue(self.adapter.supports_pull())
        result = self.adapter.pull(SETTINGS, BY_ID)
        self.assertEqual(result.outcome, "ok")
        self.assertEqual(responses.calls[0].request.headers["as-api-key"], "asat_test_key")
        body = result.payloads[0]
        self.assertEqual(self.adapter.message_id({}, body, None),
                         f"pull:{TRACKING_ID}:{TRACKING['updated_at']}")
        # The webhook's shape: the same checkpoint (milestone) ids as its delivery.
        webhook = (FIXTURES / "aftership_delivered.json").read_bytes()
        self.assertEqual([e.event_id for e in self.adapter.parse(body)],
                         [e.event_id for e in self.adapter.parse(webhook)])
        *milestones, update = self.adapter.parse(body)
        self.assertIn("Delivered", [e.code for e in milestones])
        # The tracking's estimated delivery comes in as with a webhook.
        self.assertEqual(update.type, "shipment.updated")

    @responses.activate
    def test_the_v4_envelope_is_read_too(self):
        responses.add(responses.GET, f"{API}/trackings/{TRACKING_ID}",
                      json={"meta": {"code": 200}, "data": {"tracking": TRACKING}})
        result = self.adapter.pull(SETTINGS, BY_ID)
        self.assertEqual(json.loads(result.payloads[0])["msg"]["id"], TRACKING_ID)

    @responses.activate
    def test_an_unchanged_tracking_keeps_its_message_id_and_body(self):
        responses.add(responses.GET, f"{API}/trackings/{TRACKING_ID}", json=ANSWER)
        first = self.adapter.pull(SETTINGS, BY_ID).payloads[0]
        self.assertEqual(self.adapter.pull(SETTINGS, BY_ID).payloads[0], first)
        later = {"meta": ANSWER["meta"], "data": dict(TRACKING, updated_at="2023-12-24T08:00:00+00:00")}
        responses.replace(responses.GET, f"{API}/trackings/{TRACKING_ID}", json=later)
        self.assertNotEqual(self.adapter.message_id({}, self.adapter.pull(SETTINGS, BY_ID).payloads[0], None),
                            self.adapter.message_id({}, first, None))

    @responses.activate
    def test_without_an_id_the_list_by_number_and_slug(self):
        responses.add(responses.GET, f"{API}/trackings", json={
            "meta": {"code": 200}, "data": {"trackings": [TRACKING], "pagination": {}}})
        reference = adapters.PullReference("SHP-1", tracking_number=TRACKING["tracking_number"],
                                           carrier="usps")
        result = self.adapter.pull(SETTINGS, reference)
        self.assertEqual(result.outcome, "ok")
        query = responses.calls[0].request.url.split("?", 1)[1]
        self.assertEqual(sorted(query.split("&")),
                         ["slug=usps", f"tracking_numbers={TRACKING['tracking_number']}"])

    @responses.activate
    def test_one_number_at_two_carriers_is_not_guessed(self):
        other = dict(TRACKING, id="other", slug="fedex")
        responses.add(responses.GET, f"{API}/trackings", json={
            "meta": {"code": 200}, "data": {"trackings": [TRACKING, other]}})
        reference = adapters.PullReference("SHP-1", tracking_number=TRACKING["tracking_number"])
        result = self.adapter.pull(SETTINGS, reference)
        self.assertEqual(result.outcome, "fail")
        self.assertEqual(result.payloads, [])

    @responses.activate
    def test_failures_are_classified_without_payloads(self):
        url = f"{API}/trackings/{TRACKING_ID}"
        cases = [
            ({"status": 429, "headers": {"Retry-After": "10"}}, "retry"),
            ({"status": 500}, "retry"),
            ({"status": 401, "json": {"meta": {"code": 401, "type": "Unauthorized"}}}, "fail"),
            ({"status": 404, "json": {"meta": {"code": 4004}}}, "fail"),
            ({"status": 200, "json": {"meta": {"code": 200}, "data": {}}}, "fail"),
        ]
        for answer, outcome in cases:
            with self.subTest(answer=answer):
                responses.upsert(responses.GET, url, **answer)
                result = self.adapter.pull(SETTINGS, BY_ID)
                self.assertEqual(result.outcome, outcome)
                self.assertEqual(result.payloads, [])

    def test_nothing_to_name_the_tracking_by_asks_nothing(self):
        self.assertEqual(self.adapter.pull(SETTINGS, adapters.PullReference("SHP-1")).outcome,
                         "skipped")

    def test_a_pulled_delivery_without_updated_at_is_named_by_a_hash(self):
        tracking = {k: v for k, v in TRACKING.items() if k != "updated_at"}
        event_id = self.adapter.message_id({}, aftership.tracking_delivery(tracking), None)
        self.assertRegex(event_id, rf"^pull:{TRACKING_ID}:[0-9a-f]{{32}}$")
