# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Shippo's examples through real HTTP to the connector's webhook controller."""

from pathlib import Path

from odoo import Command
from odoo.addons.logistics_sync_connector.tests.common import WebhookCase
from odoo.tests import Form, tagged

FIXTURES = Path(__file__).parent / "fixtures"
TOKEN = "shippo-test-url-token-0123456789abcdef"
URL = "/logistics/webhook/test-shippo"


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
        cls.env["logistics.backend.secret"].create({"backend_id": cls.shippo.id, "secret": TOKEN})
        carrier = cls.env["delivery.carrier"].create({
            "name": "USPS via Shippo", "product_id": cls.env["product.product"].create(
                {"name": "USPS shipping", "type": "service"}).id})
        cls.shippo.carrier_ids = [Command.set(carrier.ids)]
        cls.sh_shipment = cls.env["logistics.shipment"].create(
            {"name": "SH-SHP-1", "tracking_number": "9205590164917312751089", "carrier_id": carrier.id})

    def post(self, name, url=URL, headers=None):
        body = (FIXTURES / name).read_bytes()
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

    def test_without_the_url_token_a_delivery_is_401_with_an_audit_row(self):
        """Whatever the request says (even a signature header), the plain URL is refused."""
        response = self.post("shippo_track_updated_delivered.json",
                             headers={"Shippo-Auth-Signature": "t=1,v1=00"})
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json()["reason"], "token_required")
        audit = self.env["logistics.webhook.audit"].search([("backend_id", "=", self.shippo.id)])
        self.assertEqual(audit.reason, "token_required")
        self.assertFalse(self.messages(self.shippo))
