# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json
from datetime import timedelta
from unittest.mock import patch

import psycopg2.errors
import requests
import responses

from odoo import Command, fields
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..lib import signatures
from .common import TMS_SECRET, ConnectorCase, OutboundHttpMixin

# A public address literal: the SSRF guard needs no DNS for it.
URL = "https://93.184.216.34/odoo-events"
OUT_SECRET = "whsec_b3V0Ym91bmQtc2lnbmluZy1zZWNyZXQtMDEyMzQ1Njc="


@tagged("post_install", "-at_install")
class TestOutbound(OutboundHttpMixin, ConnectorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.write({
            "base_url": URL, "auth_type": "bearer", "auth_secret": "tok-123",
            "retry_base_delay": 10, "retry_max_delay": 600, "max_attempts": 3,
            "circuit_threshold": 2, "circuit_cooldown": 60, "rate_limit": 0,
            "outbound_delivery": "message",  # one job per message (batches: test_outbound_batch)
        })
        cls.backend._create_secret(OUT_SECRET, purpose="outbound")
        cls.Message = cls.env["logistics.sync.message"]
        cls.Outbox = cls.env["logistics.outbox"]

    def queue(self, key="k1", ordering_key=None, data=None):
        with trap_jobs() as trap:
            message = self.Outbox.with_user(self.integration_user)._create(
                self.backend.with_user(self.integration_user), "outbound_shipment",
                "shipment.update", key, data or {"n": key}, ordering_key=ordering_key)
            self.assertEqual(len(trap.enqueued_jobs), 1)
            job = trap.enqueued_jobs[0]
            # Job arguments hold record ids only: no payload, no secret.
            self.assertEqual(job.args, ())
            self.assertEqual(job.kwargs, {})
            self.assertEqual(job.recordset, message)
            self.assertNotIn("tok-123", repr(job.args) + repr(job.kwargs))
        return message

    def send(self, message):
        with trap_jobs() as trap:
            result = message.with_user(self.integration_user)._send()
        return result, trap

    @responses.activate
    def test_delivery_with_idempotency_key_signature_and_auth(self):
        responses.add(responses.POST, URL, json={"ok": True}, status=200)
        message = self.queue()
        self.send(message)
        self.assertEqual(message.state, "sent")
        self.assertEqual(message.http_status, 200)
        request = responses.calls[0].request
        self.assertEqual(request.headers["Idempotency-Key"], message.uuid)
        self.assertEqual(request.headers["Authorization"], "Bearer tok-123")
        # The receiver verifies the Standard Webhooks signature with the backend's outbound
        # signing secret; the webhook (inbound) secret signs nothing we send.
        signatures.verify_standard(request.headers, request.body, [OUT_SECRET])
        with self.assertRaises(signatures.SignatureError):
            signatures.verify_standard(request.headers, request.body, [TMS_SECRET])
        body = json.loads(request.body)
        self.assertEqual((body["type"], body["id"], body["data"]), ("shipment.update", message.uuid, {"n": "k1"}))
        # Sending again does nothing: never double-applied.
        self.send(message)
        self.assertEqual(len(responses.calls), 1)

    @responses.activate
    def test_same_business_event_is_queued_once(self):
        first = self.queue("dup")
        second = self.Outbox._create(self.backend, "outbound_shipment",
                                     "shipment.update", "dup", {})
        self.assertEqual(first, second)

    @responses.activate
    def test_5xx_and_timeouts_retry_with_backoff_then_dead(self):
        responses.add(responses.POST, URL, status=503)
        responses.add(responses.POST, URL, body=requests.exceptions.ConnectTimeout("slow"))
        responses.add(responses.POST, URL, status=500)
        self.backend.circuit_threshold = 10
        message = self.queue()
        before = fields.Datetime.now()
        _result, trap = self.send(message)
        self.assertEqual((message.state, message.attempts, message.http_status), ("pending", 1, 503))
        self.assertGreater(message.next_attempt_at, before)
        self.assertEqual(len(trap.enqueued_jobs), 1, "the retry is a new job with an eta")
        self.assertTrue(trap.enqueued_jobs[0].eta)
        self.send(message)
        self.assertEqual((message.state, message.attempts), ("pending", 2))
        self.send(message)
        self.assertEqual((message.state, message.attempts), ("dead", 3))
        self.assertEqual(len(responses.calls), 3)

    @responses.activate
    def test_429_honours_retry_after(self):
        responses.add(responses.POST, URL, status=429, headers={"Retry-After": "120"})
        message = self.queue()
        now = fields.Datetime.now()
        self.send(message)
        self.assertEqual(message.state, "pending")
        self.assertGreaterEqual(message.next_attempt_at, now + timedelta(seconds=119))

    @responses.activate
    def test_an_unusable_retry_after_falls_back_to_the_capped_backoff(self):
        """An infinite Retry-After raised after the request was sent: the delivery rolled
        back and the message was sent again every five minutes, for ever."""
        self.backend.circuit_threshold = 100  # three outages in a row: keep sending
        for value in ("inf", "1e300", "-5"):
            with self.subTest(retry_after=value):
                responses.reset()
                responses.add(responses.POST, URL, status=503, headers={"Retry-After": value})
                message = self.queue(f"retry-after-{value}")
                now = fields.Datetime.now()
                self.send(message)
                self.assertEqual((message.state, message.attempts), ("pending", 1))
                self.assertLessEqual(message.next_attempt_at,
                                     now + timedelta(seconds=self.backend.retry_max_delay + 1))

    @responses.activate
    def test_4xx_fails_once_without_retry(self):
        responses.add(responses.POST, URL, json={"error": "bad sku"}, status=422)
        message = self.queue()
        _result, trap = self.send(message)
        self.assertEqual((message.state, message.attempts, message.http_status), ("failed", 1, 422))
        self.assertIn("bad sku", message.response_body)
        self.assertFalse(trap.enqueued_jobs)
        self.assertEqual(self.backend.circuit_state, "closed", "a 4xx is not an outage")

    @responses.activate
    def test_circuit_breaker_postpones_then_probe_closes(self):
        responses.add(responses.POST, URL, status=500)
        responses.add(responses.POST, URL, status=500)
        a, b, c = self.queue("a"), self.queue("b"), self.queue("c")
        self.send(a)
        self.send(b)
        self.assertEqual(self.backend.circuit_state, "open")
        with self.assertRaises(RetryableJobError) as ctx:
            c.with_user(self.integration_user)._send()
        self.assertTrue(ctx.exception.ignore_retry, "postponed, not burned")
        self.assertGreater(ctx.exception.seconds, 0)
        self.assertEqual(c.attempts, 0)
        self.assertEqual(len(responses.calls), 2)
        # After the cool-down one probe goes through; its success closes the circuit.
        self.backend.circuit_id.opened_at = fields.Datetime.now() - timedelta(seconds=61)
        responses.replace(responses.POST, URL, status=200)
        self.send(c)
        self.assertEqual(c.state, "sent")
        self.assertEqual(self.backend.circuit_state, "closed")
        self.assertEqual(self.backend.circuit_failures, 0)

    @responses.activate
    def test_half_open_probe_failure_reopens(self):
        responses.add(responses.POST, URL, status=500)
        self.backend._circuit().write({"state": "open", "failures": 2,
                                       "opened_at": fields.Datetime.now() - timedelta(seconds=61)})
        message = self.queue()
        self.send(message)
        self.assertEqual(self.backend.circuit_state, "open")
        self.assertGreater(self.backend.circuit_opened_at, fields.Datetime.now() - timedelta(seconds=5))

    @responses.activate
    def test_updates_for_one_shipment_are_delivered_in_order(self):
        responses.add(responses.POST, URL, status=200)
        first = self.queue("s1", ordering_key="logistics.shipment:1")
        second = self.queue("s2", ordering_key="logistics.shipment:1")
        other = self.queue("o1", ordering_key="logistics.shipment:2")
        with self.assertRaises(RetryableJobError):
            second.with_user(self.integration_user)._send()
        self.send(other)  # another shipment is not held up
        self.send(first)
        self.send(second)
        self.assertEqual([first.state, second.state, other.state], ["sent"] * 3)
        order = [json.loads(c.request.body)["data"]["n"] for c in responses.calls]
        self.assertEqual(order, ["o1", "s1", "s2"])

    @responses.activate
    def test_ssrf_guard(self):
        for url in ("http://127.0.0.1:8069/x", "http://169.254.169.254/latest", "http://10.1.2.3/x",
                    "http://[::1]/x"):
            self.backend.base_url = url
            message = self.queue(url)
            self.send(message)
            self.assertEqual(message.state, "failed", url)
            self.assertFalse(responses.calls, "no request leaves")
        self.backend.write({"allow_private_network": True, "base_url": "http://10.1.2.3/x"})
        responses.add(responses.POST, "http://10.1.2.3/x", status=200)
        message = self.queue("allowed")
        self.send(message)
        self.assertEqual(message.state, "sent")

    @responses.activate
    def test_plain_http_is_refused_unless_the_backend_is_flagged_for_testing(self):
        self.backend.base_url = "http://93.184.216.34/odoo-events"
        responses.add(responses.POST, "http://93.184.216.34/odoo-events", status=200)
        message = self.queue("clear")
        _result, trap = self.send(message)
        self.assertEqual(message.state, "failed", "refused once, not retried")
        self.assertIn("plain http:// refused", message.error)
        self.assertFalse(trap.enqueued_jobs)
        self.assertFalse(responses.calls, "no request leaves")
        manager = new_test_user(self.env, "test-http-manager",
                                groups="base.group_user,logistics_sync.group_logistics_manager")
        with self.assertRaises(AccessError):
            self.backend.with_user(manager).read(["allow_plain_http"])
        self.backend.allow_plain_http = True
        message = self.queue("clear-allowed")
        self.send(message)
        self.assertEqual(message.state, "sent")

    @responses.activate
    def test_rotating_the_signing_secret_signs_with_both_and_leaves_webhook_secrets(self):
        responses.add(responses.POST, URL, status=200)
        inbound = self.backend.secret_ids
        new = self.backend._rotate_secret(grace_hours=2, purpose="outbound")
        self.assertEqual(new.purpose, "outbound")
        self.assertEqual(self.backend.secret_ids, inbound, "webhook secrets untouched")
        self.assertFalse(inbound.expires_at)
        self.send(self.queue("rotated"))
        request = responses.calls[0].request
        for secret in (OUT_SECRET, new.secret):  # the receiver may still use either
            signatures.verify_standard(request.headers, request.body, [secret])
        self.backend.signing_secret_ids.filtered(lambda s: s.secret == OUT_SECRET).expires_at = (
            fields.Datetime.now() - timedelta(seconds=1))
        self.send(self.queue("rotated-2"))
        request = responses.calls[1].request
        signatures.verify_standard(request.headers, request.body, [new.secret])
        with self.assertRaises(signatures.SignatureError):
            signatures.verify_standard(request.headers, request.body, [OUT_SECRET])
        # Rotating the webhook secret leaves the signing secrets alone.
        self.backend._rotate_secret(grace_hours=2)
        self.assertFalse(new.expires_at)

    @responses.activate
    def test_rate_limit_postpones(self):
        responses.add(responses.POST, URL, status=200)
        self.backend.rate_limit = 1
        first, second = self.queue("r1"), self.queue("r2")
        self.send(first)
        with self.assertRaises(RetryableJobError) as ctx:
            second.with_user(self.integration_user)._send()
        self.assertGreaterEqual(ctx.exception.seconds, 1)
        self.assertEqual(len(responses.calls), 1)

    @responses.activate
    def test_paused_backend_sends_nothing(self):
        message = self.queue()
        self.backend.paused = True
        with self.assertRaises(RetryableJobError):
            message.with_user(self.integration_user)._send()
        self.assertFalse(responses.calls)

    @responses.activate
    def test_a_circuit_updated_by_a_concurrent_job_does_not_fail_a_delivered_message(self):
        """Found by bench/bench_outbound.py (capacity 4): a concurrent job of the backend
        had updated the circuit row; failing this job after the 2xx would resend it."""
        responses.add(responses.POST, URL, status=200)
        message = self.queue()
        Outbox = type(self.Outbox)

        def concurrent_update(outbox, backend, success, now):
            raise psycopg2.errors.SerializationFailure("could not serialize access due to concurrent update")

        with patch.object(Outbox, "_circuit_record", concurrent_update):
            self.send(message)
        self.assertEqual(message.state, "sent")
        self.assertEqual(len(responses.calls), 1)

    @responses.activate
    def test_half_open_write_is_flushed_before_the_request_goes_out(self):
        """The probe's half-open write must fail (on a concurrent update) before sending."""
        responses.add(responses.POST, URL, status=200)
        self.backend._circuit().write({"state": "open", "failures": 2,
                                       "opened_at": fields.Datetime.now() - timedelta(seconds=61)})
        self.env.flush_all()
        message = self.queue()
        seen = []
        send = type(self.backend._adapter()).send

        def spy(adapter, *args, **kwargs):
            self.env.cr.execute("SELECT state FROM logistics_backend_circuit WHERE backend_id = %s",
                                [self.backend.id])
            seen.append(self.env.cr.fetchone()[0])
            return send(adapter, *args, **kwargs)

        with patch.object(type(self.backend._adapter()), "send", spy):
            self.send(message)
        self.assertEqual(seen, ["half_open"], "written to the database before the request")
        self.assertEqual(self.backend.circuit_state, "closed")


    @responses.activate
    def test_a_replay_by_a_manager_is_sent_as_the_integration_user(self):
        """The replay job ran as the manager, who may not write the circuit: the
        bookkeeping after a successful send failed and rolled the delivery back."""
        manager = new_test_user(self.env, "test-outbound-manager",
                                groups="base.group_user,logistics_sync.group_logistics_manager")
        responses.add(responses.POST, URL, json={"error": "bad sku"}, status=422)
        message = self.queue("replayed")
        self.send(message)
        self.assertEqual(message.state, "failed")
        self.backend._circuit().write({"failures": 1})  # a success must reset it
        self.env.invalidate_all()
        responses.replace(responses.POST, URL, status=200)
        message.with_user(manager).action_replay()
        stored = self.env["queue.job"].search([("uuid", "=", message.job_uuid)])
        self.assertEqual(stored.user_id, self.integration_user)
        Job.load(self.env, stored.uuid).perform()
        self.assertEqual((message.state, message.http_status), ("sent", 200))
        self.assertEqual(self.backend.circuit_failures, 0)
        self.assertEqual(len(responses.calls), 2)



@tagged("post_install", "-at_install")
class TestBusinessEvents(OutboundHttpMixin, ConnectorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.write({"base_url": URL})
        cls.env["logistics.backend.flow"].create([
            {"backend_id": cls.backend.id, "flow": "outbound_fulfillment"},
            {"backend_id": cls.backend.id, "flow": "outbound_finance", "mode": "batch"},
        ])
        cls.product = cls.env["product.product"].create(
            {"name": "Boxed Item", "type": "consu", "is_storable": True, "list_price": 20,
             "default_code": "BOX-1", "invoice_policy": "order"})
        cls.partner = cls.env["res.partner"].create({"name": "Event Customer"})

    def _order(self):
        return self.env["sale.order"].create({
            "partner_id": self.partner.id,
            "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": 2})],
        })

    def test_sale_confirmation_queues_fulfillment_request(self):
        order = self._order()
        with trap_jobs() as trap:
            order.action_confirm()
        messages = self.env["logistics.sync.message"].search([("backend_id", "=", self.backend.id),
                                                              ("flow", "=", "outbound_fulfillment")])
        self.assertEqual(len(messages), 1)
        payload = json.loads(messages.payload)
        self.assertEqual(payload["type"], "fulfillment.request")
        self.assertEqual(payload["data"]["order"], order.name)
        self.assertEqual(payload["data"]["lines"][0]["sku"], "BOX-1")
        self.assertEqual(messages.create_uid, self.integration_user)
        self.assertEqual(len(trap.enqueued_jobs), 1)

    def test_delivery_ready_and_done_queue_shipment_messages(self):
        self.env["stock.quant"]._update_available_quantity(
            self.product, self.env.ref("stock.stock_location_stock"), 10)
        order = self._order()
        with trap_jobs():
            order.action_confirm()
            picking = order.picking_ids
            self.assertEqual(picking.state, "assigned")
            picking.move_ids.quantity = 2
            picking.move_ids.picked = True
            picking.button_validate()
        types = self.env["logistics.sync.message"].search(
            [("flow", "=", "outbound_shipment"), ("backend_id", "=", self.backend.id)],
            order="id").mapped("event_type")
        self.assertEqual(types, ["shipment.booking", "shipment.update"])

    @responses.activate
    def test_posted_invoices_go_in_one_batch_request(self):
        responses.add(responses.POST, URL, status=200)
        invoices = self.env["account.move"]
        for _i in range(2):
            order = self._order()
            with trap_jobs():
                order.action_confirm()
            invoice = order._create_invoices()
            with trap_jobs() as trap:
                invoice.action_post()
            self.assertFalse(trap.enqueued_jobs, "batch flows are not sent in real time")
            invoices |= invoice
        self.env["logistics.sync.message"]._cron_send_batches()
        self.assertEqual(len(responses.calls), 1)
        body = json.loads(responses.calls[0].request.body)
        self.assertEqual(body["type"], "batch")
        self.assertEqual(sorted(e["data"]["invoice"] for e in body["events"]), sorted(invoices.mapped("name")))
        finance = self.env["logistics.sync.message"].search([("flow", "=", "outbound_finance")])
        self.assertEqual(set(finance.mapped("state")), {"sent"})
        self.assertEqual(len(set(finance.mapped("batch_key"))), 1)
