"""Tracing end to end, on a real server with its job runner: a proof of delivery POSTed
with a W3C traceparent releases an invoice, whose delivery to the finance system carries
the same trace id and the id of its message."""

import json
import time
import uuid

import pytest
import requests

from .conftest import wait_until
from .fake_receiver import FakeReceiver
from .test_e2e_webhooks import DEMO_SECRET, recent
from .test_lib_signing import sign_standard

pytestmark = pytest.mark.e2e

TRACE_ID = uuid.uuid4().hex
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def post_pod(server, reference, event_id, at, traceparent):
    body = json.dumps({
        "type": "shipment.milestone", "id": event_id, "shipment": {"reference": reference},
        "milestone": {"code": "delivered", "occurred_at": at},
        "pod": {"signed_by": "E2E Receiver", "received_at": at}}).encode()
    ts = int(time.time())
    return requests.post(f"{server.url}/logistics/webhook/demo-tms", data=body, timeout=30, headers={
        "Content-Type": "application/json", "webhook-id": event_id, "webhook-timestamp": str(ts),
        "webhook-signature": sign_standard(DEMO_SECRET, event_id, ts, body),
        "traceparent": traceparent})


def test_a_trace_is_followed_from_a_pod_webhook_to_the_invoice_sent(odoo_server):
    s = odoo_server
    uid = s.login()["uid"]
    company_id = s.call("res.users", "read", [uid], ["company_id"])[0]["company_id"][0]
    s.call("res.company", "write", [company_id], {
        "logistics_auto_release": True, "logistics_release_user_id": uid,
        "logistics_release_require_done": True})
    with FakeReceiver() as receiver:
        finance = s.call("logistics.backend", "create", {
            "name": "Fake Finance", "code": "fake-finance-trace", "backend_type": "finance",
            "company_id": company_id, "base_url": receiver.url, "allow_private_network": True,
            "rate_limit": 0})
        flows = s.call("logistics.backend.flow", "search",
                       [["backend_id", "=", finance], ["flow", "=", "outbound_finance"]])
        s.call("logistics.backend.flow", "write", flows, {"mode": "realtime"})
        partner = s.call("res.partner", "create", {"name": "E2E Trace Customer",
                                                   "logistics_invoice_policy": "on_pod"})
        product = s.call("product.product", "create", {
            "name": "E2E Traced Widget", "type": "consu", "invoice_policy": "delivery",
            "list_price": 50})
        order = s.call("sale.order", "create", {"partner_id": partner, "order_line": [
            [0, 0, {"product_id": product, "product_uom_qty": 1}]]})
        s.call("sale.order", "action_confirm", [order])
        picking = s.call("sale.order", "read", [order], ["picking_ids"])[0]["picking_ids"][0]
        moves = s.call("stock.picking", "read", [picking], ["move_ids"])[0]["move_ids"]
        s.call("stock.move", "write", moves, {"quantity": 1, "picked": True})
        s.call("stock.picking", "button_validate", [picking])
        shipment = s.call("stock.picking", "read", [picking],
                          ["logistics_shipment_id"])[0]["logistics_shipment_id"]

        event_id = f"msg_{uuid.uuid4().hex}"
        response = post_pod(s, shipment[1], event_id, recent(), TRACEPARENT)
        assert response.status_code == 202, response.text
        inbound = s.call("logistics.sync.message", "read", [response.json()["message_id"]],
                         ["traceparent"])[0]
        assert inbound["traceparent"] == TRACEPARENT

        def sent():
            messages = s.call("logistics.sync.message", "search_read", [
                ["backend_id", "=", finance], ["event_type", "=", "invoice.posted"],
                ["state", "=", "sent"]], fields=["traceparent", "shipment_ids"])
            return messages[0] if messages else None

        outbound = wait_until(sent, timeout=120, message="the released invoice sent to finance")
        assert outbound["traceparent"].split("-")[1] == TRACE_ID
        assert outbound["traceparent"] != TRACEPARENT, "a span of its own"
        assert outbound["shipment_ids"] == [shipment[0]]
        with receiver.lock:
            headers = list(receiver.headers)
        assert len(headers) == 1, headers
        assert headers[0]["traceparent"] == outbound["traceparent"]
        assert headers[0]["X-Logistics-Message-Id"] == str(outbound["id"])
        tab = s.call("logistics.shipment", "read", [shipment[0]], ["logistics_message_ids"])[0]
        assert response.json()["message_id"] in tab["logistics_message_ids"]
        assert outbound["id"] in tab["logistics_message_ids"]
