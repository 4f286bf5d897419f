# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Tracing: inbound and outbound traceparent, the shipment's Sync tab, and the link of
outbound messages to the shipments of what they are about."""

import json
import time
import uuid
from datetime import datetime, timedelta

import responses
from lxml import etree

from odoo import Command
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..lib import signatures
from .common import TMS_SECRET, ConnectorCase, OutboundHttpMixin, WebhookCase, generic_event
from .test_trace_lib import TRACEPARENT_RE, VALID

URL = "https://93.184.216.34/odoo-events"


@tagged("post_install", "-at_install")
class TestTraceInbound(WebhookCase):
    def post_traced(self, traceparent, reference="TEST-SHP-1", code="picked_up"):
        body = json.dumps(generic_event(reference, code, "2026-11-20T08:00:00Z")).encode()
        headers = signatures.standard_headers(TMS_SECRET, f"msg_{uuid.uuid4().hex}", body,
                                              timestamp=int(time.time()))
        headers["Content-Type"] = "application/json"
        if traceparent is not None:
            headers["traceparent"] = traceparent
        response = self.post_raw(self.url, body, headers)
        self.assertEqual(response.status_code, 202, response.text)
        return self.env["logistics.sync.message"].browse(response.json()["message_id"])

    def test_a_valid_traceparent_is_stored_an_invalid_one_ignored(self):
        message = self.post_traced(VALID)
        self.assertEqual(message.traceparent, VALID)
        self.assertEqual(message.search([("traceparent", "ilike", VALID.split("-")[1])]), message,
                         "found by trace id")
        for bad in (VALID.upper(), "00-" + "0" * 32 + "-00f067aa0ba902b7-01", "hello", None):
            message = self.post_traced(bad)
            self.assertFalse(message.traceparent, bad)
            self.assertNotIn("traceparent", json.loads(message.headers), "nor kept as a header")

    def test_sync_tab_lists_inbound_and_outbound_messages_in_time_order(self):
        other = self.env["logistics.shipment"].create({"name": "TEST-SHP-2"})
        first = self.post_traced(VALID)
        second = self.post_traced(None, code="in_transit")
        elsewhere = self.post_traced(None, reference="TEST-SHP-2")
        self.assertFalse(self.shipment.logistics_message_ids, "not applied yet")
        self.process()
        self.assertEqual((first | second | elsewhere).mapped("state"), ["done"] * 3)
        self.assertEqual(self.shipment.logistics_message_ids, first | second,
                         "linked in this transaction: not a stale value")
        Outbox = self.env["logistics.outbox"].with_user(self.integration_user)
        backend = self.backend.with_user(self.integration_user)
        with trap_jobs():
            out = Outbox._create(backend, "outbound_shipment", "shipment.update", "sync-tab",
                                 {}, record=self.shipment)
            Outbox._create(backend, "outbound_shipment", "shipment.update", "sync-other",
                           {}, record=other)
        self.assertEqual(out.shipment_ids, self.shipment)
        self.assertIn(out, self.shipment.logistics_message_ids)
        # Ids say first, second, out; the times say first, out, second.
        start = datetime(2026, 11, 20, 8, 0)
        for message, minutes in ((first, 0), (second, 2), (out, 1)):
            message.received_at = start + timedelta(minutes=minutes)
        user = new_test_user(self.env, "sync-reader", groups="logistics_sync.group_logistics_user")
        shipment = self.shipment.with_user(user)
        self.assertEqual(shipment.logistics_message_ids.ids, [first.id, out.id, second.id])
        self.assertEqual(shipment.logistics_message_ids.mapped("direction"), ["in", "out", "in"])
        self.assertEqual(other.logistics_message_ids.mapped("direction"), ["in", "out"])
        arch = shipment.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="logistics_message_ids"', arch)

    def test_users_who_cannot_read_messages_still_open_the_shipment(self):
        stock_user = new_test_user(self.env, "stock-only", groups="stock.group_stock_user")
        Message = self.env["logistics.sync.message"].with_user(stock_user)
        self.assertFalse(Message.has_access("read"))
        shipment = self.shipment.with_user(stock_user)
        views = shipment.get_views([(False, "form")])
        self.assertNotIn("logistics_message_ids", views["views"]["form"]["arch"])
        fields = views["models"]["logistics.shipment"]
        fields = fields.get("fields", fields)
        self.assertNotIn("logistics_message_ids", fields)
        # What the form reads, as the web client reads it: the fields of its arch (the
        # other addons' pages included).
        arch = etree.fromstring(views["views"]["form"]["arch"])
        names = {f.get("name") for f in arch.iter("field") if not any(
            a.tag == "field" for a in f.iterancestors())}
        self.assertIn("pod_received", names)
        values = shipment.web_read({name: {} for name in names})
        self.assertEqual(values[0]["name"], "TEST-SHP-1")
        with self.assertRaises(AccessError):
            shipment.read(["logistics_message_ids"])


@tagged("post_install", "-at_install")
class TestTraceOutbound(OutboundHttpMixin, ConnectorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.write({"base_url": URL, "rate_limit": 0})
        cls.env["logistics.backend.flow"].create([
            {"backend_id": cls.backend.id, "flow": "outbound_fulfillment"},
            {"backend_id": cls.backend.id, "flow": "outbound_finance", "mode": "batch"},
        ])
        cls.Outbox = cls.env["logistics.outbox"].with_user(cls.integration_user)
        cls.product = cls.env["product.product"].create(
            {"name": "Traced Item", "type": "consu", "is_storable": True, "list_price": 20,
             "invoice_policy": "order"})
        cls.partner = cls.env["res.partner"].create({"name": "Traced Customer"})

    def queue(self, key, flow="outbound_shipment", outbox=None):
        with trap_jobs():
            return (self.Outbox if outbox is None else outbox)._create(
                self.backend.with_user(self.integration_user), flow, "shipment.update", key,
                {"n": key})

    def confirm_order(self):
        order = self.env["sale.order"].create({
            "partner_id": self.partner.id,
            "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": 2})],
        })
        with trap_jobs():
            order.action_confirm()
        return order

    def messages(self, flow):
        return self.env["logistics.sync.message"].search(
            [("backend_id", "=", self.backend.id), ("flow", "=", flow)], order="id")

    @responses.activate
    def test_a_request_carries_its_traceparent_and_message_id(self):
        responses.add(responses.POST, URL, json={"ok": True}, status=200)
        message = self.queue("traced")
        self.assertRegex(message.traceparent, TRACEPARENT_RE)
        self.assertNotEqual(self.queue("other").traceparent.split("-")[1],
                            message.traceparent.split("-")[1], "a new trace each")
        with trap_jobs():
            message.with_user(self.integration_user)._send()
        self.assertEqual(message.state, "sent")
        headers = responses.calls[0].request.headers
        self.assertEqual(headers["traceparent"], message.traceparent)
        self.assertEqual(headers["X-Logistics-Message-Id"], str(message.id))
        self.assertEqual(headers["Idempotency-Key"], message.uuid)

    def test_a_message_caused_by_a_traced_inbound_one_continues_its_trace(self):
        message = self.queue("caused", outbox=self.Outbox.with_context(logistics_traceparent=VALID))
        _v, trace_id, span, flags = message.traceparent.split("-")
        self.assertEqual((trace_id, flags), (VALID.split("-")[1], "01"))
        self.assertNotEqual(span, VALID.split("-")[2], "a span of its own")
        orphan = self.queue("orphan", outbox=self.Outbox.with_context(logistics_traceparent="junk"))
        self.assertRegex(orphan.traceparent, TRACEPARENT_RE)
        self.assertNotEqual(orphan.traceparent.split("-")[1], trace_id)

    @responses.activate
    def test_a_batch_request_carries_the_ids_of_its_messages(self):
        responses.add(responses.POST, URL, status=200)
        first, second = (self.queue(key, flow="outbound_finance") for key in ("b1", "b2"))
        self.env["logistics.outbox"].with_user(self.integration_user)._send_batch(
            self.backend.with_user(self.integration_user), "outbound_finance")
        self.assertEqual(len(responses.calls), 1)
        headers = responses.calls[0].request.headers
        self.assertEqual(headers["traceparent"], first.traceparent)
        self.assertEqual(headers["X-Logistics-Message-Id"], f"{first.id},{second.id}")
        self.assertEqual(headers["Idempotency-Key"], first.batch_key)
        self.assertEqual((first | second).mapped("state"), ["sent", "sent"])

    def test_messages_about_an_order_or_invoice_link_its_shipments(self):
        order = self.confirm_order()
        shipment = order.logistics_shipment_ids
        self.assertEqual(len(shipment), 1)
        fulfillment = self.messages("outbound_fulfillment")
        self.assertEqual(fulfillment.shipment_ids, shipment)
        invoice = order._create_invoices()
        with trap_jobs():
            invoice.action_post()
        finance = self.messages("outbound_finance")
        self.assertEqual((finance.res_model, finance.res_id), ("account.move", invoice.id))
        self.assertEqual(finance.shipment_ids, shipment)
        self.assertEqual(shipment.logistics_message_ids, fulfillment | finance)

    def test_shipments_created_after_the_order_message_are_linked_to_it(self):
        self.env.company.logistics_auto_create_shipment = False
        order = self.confirm_order()
        fulfillment = self.messages("outbound_fulfillment")
        self.assertFalse(order.logistics_shipment_ids)
        self.assertFalse(fulfillment.shipment_ids)
        order.picking_ids.action_logistics_create_shipment()
        shipment = order.logistics_shipment_ids
        self.assertTrue(shipment)
        self.assertEqual(fulfillment.shipment_ids, shipment)
        self.assertIn(fulfillment, shipment.logistics_message_ids)
