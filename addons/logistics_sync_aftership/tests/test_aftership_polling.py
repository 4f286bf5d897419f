# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Polling an AfterShip backend through the connector's cron (logistics.shipment.poll):
the Tracking API answered by `responses` (fixture: test_aftership_pull.py)."""

import copy
import json

import responses

from odoo import Command
from odoo.addons.logistics_sync_connector.tests.common import (
    ConnectorCase,
    ProviderApiMixin,
    make_silent,
    new_carrier,
)
from odoo.tests import tagged

from .test_aftership_pull import ANSWER, API, TRACKING, TRACKING_ID


@tagged("post_install", "-at_install")
class TestAfterShipPolling(ProviderApiMixin, ConnectorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        carrier = new_carrier(cls.env, "USPS via AfterShip")
        cls.aftership = cls.env["logistics.backend"].with_context(logistics_new_secret=False).create({
            "name": "AfterShip", "code": "test-aftership-poll", "backend_type": "carrier",
            "adapter": "aftership", "integration_user_id": cls.integration_user.id,
            "may_assert_pod": True, "auth_type": "api_key", "api_key_header": "as-api-key",
            "auth_secret": "asat_test_key", "carrier_ids": [Command.set(carrier.ids)],
            "rate_limit": 0, "poll_enabled": True, "poll_silent_hours": 12,
            "poll_max_per_run": 10, "event_max_age_days": 0})
        cls.env["logistics.backend.xref"].create({
            "backend_id": cls.aftership.id, "kind": "carrier", "external_code": "usps",
            "carrier_id": carrier.id})
        cls.shipment = cls.env["logistics.shipment"].create({
            "name": "AS-POLL-1", "tracking_number": TRACKING["tracking_number"],
            "carrier_id": carrier.id})
        make_silent(cls.shipment, 48)
        cls.cron = cls.env.ref("logistics_sync_connector.ir_cron_poll")

    def messages(self):
        return self.env["logistics.sync.message"].search(
            [("backend_id", "=", self.aftership.id)], order="id")

    @responses.activate
    def test_an_unbound_shipment_is_found_by_number_and_carrier_and_applied(self):
        listed = {"meta": ANSWER.get("meta", {"code": 200}),
                  "data": {"trackings": [copy.deepcopy(TRACKING)]}}
        responses.add(responses.GET, f"{API}/trackings", json=listed)
        self.cron.method_direct_trigger()
        (call,) = responses.calls
        self.assertEqual(call.request.headers["as-api-key"], "asat_test_key")
        self.assertIn(f"tracking_numbers={TRACKING['tracking_number']}", call.request.url)
        self.assertIn("slug=usps", call.request.url, "the carrier through the cross-reference")
        message = self.messages()
        self.assertEqual(message.event_id, f"pull:{TRACKING_ID}:{TRACKING['updated_at']}")
        self.assertEqual(json.loads(message.headers)["x-logistics-poll"], "1")
        self.assertEqual(message.create_uid, self.integration_user)  # never the superuser
        self.aftership.with_user(self.integration_user)._process_inbox()
        self.assertEqual(message.state, "done", message.error)
        self.assertEqual(self.shipment.state, "delivered")
        self.assertEqual(self.shipment.pod_signed_by, TRACKING["signed_by"])
        poll = self.env["logistics.shipment.poll"].search([("shipment_id", "=", self.shipment.id)])
        self.assertEqual((poll.outcome, poll.message_id), ("ok", message))
