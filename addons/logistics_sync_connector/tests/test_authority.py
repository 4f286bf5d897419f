# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo import Command, fields
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import BaseCase, tagged

from ..lib import authority
from .common import WebhookCase, generic_event, new_carrier

CARRIER_SECRET = "whsec_Y2FycmllciBzZWNyZXQgZm9yIHRlc3Rz"


@tagged("post_install", "-at_install")
class TestAuthority(WebhookCase):
    """Each backend may assert only its milestone codes, proof of delivery only when
    allowed, about the shipments in its scope; the rest is kept, unapplied, and applied
    by a replay once an admin widens its authority."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.carrier = cls.new_backend("test-carrier", "carrier")

    @classmethod
    def new_backend(cls, code, backend_type):
        backend = cls.env["logistics.backend"].with_context(logistics_new_secret=False).create({
            "name": code, "code": code, "backend_type": backend_type, "adapter": "generic",
            "integration_user_id": cls.integration_user.id})
        cls.env["logistics.backend.secret"].create({"backend_id": backend.id, "secret": CARRIER_SECRET})
        return backend

    def post(self, backend, code, when, **extra):
        response = self.post_signed(generic_event("TEST-SHP-1", code, when, **extra),
                                    secret=CARRIER_SECRET, url=f"/logistics/webhook/{backend.code}")
        self.assertEqual(response.status_code, 202, response.text)
        self.process(backend)
        return self.messages(backend)[-1]

    def bind(self, backend, shipment=None):
        self.env["logistics.shipment.binding"].create(
            {"backend_id": backend.id, "shipment_id": (shipment or self.shipment).id})

    def replay(self, message):
        message.action_replay()
        self.process(message.backend_id)

    def test_defaults_follow_the_backend_type(self):
        codes = set(self.carrier.allowed_milestone_code_ids.mapped("code"))
        self.assertIn("delivered", codes)
        self.assertFalse(codes & {"pod_received", "cancelled", "returned"})
        self.assertFalse(self.carrier.may_assert_pod)
        self.assertEqual(self.carrier.shipment_scope, "bound")
        tms = self.new_backend("test-tms-2", "tms")
        self.assertIn("cancelled", tms.allowed_milestone_code_ids.mapped("code"))
        wms = self.new_backend("test-wms", "wms")
        self.assertEqual(set(wms.allowed_milestone_code_ids.mapped("code")), {"created", "picked_up"})

    def test_a_shipment_outside_the_scope_is_unauthorized_until_bound(self):
        message = self.post(self.carrier, "picked_up", "2026-11-20T08:00:00Z", external_id="car-1")
        self.assertEqual(message.state, "unauthorized")
        self.assertIn("TEST-SHP-1 is not bound to test-carrier", message.error)
        self.assertEqual(self.shipment.state, "draft")
        self.assertFalse(self.env["logistics.shipment.binding"].search(
            [("backend_id", "=", self.carrier.id)]), "an unauthorized event binds nothing")
        self.assertEqual(self.carrier.message_attention_count, 1)
        self.bind(self.carrier)
        self.replay(message)
        self.assertEqual(message.state, "done")
        self.assertEqual(self.shipment.state, "picked_up")

    def test_a_carrier_of_the_backend_puts_its_shipments_in_scope(self):
        carrier = new_carrier(self.env, "Road")
        self.carrier.carrier_ids = [Command.set(carrier.ids)]
        self.shipment.carrier_id = carrier
        self.assertEqual(self.post(self.carrier, "in_transit", "2026-11-20T08:00:00Z").state, "done")
        self.assertEqual(self.shipment.state, "in_transit")

    def test_codes_and_proof_of_delivery_need_the_admin(self):
        self.bind(self.carrier)
        # A cancellation dated 1970 from a system not entitled to cancel freezes nothing.
        cancelled = self.post(self.carrier, "cancelled", "1970-01-01T00:00:00Z")
        self.assertEqual(cancelled.state, "unauthorized")
        self.assertIn("may not assert cancelled", cancelled.error)
        signed = self.post(self.carrier, "delivered", "2026-11-20T10:00:00Z",
                           pod={"signed_by": "J. Doe"})
        self.assertEqual(signed.state, "unauthorized")
        self.assertIn("may not assert proof of delivery", signed.error)
        self.assertEqual(self.shipment.state, "draft")
        self.assertFalse(self.shipment.pod_received)
        unsigned = self.post(self.carrier, "delivered", "2026-11-20T09:00:00Z")
        self.assertEqual(unsigned.state, "done")
        self.assertEqual(self.shipment.state, "delivered")
        self.assertFalse(self.shipment.pod_received)
        self.carrier.may_assert_pod = True
        self.replay(signed)
        self.assertEqual(signed.state, "done")
        self.assertTrue(self.shipment.pod_received)
        self.assertEqual(self.shipment.pod_signed_by, "J. Doe")
        self.replay(cancelled)
        self.assertEqual(cancelled.state, "unauthorized", "its codes were not widened")
        self.assertEqual(self.shipment.state, "delivered")

    def test_a_second_backend_needs_a_scope_that_allows_it(self):
        self.bind(self.carrier)
        other = self.new_backend("test-carrier-2", "carrier")
        message = self.post(other, "in_transit", "2026-11-20T08:00:00Z")
        self.assertEqual(message.state, "unauthorized")
        self.assertEqual(self.shipment.state, "draft")
        other.shipment_scope = "company"
        self.replay(message)
        self.assertEqual(message.state, "done")
        self.assertEqual(self.shipment.state, "in_transit")

    def test_a_booking_sent_to_a_backend_binds_the_shipment(self):
        self.carrier.base_url = "https://carrier.example/api"
        with trap_jobs():
            self.env["logistics.outbox"]._create(
                self.carrier, "outbound_shipment", "shipment.booking", "booking-1", {"n": 1},
                record=self.shipment)
        self.assertEqual(self.post(self.carrier, "picked_up", "2026-11-20T08:00:00Z").state, "done")


@tagged("post_install", "-at_install")
class TestInboundFlow(WebhookCase):
    """The backend's inbound flow acts: disabled, messages are kept and skipped; in batch
    mode, they wait for the interval and are applied in one job."""

    def inbound_flow(self):
        return self.backend.flow_ids.filtered(lambda f: f.flow == "inbound_milestones")

    def test_a_disabled_flow_stores_and_skips_until_enabled_and_replayed(self):
        self.inbound_flow().enabled = False
        response = self.post_signed(generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z"))
        self.assertEqual(response.status_code, 202)
        self.process()
        message = self.messages()
        self.assertEqual(message.state, "skipped")
        self.assertIn("inbound flow is disabled", message.error)
        self.assertEqual(self.shipment.state, "draft")
        self.inbound_flow().enabled = True
        message.action_replay()
        self.process()
        self.assertEqual(message.state, "done")
        self.assertEqual(self.shipment.state, "picked_up")

    def test_batch_mode_holds_messages_for_the_interval_and_applies_them_in_one_job(self):
        self.inbound_flow().write({"mode": "batch", "interval_minutes": 15})
        before = datetime.now()
        for code, hour in (("picked_up", 8), ("in_transit", 9)):
            self.post_signed(generic_event("TEST-SHP-1", code, f"2026-11-20T{hour:02d}:00:00Z"))
        jobs = self.env["queue.job"].search([("identity_key", "=", f"logistics-inbox-{self.backend.id}"),
                                             ("state", "=", "pending")])
        self.assertEqual(len(jobs), 1, "one job for the batch")
        self.assertGreaterEqual(jobs.eta, fields.Datetime.to_datetime(before) + timedelta(minutes=14))
        self.assertEqual(set(self.messages().mapped("state")), {"pending"})
        self.process()
        self.assertEqual(set(self.messages().mapped("state")), {"done"})
        self.assertEqual(self.shipment.state, "in_transit")
        self.assertTrue(self.inbound_flow().last_batch_at)


class TestAuthorityRules(BaseCase):
    """lib/authority.py without a database."""

    def test_refusal_names_the_code_the_shipment_and_the_rule(self):
        rules = authority.Authority("acme", frozenset({"delivered"}), False, authority.SCOPE_BOUND)
        self.assertIsNone(authority.refusal(rules, "delivered", False, "S1", True))
        self.assertIn("may not assert cancelled", authority.refusal(rules, "cancelled", False, "S1", True))
        self.assertIn("proof of delivery", authority.refusal(rules, "delivered", True, "S1", True))
        self.assertIn("S1 is not bound to acme", authority.refusal(rules, "delivered", False, "S1", False))
        trusted = authority.Authority("tms", frozenset({"delivered"}), True, authority.SCOPE_COMPANY)
        self.assertIsNone(authority.refusal(trusted, "delivered", True, "S1", False))
