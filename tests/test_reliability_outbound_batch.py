"""Batched outbound delivery (a backend's outbound_delivery = batch) through an outage and
a kill -9 of the worker in the middle of a batch, against a real server and its runner."""

import json
import os
import signal
from collections import Counter

import pytest

from .conftest import LIVE_JOB_STATES, _free_port, start_server, stop_server, unchanged, wait_until
from .crash_harness import Db, is_worker_of
from .fake_receiver import FakeReceiver

pytestmark = pytest.mark.e2e


def queue_messages(s, backend, company_id, tag, shipments, per_shipment=2):
    """``shipments`` x ``per_shipment`` outbound messages, interleaved, each shipment its
    own ordering key; one job for all of them (the backend's outbox job)."""
    ids = s.call("logistics.sync.message", "create", [
        {"backend_id": backend, "company_id": company_id, "direction": "out", "flow": "outbound_shipment",
         "event_type": f"shipment.step{step}", "event_id": f"{tag}:{n}:{step}",
         "ordering_key": f"{tag}:{n}", "payload": json.dumps({"id": f"{tag}:{n}:{step}", "n": n, "step": step})}
        for step in range(per_shipment) for n in range(shipments)])
    s.call("logistics.sync.message", "action_replay", ids)
    return ids


def check_once_and_in_order(s, ids, receiver, resent=()):
    """Each message accepted under its own key, once (``resent``: at most twice), and the
    first acceptances of each shipment in order."""
    messages = s.call("logistics.sync.message", "read", ids, ["uuid", "state", "ordering_key", "event_id"])
    assert {m["state"] for m in messages} == {"sent"}, Counter(m["state"] for m in messages)
    by_uuid = {m["uuid"]: m for m in messages}
    with receiver.lock:
        accepted = [(key, json.loads(body)) for key, status, body in receiver.calls if status == 200]
    counts = Counter(key for key, _body in accepted if key in by_uuid)
    assert set(counts) == set(by_uuid)
    for key, count in counts.items():
        assert count == 1 or (by_uuid[key]["event_id"] in resent and count == 2), (by_uuid[key], count)
    first, seen = {}, set()
    for key, body in accepted:
        if key in by_uuid and key not in seen:
            seen.add(key)
            first.setdefault(by_uuid[key]["ordering_key"], []).append(body["step"])
    assert all(steps == sorted(steps) for steps in first.values()), first


def test_a_batched_backend_drains_an_outage_once_and_in_order(odoo_server):
    s = odoo_server
    uid = s.login()["uid"]
    company_id = s.call("res.users", "read", [uid], ["company_id"])[0]["company_id"][0]
    with FakeReceiver() as receiver:
        receiver.mode = "down"
        backend = s.call("logistics.backend", "create", {
            "name": "Batched TMS", "code": "batched-tms", "backend_type": "tms", "company_id": company_id,
            "base_url": receiver.url, "allow_private_network": True, "retry_base_delay": 1,
            "retry_max_delay": 2, "max_attempts": 100, "circuit_threshold": 3, "circuit_cooldown": 2,
            "rate_limit": 0, "outbound_delivery": "batch"})
        ids = queue_messages(s, backend, company_id, "drain", shipments=15)
        wait_until(lambda: s.call("logistics.backend", "read", [backend], ["circuit_state"])[0]["circuit_state"]
                   == "open" and len(receiver.calls) >= 6, timeout=60, message="the circuit open, 6 attempts")
        receiver.mode = "ok"
        wait_until(lambda: {m["state"] for m in s.call("logistics.sync.message", "read", ids, ["state"])}
                   == {"sent"}, timeout=120, message="all sent")
        check_once_and_in_order(s, ids, receiver)
        assert sum(1 for _k, status, _b in receiver.calls if status == 503) >= 6, "the outage was real"
    failed = s.call("queue.job", "search_read", [["state", "=", "failed"]], fields=["name", "exc_info"])
    assert not failed, failed[0]["exc_info"][-1500:]


@pytest.fixture(scope="module")
def prefork_server():
    server = start_server("batchcrash", extra_args=["--workers=2", f"--gevent-port={_free_port()}"])
    yield server
    stop_server(server)


def test_kill_9_in_the_middle_of_a_batch_resends_only_the_request_in_flight(prefork_server):
    """The outbox job is killed while its third request is in flight (the receiver takes
    2 s to answer): the two answered before are recorded (each committed on its own), the
    runner re-queues the job, which sends the third again under the same key and the rest
    once; nothing else is sent twice, order per shipment is kept, no job fails."""
    s = prefork_server
    uid = s.login()["uid"]
    company_id = s.call("res.users", "read", [uid], ["company_id"])[0]["company_id"][0]
    db = Db(s.db)
    try:
        with FakeReceiver() as receiver:
            receiver.delay = 2.0
            backend = s.call("logistics.backend", "create", {
                "name": "Batch crash TMS", "code": "batch-crash-tms", "backend_type": "tms",
                "company_id": company_id, "base_url": receiver.url, "allow_private_network": True,
                "retry_base_delay": 1, "retry_max_delay": 2, "max_attempts": 100, "circuit_threshold": 1000,
                "rate_limit": 0, "outbound_delivery": "batch"})
            ids = queue_messages(s, backend, company_id, "crash", shipments=4)

            def third_in_flight():
                with receiver.lock:
                    return len(receiver.calls) == 2 and receiver.in_progress == 1

            wait_until(third_in_flight, timeout=60, interval=0.05, message="the third request in flight")
            job_uuid, pid = db.one("""SELECT uuid, worker_pid FROM queue_job
                                       WHERE state = 'started' AND method_name = '_send_outbox'""")
            assert is_worker_of(s, pid), pid
            in_flight = db.one("""SELECT event_id FROM logistics_sync_message WHERE id = ANY(%s)
                                   AND state = 'pending' ORDER BY id LIMIT 1""", [ids])[0]
            os.kill(pid, signal.SIGKILL)
            receiver.delay = 0
            sent_at_kill = db.one("SELECT count(*) FROM logistics_sync_message WHERE id = ANY(%s) AND state = 'sent'",
                                  [ids])[0]
            assert sent_at_kill == 2, "the two answered requests recorded, each committed on its own"

            def settled():
                states = Counter(st for (st,) in db.all(
                    "SELECT state FROM logistics_sync_message WHERE id = ANY(%s)", [ids]))
                live = db.one("SELECT count(*) FROM queue_job WHERE state = ANY(%s)", [list(LIVE_JOB_STATES)])[0]
                with receiver.lock:
                    calls = len(receiver.calls)
                return (states, calls) if states == {"sent": len(ids)} and not live else None

            wait_until(unchanged(settled), timeout=120, message="all sent, no live job, nothing new")
            check_once_and_in_order(s, ids, receiver, resent={in_flight})
            assert db.one("SELECT state FROM queue_job WHERE uuid = %s", [job_uuid])[0] == "done"
        failed = db.one("SELECT count(*) FROM queue_job WHERE state = 'failed'")[0]
        assert not failed
    finally:
        db.close()
