# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Shippo's examples through real HTTP to the connector's webhook controller."""

import json
import time
from pathlib import Path

from odoo import Command
from odoo.addons.logistics_sync_connector.tests import provider_lib
from odoo.addons.logistics_sync_connector.tests.common import WebhookCase, new_carrier
from odoo.tests import Form, tagged

from ..lib import shippo

FIXTURES = Path(__file__).parent / "fixtures"
TOKEN = "shippo-test-url-token-0123456789abcdef"
URL = "/logistics/webhook/test-shippo"
HMAC_KEY = "shippo-test-hmac-key"


@tagged("post_install", "-at_install")
class TestShippoWebhook(WebhookCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shippo = cls.env["logistics.backend"].with_context(logistics_new_secret=False).create({
            "name": "Shippo", "code": "test-shippo", "backend_type": "carrier",
            "adapter": "shippo", "integration_user_id": cls.integration_user.id,
            # The providers' published examples date from years before these shipments.
            "event_max_age_days": 0})
        Secret = cls.env["logistics.backend.secret"]
        Secret.search([("backend_id", "=", cls.shippo.id), ("purpose", "=", "url_token")]).unlink()
        Secret.create({"backend_id": cls.shippo.id, "purpose": "url_token", "secret": TOKEN})
        carrier = new_carrier(cls.env, "USPS via Shippo")
        cls.shippo.carrier_ids = [Command.set(carrier.ids)]
        cls.sh_shipment = cls.env["logistics.shipment"].create(
            {"name": "SH-SHP-1", "tracking_number": "9205590164917312751089", "carrier_id": carrier.id})

    def post(self, body, url=f"{URL}/{TOKEN}", headers=None):
        if isinstance(body, str):
            body = (FIXTURES / body).read_bytes()
        return self.post_raw(url, body, {"Content-Type": "application/json", **(headers or {})})

    def test_the_adapter_is_offered_and_its_map_is_editable_data(self):
        field = self.env["logistics.backend"]._fields["adapter"]
        self.assertIn("shippo", [key for key, _label in field._description_selection(self.env)])
        codes = {m.external_code: (m.milestone_code_id.code, m.reason_id.code)
                 for m in self.shippo.status_map_ids}
        self.assertEqual(codes["TRANSIT:package_accepted"], ("picked_up", False))
        self.assertEqual(codes["FAILURE:package_lost"], ("exception", "lost"))
        with Form(self.env["logistics.backend"]) as form:
            form.name, form.code = "Another", "another-shippo"
            form.backend_type = "tms"
            form.adapter = "shippo"
            self.assertEqual(form.backend_type, "carrier")
            self.assertTrue(form.webhook_url_token_required)

    def test_with_shippo_hmac_the_plain_url_needs_a_valid_signature(self):
        """An account Shippo signs for: the key as webhook secret, the URL token unticked."""
        self.assertTrue(self.shippo.webhook_url_token_required)
        self.env["logistics.backend.secret"].create(
            {"backend_id": self.shippo.id, "purpose": "inbound", "secret": HMAC_KEY})
        self.shippo.webhook_url_token_required = False
        body = (FIXTURES / "shippo_track_updated_delivered.json").read_bytes()
        now = int(time.time())
        signed = {"Shippo-Auth-Signature": f"t={now},v1={shippo.sign(HMAC_KEY, now, body)}"}
        forged = {"Shippo-Auth-Signature": f"t={now},v1={shippo.sign('guess', now, body)}"}
        self.assertEqual(self.post(body, url=URL, headers=forged).status_code, 401)
        self.assertEqual(self.post(body, url=URL).status_code, 401)
        # A valid URL token does not excuse a wrong signature.
        self.assertEqual(self.post(body, headers=forged).status_code, 401)
        audit = self.env["logistics.webhook.audit"].search([("backend_id", "=", self.shippo.id)], order="id")
        self.assertEqual(audit.mapped("reason"),
                         ["invalid_signature", "missing_signature", "invalid_signature"])
        self.assertFalse(self.messages(self.shippo))
        self.assertEqual(self.post(body, url=URL, headers=signed).status_code, 202)
        self.process(self.shippo)
        self.assertEqual(self.messages(self.shippo).state, "done")
        self.assertEqual(self.sh_shipment.state, "delivered")

    def test_published_example_reaches_the_right_shipment(self):
        self.assertEqual(self.post("shippo_track_updated_transit.json").status_code, 202)
        self.assertEqual(self.post("shippo_track_updated_delivered.json").status_code, 202)
        self.process(self.shippo)
        messages = self.messages(self.shippo)
        self.assertEqual(messages.mapped("state"), ["done", "done"])
        self.assertEqual(messages[1].event_id,
                         "usps:9205590164917312751089:ce48ff3d52a34e91b77aa98370182624")
        shipment = self.sh_shipment
        self.assertEqual(shipment.state, "delivered")
        self.assertEqual(sorted(shipment.milestone_ids.mapped("code")), ["delivered", "picked_up"])
        delivered = shipment.milestone_ids.filtered(lambda m: m.code == "delivered")
        self.assertEqual((delivered.location, str(delivered.occurred_at), delivered.external_code),
                         ("Spotsylvania, VA, 22551, US", "2023-07-23 13:03:00", "DELIVERED"))
        # The acceptance was in both deliveries under the same object_id: one milestone.
        self.assertEqual(len(shipment.milestone_ids), 2)
        self.assertFalse(self.shipment.milestone_ids)
        again = self.post("shippo_track_updated_delivered.json")
        self.assertEqual((again.status_code, again.json()["status"]), (200, "duplicate"))

    def test_without_the_right_url_token_a_delivery_is_401_with_an_audit_row(self):
        """Whatever the request says (even a signature header), the plain URL is refused."""
        plain = self.post("shippo_track_updated_delivered.json", url=URL,
                          headers={"Shippo-Auth-Signature": "t=1,v1=00"})
        wrong = self.post("shippo_track_updated_delivered.json", url=f"{URL}/{'x' * 38}")
        self.assertEqual((plain.status_code, wrong.status_code), (401, 401))
        audit = self.env["logistics.webhook.audit"].search([("backend_id", "=", self.shippo.id)], order="id")
        self.assertEqual(audit.mapped("reason"), ["missing_url_token", "invalid_url_token"])
        self.assertFalse(self.messages(self.shippo))

    def test_unknown_status_is_unmapped_then_mapped_and_replayed(self):
        data = json.loads((FIXTURES / "shippo_track_updated_transit.json").read_bytes())
        data["data"]["tracking_status"].update(status="HELD_BY_ALIENS", substatus=None)
        self.assertEqual(self.post(json.dumps(data).encode()).status_code, 202)
        self.process(self.shippo)
        message = self.messages(self.shippo)
        self.assertEqual(message.state, "unmapped")
        self.assertIn("HELD_BY_ALIENS", message.error)
        self.env["logistics.backend.status.map"].create({
            "backend_id": self.shippo.id, "external_code": "HELD_BY_ALIENS",
            "milestone_code_id": self.env.ref("logistics_sync.milestone_code_on_hold").id})
        message.with_user(self.env.ref("base.user_admin")).action_replay()
        self.process(self.shippo)
        self.assertEqual(message.state, "done")
        self.assertEqual(self.sh_shipment.milestone_ids.external_code, "HELD_BY_ALIENS")

    def test_eta_lands_on_the_shipment(self):
        self.assertEqual(self.post("shippo_track_updated_transit.json").status_code, 202)
        self.process(self.shippo)
        message = self.messages(self.shippo)
        self.assertEqual(message.state, "done", message.error)
        self.assertEqual(str(self.sh_shipment.date_estimated), "2023-07-23 00:00:00")
        self.assertEqual(self.sh_shipment.carrier_service, "Priority Mail")
        self.assertFalse(self.shipment.date_estimated)

    def test_without_the_authority_the_eta_waits_visibly_and_milestones_apply(self):
        provider_lib.check_unauthorized_eta(
            self, self.shippo, lambda: self.post("shippo_track_updated_transit.json"), self.sh_shipment)
        self.assertEqual(self.sh_shipment.state, "picked_up")

    def test_demo_backend(self):
        provider_lib.check_demo_backend(self, "logistics_sync_shippo.demo_backend_shippo",
                                        Path(__file__).parents[1] / "readme" / "CONFIGURE.md")
