"""Issue 15 end to end, on a real server with its job runner: a sale order for 10 units
with lots is released to a WMS (a local fake receiver), acknowledged, shipped in two
parts (7 then 3) with lots; each part validates its delivery and gets its shipment; the
TMS gives the first one its carrier (through the TMS's carrier cross-reference),
tracking and ETA; each shipment's proof of delivery from the TMS releases one invoice.
Replays of every message change nothing."""

import json
import subprocess
import sys
import time
import uuid

import pytest
import requests

from .conftest import wait_until
from .fake_receiver import FakeReceiver
from .test_e2e_webhooks import DEMO_SECRET, REPO, recent
from .test_lib_signing import sign_standard

pytestmark = pytest.mark.e2e

WMS_SECRET = "whsec_ZTJlLXdtcy1mdWxmaWxsbWVudC1zZWNyZXQ="


def post(server, backend, events, msg_id=None):
    body = json.dumps({"events": events}).encode()
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    ts = int(time.time())
    secret = WMS_SECRET if backend == "e2e-wms" else DEMO_SECRET
    response = requests.post(f"{server.url}/logistics/webhook/{backend}", data=body, timeout=30, headers={
        "Content-Type": "application/json", "webhook-id": msg_id, "webhook-timestamp": str(ts),
        "webhook-signature": sign_standard(secret, msg_id, ts, body)})
    assert response.status_code in (200, 202), response.text
    return msg_id


