# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""lib/easypost.py polling, without a database: ``GET /trackers/<id>`` answered by
`responses`.

Fixture: ``easypost_tracker_retrieved.json`` is the Tracker object of
``easypost_tracker_updated.json`` alone, as EasyPost's API reference shows the answer of
"Retrieve a Tracker" (``GET /v2/trackers/:id``: the Tracker itself, not an Event)."""

import base64
import json
from pathlib import Path

import responses

from odoo.addons.logistics_sync_connector.lib import adapters
from odoo.addons.logistics_sync_connector.tests.common import ProviderApiMixin
from odoo.tests import common

from ..lib import easypost

FIXTURES = Path(__file__).parent / "fixtures"
TRACKER = json.loads((FIXTURES / "easypost_tracker_retrieved.json").read_text())
TRACKER_ID = TRACKER["id"]
API = "https://api.easypost.com/v2"
SETTINGS = adapters.OutboundSettings(base_url="", secret="EZTK_test_key", timeout=(2.0, 5.0))
BY_ID = adapters.PullReference("SHP-1", external_id=TRACKER_ID, tracking_number="EZ4000000004")


class TestEasyPostPull(ProviderApiMixin, common.BaseCase):
    def setUp(self):
        super().setUp()
        self.adapter = adapters.get("easypost")

    @responses.activate
    def test_a_tracker_is_read_by_id_with_basic_auth(self):
        responses.add(responses.GET, f"{API}/trackers/{TRACKER_ID}", json=TRACKER)
        self.assertTrue(self.adapter.supports_pull())
        result = self.adapter.pull(SETTINGS, BY_ID)
        self.assertEqual(result.outcome, "ok")
        request = responses.calls[0].request
        expected = base64.b64encode(b"EZTK_test_key:").decode()
        self.assertEqual(request.headers["Authorization"], f"Basic {expected}")
        self.assertEqual(len(result.payloads), 1)
        body = result.payloads[0]
        # The webhook's shape: the same message id / parse path, the same milestone ids.
        self.assertEqual(self.adapter.message_id({}, body, None),
                         f"pull:{TRACKER_ID}:{TRACKER['updated_at']}")
        webhook = (FIXTURES / "easypost_tracker_updated.json").read_bytes()
        self.assertEqual([e.event_id for e in self.adapter.parse(body)],
                         [e.event_id for e in self.adapter.parse(webhook)])
        *milestones, update = self.adapter.parse(body)
        self.assertEqual(milestones[-1].code, "delivered")
        # The pulled tracker's estimated delivery comes in as with a webhook.
        self.assertEqual(update.type, "shipment.updated")

    @responses.activate
    def test_an_unchanged_tracker_keeps_its_message_id_and_body(self):
        responses.add(responses.GET, f"{API}/trackers/{TRACKER_ID}", json=TRACKER)
        first = self.adapter.pull(SETTINGS, BY_ID).payloads[0]
        second = self.adapter.pull(SETTINGS, BY_ID).payloads[0]
        self.assertEqual(first, second)  # same id, same body: a duplicate, not a conflict
        updated = dict(TRACKER, updated_at="2026-11-21T08:00:00Z")
        responses.replace(responses.GET, f"{API}/trackers/{TRACKER_ID}", json=updated)
        third = self.adapter.pull(SETTINGS, BY_ID).payloads[0]
        self.assertNotEqual(self.adapter.message_id({}, third, None),
                            self.adapter.message_id({}, first, None))

    def test_without_updated_at_the_id_is_a_hash_of_the_tracker(self):
        tracker = {k: v for k, v in TRACKER.items() if k != "updated_at"}
        one = self.adapter.message_id({}, easypost.tracker_event(tracker), None)
        self.assertRegex(one, rf"^pull:{TRACKER_ID}:[0-9a-f]{{32}}$")
        self.assertEqual(one, self.adapter.message_id({}, easypost.tracker_event(dict(tracker)), None))
        other = dict(tracker, status="out_for_delivery")
        self.assertNotEqual(one, self.adapter.message_id({}, easypost.tracker_event(other), None))

    @responses.activate
    def test_without_a_tracker_id_the_latest_tracker_of_the_code(self):
        older = dict(TRACKER, id="trk_old", created_at="2025-01-01T00:00:00Z")
        other = dict(TRACKER, id="trk_other", tracking_code="EZ9")
        responses.add(responses.GET, f"{API}/trackers", json={
            "trackers": [older, TRACKER, other], "has_more": False})
        reference = adapters.PullReference("SHP-1", tracking_number="EZ4000000004", carrier="USPS")
        result = self.adapter.pull(SETTINGS, reference)
        self.assertEqual(result.outcome, "ok")
        query = responses.calls[0].request.url.split("?", 1)[1]
        self.assertEqual(sorted(query.split("&")), ["carrier=USPS", "tracking_code=EZ4000000004"])
        self.assertEqual(json.loads(result.payloads[0])["result"]["id"], TRACKER_ID)

    @responses.activate
    def test_failures_are_classified_without_payloads(self):
        url = f"{API}/trackers/{TRACKER_ID}"
        cases = [
            ({"status": 429, "headers": {"Retry-After": "30"}}, "retry", 30.0),
            ({"status": 503}, "retry", None),
            ({"status": 404, "json": {"error": {"code": "NOT_FOUND"}}}, "fail", None),
            ({"status": 200, "body": b"<html>maintenance</html>"}, "fail", None),
            ({"status": 200, "json": {"object": "Event"}}, "fail", None),
        ]
        for answer, outcome, retry_after in cases:
            with self.subTest(answer=answer):
                responses.upsert(responses.GET, url, **answer)
                result = self.adapter.pull(SETTINGS, BY_ID)
                self.assertEqual(result.outcome, outcome)
                self.assertEqual(result.payloads, [])
                self.assertEqual(result.retry_after, retry_after)

    @responses.activate
    def test_nothing_to_name_the_tracker_by_asks_nothing(self):
        result = self.adapter.pull(SETTINGS, adapters.PullReference("SHP-1"))
        self.assertEqual(result.outcome, "skipped")
        self.assertFalse(responses.calls)

    @responses.activate
    def test_a_configured_base_url_and_the_ssrf_guard_apply(self):
        settings = adapters.OutboundSettings(base_url="https://10.0.0.5/v2", secret="k")
        result = self.adapter.pull(settings, BY_ID)
        self.assertEqual(result.outcome, "fail")
        self.assertIn("unsafe URL", result.reason)
        self.assertFalse(responses.calls)

    def test_the_generic_adapter_cannot_pull(self):
        generic = adapters.get("generic")
        self.assertFalse(generic.supports_pull())
        with self.assertRaises(NotImplementedError):
            generic.pull(SETTINGS, BY_ID)
