# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""AfterShip's examples through real HTTP to the connector's webhook controller."""

import json
from pathlib import Path

from odoo import Command
from odoo.addons.logistics_sync_connector.tests import provider_lib
from odoo.addons.logistics_sync_connector.tests.common import WebhookCase, new_carrier
from odoo.tests import Form, tagged

from ..lib import aftership

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "aftership-test-secret"
URL = "/logistics/webhook/test-aftership"


@tagged("post_install", "-at_install")
class TestAfterShipWebhook(WebhookCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.aftership = cls.env["logistics.backend"].with_context(logistics_new_secret=False).create({
            "name": "AfterShip", "code": "test-aftership", "backend_type": "carrier",
            "adapter": "aftership", "integration_user_id": cls.integration_user.id,
            # The providers' published examples date from years before these shipments.
            "may_assert_pod": True, "event_max_age_days": 0})
        cls.env["logistics.backend.secret"].create({"backend_id": cls.aftership.id, "secret": SECRET})
        carrier = new_carrier(cls.env, "USPS via AfterShip")
        cls.aftership.carrier_ids = [Command.set(carrier.ids)]
        cls.as_shipment = cls.env["logistics.shipment"].create(
            {"name": "AS-SHP-1", "tracking_number": "9434936105536968782556", "carrier_id": carrier.id})

    def post(self, body, secret=SECRET, headers=None):
        if isinstance(body, str):
            body = (FIXTURES / body).read_bytes()
        sent = {"Content-Type": "application/json"}
        if secret:
            sent["aftership-hmac-sha256"] = aftership.sign(secret, body)
        sent.update(headers or {})
        return self.post_raw(URL, body, sent)

    def test_the_adapter_is_offered_and_its_map_is_editable_data(self):
        field = self.env["logistics.backend"]._fields["adapter"]
        self.assertIn("aftership", [key for key, _label in field._description_selection(self.env)])
        codes = {m.external_code: (m.milestone_code_id.code, m.reason_id.code)
                 for m in self.aftership.status_map_ids}
        self.assertEqual(codes["Delivered"], ("delivered", False))
        self.assertEqual(codes["InTransit:InTransit_002"], ("picked_up", False))
        self.assertEqual(codes["Exception:Exception_013"], ("exception", "lost"))
        self.assertEqual(self.aftership.flow_ids.mapped("flow"), ["inbound_milestones"])

    def test_choosing_the_adapter_makes_a_carrier_backend(self):
        with Form(self.env["logistics.backend"]) as form:
            form.name, form.code = "Another", "another-aftership"
            form.backend_type = "tms"
            form.adapter = "aftership"
            self.assertEqual(form.backend_type, "carrier")

    def test_published_examples_become_milestones_of_the_right_shipment(self):
        self.assertEqual(self.post("aftership_info_received.json").status_code, 202)
        self.assertEqual(self.post("aftership_delivered.json").status_code, 202)
        self.process(self.aftership)
        messages = self.messages(self.aftership)
        self.assertEqual(messages.mapped("state"), ["done", "done"])
        self.assertEqual(messages.mapped("event_id"), ["5b0c8d0e-1d53-4bd8-a1b5-6a0c1d2e3f40",
                                                       "0b6f3c52-7a0e-4d39-9d8e-2f4b7c1a9e11"])
        shipment = self.as_shipment
        self.assertEqual(shipment.state, "delivered")
        self.assertTrue(shipment.pod_received)
        self.assertEqual(shipment.pod_signed_by, "J SMITH")
        self.assertEqual(sorted(shipment.milestone_ids.mapped("code")),
                         ["created", "delivered", "out_for_delivery", "picked_up"])
        delivered = shipment.milestone_ids.filtered(lambda m: m.code == "delivered")
        self.assertEqual((delivered.location, delivered.external_code, delivered.detail),
                         ("VINELAND, NJ, 08360, USA, United States", "Delivered", "Delivered_001"))
        self.assertEqual(str(delivered.occurred_at), "2023-12-23 17:31:00")
        # The first checkpoint was in both deliveries: one milestone, one duplicate report.
        created = shipment.milestone_ids.filtered(lambda m: m.code == "created")
        self.assertEqual(len(created.duplicate_ids), 1)
        binding = self.env["logistics.shipment.binding"].search([("backend_id", "=", self.aftership.id)])
        self.assertEqual(binding.external_id, "q82bqhzdrcxbjlqdnzng5024")
        # Another tracking of the same carrier is not this shipment.
        self.assertFalse(self.shipment.milestone_ids)

    def test_retry_is_a_duplicate(self):
        self.assertEqual(self.post("aftership_info_received.json").status_code, 202)
        again = self.post("aftership_info_received.json")
        self.assertEqual((again.status_code, again.json()["status"]), (200, "duplicate"))

    def test_wrong_or_missing_signature_is_401_with_an_audit_row(self):
        wrong = self.post("aftership_delivered.json", secret="not-the-secret")
        missing = self.post("aftership_delivered.json", secret=None)
        self.assertEqual((wrong.status_code, missing.status_code), (401, 401))
        audit = self.env["logistics.webhook.audit"].search(
            [("backend_id", "=", self.aftership.id)], order="id")
        self.assertEqual(audit.mapped("reason"), ["no_valid_signature", "missing_headers"])
        self.assertFalse(self.messages(self.aftership))

    def test_unknown_tag_is_unmapped_then_mapped_and_replayed(self):
        data = json.loads((FIXTURES / "aftership_info_received.json").read_bytes())
        data["msg"]["checkpoints"][0].update(tag="Expired", subtag="Expired_001")
        self.assertEqual(self.post(json.dumps(data).encode()).status_code, 202)
        self.process(self.aftership)
        message = self.messages(self.aftership)
        self.assertEqual(message.state, "unmapped")
        self.assertIn("Expired:Expired_001", message.error)
        self.env["logistics.backend.status.map"].create({
            "backend_id": self.aftership.id, "external_code": "Expired",
            "milestone_code_id": self.env.ref("logistics_sync.milestone_code_exception").id})
        message.with_user(self.env.ref("base.user_admin")).action_replay()
        self.process(self.aftership)
        self.assertEqual(message.state, "done")
        self.assertEqual(self.as_shipment.milestone_ids.external_code, "Expired")

    def test_exception_subtag_becomes_an_exception_with_its_reason(self):
        data = json.loads((FIXTURES / "aftership_info_received.json").read_bytes())
        data["msg"]["checkpoints"][0].update(tag="Exception", subtag="Exception_012",
                                             subtag_message="Damaged")
        self.assertEqual(self.post(json.dumps(data).encode()).status_code, 202)
        self.process(self.aftership)
        self.assertEqual(self.messages(self.aftership).state, "done")
        milestone = self.as_shipment.milestone_ids.filtered(lambda m: m.code == "exception")
        self.assertEqual((milestone.reason_id.code, milestone.external_code),
                         ("damaged", "Exception"))
        self.assertEqual(self.as_shipment.state, "exception")

    def test_malformed_payload_is_quarantined(self):
        response = self.post(b'{"event": "tracking_update", "event_id": "", "msg": {}}')
        self.assertEqual(response.status_code, 400, response.text)
        self.assertEqual(self.messages(self.aftership).state, "invalid")

    def test_estimated_delivery_lands_on_the_shipment(self):
        self.assertTrue(self.aftership.may_update_shipments)  # what a new carrier backend gets
        self.assertEqual(self.post("aftership_delivered.json").status_code, 202)
        self.process(self.aftership)
        message = self.messages(self.aftership)
        self.assertEqual(message.state, "done", message.error)
        self.assertIn("5 event(s) applied", message.result)
        self.assertEqual(str(self.as_shipment.date_estimated), "2023-12-23 23:59:59")
        self.assertEqual(self.as_shipment.carrier_service, "USPS Ground Advantage")
        self.assertEqual(len(self.as_shipment.milestone_ids), 4)
        self.assertFalse(self.shipment.date_estimated)
        # AfterShip's slug is not an Odoo carrier until a cross-reference says so.
        self.assertIn("carrier 'usps' has no cross-reference", message.result)

    def test_without_the_authority_the_eta_waits_visibly_and_milestones_apply(self):
        message = provider_lib.check_unauthorized_eta(
            self, self.aftership, lambda: self.post("aftership_delivered.json"), self.as_shipment)
        self.assertEqual(self.as_shipment.state, "delivered")
        # Granted, then replayed: the ETA alone is applied, the milestones are not again.
        self.aftership.may_update_shipments = True
        message.with_user(self.env.ref("base.user_admin")).action_replay()
        self.process(self.aftership)
        self.assertEqual(message.state, "done", message.error)
        self.assertEqual(str(self.as_shipment.date_estimated), "2023-12-23 23:59:59")
        self.assertEqual(len(self.as_shipment.milestone_ids), 4)
        self.assertFalse(self.as_shipment.milestone_ids.duplicate_ids)

    def test_reference_column(self):
        provider_lib.check_reference_column(self, "aftership_status",
                                            aftership.AfterShipAdapter().default_status_map())

    def test_demo_backend(self):
        provider_lib.check_demo_backend(self, "logistics_sync_aftership.demo_backend_aftership",
                                        Path(__file__).parents[1] / "readme" / "CONFIGURE.md")
