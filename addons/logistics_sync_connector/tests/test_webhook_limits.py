# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Issue 14, items 1, 2, 3 and 7: what an unauthenticated sender can make the webhook
endpoint write, read, cache and say, through the real HTTP stack."""

import hashlib
import json
import time
from unittest.mock import patch

from odoo import Command
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import tagged

from ..lib import signatures
from .common import TMS_SECRET, WebhookCase, generic_event

AUDIT_CAP = "logistics_sync_connector.webhook_audit_per_minute"
WEBHOOK_LOGGER = "odoo.addons.logistics_sync_connector.controllers.webhook"


@tagged("post_install", "-at_install")
class TestWebhookLimits(WebhookCase):

    def set_param(self, key, value):
        self.env["ir.config_parameter"].set_param(key, value)
        self.env.registry.clear_cache()

    # -- item 1: rejected webhooks are capped per backend and minute
    def test_rejected_webhooks_over_the_cap_are_counted_not_recorded(self):
        self.set_param(AUDIT_CAP, 3)
        junk = "x" * 8192
        signed_like = {"Content-Type": "application/json", "webhook-id": junk,
                       "webhook-timestamp": str(int(time.time())), "webhook-signature": "v1," + junk,
                       "User-Agent": "é" * 4000, "X-Forwarded-For": junk}
        for _i in range(8):
            self.assertEqual(self.post_raw(self.url, b"{}", signed_like).status_code, 401)
        for _i in range(2):
            response = self.post_raw(self.url, b"{}", {"Content-Type": "application/json", "User-Agent": junk})
            self.assertEqual(response.status_code, 401)
        rows = self.env["logistics.webhook.audit"].search([("backend_id", "=", self.backend.id)])
        recorded, counted = rows.filtered(lambda r: not r.minute), rows.filtered("minute")
        self.assertEqual(len(recorded), 3, "at most the cap, one by one")
        for row in recorded:
            self.assertEqual(row.reason, "no_valid_signature")
            self.assertEqual(len(row.headers.splitlines()), 5)
            for line in row.headers.splitlines():
                self.assertLessEqual(len(line.split(": ", 1)[1].encode()), 256, line[:40])
        self.assertIn("user-agent: " + "é" * 128, row.headers.lower(), "cut on a character boundary")
        self.assertEqual(
            sorted((r.reason, r.remote_addr, r.dropped_count, bool(r.headers)) for r in counted),
            [("missing_headers", "127.0.0.1", 2, False), ("no_valid_signature", "127.0.0.1", 5, False)],
            "one counting row per minute, reason and source address")
        self.assertEqual(rows.company_id, self.backend.company_id, "the backend's company (record rules)")
        self.assertEqual(self.post_signed(generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z"))
                         .status_code, 202, "authentic deliveries go on")
        # Past the cap of distinct counting rows, other addresses are counted together.
        Audit = self.env["logistics.webhook.audit"]
        with patch("odoo.addons.logistics_sync_connector.models.logistics_webhook_audit.COUNTING_ROWS", 3):
            for addr in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
                Audit._record({"backend_id": self.backend.id, "company_id": self.backend.company_id.id,
                               "uid": self.integration_user.id}, "test-tms", addr, "no_valid_signature",
                              "x", {})
        counted = Audit.search([("backend_id", "=", self.backend.id), ("minute", "!=", False)])
        self.assertEqual(sorted((r.remote_addr, r.dropped_count) for r in counted),
                         [("(other addresses)", 2), ("10.0.0.1", 1), ("127.0.0.1", 2), ("127.0.0.1", 5)])

    def test_no_cap_counts_every_rejected_webhook(self):
        self.set_param(AUDIT_CAP, 0)
        for _i in range(3):
            self.assertEqual(self.post_raw(self.url, b"{}", {"Content-Type": "application/json"}).status_code, 401)
        rows = self.env["logistics.webhook.audit"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual([(r.dropped_count, r.reason) for r in rows], [(3, "missing_headers")])

    # -- item 2: bodies are read in pieces, never past the cap
    def test_chunked_bodies_over_the_cap_are_refused_while_read(self):
        self.set_param("logistics_sync_connector.webhook_max_body", 1000)
        event = json.dumps(generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z")).encode()

        def chunked(body, piece=300):
            return iter([body[i:i + piece] for i in range(0, len(body), piece)])

        def post(url, body, content_type, signed=False):
            headers = signatures.standard_headers(TMS_SECRET, f"msg_{time.monotonic_ns()}", body,
                                                  timestamp=int(time.time())) if signed else {}
            headers["Content-Type"] = content_type
            return self.url_open(url, data=chunked(body), headers=headers, timeout=30)

        big = b"x" * (2 * 1024 * 1024)
        for content_type in ("application/json", "application/octet-stream",
                             "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
            response = post(self.url, big, content_type)
            self.assertEqual(response.status_code, 413, content_type)
            self.assertEqual(response.json(), {"error": "body larger than 1000 bytes"})
        # Unknown code: a body the controller reads is not read at all (404); a form, read
        # before the backend lookup, is refused as soon as it passes the cap.
        self.assertEqual(post("/logistics/webhook/nope", big, "application/json").status_code, 404)
        self.assertEqual(post("/logistics/webhook/nope", big, "application/x-www-form-urlencoded")
                         .status_code, 413)
        # Under the cap, chunked or not, the raw bytes are verified and stored.
        self.assertEqual(post(self.url, event, "application/json", signed=True).status_code, 202)
        self.assertEqual(post(self.url, event.replace(b"picked_up", b"in_transit"),
                              "application/x-www-form-urlencoded", signed=True).status_code, 202)
        self.assertEqual(self.messages().mapped("payload_hash")[0],
                         hashlib.sha256(event).hexdigest())

    # -- item 3: unknown codes leave nothing in the ORM cache
    def test_unknown_codes_add_nothing_to_the_orm_cache(self):
        cache = self.registry._Registry__caches["default"]

        def entries():
            return sorted(str(key[1:]) for key in list(cache) if key[0] == "logistics.backend.secret")

        self.assertEqual(self.post_signed({}, url="/logistics/webhook/nope-0").status_code, 404)
        self.assertEqual(self.post_signed({"x": 1}).status_code, 202)  # a known code is cached
        before = entries()
        self.assertTrue(before)
        for i in range(40):
            self.assertEqual(self.post_signed({}, url=f"/logistics/webhook/nope-{i}").status_code, 404)
        self.assertEqual(entries(), before)
        # A backend created meanwhile is found at once (the caches are cleared).
        self.backend.copy({"code": "test-tms-2", "name": "Test TMS 2"})
        self.env["logistics.backend.secret"].create({
            "backend_id": self.env["logistics.backend"].search([("code", "=", "test-tms-2")]).id,
            "secret": TMS_SECRET})
        self.assertEqual(self.post_signed({"x": 2}, url="/logistics/webhook/test-tms-2").status_code, 202)

    # -- item 7: Odoo's own errors never reach the sender; authentic deliveries are kept
    def assertGenericFailure(self, response, status, logs, *hidden):
        self.assertEqual(response.status_code, status, response.text)
        payload = response.json()
        request_id = payload.get("request_id")
        self.assertEqual(payload, {"error": "service unavailable" if status == 503 else "internal error",
                                   "request_id": request_id})
        self.assertEqual(response.headers.get("X-Request-Id"), request_id)
        for text in hidden:
            self.assertNotIn(text, response.text)
        logged = [line for line in logs.output if request_id in line]
        self.assertTrue(logged and "Traceback" in logged[0], logs.output)
        return request_id

    def test_an_integration_user_without_rights_gets_a_generic_503_and_the_delivery_is_kept(self):
        group = self.env.ref("logistics_sync_connector.group_logistics_integration")
        self.integration_user.groups_id = [Command.unlink(group.id)]
        event = generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z")
        with self.assertLogs(WEBHOOK_LOGGER, "ERROR") as logs:
            response = self.post_signed(event, msg_id="msg_kept")
        request_id = self.assertGenericFailure(response, 503, logs, "Sync Message", "not allowed", "Access")
        self.assertEqual(response.headers.get("Retry-After"), "60")
        message = self.messages()
        self.assertEqual((message.event_id, message.state), ("msg_kept", "pending"))
        self.assertIn(request_id, message.error)
        self.assertIn("AccessError", message.error, "the operators see Odoo's text")
        # A rejected webhook is still recorded, whatever the integration user's rights.
        self.assertEqual(self.post_raw(self.url, b"{}", {"Content-Type": "application/json"}).status_code, 401)
        self.assertEqual(self.env["logistics.webhook.audit"].search_count(
            [("backend_id", "=", self.backend.id)]), 1)
        # Fixed: the sender's retry is a duplicate, and the re-enqueue cron makes the job.
        self.integration_user.groups_id = [Command.link(group.id)]
        self.assertEqual(self.post_signed(event, msg_id="msg_kept").status_code, 200)
        with trap_jobs() as trap:
            self.env["logistics.sync.message"]._cron_requeue()
            trap.assert_jobs_count(1, only=self.backend._process_inbox)
        self.process()
        self.assertEqual((message.state, message.error, self.shipment.state), ("done", False, "picked_up"))

    def test_one_misconfigured_backend_does_not_stop_the_safety_net_of_the_others(self):
        event = generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z")
        self.assertEqual(self.post_signed(event, msg_id="msg_a").status_code, 202)
        other = self.backend.copy({"code": "test-tms-2", "name": "Test TMS 2"})
        self.env["logistics.backend.secret"].create({"backend_id": other.id, "secret": TMS_SECRET})
        self.assertEqual(self.post_signed(event, msg_id="msg_b", url="/logistics/webhook/test-tms-2").status_code, 202)
        # The first backend (lower id, enqueued first) runs as a user who lost its group.
        broken = self.integration_user.copy({"login": "broken-integration"})
        broken.groups_id = [Command.unlink(self.env.ref("logistics_sync_connector.group_logistics_integration").id)]
        self.env.cr.execute("UPDATE logistics_backend SET integration_user_id = %s WHERE id = %s",
                            [broken.id, self.backend.id])
        self.env["queue.job"].search([]).unlink()  # as after a crash: no job left
        self.env.invalidate_all()
        with trap_jobs() as trap, self.assertLogs("odoo.addons.logistics_sync_connector.models.logistics_inbox",
                                                  "WARNING") as logs:
            self.env["logistics.sync.message"]._cron_requeue()
            trap.assert_jobs_count(1, only=other._process_inbox)
        self.assertIn(self.backend.code, logs.output[0])

    def test_an_enqueue_failure_after_the_store_keeps_the_message(self):
        other = self.env["res.company"].create({"name": "Elsewhere"})
        # Moved out of the backend's company: storing passes, reading the backend fails.
        self.integration_user.write({"company_ids": [Command.set([other.id])], "company_id": other.id})
        with self.assertLogs(WEBHOOK_LOGGER, "ERROR") as logs:
            response = self.post_signed(generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z"))
        request_id = self.assertGenericFailure(response, 503, logs, "compan", "Access")
        message = self.messages()
        self.assertEqual(message.state, "pending")
        self.assertIn(request_id, message.error)
        self.assertFalse(self.env["queue.job"].search([("identity_key", "=", f"logistics-inbox-{self.backend.id}")]))

    def test_an_unexpected_error_is_a_generic_500_and_the_delivery_is_kept(self):
        Inbox = type(self.env["logistics.inbox"])

        def boom(self_, backend, eta=None):
            raise RuntimeError("password=hunter2 at db.internal:5432")

        with patch.object(Inbox, "_enqueue", boom), self.assertLogs(WEBHOOK_LOGGER, "ERROR") as logs:
            response = self.post_signed(None, body=b"not json")  # quarantined: kept as invalid
            self.assertEqual(response.status_code, 400)
            response = self.post_signed(generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z"),
                                        msg_id="msg_boom")
        request_id = self.assertGenericFailure(response, 500, logs, "hunter2", "RuntimeError")
        message = self.messages()[-1:]
        self.assertEqual((message.event_id, message.state), ("msg_boom", "pending"))
        self.assertIn(request_id, message.error)
        self.assertIn("hunter2", message.error)
