# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Polling an EasyPost backend through the connector's cron (logistics.shipment.poll):
the provider's side answered by `responses` (fixture: test_easypost_pull.py)."""

import json

import responses

from odoo import Command
from odoo.addons.logistics_sync_connector.tests.common import (
    ConnectorCase,
    ProviderApiMixin,
    make_silent,
    new_carrier,
)
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .test_easypost_pull import API, TRACKER, TRACKER_ID

# The tracker before its delivery: the shipment stays open (out for delivery).
OPEN_TRACKER = dict(
    TRACKER, status="out_for_delivery", signed_by=None, updated_at="2026-11-20T08:00:00Z",
    tracking_details=[d for d in TRACKER["tracking_details"] if d["status"] != "delivered"])


@tagged("post_install", "-at_install")
class TestEasyPostPolling(ProviderApiMixin, ConnectorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        carrier = new_carrier(cls.env, "EasyPost Road")
        cls.easypost = cls.env["logistics.backend"].with_context(logistics_new_secret=False).create({
            "name": "EasyPost", "code": "test-easypost-poll", "backend_type": "carrier",
            "adapter": "easypost", "integration_user_id": cls.integration_user.id,
            "may_assert_pod": True, "auth_type": "basic", "auth_username": "EZTK_key",
            "carrier_ids": [Command.set(carrier.ids)], "rate_limit": 0,
            "poll_enabled": True, "poll_silent_hours": 12, "poll_max_per_run": 10,
            "circuit_threshold": 2, "circuit_cooldown": 600})
        cls.carrier = carrier
        cls.shipment = cls.ship("EP-POLL-1", "EZ4000000004", external_id=TRACKER_ID)
        cls.cron = cls.env.ref("logistics_sync_connector.ir_cron_poll")

    @classmethod
    def ship(cls, name, tracking, external_id=None, silent_hours=48, carrier=True):
        shipment = cls.env["logistics.shipment"].create({
            "name": name, "tracking_number": tracking,
            "carrier_id": cls.carrier.id if carrier else False})
        if external_id:
            cls.env["logistics.shipment.binding"].create({
                "backend_id": cls.easypost.id, "shipment_id": shipment.id,
                "external_id": external_id})
        make_silent(shipment, silent_hours)
        return shipment

    def run_cron(self):
        self.cron.method_direct_trigger()

    def process(self):
        return self.easypost.with_user(self.integration_user)._process_inbox()

    def messages(self):
        return self.env["logistics.sync.message"].search(
            [("backend_id", "=", self.easypost.id)], order="id")

    def polls(self, shipment=None):
        return self.env["logistics.shipment.poll"].search(
            [("shipment_id", "=", (shipment or self.shipment).id)])

    def age(self, hours=24):
        """Everything received and asked so far happened ``hours`` ago."""
        self.env.flush_all()
        for table, column in (("logistics_shipment_milestone", "received_at"),
                              ("logistics_shipment_poll", "polled_at")):
            self.env.cr.execute(f"UPDATE {table} SET {column} = {column} - make_interval(hours => %s)",  # noqa: S608
                                [hours])
        self.env.invalidate_all()

    def answer(self, tracker=TRACKER, **kwargs):
        responses.upsert(responses.GET, f"{API}/trackers/{TRACKER_ID}",
                         **(kwargs or {"json": tracker}))

    # ------------------------------------------------------------------ tests
    @responses.activate
    def test_a_silent_shipment_is_polled_and_its_milestones_applied(self):
        self.answer()
        self.run_cron()
        self.assertEqual(len(responses.calls), 1)
        message = self.messages()
        self.assertEqual(message.event_id, f"pull:{TRACKER_ID}:{TRACKER['updated_at']}")
        self.assertEqual(json.loads(message.headers)["x-logistics-poll"], "1")
        self.assertEqual(message.create_uid, self.integration_user)  # never the superuser
        poll = self.polls()
        self.assertEqual((poll.outcome, poll.http_status, poll.message_id), ("ok", 200, message))
        self.process()
        self.assertEqual(message.state, "done")
        self.assertEqual(self.shipment.state, "delivered")
        self.assertEqual(self.shipment.pod_signed_by, "John Tester")
        self.assertEqual(self.easypost.circuit_state, "closed")

    @responses.activate
    def test_an_unchanged_answer_changes_nothing(self):
        self.answer(OPEN_TRACKER)
        self.run_cron()
        self.process()
        self.assertEqual(self.shipment.state, "out_for_delivery")
        milestones = self.shipment.milestone_ids
        # Just heard of: not silent, not asked.
        self.run_cron()
        self.assertEqual(len(responses.calls), 1)
        # Silent again (nothing new for a day): asked, the same answer is a duplicate.
        self.age(24)
        self.run_cron()
        self.assertEqual(len(responses.calls), 2)
        self.assertEqual(len(self.messages()), 1)
        # Still silent, but asked within the silent hours: not asked again.
        self.run_cron()
        self.assertEqual(len(responses.calls), 2)
        self.process()
        self.assertEqual(self.shipment.milestone_ids, milestones)
        self.assertEqual(self.shipment.state, "out_for_delivery")
        self.assertEqual(self.polls().outcome, "ok")
        # A newer answer is a new message, applied.
        self.age(24)
        self.answer(TRACKER)
        self.run_cron()
        self.assertEqual(len(self.messages()), 2)
        self.process()
        self.assertEqual(self.shipment.state, "delivered")

    @responses.activate
    def test_unknown_status_and_unauthorized_answers_stay_visible(self):
        odd = dict(OPEN_TRACKER, updated_at="2026-11-20T09:00:00Z", tracking_details=[
            dict(OPEN_TRACKER["tracking_details"][0], status="teleported", status_detail=None)])
        self.answer(odd)
        self.run_cron()
        self.process()
        self.assertEqual(self.messages().state, "unmapped")
        # May not assert proof of delivery: the delivered answer is kept unapplied.
        self.easypost.may_assert_pod = False
        self.age(24)
        self.answer(TRACKER)
        self.run_cron()
        self.process()
        self.assertEqual(self.messages()[-1].state, "unauthorized")
        self.assertNotEqual(self.shipment.state, "delivered")

    @responses.activate
    def test_open_silent_shipments_in_scope_only(self):
        self.answer(OPEN_TRACKER)
        recent = self.ship("EP-POLL-RECENT", "EZ-RECENT", silent_hours=1)
        outside = self.ship("EP-POLL-OUT", "EZ-OUT", carrier=False)
        done = self.ship("EP-POLL-DONE", "EZ-DONE")
        self.env["logistics.shipment"]._apply_milestones([{
            "shipment_id": done.id, "code": "delivered", "occurred_at": "2026-11-01 10:00:00"}])
        self.age(48)  # the delivery was received long ago: silent, but finished
        self.assertEqual(done.state, "delivered")
        self.run_cron()
        asked = self.env["logistics.shipment.poll"].search([]).shipment_id
        self.assertEqual(asked, self.shipment)
        self.assertFalse((recent | outside | done) & asked)
        self.assertEqual(len(responses.calls), 1)

    @responses.activate
    def test_a_failing_provider_opens_the_circuit_instead_of_looping(self):
        for i in range(3):
            self.ship(f"EP-FAIL-{i}", f"EZF-{i}", external_id=f"trk_f{i}")
            responses.add(responses.GET, f"{API}/trackers/trk_f{i}", status=503)
        self.answer(status=503)
        self.run_cron()  # stops at the first failure
        self.assertEqual(len(responses.calls), 1)
        self.assertEqual(self.easypost.circuit_failures, 1)
        self.run_cron()  # the failed one first again: the circuit opens
        self.assertEqual(len(responses.calls), 2)
        self.assertEqual(self.easypost.circuit_state, "open")
        self.run_cron()  # open: nothing asked until the cool-down ends
        self.assertEqual(len(responses.calls), 2)
        self.assertEqual(self.polls().outcome, "retry")
        self.assertEqual(self.messages(), self.env["logistics.sync.message"])

    @responses.activate
    def test_a_429_stops_the_run(self):
        others = [self.ship(f"EP-RATE-{i}", f"EZR-{i}", external_id=f"trk_r{i}") for i in range(2)]
        self.answer(status=429, headers={"Retry-After": "60"})
        self.run_cron()
        self.assertEqual(len(responses.calls), 1)  # throttled: nothing more this run
        self.assertEqual((self.polls().outcome, self.polls().http_status), ("retry", 429))
        self.assertFalse(self.env["logistics.shipment.poll"].search(
            [("shipment_id", "in", [s.id for s in others])]))

    @responses.activate
    def test_the_rate_limit_bounds_a_run(self):
        self.easypost.rate_limit = 2  # requests a minute, deliveries and polls together
        for i in range(3):
            self.ship(f"EP-RATE-{i}", f"EZR-{i}", external_id=f"trk_r{i}")
            responses.add(responses.GET, f"{API}/trackers/trk_r{i}", json=dict(
                OPEN_TRACKER, id=f"trk_r{i}", tracking_code=f"EZR-{i}"))
        self.answer(OPEN_TRACKER)
        self.run_cron()
        self.assertEqual(len(responses.calls), 2)
        self.assertEqual(len(self.env["logistics.shipment.poll"].search([])), 2)

    def test_poll_now_is_for_managers_and_pollable_backends(self):
        user = new_test_user(self.env, "poll-user", groups="logistics_sync.group_logistics_user")
        with self.assertRaises(AccessError):
            self.easypost.with_user(user).action_poll_now()
        manager = new_test_user(self.env, "poll-manager",
                                groups="logistics_sync.group_logistics_manager")
        with responses.RequestsMock() as mock:
            mock.add(responses.GET, f"{API}/trackers/{TRACKER_ID}", json=OPEN_TRACKER)
            action = self.easypost.with_user(manager).action_poll_now()
        self.assertIn("1 shipments asked", action["params"]["message"])
        self.assertEqual(self.messages().create_uid, self.integration_user)
        self.assertTrue(self.easypost.poll_supported)
        self.assertFalse(self.backend.poll_supported)  # the generic adapter cannot pull
        with self.assertRaises(ValidationError):
            self.backend.poll_enabled = True
