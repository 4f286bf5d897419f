# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""karrio's examples through real HTTP to the connector's webhook controller."""

import json
from pathlib import Path

from odoo import Command
from odoo.addons.logistics_sync_connector.tests import provider_lib
from odoo.addons.logistics_sync_connector.tests.common import WebhookCase, new_carrier
from odoo.tests import Form, tagged

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "whsec_626bb46d31cf4d0b802b660e84ddf1c8"
URL = "/logistics/webhook/test-karrio"


@tagged("post_install", "-at_install")
class TestKarrioWebhook(WebhookCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.karrio = cls.env["logistics.backend"].with_context(logistics_new_secret=False).create({
            "name": "karrio", "code": "test-karrio", "backend_type": "carrier",
            "adapter": "karrio", "integration_user_id": cls.integration_user.id,
            # The providers' published examples date from years before these shipments.
            "may_assert_pod": True, "event_max_age_days": 0})
        cls.env["logistics.backend.secret"].create({"backend_id": cls.karrio.id, "secret": SECRET})
        carrier = new_carrier(cls.env, "FedEx via karrio")
        cls.karrio.carrier_ids = [Command.set(carrier.ids)]
        Shipment = cls.env["logistics.shipment"]
        cls.created = Shipment.create(
            {"name": "KR-SHP-1", "tracking_number": "398779539840", "carrier_id": carrier.id})
        cls.delivered = Shipment.create(
            {"name": "KR-SHP-2", "tracking_number": "398678121664", "carrier_id": carrier.id})

    def post(self, body, secret=SECRET):
        if isinstance(body, str):
            body = (FIXTURES / body).read_bytes()
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Event-Id"] = secret
        return self.post_raw(URL, body, headers)

    def test_the_adapter_is_offered_and_its_map_is_editable_data(self):
        field = self.env["logistics.backend"]._fields["adapter"]
        self.assertIn("karrio", [key for key, _label in field._description_selection(self.env)])
        codes = {m.external_code: (m.milestone_code_id.code, m.reason_id.code)
                 for m in self.karrio.status_map_ids}
        self.assertEqual(codes["ready_for_pickup"], ("available_for_pickup", False))
        self.assertEqual(codes["delivery_delayed"], ("exception", "delayed"))

    def test_choosing_the_adapter_makes_a_carrier_backend(self):
        with Form(self.env["logistics.backend"]) as form:
            form.name, form.code = "Another", "another-karrio"
            form.backend_type = "tms"
            form.adapter = "karrio"
            self.assertEqual(form.backend_type, "carrier")

    def test_published_examples_reach_the_right_shipments(self):
        self.assertEqual(self.post("karrio_tracker_created_event.json").status_code, 202)
        self.assertEqual(self.post("karrio_tracker_updated.json").status_code, 202)
        self.process(self.karrio)
        messages = self.messages(self.karrio)
        self.assertEqual(messages.mapped("state"), ["done", "done"])
        self.assertEqual(messages[0].event_id, "evt_f31270d74fb94e3cb534bdfbf904ccb1")
        self.assertEqual((self.created.state, self.created.milestone_ids.external_code),
                         ("created", "pending"))
        self.assertEqual(self.delivered.state, "delivered")
        self.assertEqual(self.delivered.pod_signed_by, "Jane Doe")
        milestone = self.delivered.milestone_ids
        self.assertEqual((milestone.location, str(milestone.occurred_at)),
                         ("ARVADA, CO, 80004, US", "2023-05-25 15:21:00"))
        bindings = self.env["logistics.shipment.binding"].search([("backend_id", "=", self.karrio.id)])
        self.assertEqual(sorted(bindings.mapped("external_id")),
                         ["trk_6792cdaef07a46a88b944044333c6af3", "trk_d34e7d3759ee4a2e8694c5affb90c62f"])
        again = self.post("karrio_tracker_updated.json")
        self.assertEqual((again.status_code, again.json()["status"]), (200, "duplicate"))

    def test_wrong_or_missing_secret_is_401_with_an_audit_row(self):
        wrong = self.post("karrio_tracker_updated.json", secret="whsec_" + "0" * 32)
        missing = self.post("karrio_tracker_updated.json", secret=None)
        self.assertEqual((wrong.status_code, missing.status_code), (401, 401))
        audit = self.env["logistics.webhook.audit"].search([("backend_id", "=", self.karrio.id)], order="id")
        self.assertEqual(audit.mapped("reason"), ["no_valid_signature", "missing_headers"])
        self.assertFalse(self.messages(self.karrio))

    def test_unknown_status_is_unmapped_then_mapped_and_replayed(self):
        data = json.loads((FIXTURES / "karrio_tracker_updated.json").read_bytes())
        data["data"]["status"] = "lost_in_space"
        self.assertEqual(self.post(json.dumps(data).encode()).status_code, 202)
        self.process(self.karrio)
        message = self.messages(self.karrio)
        self.assertEqual(message.state, "unmapped")
        self.assertIn("lost_in_space", message.error)
        self.env["logistics.backend.status.map"].create({
            "backend_id": self.karrio.id, "external_code": "lost_in_space",
            "milestone_code_id": self.env.ref("logistics_sync.milestone_code_exception").id})
        message.with_user(self.env.ref("base.user_admin")).action_replay()
        self.process(self.karrio)
        self.assertEqual(message.state, "done")
        self.assertEqual(self.delivered.milestone_ids.external_code, "lost_in_space")

    def test_the_recommended_allowlist_refuses_other_addresses_even_with_the_secret(self):
        self.karrio.webhook_allowlist = "192.0.2.0/24"  # karrio's server; the test client is 127.0.0.1
        response = self.post("karrio_tracker_updated.json")
        self.assertEqual(response.status_code, 403)
        audit = self.env["logistics.webhook.audit"].search([("backend_id", "=", self.karrio.id)])
        self.assertEqual(audit.reason, "address_not_allowed")
        self.karrio.webhook_allowlist = "192.0.2.0/24, 127.0.0.1"
        self.assertEqual(self.post("karrio_tracker_updated.json").status_code, 202)

    def test_estimated_delivery_lands_on_the_shipment(self):
        self.assertEqual(self.post("karrio_tracker_created_event.json").status_code, 202)
        self.assertEqual(self.post("karrio_tracker_updated.json").status_code, 202)
        self.process(self.karrio)
        self.assertEqual(self.messages(self.karrio).mapped("state"), ["done", "done"])
        self.assertEqual(str(self.delivered.date_estimated), "2023-05-25 23:59:59")
        self.assertEqual((self.delivered.carrier_service, self.delivered.tracking_url), (
            "FedEx International Economy", "https://www.fedex.com/fedextrack/?trknbr=398678121664"))
        self.assertFalse(self.created.date_estimated)  # the Event sample gives none

    def test_without_the_authority_the_eta_waits_visibly_and_milestones_apply(self):
        provider_lib.check_unauthorized_eta(
            self, self.karrio, lambda: self.post("karrio_tracker_updated.json"), self.delivered)
        self.assertEqual(self.delivered.state, "delivered")

    def test_demo_backend(self):
        provider_lib.check_demo_backend(self, "logistics_sync_karrio.demo_backend_karrio",
                                        Path(__file__).parents[1] / "readme" / "CONFIGURE.md")
