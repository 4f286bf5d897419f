"""A real server with its queue_job runner: signed webhooks end to end."""

import base64
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
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


# ---------------------------------------------------------------- issue 14, items 1 and 2
FLOOD, FLOOD_SIGNED = 5000, 50
FLOOD_SECRET = "whsec_" + base64.b64encode(b"flood backend secret, 32 bytes..").decode()
MB = 1024 * 1024


def psql(db, sql):
    return subprocess.run(["psql", "-d", db, "-qAtc", sql], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture(scope="module")
def flood_backend(odoo_server):
    s = odoo_server
    uid = s.login()["uid"]
    company = s.call("res.users", "read", [uid], ["company_id"])[0]["company_id"][0]
    integration = s.call("res.users", "search", [["login", "=", "demo-integration"]])[0]
    backend = s.call("logistics.backend", "create", {
        "name": "Flood TMS", "code": "flood-tms", "adapter": "generic", "backend_type": "tms",
        "company_id": company, "integration_user_id": integration}, context={"logistics_new_secret": False})
    s.call("logistics.backend.secret", "create", {"backend_id": backend, "secret": FLOOD_SECRET})
    return backend


def test_a_flood_of_unsigned_requests_leaves_a_small_audit_and_signed_traffic_goes_on(odoo_server, flood_backend):
    """Item 1: 5,000 unsigned requests with 8 KB headers, signed deliveries among them."""
    s = odoo_server
    junk = base64.b64encode(os.urandom(6144)).decode()  # 8 KB that do not compress
    table_size = "SELECT pg_total_relation_size('logistics_webhook_audit')"
    before = int(psql(s.db, table_size))
    url = f"{s.url}/logistics/webhook/flood-tms"

    def unsigned(i):
        headers = {"Content-Type": "application/json", "User-Agent": junk, "X-Forwarded-For": junk,
                   "webhook-id": junk, "webhook-signature": "v1," + junk,
                   "webhook-timestamp": str(int(time.time())) if i % 2 else junk}
        return requests.post(url, data=b"{}", headers=headers, timeout=60).status_code

    def signed(i):
        return post(s, json.dumps({"flood": i}).encode(), f"flood-{uuid.uuid4().hex}", "flood-tms",
                    FLOOD_SECRET).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        futures = []
        for i in range(FLOOD):
            futures.append(pool.submit(unsigned, i))
            if i % (FLOOD // FLOOD_SIGNED) == 0:
                futures.append(pool.submit(signed, i))
        statuses = Counter(f.result() for f in futures)
    elapsed = time.monotonic() - started
    assert statuses == {401: FLOOD, 202: FLOOD_SIGNED}, statuses
    grown = int(psql(s.db, table_size)) - before
    assert grown < 1_000_000, f"the audit table grew by {grown} bytes"
    rows = s.call("logistics.webhook.audit", "search_read", [["backend_id", "=", flood_backend]],
                  fields=["minute", "dropped_count", "reason", "headers", "create_date"])
    recorded = [r for r in rows if not r["minute"]]
    counted = [r for r in rows if r["minute"]]
    # The flood may straddle a minute: the cap holds per minute of the requests' time.
    per_minute = Counter(r["create_date"][:16] for r in recorded)
    print(f"{FLOOD} unsigned + {FLOOD_SIGNED} signed in {elapsed:.1f} s; audit table +{grown} bytes, "
          f"rows recorded per minute {dict(per_minute)}, {len(counted)} counting rows")
    assert max(per_minute.values()) <= 60, per_minute
    assert len(recorded) + sum(r["dropped_count"] for r in counted) == FLOOD, "every request is counted"
    assert {r["reason"] for r in counted} == {"bad_timestamp", "no_valid_signature"}
    assert max(len(r["headers"]) for r in recorded) < 5 * 300


def memory_kb(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def body_of(size, piece=65536):
    chunk = b"x" * piece
    for _i in range(size // piece):
        yield chunk


@pytest.mark.parametrize(("code", "content_type", "status"), [
    ("demo-tms", "application/json", 413),
    ("demo-tms", "application/x-www-form-urlencoded", 413),
    ("no-such-backend", "multipart/form-data; boundary=x", 413),  # a form is read before the lookup
    ("no-such-backend", "application/json", 404),  # not read at all
])
def test_a_50_mb_chunked_body_is_refused_without_being_held_in_memory(odoo_server, code, content_type, status):
    """Item 2: no Content-Length, 50 MB: answered at the cap, the server's memory stays flat."""
    pid = odoo_server.proc.pid
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS: the peak of this request
    base = memory_kb(pid, "VmRSS")
    response = requests.post(f"{odoo_server.url}/logistics/webhook/{code}", data=body_of(50 * MB),
                             headers={"Content-Type": content_type}, timeout=120)
    peak = memory_kb(pid, "VmHWM")
    assert response.status_code == status, response.text[:300]
    if status == 413:
        assert response.json() == {"error": "body larger than 262144 bytes"}
    assert (peak - base) * 1024 < 8 * MB, f"the server grew by {(peak - base) / 1024:.1f} MB"
