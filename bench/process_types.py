"""The apply rate of the inbound event types other than milestones, for
`bench/run.sh process --types milestone,shipment.updated,fulfillment.shipped`.

For each type, a backlog of signed webhooks is POSTed with no job runner, then drained by
the server and its runner as the milestone backlogs are (bench_process.drain), and the
events applied per second are reported: the events the messages of the run record as
applied (``applied_events``), every message expected ``done``.

* shipment.updated (to demo-tms): --typed-events updates to fresh shipments, 5 per
  shipment in event-time order (carrier by one of three carrier cross-references of the
  backend, tracking number and URL, promised delivery, an ETA that moves, one package
  whose weight changes: every update writes);
* fulfillment.shipped (to demo-wms): one event per sale order, seeded as confirmed orders
  of two consumable products (10 units each) whose SKUs the WMS sends through the
  backend's product cross-references; every other event ships 7 of the 10 units of the
  first line (its delivery validated with a backorder of 3), the others ship all.
"""

import base64
import hashlib
import hmac
import json
import time

from bench_ingest import SECRET as TMS_SECRET
from bench_ingest import load, start, stop
from common import odoo_env

MILESTONE, UPDATED, SHIPPED = "milestone", "shipment.updated", "fulfillment.shipped"
TYPES = (MILESTONE, UPDATED, SHIPPED)
# The demo WMS backend's webhook secret (addons/logistics_sync_connector/demo).
WMS_SECRET = "whsec_ZGVtby13bXMtaW5ib3VuZC1zZWNyZXQtZGVtby1vbmx5"
BACKENDS = {UPDATED: ("demo-tms", TMS_SECRET), SHIPPED: ("demo-wms", WMS_SECRET)}
UPDATES_PER_SHIPMENT = 5
CARRIERS = ("BENCH-DHL", "BENCH-UPS", "BENCH-GLS")
SKUS = {"WMS-BENCH-A": "BENCH-SHIP-A", "WMS-BENCH-B": "BENCH-SHIP-B"}  # WMS SKU -> internal reference
QTY = 10


