# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Batched delivery (backend outbound_delivery = batch): one job per backend sends its
due messages over kept-alive connections, against a real local HTTP server."""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch

from odoo import fields
from odoo.addons.logistics_sync.tools import jobs
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import tagged

from .common import ConnectorCase, OutboundHttpMixin


class Receiver:
    """A local HTTP/1.1 server (keep-alive) that records each request and counts the
    connections it accepted; ``status(key, body)`` decides each answer."""

    def __init__(self):
        self.calls, self.connections, self.times, self.traces = [], 0, [], []
        self.status = lambda key, body: 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def setup(self):
                res = super().setup()
                receiver.connections += 1
                return res

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Idempotency-Key")
                status = receiver.status(key, body)
                receiver.calls.append((key, status, body))
                receiver.traces.append((self.headers.get("traceparent"),
                                        self.headers.get("X-Logistics-Message-Id")))
                receiver.times.append(time.monotonic())
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/events"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@tagged("post_install", "-at_install")
class TestOutboundBatch(OutboundHttpMixin, ConnectorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.receiver = Receiver()
        cls.addClassCleanup(cls.receiver.close)
        cls.backend.write({
            "base_url": cls.receiver.url, "allow_private_network": True, "rate_limit": 0,
            "outbound_delivery": "batch", "retry_base_delay": 10, "retry_max_delay": 600,
            "max_attempts": 5, "circuit_threshold": 100, "circuit_cooldown": 60,
        })
        cls.Outbox = cls.env["logistics.outbox"].with_user(cls.integration_user)

    def setUp(self):
        super().setUp()
        self.receiver.calls.clear()
        self.receiver.times.clear()
        self.receiver.connections = 0
        self.receiver.status = lambda key, body: 200
        # The job commits each delivery on a cursor of its own: here, on the test's.
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)

    def queue(self, key, shipment=None, flow="outbound_shipment"):
        with trap_jobs():
            return self.Outbox._create(self.backend.with_user(self.integration_user), flow,
                                       "shipment.update", key, {"n": key},
                                       ordering_key=shipment and f"logistics.shipment:{shipment}")

    def run_job(self):
        """Run the backend's outbox job once; returns the jobs it chained."""
        with trap_jobs() as trap:
            self.backend.with_user(self.integration_user)._send_outbox()
        self.env.invalidate_all()
        return trap.enqueued_jobs

    def delivered(self):
        return [body["data"]["n"] for _key, status, body in self.receiver.calls if status == 200]

    def test_new_messages_wake_one_backend_job(self):
        for i in range(3):
            self.Outbox._create(self.backend.with_user(self.integration_user), "outbound_shipment",
                                "shipment.update", f"wake-{i}", {"n": i})
        found = self.env["queue.job"].search([("model_name", "=", "logistics.backend")])
        self.assertEqual([(j.method_name, j.identity_key, j.channel, j.user_id) for j in found],
                         [("_send_outbox", jobs.outbox_key(self.backend.id),
                           "root.logistics.outbound.test-tms", self.integration_user)])
        self.assertFalse(self.env["queue.job"].search([("method_name", "=", "_send")]))

    def test_one_job_sends_every_shipment_in_order_over_one_connection(self):
        messages = [self.queue(f"{s}{i}", shipment=s) for i in range(3) for s in "abc"]
        chained = self.run_job()
        self.assertEqual({m.state for m in messages}, {"sent"})
        self.assertEqual(self.delivered(), [m.event_id for m in messages])
        self.assertEqual([k for k, _s, _b in self.receiver.calls], [m.uuid for m in messages])
        self.assertEqual(self.receiver.connections, 1, "one kept-alive connection for the batch")
        self.assertTrue(all(m.http_status == 200 and m.attempts == 1 for m in messages))
        self.assertFalse(chained, "nothing left to send")

    def test_a_retrying_message_holds_back_only_later_messages_of_its_own_shipment(self):
        a1, b1, a2, b2 = (self.queue("a1", "a"), self.queue("b1", "b"), self.queue("a2", "a"),
                          self.queue("b2", "b"))
        self.receiver.status = lambda key, body: 503 if body["data"]["n"] == "a1" else 200
        chained = self.run_job()
        self.assertEqual(self.delivered(), ["b1", "b2"])
        self.assertEqual((a1.state, a1.attempts, a1.http_status), ("pending", 1, 503))
        self.assertEqual((a2.state, a2.attempts), ("pending", 0), "held back, not tried")
        self.assertEqual((b1.state, b2.state), ("sent", "sent"))
        self.assertEqual(len(chained), 1)
        self.assertEqual(chained[0].eta, a1.next_attempt_at, "the next job is due with the retry")
        # A job before a1's retry is due (woken by another message) leaves a2 alone too.
        c1 = self.queue("c1", "c")
        self.run_job()
        self.assertEqual(self.delivered(), ["b1", "b2", "c1"])
        self.assertEqual((a2.state, a2.attempts), ("pending", 0))
        # The retry is due: a1 then a2.
        self.receiver.status = lambda key, body: 200
        a1.next_attempt_at = fields.Datetime.now() - timedelta(seconds=1)
        self.env.flush_all()
        self.run_job()
        self.assertEqual(self.delivered(), ["b1", "b2", "c1", "a1", "a2"])
        self.assertEqual((a1.state, a2.state, c1.state), ("sent", "sent", "sent"))
        self.assertEqual([k for k, _s, b in self.receiver.calls if b["data"]["n"] == "a1"], [a1.uuid] * 2)

    def test_the_circuit_opening_mid_batch_stops_it(self):
        self.backend.circuit_threshold = 2
        messages = [self.queue(f"c{i}", shipment=str(i)) for i in range(5)]
        self.receiver.status = lambda key, body: 503
        before = fields.Datetime.now()
        chained = self.run_job()
        self.assertEqual(len(self.receiver.calls), 2, "stopped when the circuit opened")
        self.assertEqual(self.backend.circuit_state, "open")
        self.assertEqual([m.attempts for m in messages], [1, 1, 0, 0, 0])
        self.assertEqual(len(chained), 1)
        self.assertGreaterEqual(chained[0].eta, before + timedelta(seconds=59), "after the cool-down")

    def test_the_rate_limit_spreads_the_requests_and_chains_the_rest(self):
        self.backend.rate_limit = 120  # a request every half second
        messages = [self.queue(f"r{i}") for i in range(3)]
        self.run_job()
        self.assertEqual([m.state for m in messages], ["sent"] * 3)
        gaps = [b - a for a, b in zip(self.receiver.times, self.receiver.times[1:], strict=False)]
        self.assertTrue(all(gap >= 0.45 for gap in gaps), gaps)
        # Two a minute: one request, then the job hands over to the next, a half minute on.
        self.backend.rate_limit = 2
        self.receiver.calls.clear()
        more = [self.queue(f"s{i}") for i in range(2)]
        before = fields.Datetime.now()
        chained = self.run_job()
        self.assertEqual([m.state for m in more], ["pending", "pending"], "the minute is full")
        self.assertFalse(self.receiver.calls)
        self.assertEqual(len(chained), 1)
        self.assertGreaterEqual(chained[0].eta, before + timedelta(seconds=5))

    def test_an_array_flow_sends_one_request_and_records_each_message(self):
        self.backend._flow("outbound_shipment").accepts_arrays = True
        messages = [self.queue(f"x{i}", shipment=str(i % 2)) for i in range(5)]
        self.run_job()
        self.assertEqual(len(self.receiver.calls), 1)
        key, _status, body = self.receiver.calls[0]
        self.assertEqual((body["type"], body["id"]), ("batch", key))
        self.assertEqual([e["id"] for e in body["events"]], [m.uuid for m in messages])
        for message in messages:
            self.assertEqual((message.state, message.http_status, message.batch_key, message.attempts),
                             ("sent", 200, key, 1))
        # A failed array is sent again whole, under its own key; newer messages follow.
        self.receiver.status = lambda key, body: 503
        failed = [self.queue(f"y{i}", shipment=str(i)) for i in range(3)]
        self.run_job()
        self.assertEqual({m.state for m in failed}, {"pending"})
        first_key = self.receiver.calls[-1][0]
        self.receiver.status = lambda key, body: 200
        self.env["logistics.sync.message"].browse([m.id for m in failed]).write(
            {"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})
        late = self.queue("y-late", shipment="0")
        self.run_job()
        (k1, _s1, again), (_k2, _s2, then) = self.receiver.calls[-2:]
        self.assertEqual((k1, [e["id"] for e in again["events"]]), (first_key, [m.uuid for m in failed]))
        self.assertEqual([e["id"] for e in then["events"]], [late.uuid])
        self.assertEqual({m.state for m in failed + [late]}, {"sent"})

    def test_batched_requests_carry_the_trace_headers(self):
        seen = len(self.receiver.traces)  # the receiver serves the whole class
        messages = [self.queue(f"t{i}", shipment=str(i)) for i in range(2)]
        self.run_job()
        self.assertEqual(self.receiver.traces[seen:], [(m.traceparent, str(m.id)) for m in messages])
        self.assertTrue(all(m.traceparent for m in messages))
        self.backend._flow("outbound_shipment").accepts_arrays = True
        array = [self.queue(f"u{i}", shipment=str(i)) for i in range(2)]
        self.run_job()
        self.assertEqual(self.receiver.traces[-1],
                         (array[0].traceparent, ",".join(str(m.id) for m in array)))

    def test_each_delivery_is_committed_before_the_next_request(self):
        """A worker dying after two requests: both results are kept, the third message
        (in flight) is the only one sent again."""
        messages = [self.queue(f"k{i}", shipment=str(i)) for i in range(4)]
        adapter = type(self.backend._adapter())
        send = adapter.send
        calls = []

        def dying(self_, *args, **kwargs):
            calls.append(1)
            if len(calls) == 3:
                raise KeyboardInterrupt("worker killed")
            return send(self_, *args, **kwargs)

        # Not assertRaises: Odoo's rolls its block back, the commits of the job included.
        with patch.object(adapter, "send", dying):
            try:
                self.run_job()
            except KeyboardInterrupt as exc:
                self.assertEqual(str(exc), "worker killed")
        self.assertEqual(len(calls), 3)
        self.env.invalidate_all()
        self.assertEqual([m.state for m in messages], ["sent", "sent", "pending", "pending"])
        self.run_job()
        self.assertEqual([m.state for m in messages], ["sent"] * 4)
        self.assertEqual(self.delivered(), ["k0", "k1", "k2", "k3"], "each accepted once")
