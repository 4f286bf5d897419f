"""A real server with its queue_job runner: signed webhooks end to end."""

import json
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from .conftest import wait_until
from .test_lib_signing import sign_standard

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parent.parent
DEMO_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
CONCURRENT = 50  # deliveries of the same signed event at once


def wait_for(predicate, timeout=60, interval=0.5, what="condition"):
    """``conftest.wait_until`` under the name other end-to-end modules import."""
    return wait_until(predicate, timeout, interval, what)


def recent(seconds_ago=60):
    """An event time the inbox finds plausible (its default window is the past year of
    the shipment and 24 h ahead), later than the demo milestones."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - seconds_ago))


def post(server, body, msg_id, backend="demo-tms", secret=DEMO_SECRET):
    ts = int(time.time())
    return requests.post(f"{server.url}/logistics/webhook/{backend}", data=body, timeout=30, headers={
        "Content-Type": "application/json", "webhook-id": msg_id, "webhook-timestamp": str(ts),
        "webhook-signature": sign_standard(secret, msg_id, ts, body)})


def milestones(server, reference, code):
    return server.call("logistics.shipment.milestone", "search_read",
                       [["shipment_id.name", "=", reference], ["code", "=", code]],
                       fields=["id", "source", "duplicate_count"])


def test_readme_script_posts_a_signed_event_processed_by_the_job_runner(odoo_server):
    odoo_server.login()
    out = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "post-demo-event.py"),
         "--url", f"{odoo_server.url}/logistics/webhook/demo-tms",
         "--reference", "DEMO-SHP-0001", "--code", "picked_up",
         "--occurred-at", recent()],
        capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.startswith("202 ")
    message_id = json.loads(out[4:])["message_id"]
    state = wait_until(lambda: odoo_server.call(
        "logistics.sync.message", "read", [message_id], ["state"])[0]["state"] != "pending"
        and odoo_server.call("logistics.sync.message", "read", [message_id], ["state"])[0]["state"],
        message=f"message {message_id} processed")
    assert state == "done"
    shipment = odoo_server.call("logistics.shipment", "search_read", [["name", "=", "DEMO-SHP-0001"]],
                                fields=["state"])[0]
    assert shipment["state"] == "picked_up"


def test_concurrent_duplicates_make_one_message_and_one_milestone(odoo_server):
    odoo_server.login()
    event_id = f"msg_{uuid.uuid4().hex}"
    body = json.dumps({"type": "shipment.milestone", "id": event_id,
                       "shipment": {"reference": "DEMO-SHP-0002"},
                       "milestone": {"code": "out_for_delivery",
                                     "occurred_at": recent()}}).encode()
    statuses, barrier = [], threading.Barrier(CONCURRENT)

    def deliver():
        barrier.wait(10)
        statuses.append(post(odoo_server, body, event_id).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(CONCURRENT)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [200] * (CONCURRENT - 1) + [202], statuses
    assert odoo_server.call("logistics.sync.message", "search_count", [["event_id", "=", event_id]]) == 1
    found = wait_until(lambda: milestones(odoo_server, "DEMO-SHP-0002", "out_for_delivery"),
                       message="the out_for_delivery milestone of DEMO-SHP-0002")
    assert len(found) == 1
    assert found[0]["duplicate_count"] == 0, "the duplicates never reached the milestones"


def test_same_milestone_from_two_systems_is_one_milestone(odoo_server):
    odoo_server.login()
    body_a = json.dumps({"type": "shipment.milestone", "id": "sys-a-1",
                         "shipment": {"reference": "DEMO-SHP-0005"},
                         "milestone": {"code": "delivered", "occurred_at": recent()}}).encode()
    body_b = body_a.replace(b"sys-a-1", b"sys-b-9")
    assert post(odoo_server, body_a, "sys-a-1").status_code == 202
    assert post(odoo_server, body_b, "sys-b-9").status_code == 202
    found = wait_until(lambda: [m for m in milestones(odoo_server, "DEMO-SHP-0005", "delivered")
                                if m["duplicate_count"] == 1],
                       message="the delivered milestone of DEMO-SHP-0005 with one duplicate")
    assert len(found) == 1