def stamp(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def sign(secret, msg_id, ts, body):
    key = base64.b64decode(secret.removeprefix("whsec_"))
    return "v1," + base64.b64encode(
        hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()


def applied_sql(run):
    """The events the messages of ``run`` recorded as applied (run names are [a-z0-9.])."""
    return ("SELECT coalesce(sum(json_array_length(applied_events::json)), 0) "
            f"FROM logistics_sync_message WHERE direction = 'in' AND state = 'done' "
            f"AND event_id LIKE '{run}-req-%%'")  # %% : psycopg2 formats it


# ---------------------------------------------------------------- seed
def seed_updates(db, conf, run, events):
    """Fresh shipments for ``events`` updates, and the TMS's carrier cross-references."""
    count = max(1, -(-events // UPDATES_PER_SHIPMENT))
    names = [f"{run}-{i:06d}" for i in range(count)]
    with odoo_env(db, conf) as env:
        backend = env["logistics.backend"].search([("code", "=", "demo-tms")])
        backend.write({"max_attempts": 3, "event_future_hours": 0})
        Xref = env["logistics.backend.xref"]
        for code in CARRIERS:
            if not Xref.search_count([("backend_id", "=", backend.id), ("kind", "=", "carrier"),
                                      ("external_code", "=", code)]):
                product = env["product.product"].create({"name": code, "type": "service"})
                carrier = env["delivery.carrier"].create({"name": code, "product_id": product.id})
                Xref.create({"backend_id": backend.id, "kind": "carrier", "external_code": code,
                             "carrier_id": carrier.id})
        for offset in range(0, count, 5000):
            env["logistics.shipment"].create([{"name": n} for n in names[offset:offset + 5000]])
            env.cr.commit()
    return names


def seed_orders(db, conf, run, events):
    """``events`` confirmed sale orders (their deliveries open) and the WMS's SKU
    cross-references; returns the orders' names."""
    names = []
    with odoo_env(db, conf) as env:
        backend = env["logistics.backend"].search([("code", "=", "demo-wms")])
        Product, Xref = env["product.product"], env["logistics.backend.xref"]
        products = []
        for sku, code in SKUS.items():
            product = Product.search([("default_code", "=", code)], limit=1) or Product.create({
                "name": f"Bench {code}", "default_code": code, "type": "consu", "list_price": 5.0})
            if not Xref.search_count([("backend_id", "=", backend.id), ("kind", "=", "product"),
                                      ("external_code", "=", sku)]):
                Xref.create({"backend_id": backend.id, "kind": "product", "external_code": sku,
                             "product_id": product.id})
            products.append(product)
        partner = env["res.partner"].create({"name": f"Bench customer {run}"})
        for offset in range(0, events, 200):
            orders = env["sale.order"].create([{
                "partner_id": partner.id, "client_order_ref": f"{run}-{offset + k}",
                "order_line": [(0, 0, {"product_id": p.id, "product_uom_qty": QTY}) for p in products],
            } for k in range(min(200, events - offset))])
            orders.action_confirm()
            names.extend(orders.mapped("name"))
            env.cr.commit()
            print(f"  seeded {len(names)} / {events} orders", flush=True)
    return names


# ---------------------------------------------------------------- events
def update_event(run, k, ref, step, base):
    eta = base + 3 * 86400 + step * 3600
    return {"type": UPDATED, "schema_version": "1", "id": f"{run}-{k}", "occurred_at": stamp(base + k),
            "shipment": {"reference": ref},
            "carrier": {"code": CARRIERS[k % len(CARRIERS)], "service": "EXPRESS"},
            "tracking": {"number": f"{ref}-T", "url": f"https://track.example.com/{ref}"},
            "dates": {"promised_delivery": stamp(base + 4 * 86400), "estimated_delivery": stamp(eta)},
            "packages": [{"reference": f"{ref}-P1", "weight": {"value": 1.0 + step, "unit": "kg"}}]}


def shipped_event(run, k, order, base):
    first = 7 if k % 2 else QTY  # every other one partial: a backorder of 3
    skus = list(SKUS)
    return {"type": SHIPPED, "schema_version": "1", "id": f"{run}-{k}", "shipped_at": stamp(base + k),
            "order": {"reference": order},
            "lines": [{"sku": skus[0], "quantity": first, "unit": "Units"},
                      {"sku": skus[1], "quantity": QTY, "unit": "Units"}],
            "tracking": {"number": f"{run}-T{k}"}}


def fill(db, conf, type_, run, targets, events, per_request, connections=4):
    """POST the backlog of ``events`` events of ``type_`` with no job runner."""
    path, secret = BACKENDS[type_]
    base = time.time() - 86400 - events  # in the past, one second apart

    def make_events(i):
        out = []
        for k in range(i * per_request, min((i + 1) * per_request, events)):
            if type_ == UPDATED:
                out.append(update_event(run, k, targets[k // UPDATES_PER_SHIPMENT],
                                        k % UPDATES_PER_SHIPMENT, base))
            else:
                out.append(shipped_event(run, k, targets[k], base))
        return out

    def make(i):
        body = json.dumps({"events": make_events(i)}).encode()
        msg_id, ts = f"{run}-req-{i}", int(time.time())
        return f"/logistics/webhook/{path}", body, {
            "Content-Type": "application/json", "webhook-id": msg_id, "webhook-timestamp": str(ts),
            "webhook-signature": sign(secret, msg_id, ts, body)}

    requests = -(-events // per_request)
    proc, port = start(db, conf, 2, runner=False)
    try:
        result = load(port, make, requests, connections, time_limit=600)
    finally:
        stop(proc)
    assert result["statuses"] == {202: requests}, result["statuses"]
    return requests


def run_type(db, conf, type_, workers, events, per_request, drain, analyze, profile=None):
    """Seed, fill and drain one type's backlog (``drain`` and ``analyze``: those of
    bench_process; ``profile``: py-spy's output, see drain); the drain's result with
    the type."""
    run = f"{type_.split('.')[-1][:4]}{workers}n{events}x{int(time.time()) % 100000}"
    targets = (seed_updates if type_ == UPDATED else seed_orders)(db, conf, run, events)
    analyze(db)
    fill(db, conf, type_, run, targets, events, per_request)
    result = drain(db, conf, workers, events, backend=BACKENDS[type_][0], applied_sql=applied_sql(run),
                   profile=profile)
    return dict(result, type=type_, per_request=per_request)
