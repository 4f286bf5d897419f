# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Hostile input on the webhook -> inbox path (issue 14, items 4 to 6): values that
cannot be read, event times that cannot be true, a known event id with another body,
and deliveries to a paused backend."""

import json
import time
from datetime import datetime, timedelta

from odoo import fields
from odoo.addons.logistics_sync.lib import dates
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import common, tagged

from ..lib import events, signatures
from .common import WebhookCase, generic_event

LONG_NUMBER = b"1" * 5000  # beyond Python's 4,300-digit int conversion limit


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class TestPoisonedValuesLib(common.BaseCase):
    """The plain modules: no database."""

    def test_a_number_too_long_to_read_is_a_payload_error(self):
        for body in (b'{"n": ' + LONG_NUMBER + b"}", b"[-" + LONG_NUMBER + b"]"):
            with self.assertRaisesRegex(events.PayloadError, "cannot be read"):
                events.parse_json(body)
        with self.assertRaises(events.PayloadError):
            events.parse_generic(json.dumps(generic_event("S", "picked_up", "2026-11-20T08:00:00Z"))
                                 .encode()[:-1] + b', "n": ' + LONG_NUMBER + b"}")

    def test_implausible_event_times(self):
        now, created = datetime(2026, 11, 30, 12), datetime(2026, 6, 1)
        self.assertIsNone(dates.implausible(now + timedelta(hours=23), now, created))
        self.assertIn("24 h in the future", dates.implausible(now + timedelta(hours=25), now, created))
        self.assertIn("before 2000-01-01", dates.implausible(datetime(1999, 12, 31), now, created, 0, 0))
        self.assertIsNone(dates.implausible(created - timedelta(days=364), now, created))
        self.assertIn("365 days before", dates.implausible(created - timedelta(days=366), now, created))
        self.assertIsNone(dates.implausible(created - timedelta(days=366), now, created, 24, 0), "0: off")
        self.assertIsNone(dates.implausible(now + timedelta(days=9), now, created, 0), "0: off")


@tagged("post_install", "-at_install")
class TestHostileWebhooks(WebhookCase):
    def post_event(self, code, occurred_at, **kw):
        return self.post_signed(generic_event("TEST-SHP-1", code, occurred_at), **kw)

    # -- item 4: poisoned values
    def test_a_number_too_long_to_read_is_quarantined_with_400(self):
        """It answered 500: the sender retried it for ever."""
        body = json.dumps(generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z")).encode()
        response = self.post_signed(None, body=body[:-1] + b', "weight": ' + LONG_NUMBER + b"}")
        self.assertEqual(response.status_code, 400, response.text)
        message = self.messages()
        self.assertEqual(response.json()["message_id"], message.id)
        self.assertEqual(message.state, "invalid")
        self.assertIn("cannot be read", message.error)

    def test_implausible_event_times_make_the_message_invalid(self):
        now = fields.Datetime.now()
        future = self.post_event("in_transit", iso(now + timedelta(hours=30)))
        y1999 = self.post_event("picked_up", "1999-12-31T23:00:00Z")
        old = self.post_event("picked_up", iso(now - timedelta(days=400)))
        fine = self.post_event("picked_up", iso(now - timedelta(days=100)))
        self.process()
        message = self.env["logistics.sync.message"].browse
        outcomes = [(message(r.json()["message_id"]).state, message(r.json()["message_id"]).error)
                    for r in (future, y1999, old, fine)]
        self.assertEqual([state for state, _e in outcomes], ["invalid", "invalid", "invalid", "done"])
        self.assertIn("more than 24 h in the future", outcomes[0][1])
        self.assertIn("before 2000-01-01", outcomes[1][1])
        self.assertIn("more than 365 days before its shipment was created", outcomes[2][1])
        self.assertEqual(len(self.shipment.milestone_ids), 1)
        # The settings are the backend's: widened, a replay applies the event.
        self.backend.event_max_age_days = 0
        message(old.json()["message_id"]).action_replay()
        self.process()
        self.assertEqual(message(old.json()["message_id"]).state, "done")
        self.assertEqual(len(self.shipment.milestone_ids), 2)

    def test_a_far_past_terminal_event_never_freezes_the_shipment(self):
        self.assertEqual(self.post_event("picked_up", "2026-11-20T08:00:00Z").status_code, 202)
        for moment in ("1970-01-01T00:00:00Z", "1999-06-01T00:00:00Z"):
            self.assertEqual(self.post_event("cancelled", moment).status_code, 202)
        self.process()
        self.assertEqual(self.messages().mapped("state"), ["done", "invalid", "invalid"])
        self.assertEqual(self.shipment.state, "picked_up")
        self.post_event("delivered", "2026-11-21T08:00:00Z")
        self.process()
        self.assertEqual(self.shipment.state, "delivered")
        # Through another channel the derivation itself never lets one decide.
        other = self.env["logistics.shipment"].create({"name": "TEST-SHP-2"})
        self.env["logistics.shipment"]._apply_milestones([
            {"shipment_id": other.id, "code": "cancelled", "occurred_at": "1970-01-01 00:00:00"},
            {"shipment_id": other.id, "code": "in_transit", "occurred_at": "2026-11-20 08:00:00"}])
        self.assertEqual(other.state, "in_transit")
        self.env["logistics.shipment"]._apply_milestones([
            {"shipment_id": other.id, "code": "delivered", "occurred_at": "2026-11-21 08:00:00"}])
        self.assertEqual(other.state, "delivered")

    # -- item 5: same id, different body
    def test_a_known_event_id_with_another_body_is_a_409_conflict(self):
        first = generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z")
        accepted = self.post_signed(first, msg_id="msg_same")
        self.assertEqual(accepted.status_code, 202)
        message_id = accepted.json()["message_id"]
        duplicate = self.post_signed(first, msg_id="msg_same")
        self.assertEqual(duplicate.json(), {"status": "duplicate", "message_id": message_id},
                         "byte-identical: a duplicate")
        other = json.dumps(dict(first, milestone={"code": "cancelled",
                                                  "occurred_at": "2026-11-20T08:00:00Z"})).encode()
        for _attempt in range(2):  # the sender retries the 409: one audit row
            conflict = self.post_signed(None, body=other, msg_id="msg_same")
            self.assertEqual(conflict.status_code, 409, conflict.text)
            self.assertEqual(conflict.json()["message_id"], message_id)
        message = self.messages()
        self.assertEqual(len(message), 1)
        self.assertEqual(message.payload, json.dumps(first), "the first body is kept")
        manager = self.env.ref("base.user_admin")
        audit = message.with_user(manager).conflict_ids
        self.assertEqual(len(audit), 1)
        self.assertEqual((audit.reason, audit.backend_id, audit.payload), ("conflict", self.backend, other.decode()))
        self.assertIn("Webhook-Id: msg_same", audit.headers)
        self.assertEqual(self.post_signed(first, msg_id="msg_same").status_code, 200)
        self.process()
        self.assertEqual(self.shipment.state, "picked_up", "the conflicting body is never applied")

    # -- item 6: paused backend
    def test_a_paused_backend_verifies_stores_and_acknowledges(self):
        """It answered 503 before verifying anything: senders gave up on events."""
        self.backend.action_pause()
        with trap_jobs() as trap:
            response = self.post_event("picked_up", "2026-11-20T08:00:00Z")
            self.assertEqual(response.status_code, 202, response.text)
            trap.assert_jobs_count(0)
        message = self.messages()
        self.assertEqual((response.json()["message_id"], message.state), (message.id, "pending"))
        body = b'{"not": "signed"}'
        unsigned = self.post_raw(self.url, body, {"Content-Type": "application/json"})
        self.assertEqual(unsigned.status_code, 401)
        forged = signatures.standard_headers("whsec_" + "A" * 32, "msg_x", body, timestamp=int(time.time()))
        self.assertEqual(self.post_raw(self.url, body, forged).status_code, 401)
        self.assertEqual(self.env["logistics.webhook.audit"].search_count(
            [("backend_id", "=", self.backend.id)]), 2)
        self.assertEqual(len(self.messages()), 1, "nothing unsigned is stored")
        self.process()
        self.assertEqual((message.state, self.shipment.state), ("pending", "draft"), "processing waits")
        with trap_jobs() as trap:
            self.env["logistics.sync.message"]._cron_requeue()
            trap.assert_jobs_count(0, only=self.backend._process_inbox)  # nor the safety net
        with trap_jobs() as trap:
            self.backend.action_resume()
            trap.assert_jobs_count(1, only=self.backend._process_inbox)
        self.process()
        self.assertEqual((message.state, self.shipment.state), ("done", "picked_up"))