def test_wms_ships_in_two_parts_and_each_part_is_invoiced_on_its_pod(odoo_server):
    s = odoo_server
    uid = s.login()["uid"]
    company_id = s.call("res.users", "read", [uid], ["company_id"])[0]["company_id"][0]
    s.call("res.company", "write", [company_id], {
        "logistics_auto_release": True, "logistics_release_user_id": uid,
        "logistics_release_require_done": True, "logistics_fulfillment_user_id": uid})
    integration = s.call("res.users", "search", [["login", "=", "demo-integration"]])[0]
    partner = s.call("res.partner", "create", {"name": "E2E WMS Customer",
                                               "logistics_invoice_policy": "on_pod"})
    sku = f"E2E-LOT-{uuid.uuid4().hex[:6]}"
    product = s.call("product.product", "create", {
        "name": "E2E Lotted", "default_code": sku, "type": "consu", "is_storable": True,
        "tracking": "lot", "invoice_policy": "delivery", "list_price": 10})
    stock = s.call("stock.warehouse", "search_read", [["company_id", "=", company_id]],
                   fields=["lot_stock_id"], limit=1)[0]["lot_stock_id"][0]
    for lot_name in ("E2E-L1", "E2E-L2"):
        lot = s.call("stock.lot", "create", {"name": lot_name, "product_id": product})
        quant = s.call("stock.quant", "create", {"product_id": product, "location_id": stock,
                                                 "lot_id": lot, "inventory_quantity": 5},
                       context={"inventory_mode": True})
        s.call("stock.quant", "action_apply_inventory", [quant])

    with FakeReceiver() as receiver:
        backend = s.call("logistics.backend", "create", {
            "name": "E2E WMS", "code": "e2e-wms", "backend_type": "wms", "company_id": company_id,
            "base_url": receiver.url, "allow_private_network": True, "retry_base_delay": 1,
            "retry_max_delay": 2, "rate_limit": 0, "integration_user_id": integration,
            "may_report_fulfillment": True}, context={"logistics_new_secret": False})
        s.call("logistics.backend.secret", "create", {"backend_id": backend, "secret": WMS_SECRET})
        s.call("logistics.backend.flow", "write", s.call("logistics.backend.flow", "search", [
            ["backend_id", "=", backend], ["flow", "=", "outbound_fulfillment"]]), {"enabled": True})
        order = s.call("sale.order", "create", {"partner_id": partner, "order_line": [
            [0, 0, {"product_id": product, "product_uom_qty": 10}]]})
        s.call("sale.order", "action_confirm", [order])
        name = s.call("sale.order", "read", [order], ["name"])[0]["name"]

        def requested():
            with receiver.lock:
                return [body for _key, _status, body in receiver.calls if name.encode() in body]

        (request,) = wait_until(requested, timeout=60, message="the fulfillment request at the WMS")
        assert sku.encode() in request

    def order_reads(*fields):
        return s.call("sale.order", "read", [order], list(fields))[0]

    def messages_done(msg_ids, timeout=90):
        def done():
            rows = s.call("logistics.sync.message", "search_read",
                          [["event_id", "in", msg_ids], ["direction", "=", "in"]],
                          fields=["state", "error"])
            return rows if len(rows) == len(msg_ids) and all(
                r["state"] not in ("pending", "received") for r in rows) else None
        rows = wait_until(done, timeout=timeout, message=f"messages {msg_ids} processed")
        assert all(r["state"] == "done" for r in rows), rows
        return rows

    ack = {"type": "fulfillment.acknowledged", "schema_version": "1", "id": f"ack-{name}",
           "occurred_at": recent(120), "order": {"reference": name}}
    messages_done([post(s, "e2e-wms", [ack])])
    assert order_reads("logistics_fulfillment_state")["logistics_fulfillment_state"] == "acknowledged"

    def shipped(event_id, qty, lots):
        return {"type": "fulfillment.shipped", "schema_version": "1", "id": event_id,
                "shipped_at": recent(100), "order": {"reference": name},
                "lines": [{"sku": sku, "quantity": qty, "unit": "Units",
                           "lots": [{"number": n, "quantity": q} for n, q in lots]}],
                "tracking": {"number": f"TRK-{event_id}"}}

    first = shipped(f"ship1-{name}", 7, [("E2E-L1", 4), ("E2E-L2", 3)])
    messages_done([post(s, "e2e-wms", [first])])
    pickings = s.call("stock.picking", "search_read", [["sale_id", "=", order]],
                      fields=["state", "logistics_shipment_id", "backorder_id"], order="id")
    assert [p["state"] for p in pickings] == ["done", "assigned"], pickings
    assert pickings[1]["backorder_id"][0] == pickings[0]["id"]
    # Validated for the 7 shipped, with the warehouse's lots; a backorder of 3.
    shipped_lots = s.call("stock.move.line", "search_read", [["picking_id", "=", pickings[0]["id"]]],
                          fields=["lot_id", "quantity"])
    assert sorted((ml["lot_id"][1], ml["quantity"]) for ml in shipped_lots) == [
        ("E2E-L1", 4), ("E2E-L2", 3)], shipped_lots
    assert [m["product_uom_qty"] for m in s.call("stock.move", "search_read", [
        ["picking_id", "=", pickings[1]["id"]]], fields=["product_uom_qty"])] == [3]
    shipment1 = pickings[0]["logistics_shipment_id"]
    assert shipment1

    # The TMS books the shipment: carrier (its code, cross-referenced on the TMS backend
    # to an Odoo carrier), tracking, promised delivery and ETA, packages.
    tms = s.call("logistics.backend", "search", [["code", "=", "demo-tms"]])[0]
    carrier = s.call("delivery.carrier", "create", {"name": "E2E Express", "product_id": s.call(
        "product.product", "create", {"name": "E2E Express", "type": "service"})})
    carrier_code = f"E2EX-{uuid.uuid4().hex[:6]}"
    s.call("logistics.backend.xref", "create", {"backend_id": tms, "kind": "carrier",
                                                "external_code": carrier_code, "carrier_id": carrier})
    promised, eta = recent(-2 * 86400), recent(-86400)
    update = {"type": "shipment.updated", "schema_version": "1", "id": f"upd1-{name}",
              "occurred_at": recent(95), "shipment": {"reference": shipment1[1]},
              "carrier": {"code": carrier_code, "name": "E2E Express", "service": "EXPRESS"},
              "tracking": {"number": f"E2E-TRK-{name}", "url": f"https://track.example.com/{name}"},
              "dates": {"promised_delivery": promised, "estimated_delivery": eta},
              "packages": [{"reference": f"PKG-{name}", "weight": {"value": 7.5, "unit": "kg"}}]}
    messages_done([post(s, "demo-tms", [update])])
    transport = ["carrier_id", "tracking_number", "tracking_url", "date_promised", "date_estimated",
                 "late_against_promise", "package_ids"]

    def shipment_transport():
        return s.call("logistics.shipment", "read", [shipment1[0]], transport)[0]

    booked = shipment_transport()
    assert (booked["carrier_id"][0], booked["tracking_number"], booked["tracking_url"]) == (
        carrier, f"E2E-TRK-{name}", f"https://track.example.com/{name}"), booked
    assert (booked["date_promised"], booked["date_estimated"]) == (
        promised.replace("T", " ").rstrip("Z"), eta.replace("T", " ").rstrip("Z")), booked
    assert not booked["late_against_promise"] and len(booked["package_ids"]) == 1, booked

    def pod(shipment_name, tag):
        """A shipment's milestones up to its POD, built once: a replay resends these."""
        return [
            {"type": "shipment.milestone", "id": f"{tag}-pu", "shipment": {"reference": shipment_name},
             "milestone": {"code": "picked_up", "occurred_at": recent(90)}},
            {"type": "shipment.milestone", "id": f"{tag}-it", "shipment": {"reference": shipment_name},
             "milestone": {"code": "in_transit", "occurred_at": recent(80)}},
            {"type": "shipment.milestone", "id": f"{tag}-pod", "shipment": {"reference": shipment_name},
             "milestone": {"code": "delivered", "occurred_at": recent(70)},
             "pod": {"signed_by": "E2E Receiver", "received_at": recent(70)}}]

    def posted_invoices(count):
        def check():
            invoices = s.call("account.move", "search_read", [
                ["invoice_origin", "=", name], ["move_type", "=", "out_invoice"]],
                fields=["state", "amount_untaxed"], order="id")
            return invoices if len(invoices) == count and all(
                i["state"] == "posted" for i in invoices) else None
        return wait_until(check, timeout=120, message=f"{count} posted invoice(s) of {name}")

    pod1 = pod(shipment1[1], f"pod1-{name}")
    messages_done([post(s, "demo-tms", pod1)])
    invoices = posted_invoices(1)
    assert invoices[0]["amount_untaxed"] == 70, "the 7 units shipped and proven, no more"

    second = shipped(f"ship2-{name}", 3, [("E2E-L1", 1), ("E2E-L2", 2)])
    messages_done([post(s, "e2e-wms", [second])])
    pickings = s.call("stock.picking", "search_read", [["sale_id", "=", order]],
                      fields=["state", "logistics_shipment_id"], order="id")
    assert [p["state"] for p in pickings] == ["done", "done"]
    shipment2 = pickings[1]["logistics_shipment_id"]
    assert shipment2 and shipment2 != shipment1, "one shipment per delivery"
    pod2 = pod(shipment2[1], f"pod2-{name}")
    messages_done([post(s, "demo-tms", pod2)])
    invoices = posted_invoices(2)
    assert [i["amount_untaxed"] for i in invoices] == [70, 30]

    def story():
        """What the messages made: shipments with their milestones and proof, deliveries
        with their move lines, the order's fulfillment state, activities and invoices."""
        return (
            s.call("logistics.shipment", "search_read", [["sale_id", "=", order]], order="id", fields=[
                "state", "milestone_ids", "pod_received", "pod_signed_by", "invoice_released"]),
            s.call("stock.picking", "search_read", [["sale_id", "=", order]], order="id",
                   fields=["state", "logistics_shipment_id", "move_line_ids"]),
            order_reads("logistics_fulfillment_state", "activity_ids", "invoice_ids"),
            shipment_transport())

    before = story()
    assert [len(sh["milestone_ids"]) for sh in before[0]] == [4, 4], before[0]  # created + 3
    # Every message again, the very same events under new webhook ids: nothing changes.
    replays = [post(s, "e2e-wms", [ack]), post(s, "e2e-wms", [first]), post(s, "demo-tms", [update]),
               post(s, "e2e-wms", [second]), post(s, "demo-tms", pod1), post(s, "demo-tms", pod2)]
    messages_done(replays)
    time.sleep(3)  # a release job a replay would have queued has had time to run
    assert story() == before
    assert [i["amount_untaxed"] for i in posted_invoices(2)] == [70, 30]
    (line,) = s.call("sale.order.line", "search_read", [["order_id", "=", order]],
                     fields=["qty_delivered", "qty_invoiced"])
    assert (line["qty_delivered"], line["qty_invoiced"]) == (10, 10)


