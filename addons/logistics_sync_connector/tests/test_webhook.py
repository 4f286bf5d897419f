# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json
import time
from unittest.mock import patch

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import tagged

from ..lib import signatures
from .common import TMS_SECRET, WebhookCase, generic_event


@tagged("post_install", "-at_install")
class TestWebhookInbound(WebhookCase):
    def test_valid_signature_is_stored_enqueued_and_processed_as_integration_user(self):
        with trap_jobs() as trap:
            response = self.post_signed(generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z"))
            self.assertEqual(response.status_code, 202, response.text)
            trap.assert_jobs_count(1, only=self.backend._process_inbox)
        message = self.messages()
        self.assertEqual(response.json(), {"status": "accepted", "message_id": message.id})
        self.assertEqual(message.state, "pending")
        self.assertEqual(message.create_uid, self.integration_user)
        self.assertTrue(message.payload_hash)
        self.assertIn("webhook-id", message.headers)
        self.process()
        self.assertEqual(message.state, "done")
        self.assertEqual(self.shipment.state, "picked_up")
        milestone = self.shipment.milestone_ids
        self.assertEqual(milestone.source, "test-tms")
        self.assertEqual(milestone.create_uid, self.integration_user, "not the superuser")
        self.assertNotEqual(milestone.create_uid.id, 1)
        self.assertEqual(message.shipment_ids, self.shipment)

    def test_bad_missing_and_old_signatures_are_rejected_and_audited(self):
        body = json.dumps(generic_event("TEST-SHP-1", "delivered", "2026-11-20T08:00:00Z")).encode()
        Audit = self.env["logistics.webhook.audit"]
        cases = {
            "no_valid_signature": signatures.standard_headers(
                "whsec_" + "A" * 32, "msg_1", body, timestamp=int(time.time())),
            "missing_headers": {"Content-Type": "application/json"},
            "timestamp_too_old": signatures.standard_headers(
                TMS_SECRET, "msg_2", body, timestamp=int(time.time()) - 600),
            "timestamp_too_new": signatures.standard_headers(
                TMS_SECRET, "msg_3", body, timestamp=int(time.time()) + 600),
        }
        for reason, headers in cases.items():
            response = self.post_raw(self.url, body, headers)
            self.assertEqual(response.status_code, 401, reason)
            self.assertEqual(response.json()["reason"], reason)
            audit = Audit.search([("backend_id", "=", self.backend.id)], order="id desc", limit=1)
            self.assertEqual(audit.reason, reason)
            self.assertEqual(audit.remote_addr, "127.0.0.1")
        # A body altered after signing fails too.
        headers = signatures.standard_headers(TMS_SECRET, "msg_4", body, timestamp=int(time.time()))
        self.assertEqual(self.post_raw(self.url, body + b" ", headers).status_code, 401)
        self.assertFalse(self.messages(), "nothing but audit rows is written")
        self.assertEqual(Audit.search_count([("backend_id", "=", self.backend.id)]), 5)

    def test_rotated_secrets(self):
        event = generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z")
        new_secret = self.backend._rotate_secret(grace_hours=1).secret
        self.assertTrue(new_secret.startswith("whsec_"))
        self.assertEqual(self.post_signed(event, secret=TMS_SECRET).status_code, 202,
                         "the previous secret is valid during the grace period")
        self.assertEqual(self.post_signed(dict(event, id="x2"), secret=new_secret).status_code, 202)
        old = self.backend.secret_ids.filtered(lambda s: s.secret == TMS_SECRET)
        old.expires_at = "2020-01-01 00:00:00"
        self.assertEqual(self.post_signed(dict(event, id="x3"), secret=TMS_SECRET).status_code, 401)
        self.assertEqual(self.post_signed(dict(event, id="x4"), secret=new_secret).status_code, 202)

    def test_an_outbound_signing_secret_does_not_verify_webhooks(self):
        """Outbound requests were signed with the webhook secret: whoever received one
        knew a secret that our webhook accepted."""
        signing = self.backend._create_secret("whsec_c2lnbmluZy1vbmx5LXNlY3JldC0wMTIzNDU2Nzg=",
                                              purpose="outbound").secret
        event = generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z")
        self.assertEqual(self.post_signed(event, secret=signing).status_code, 401)
        self.assertEqual(self.post_signed(event, secret=TMS_SECRET).status_code, 202)

    def test_unknown_and_oversize(self):
        self.assertEqual(self.post_signed({}, url="/logistics/webhook/nope").status_code, 404)
        self.env["ir.config_parameter"].set_param("logistics_sync_connector.webhook_max_body", 1000)
        self.env.registry.clear_cache()
        big = {"events": [generic_event("TEST-SHP-1", "in_transit", "2026-11-20T08:00:00Z",
                                        location="x" * 1200)]}
        self.assertEqual(self.post_signed(big).status_code, 413)
        self.backend.action_pause()
        self.assertEqual(self.post_signed(big).status_code, 413, "paused or not")
        self.assertFalse(self.messages())

    def test_malformed_json_is_quarantined_with_400(self):
        response = self.post_signed(None, body=b'{"type": "shipment.milestone", broken')
        self.assertEqual(response.status_code, 400)
        message = self.messages()
        self.assertEqual(message.state, "invalid")
        self.assertEqual(response.json()["message_id"], message.id)
        self.assertTrue(message.error)

    def test_schema_invalid_payload_becomes_invalid_message(self):
        response = self.post_signed({"type": "shipment.milestone", "id": "e1",
                                     "shipment": {"reference": "TEST-SHP-1"},
                                     "milestone": {"occurred_at": "2026-11-20T08:00:00Z"}})
        self.assertEqual(response.status_code, 202)
        self.process()
        message = self.messages()
        self.assertEqual(message.state, "invalid")
        self.assertIn("code", message.error)

    def test_replay_is_a_duplicate(self):
        event = generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z")
        first = self.post_signed(event, msg_id="msg_same")
        second = self.post_signed(event, msg_id="msg_same")
        self.assertEqual(first.status_code, 202)
        self.assertEqual(second.status_code, 200)
        self.assertEqual(second.json(), {"status": "duplicate", "message_id": first.json()["message_id"]})
        self.assertEqual(len(self.messages()), 1)

    def test_unknown_code_then_mapping_and_replay(self):
        self.post_signed(generic_event("TEST-SHP-1", "ARRIVED_HUB", "2026-11-20T08:00:00Z"))
        self.process()
        # self.process() stood in for the job the webhook enqueued: the runner ran it.
        self.env["queue.job"].search([
            ("identity_key", "=", f"logistics-inbox-{self.backend.id}")]).state = "done"
        message = self.messages()
        self.assertEqual(message.state, "unmapped")
        self.assertIn("ARRIVED_HUB", message.error)
        self.assertFalse(self.shipment.milestone_ids)
        self.env["logistics.backend.status.map"].create({
            "backend_id": self.backend.id, "external_code": "ARRIVED_HUB",
            "milestone_code_id": self.env.ref("logistics_sync.milestone_code_in_transit").id})
        manager = self.env.ref("base.user_admin")
        with trap_jobs() as trap:
            message.with_user(manager).action_replay()
            trap.assert_jobs_count(1)
        self.process()
        self.assertEqual(message.state, "done")
        self.assertEqual(self.shipment.state, "in_transit")
        self.assertEqual(self.shipment.milestone_ids.external_code, "ARRIVED_HUB")

    def test_unmatched_shipment_then_replay(self):
        self.post_signed(generic_event("NOT-YET", "picked_up", "2026-11-20T08:00:00Z",
                                       external_id="tms-77"))
        self.process()
        message = self.messages()
        self.assertEqual(message.state, "unmatched")
        self.assertIn("NOT-YET", message.error)
        shipment = self.env["logistics.shipment"].create({"name": "NOT-YET"})
        message.action_replay()
        self.process()
        self.assertEqual(message.state, "done")
        self.assertEqual(shipment.state, "picked_up")
        binding = self.env["logistics.shipment.binding"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual((binding.external_id, binding.shipment_id), ("tms-77", shipment))
        # From now on the external id alone is enough.
        self.post_signed({"type": "shipment.milestone", "id": "e-ext",
                          "shipment": {"external_id": "tms-77"},
                          "milestone": {"code": "in_transit", "occurred_at": "2026-11-20T09:00:00Z"}})
        self.process()
        self.assertEqual(shipment.state, "in_transit")

    def test_batch_with_out_of_order_and_partial_mapping(self):
        events = [
            generic_event("TEST-SHP-1", "delivered", "2026-11-20T15:00:00Z"),
            generic_event("TEST-SHP-1", "in_transit", "2026-11-20T10:00:00Z"),
            generic_event("TEST-SHP-1", "BOGUS", "2026-11-20T11:00:00Z"),
            generic_event("TRACK-1", "picked_up", "2026-11-20T08:00:00Z"),
        ]
        events[3]["shipment"] = {"tracking_number": "TRACK-1"}
        self.assertEqual(self.post_signed({"events": events}).status_code, 202)
        self.process()
        message = self.messages()
        self.assertEqual(message.state, "unmapped")
        self.assertEqual(self.shipment.state, "delivered")
        self.assertEqual(len(self.shipment.milestone_ids), 3)
        self.assertEqual(json.loads(message.applied_events), [0, 1, 3])
        # Map and replay: only the missing event is applied, no duplicate reports.
        self.env["logistics.backend.status.map"].create({
            "backend_id": self.backend.id, "external_code": "BOGUS",
            "milestone_code_id": self.env.ref("logistics_sync.milestone_code_in_transit").id})
        message.action_replay()
        self.process()
        self.assertEqual(message.state, "done")
        self.assertEqual(len(self.shipment.milestone_ids), 4)
        self.assertFalse(self.shipment.milestone_ids.duplicate_ids)
        self.assertEqual(self.shipment.state, "delivered")

    def test_transient_failure_retries_then_dead(self):
        self.backend.max_attempts = 2
        self.post_signed(generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z"))
        message = self.messages()
        Shipment = type(self.env["logistics.shipment"])

        def boom(self_, values_list):
            raise RuntimeError("database of the carrier on fire")

        # patch.object removes the attribute again: the registry class stays as it was.
        with patch.object(Shipment, "_apply_milestones", boom):
            self.process()
            self.assertEqual(message.state, "pending")
            self.assertEqual(message.attempts, 1)
            self.assertTrue(message.next_attempt_at)
            message.next_attempt_at = False
            self.process()
        self.assertEqual(message.state, "dead")
        self.assertIn("on fire", message.error)
        message.action_replay()
        self.process()
        self.assertEqual(message.state, "done")

    # -- found by tests/test_fuzz_webhook.py: each of these answered 500 or blocked the inbox
    def test_bodies_and_ids_postgresql_cannot_store_are_quarantined(self):
        cases = [
            (b"abc\x00def", None),  # not JSON, with a NUL byte
            (json.dumps({"id": "x\u0000"}).encode(), None),  # JSON string with NUL
            (b'{"id": "\\ud800"}', None),  # lone surrogate
            (b'{"n": 1}', "msg\x00nul"),  # NUL in the webhook-id
            (b'{"n": 2}', "msg_" + "L" * 300),  # dedup id longer than 255 characters
        ]
        for body, msg_id in cases:
            response = self.post_signed(None, body=body, msg_id=msg_id)
            self.assertEqual(response.status_code, 400, (body, msg_id, response.text))
            message = self.env["logistics.sync.message"].browse(response.json()["message_id"])
            self.assertEqual(message.state, "invalid")
            self.assertTrue(message.error)
        messages = self.messages()
        self.assertEqual(messages.mapped("state"), ["invalid"] * 5)
        self.assertEqual([m.event_id.startswith("invalid-") for m in messages], [False] * 3 + [True] * 2,
                         "unusable ids are replaced by one derived from the body")
        self.assertEqual(messages[0].payload, "abc\ufffddef", "a NUL byte is kept as U+FFFD")

    def test_nul_in_the_headers_of_a_rejected_webhook_is_audited(self):
        body = b"{}"
        headers = signatures.standard_headers(TMS_SECRET, "msg_n", body, timestamp=int(time.time()))
        headers.update({"webhook-signature": "v1,AAAA", "User-Agent": "fuzz\x00agent"})
        response = self.post_raw(self.url, body, headers)
        self.assertEqual(response.status_code, 401)
        audit = self.env["logistics.webhook.audit"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(audit.reason, "no_valid_signature")
        self.assertIn("fuzz\ufffdagent", audit.headers)

    def test_codes_that_are_not_slugs_are_unknown(self):
        for path in ("a%00b", "test-tms%0A", "Test-TMS", "x" * 80):
            self.assertEqual(self.post_signed({}, url=f"/logistics/webhook/{path}").status_code, 404, path)

    def test_one_poison_message_does_not_block_the_inbox(self):
        bad = generic_event("TEST-SHP-1", "picked_up", "0001-01-01T00:00:00+14:00")
        self.assertEqual(self.post_signed(bad).status_code, 202)
        self.assertEqual(self.post_signed(
            generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z")).status_code, 202)
        self.process()
        self.assertEqual(self.messages().mapped("state"), ["invalid", "done"])
        self.assertIn("out of range", self.messages()[0].error)
        self.assertEqual(self.shipment.state, "picked_up")

    def test_an_adapter_crash_makes_one_invalid_message(self):
        from ..lib import adapters

        parse = adapters.GenericAdapter.parse

        def flaky(adapter, body):
            if b"BOOM" in body:
                raise TypeError("adapter bug")
            return parse(adapter, body)

        self.post_signed(generic_event("TEST-SHP-1", "in_transit", "2026-11-20T08:00:00Z", location="BOOM"))
        self.post_signed(generic_event("TEST-SHP-1", "picked_up", "2026-11-20T07:00:00Z"))
        with patch.object(adapters.GenericAdapter, "parse", flaky):
            self.process()
        self.assertEqual(self.messages().mapped("state"), ["invalid", "done"])
        self.assertIn("adapter error: TypeError", self.messages()[0].error)

    def test_an_external_id_bound_by_a_concurrent_job_does_not_fail_the_batch(self):
        """Found by tests/test_fuzz_webhook.py: two inbox jobs of one backend ran at once and
        both bound the same tracker id; the loser's job failed on the unique constraint."""
        Binding = self.env["logistics.shipment.binding"]
        Binding.create({"backend_id": self.backend.id, "external_id": "tms-race", "shipment_id": self.shipment.id})
        self.post_signed(generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z", external_id="tms-race"))
        search = type(Binding).search

        def stale_search(records, domain, *args, **kwargs):  # this job's snapshot predates the other's binding
            if any(isinstance(term, list | tuple) and term[0] == "external_id" for term in domain):
                return records.browse()
            return search(records, domain, *args, **kwargs)

        with patch.object(type(Binding), "search", stale_search):
            self.process()
        self.assertEqual(self.messages().state, "done")
        self.assertEqual(self.shipment.state, "picked_up")
        self.assertEqual(Binding.search_count([("external_id", "=", "tms-race")]), 1)

    def test_signature_covers_the_raw_body_whatever_the_content_type(self):
        """Found by tests/test_fuzz_webhook.py: with a form Content-Type, Odoo parsed (and
        consumed) the body before the controller, which answered 401 no_valid_signature."""
        event = generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z")
        body = json.dumps(event).encode()
        for content_type, status in (("application/x-www-form-urlencoded", 202),
                                     ("multipart/form-data; boundary=x", 200)):
            headers = signatures.standard_headers(TMS_SECRET, "msg_form", body, timestamp=int(time.time()))
            headers["Content-Type"] = content_type
            response = self.post_raw(self.url, body, headers)
            self.assertEqual(response.status_code, status, (content_type, response.text))
        self.assertEqual(self.messages().payload, body.decode())
        form = b"a=1&b=2"
        headers = signatures.standard_headers(TMS_SECRET, "msg_form2", form, timestamp=int(time.time()))
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = self.post_raw(self.url, form, headers)
        self.assertEqual(response.status_code, 400, "authentic, not JSON: quarantined")
        # Over the cap, the README's order holds for forms too: unknown backend first.
        self.env["ir.config_parameter"].set_param("logistics_sync_connector.webhook_max_body", 1000)
        self.env.registry.clear_cache()
        big = b"a=" + b"x" * 2000
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.assertEqual(self.post_raw("/logistics/webhook/nope", big, headers).status_code, 404)
        self.assertEqual(self.post_raw(self.url, big, headers).status_code, 413)
