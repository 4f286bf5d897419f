#!/usr/bin/env python3
"""Post one signed canonical milestone event to a running server (stdlib only).

    python3 scripts/post-demo-event.py --reference DEMO-SHP-0001 --code picked_up

Signs with the Standard Webhooks v1 scheme using the demo-tms secret of the demo
data (the example secret of the Standard Webhooks documentation: demo only).
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


def sign(secret, msg_id, timestamp, body):
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8069/logistics/webhook/demo-tms")
    parser.add_argument("--secret", default=DEMO_SECRET)
    parser.add_argument("--reference", default="DEMO-SHP-0001", help="shipment reference")
    parser.add_argument("--tracking-number", help="match by tracking number instead")
    parser.add_argument("--code", default="picked_up", help="milestone code (canonical or mapped)")
    parser.add_argument("--occurred-at", default=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    parser.add_argument("--event-id", default=None, help="webhook-id (reuse one to see dedup)")
    parser.add_argument("--location", default=None)
    parser.add_argument("--signed-by", default=None, help="POD signer")
    args = parser.parse_args(argv)
    msg_id = args.event_id or f"msg_{uuid.uuid4().hex}"
    shipment = {"tracking_number": args.tracking_number} if args.tracking_number else {
        "reference": args.reference}
    event = {"type": "shipment.milestone", "id": msg_id, "shipment": shipment,
             "milestone": {"code": args.code, "occurred_at": args.occurred_at,
                           "location": args.location}}
    if args.signed_by:
        event["pod"] = {"signed_by": args.signed_by, "received_at": args.occurred_at}
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