def test_demo_script_posts_fulfillment_events_to_the_demo_wms(odoo_server):
    """The newcomer's story after `make run`: the demo WMS answers a demo order and
    ships it with scripts/post-demo-event.py."""
    s = odoo_server
    s.login()
    (order,) = s.call("sale.order", "search_read", [["state", "=", "sale"],
                      ["picking_ids.state", "=", "assigned"], ["picking_ids.picking_type_code", "=", "outgoing"]],
                      fields=["name", "order_line", "picking_ids"], limit=1)
    lines = s.call("sale.order.line", "search_read", [["order_id", "=", order["id"]],
                   ["product_id.type", "=", "consu"]], fields=["product_id", "product_uom_qty"])
    codes = {p["id"]: p["default_code"] for p in s.call(
        "product.product", "read", [line["product_id"][0] for line in lines], ["default_code"])}

    def run(*args, backend="demo-wms"):
        target = ["--order", order["name"]] if backend == "demo-wms" else []
        out = subprocess.run([sys.executable, str(REPO / "scripts" / "post-demo-event.py"),
                              "--url", f"{s.url}/logistics/webhook/{backend}", *target,
                              "--occurred-at", recent(), *args],
                             capture_output=True, text=True, timeout=60).stdout
        assert out.startswith("202 "), out
        message_id = json.loads(out[4:])["message_id"]
        return wait_until(lambda: (lambda m: m["state"] not in ("pending", "received") and m)(s.call(
            "logistics.sync.message", "read", [message_id], ["state", "error"])[0]),
            message=f"message {message_id} processed")

    assert run("--type", "fulfillment.acknowledged")["state"] == "done"
    shipped = run("--type", "fulfillment.shipped", "--tracking-number", "DEMO-TRK",
                  *[arg for line in lines for arg in (
                      "--line", f"{codes[line['product_id'][0]]}:{line['product_uom_qty']}")])
    assert shipped["state"] == "done", shipped
    states = s.call("stock.picking", "read", order["picking_ids"],
                    ["state", "picking_type_code", "logistics_shipment_id"])
    (delivery,) = [p for p in states if p["picking_type_code"] == "outgoing"]
    assert delivery["state"] == "done"
    # The TMS books it with the demo carrier code, then delivers it with a proof.
    reference = delivery["logistics_shipment_id"][1]
    updated = run("--type", "shipment.updated", "--reference", reference, "--carrier", "DEMO-PARCEL",
                  "--service", "EXPRESS", "--eta", recent(-86400), backend="demo-tms")
    assert updated["state"] == "done", updated
    assert run("--reference", reference, "--code", "delivered", "--signed-by", "J. Doe",
               backend="demo-tms")["state"] == "done"
    shipment = s.call("logistics.shipment", "read", [delivery["logistics_shipment_id"][0]],
                      ["carrier_id", "carrier_service", "date_estimated", "state", "pod_received"])[0]
    parcel = s.call("delivery.carrier", "search", [["name", "=", "Demo Parcel Express"]])
    assert (shipment["carrier_id"][0], shipment["carrier_service"]) == (parcel[0], "EXPRESS"), shipment
    assert shipment["date_estimated"] and shipment["state"] == "delivered" and shipment["pod_received"]
