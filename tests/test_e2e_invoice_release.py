"""Issue 4 end to end, on a real server with its job runner: confirm a sale order,
validate its delivery, POST a signed POD webhook, observe exactly one posted invoice."""

import json
import time
import uuid

import pytest
import requests

from .conftest import live_jobs, wait_until
from .test_e2e_webhooks import DEMO_SECRET, recent
from .test_lib_signing import sign_standard

pytestmark = pytest.mark.e2e


def post_pod(server, reference, event_id, at):
    body = json.dumps({
        "type": "shipment.milestone", "id": event_id, "shipment": {"reference": reference},
        "milestone": {"code": "delivered", "occurred_at": at},
        "pod": {"signed_by": "E2E Receiver", "received_at": at}}).encode()
    ts = int(time.time())
    return requests.post(f"{server.url}/logistics/webhook/demo-tms", data=body, timeout=30, headers={
        "Content-Type": "application/json", "webhook-id": event_id, "webhook-timestamp": str(ts),
        "webhook-signature": sign_standard(DEMO_SECRET, event_id, ts, body)})


def test_pod_webhook_releases_exactly_one_invoice(odoo_server):
    s = odoo_server
    uid = s.login()["uid"]
    company_id = s.call("res.users", "read", [uid], ["company_id"])[0]["company_id"][0]
    s.call("res.company", "write", [company_id], {
        "logistics_auto_release": True, "logistics_release_user_id": uid,
        "logistics_release_require_done": True})
    partner = s.call("res.partner", "create", {"name": "E2E POD Customer",
                                               "logistics_invoice_policy": "on_pod"})
    product = s.call("product.product", "create", {"name": "E2E Widget", "type": "consu",
                                                   "invoice_policy": "delivery", "list_price": 50})
    order = s.call("sale.order", "create", {"partner_id": partner,
                                            "order_line": [[0, 0, {"product_id": product, "product_uom_qty": 3}]]})
    s.call("sale.order", "action_confirm", [order])
    picking = s.call("sale.order", "read", [order], ["picking_ids"])[0]["picking_ids"][0]
    moves = s.call("stock.picking", "read", [picking], ["move_ids"])[0]["move_ids"]
    s.call("stock.move", "write", moves, {"quantity": 3, "picked": True})
    s.call("stock.picking", "button_validate", [picking])
    shipment = s.call("stock.picking", "read", [picking], ["logistics_shipment_id"])[0]["logistics_shipment_id"]
    assert shipment, "the confirmed delivery has a shipment"
    reference = shipment[1]

    # The same POD delivered three times (a retry and a replay from another event id).
    # One event time: a retry is the same bytes (another second would be another body: 409).
    event_id, replay_id, at = f"msg_{uuid.uuid4().hex}", f"msg_{uuid.uuid4().hex}", recent()
    assert post_pod(s, reference, event_id, at).status_code == 202
    assert post_pod(s, reference, event_id, at).status_code == 200
    assert post_pod(s, reference, replay_id, at).status_code == 202

    def posted_invoices():
        invoices = s.call("account.move", "search_read",
                          [["invoice_origin", "=", s.call("sale.order", "read", [order], ["name"])[0]["name"]],
                           ["move_type", "=", "out_invoice"]], fields=["state", "amount_untaxed"])
        return invoices if invoices and all(i["state"] == "posted" for i in invoices) else None

    wait_until(posted_invoices, timeout=90, message="the posted invoice of the order")

    # Before counting releases: both accepted PODs processed (a release job is queued in
    # the transaction that processes its message), and no release job of the shipment
    # left that could still release a second invoice.
    def quiescent():
        messages = s.call("logistics.sync.message", "search_read",
                          [["event_id", "in", [event_id, replay_id]], ["direction", "=", "in"]], fields=["state"])
        return (len(messages) == 2 and all(m["state"] != "pending" for m in messages)
                and not live_jobs(s, [["identity_key", "=", f"logistics-release-{shipment[0]}"]]))

    wait_until(quiescent, timeout=90, message="both POD messages processed, no release job left")
    invoices = posted_invoices()
    assert len(invoices) == 1
    assert invoices[0]["amount_untaxed"] == 150
    releases = s.call("logistics.invoice.release", "search_read", [["shipment_id", "=", shipment[0]]],
                      fields=["trigger", "origin"])
    assert len(releases) == 1 and releases[0]["trigger"] == "auto"
    assert releases[0]["origin"].startswith("demo-tms / ")
