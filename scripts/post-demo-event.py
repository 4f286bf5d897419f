#!/usr/bin/env python3
"""Post one signed canonical event to a running server (stdlib only).

    python3 scripts/post-demo-event.py --reference DEMO-SHP-0001 --code picked_up
    python3 scripts/post-demo-event.py --type fulfillment.shipped --order S00001 \
        --line LOG-PALLET:2 --tracking-number 1Z999
    python3 scripts/post-demo-event.py --type shipment.updated --reference DEMO-SHP-0001 \
        --carrier DEMO-PARCEL --tracking-number 1Z999 --eta 2026-12-24T12:00:00Z

Signs with the Standard Webhooks v1 scheme using the demo secrets of the demo data
(milestones and shipment updates to demo-tms, fulfillment.* to demo-wms; demo only).
"""

import argparse
import base64
import hashlib
import hmac
import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone

DEMO_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
DEMO_WMS_SECRET = "whsec_ZGVtby13bXMtaW5ib3VuZC1zZWNyZXQtZGVtby1vbmx5"
FULFILLMENT = ("fulfillment.acknowledged", "fulfillment.rejected", "fulfillment.shipped")


def fulfillment_event(args, event_id):
    """A fulfillment.* event of the order ``--order`` (schema version 1)."""
    event = {"type": args.type, "schema_version": "1", "id": event_id,
             "order": {"reference": args.order, "release": args.release}}
    if args.type != "fulfillment.shipped":
        event["occurred_at"] = args.occurred_at
        if args.type == "fulfillment.rejected":
            event["reason"] = {"code": args.reason_code, "text": args.reason}
        return event
    lines = []
    for spec in args.line:  # SKU:QUANTITY[:LOT=QTY,LOT=QTY]
        sku, quantity, *lots = spec.split(":")
        line = {"sku": sku, "quantity": float(quantity)}
        if lots:
            line["lots"] = [{"number": lot.split("=")[0], "quantity": float(lot.split("=")[1])}
                            for lot in lots[0].split(",")]
        lines.append(line)
    event.update(shipped_at=args.occurred_at, lines=lines,
                 tracking={"number": args.tracking_number} if args.tracking_number else None)
    return event


def update_event(args, event_id):
    """A shipment.updated event of the shipment ``--reference`` (schema version 1): only
    what the options give is sent."""
    event = {"type": "shipment.updated", "schema_version": "1", "id": event_id,
             "occurred_at": args.occurred_at, "shipment": {"reference": args.reference}}
    carrier = {k: v for k, v in (("code", args.carrier), ("name", args.carrier_name),
                                 ("service", args.service)) if v}
    tracking = {k: v for k, v in (("number", args.tracking_number), ("url", args.tracking_url)) if v}
    dates = {k: v for k, v in (("estimated_delivery", args.eta),
                               ("promised_delivery", args.promised)) if v}
    for key, value in (("carrier", carrier), ("tracking", tracking), ("dates", dates)):
        if value:
            event[key] = value
    return event


def sign(secret, msg_id, timestamp, body):
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--type", default="shipment.milestone",
                        choices=("shipment.milestone", "shipment.updated", *FULFILLMENT))
    parser.add_argument("--url", help="default: the demo-tms webhook (demo-wms for fulfillment.*)")
    parser.add_argument("--secret", help="default: the demo backend's secret")
    parser.add_argument("--order", help="fulfillment.*: the sale order reference")
    parser.add_argument("--release", help="fulfillment.*: the delivery reference (optional)")
    parser.add_argument("--line", action="append", default=[],
                        help="fulfillment.shipped: SKU:QUANTITY[:LOT=QTY,LOT=QTY] (repeatable)")
    parser.add_argument("--reason-code", default="out_of_stock", help="fulfillment.rejected")
    parser.add_argument("--reason", default="Not enough stock", help="fulfillment.rejected")
    parser.add_argument("--reference", default="DEMO-SHP-0001", help="shipment reference")
    parser.add_argument("--tracking-number",
                        help="milestone: match by tracking number instead; shipment.updated: "
                        "the tracking number to set")
    parser.add_argument("--carrier", help="shipment.updated: the carrier's code (demo-tms "
                        "cross-references DEMO-PARCEL to the demo parcel carrier)")
    parser.add_argument("--carrier-name", help="shipment.updated")
    parser.add_argument("--service", help="shipment.updated: the carrier's service")
    parser.add_argument("--tracking-url", help="shipment.updated")
    parser.add_argument("--eta", help="shipment.updated: estimated delivery (ISO 8601)")
    parser.add_argument("--promised", help="shipment.updated: promised delivery (ISO 8601)")
    parser.add_argument("--code", default="picked_up", help="milestone code (canonical or mapped)")
    parser.add_argument("--occurred-at", default=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    parser.add_argument("--event-id", default=None, help="webhook-id (reuse one to see dedup)")
    parser.add_argument("--location", default=None)
    parser.add_argument("--signed-by", default=None, help="POD signer")
    args = parser.parse_args(argv)
    msg_id = args.event_id or f"msg_{uuid.uuid4().hex}"
    wms = args.type in FULFILLMENT
    args.url = args.url or "http://127.0.0.1:8069/logistics/webhook/" + ("demo-wms" if wms else "demo-tms")
    args.secret = args.secret or (DEMO_WMS_SECRET if wms else DEMO_SECRET)
    if wms and not args.order:
        parser.error(f"{args.type} needs --order")
    if args.type == "fulfillment.shipped" and not args.line:
        parser.error("fulfillment.shipped needs at least one --line SKU:QUANTITY")
    shipment = {"tracking_number": args.tracking_number} if args.tracking_number else {
        "reference": args.reference}
    event = {"type": "shipment.milestone", "id": msg_id, "shipment": shipment,
             "milestone": {"code": args.code, "occurred_at": args.occurred_at,
                           "location": args.location}}
    if args.signed_by:
        event["pod"] = {"signed_by": args.signed_by, "received_at": args.occurred_at}
    if wms:
        event = fulfillment_event(args, msg_id)
    elif args.type == "shipment.updated":
        event = update_event(args, msg_id)
    body = json.dumps(event).encode()
    timestamp = int(time.time())
    request = urllib.request.Request(args.url, data=body, method="POST", headers={
        "Content-Type": "application/json", "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(args.secret, msg_id, timestamp, body)})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            print(response.status, response.read().decode())
    except urllib.error.HTTPError as err:
        print(err.code, err.read().decode())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
