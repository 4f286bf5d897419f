# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json
from pathlib import Path

from odoo import Command
from odoo.addons.logistics_sync_connector.tests import provider_lib
from odoo.addons.logistics_sync_connector.tests.common import WebhookCase, generic_event, new_carrier
from odoo.tests import tagged

from ..lib import easypost

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "easypost-test-secret"


@tagged("post_install", "-at_install")
class TestEasyPostWebhook(WebhookCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.easypost = cls.env["logistics.backend"].with_context(logistics_new_secret=False).create({
            "name": "EasyPost", "code": "test-easypost", "backend_type": "carrier",
            "adapter": "easypost", "integration_user_id": cls.integration_user.id,
            "may_assert_pod": True})
        cls.env["logistics.backend.secret"].create({"backend_id": cls.easypost.id, "secret": SECRET})
        # Shipments of this carrier are in the backend's scope.
        carrier = new_carrier(cls.env, "EasyPost Road")
        cls.easypost.carrier_ids = [Command.set(carrier.ids)]
        cls.ep_shipment = cls.env["logistics.shipment"].create(
            {"name": "EP-SHP-1", "tracking_number": "EZ4000000004", "carrier_id": carrier.id})

    def post_easypost(self, name, secret=SECRET):
        body = (FIXTURES / name).read_bytes()
        headers = {"Content-Type": "application/json",
                   "X-Hmac-Signature": easypost.sign_easypost(secret, body)}
        return self.post_raw("/logistics/webhook/test-easypost", body, headers)

    def test_default_status_map_is_editable_data(self):
        codes = {m.external_code: m.milestone_code_id.code for m in self.easypost.status_map_ids}
        self.assertEqual(codes["delivered"], "delivered")
        self.assertEqual(codes["return_to_sender"], "returned")
        self.assertEqual(codes["in_transit:received_at_origin_facility"], "picked_up")

    def test_tracker_events_become_milestones_with_pod(self):
        created = self.post_easypost("easypost_tracker_created.json")
        self.assertEqual(created.status_code, 202, created.text)
        updated = self.post_easypost("easypost_tracker_updated.json")
        self.assertEqual(updated.status_code, 202)
        self.process(self.easypost)
        messages = self.messages(self.easypost)
        self.assertEqual(messages.mapped("state"), ["done", "done"])
        self.assertEqual(set(messages.mapped("event_id")),
                         {"evt_1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6", "evt_8f3c1b7e2d9a4f6b9c0d1e2f3a4b5c6d"})
        shipment = self.ep_shipment
        self.assertEqual(shipment.state, "delivered")
        self.assertTrue(shipment.pod_received)
        self.assertEqual(shipment.pod_signed_by, "John Tester")
        codes = sorted(shipment.milestone_ids.mapped("code"))
        # pre_transit twice (two details at different times), picked up at the origin facility.
        self.assertEqual(codes, ["created", "created", "delivered", "out_for_delivery", "picked_up"])
        delivered = shipment.milestone_ids.filtered(lambda m: m.code == "delivered")
        self.assertEqual(delivered.location, "CHARLESTON, SC, 29401")
        self.assertEqual(delivered.external_code, "delivered")
        # The shared first detail was reported by both events: one milestone, one duplicate report.
        first = shipment.milestone_ids.filtered(lambda m: m.occurred_at.day == 18 and m.occurred_at.hour == 9)
        self.assertEqual(len(first.duplicate_ids), 1)
        # Matched by tracking code, then bound to the tracker id for next time.
        binding = self.env["logistics.shipment.binding"].search([("backend_id", "=", self.easypost.id)])
        self.assertEqual(binding.external_id, "trk_c8e0edb5bb284caa934a0d3db23a148z")

    def test_replayed_event_is_duplicate_and_bad_hmac_is_401(self):
        self.assertEqual(self.post_easypost("easypost_tracker_created.json").status_code, 202)
        again = self.post_easypost("easypost_tracker_created.json")
        self.assertEqual(again.status_code, 200)
        self.assertEqual(again.json()["status"], "duplicate")
        bad = self.post_easypost("easypost_tracker_updated.json", secret="wrong")
        self.assertEqual(bad.status_code, 401)
        audit = self.env["logistics.webhook.audit"].search([("backend_id", "=", self.easypost.id)])
        self.assertEqual(audit.reason, "no_valid_signature")

    def test_event_without_id_is_quarantined(self):
        body = json.dumps({"object": "Event", "description": "tracker.updated"}).encode()
        headers = {"X-Hmac-Signature": easypost.sign_easypost(SECRET, body)}
        response = self.post_raw("/logistics/webhook/test-easypost", body, headers)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.messages(self.easypost).state, "invalid")

    def test_tracker_values_of_the_wrong_type_do_not_block_the_inbox(self):
        """Found by tests/test_fuzz_webhook.py: a dict as tracker id failed the inbox job
        (TypeError in the shipment matching) for every message of the backend."""
        good = json.loads((FIXTURES / "easypost_tracker_created.json").read_text())
        bad = json.loads(json.dumps(good))
        bad["id"] = "evt_bad"
        bad["result"]["id"] = {"unexpected": "object"}
        for event in (bad, good):
            body = json.dumps(event).encode()
            headers = {"X-Hmac-Signature": easypost.sign_easypost(SECRET, body)}
            self.assertEqual(self.post_raw("/logistics/webhook/test-easypost", body, headers).status_code, 202)
        self.process(self.easypost)
        messages = self.messages(self.easypost)
        self.assertEqual(messages.mapped("state"), ["invalid", "done"])
        self.assertIn("shipment_external_id", messages[0].error)
        self.assertEqual(self.ep_shipment.state, "created")

    def test_event_id_nul_or_too_long_is_quarantined(self):
        for event_id in ("evt_\u0000", "evt_" + "x" * 300):
            body = json.dumps({"object": "Event", "id": event_id, "description": "batch.created"}).encode()
            headers = {"X-Hmac-Signature": easypost.sign_easypost(SECRET, body)}
            response = self.post_raw("/logistics/webhook/test-easypost", body, headers)
            self.assertEqual(response.status_code, 400, response.text)
            message = self.env["logistics.sync.message"].browse(response.json()["message_id"])
            self.assertEqual(message.state, "invalid")
            self.assertTrue(message.event_id.startswith("invalid-"))

    def test_est_delivery_date_lands_on_the_shipment(self):
        self.assertEqual(self.post_easypost("easypost_tracker_updated.json").status_code, 202)
        self.process(self.easypost)
        message = self.messages(self.easypost)
        self.assertEqual(message.state, "done", message.error)
        shipment = self.ep_shipment
        self.assertEqual(str(shipment.date_estimated), "2026-11-20 14:03:00")
        self.assertEqual((shipment.carrier_service, shipment.tracking_url), (
            "First-Class Package Service",
            "https://track.easypost.com/djE6dHJrX2M4ZTBlZGI1YmIyODRjYWE5MzRhMGQzZGIyM2ExNDhk"))

    def test_without_the_authority_the_eta_waits_visibly_and_milestones_apply(self):
        provider_lib.check_unauthorized_eta(
            self, self.easypost, lambda: self.post_easypost("easypost_tracker_updated.json"), self.ep_shipment)
        self.assertEqual(self.ep_shipment.state, "delivered")

    def test_its_event_id_header_is_kept_with_its_messages_only(self):
        body = (FIXTURES / "easypost_tracker_updated.json").read_bytes()
        headers = {"Content-Type": "application/json", "X-EasyPost-Event-Id": "evt_header",
                   "X-Hmac-Signature": easypost.sign_easypost(SECRET, body)}
        self.assertEqual(self.post_raw("/logistics/webhook/test-easypost", body, headers).status_code, 202)
        self.assertEqual(json.loads(self.messages(self.easypost).headers)["x-easypost-event-id"],
                         "evt_header")
        # Not a header the connector keeps for other adapters.
        event = generic_event("TEST-SHP-1", "in_transit", "2026-11-20T14:03:00Z")
        self.assertEqual(self.post_signed(event, headers={"X-EasyPost-Event-Id": "evt_x"}).status_code, 202)
        self.assertNotIn("x-easypost-event-id", json.loads(self.messages().headers))

    def test_reference_column(self):
        provider_lib.check_reference_column(self, "easypost_status", easypost.EASYPOST_STATUS_MAP)

    def test_demo_backend(self):
        # Not paused: its secret is a demo value, documented as such.
        provider_lib.check_demo_backend(self, "logistics_sync_easypost.demo_backend_easypost",
                                        Path(__file__).parents[1] / "readme" / "CONFIGURE.md",
                                        paused=False)
