"""Crash reliability: kill -9 of Odoo workers while queue_job jobs run, on a real server
in prefork mode (--workers=2) with its job runner. See crash_harness.py for the scenario."""

import json
import uuid

import pytest

from .conftest import LIVE_JOB_STATES, _free_port, start_server, stop_server
from .crash_harness import (
    IN_FLIGHT,
    RECOVERY_LIMIT,
    CrashCycle,
    Db,
    check_invariants,
    find_running_job,
    outbound_backend,
    wait_for,
)
from .fake_receiver import FakeReceiver

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def prefork_server():
    server = start_server("crash", extra_args=["--workers=2", f"--gevent-port={_free_port()}"])
    yield server
    stop_server(server)


def test_kill_9_of_workers_during_jobs_loses_nothing_and_applies_nothing_twice(prefork_server):
    with FakeReceiver() as receiver:
        result = CrashCycle(prefork_server, receiver).run()
    for kill in result["kills"]:
        print(f"{kill.kind}: victim after {kill.waited_s:.1f} s (in: {kill.query[:60]}), re-queued after "
              f"{kill.requeued_after_s:.1f} s (limit {RECOVERY_LIMIT} s), final {kill.final_state}")
    print(f"events {len(result['event_ids'])}, outbound {len(result['outbound'])}, "
          f"max job age {result['max_job_age_s']:.1f} s, timings {result['timings']}")
    check_invariants(result)


def test_a_job_killed_on_an_idle_server_is_requeued_within_half_a_minute(prefork_server):
    """No traffic after the kill: only the runner's own wake-up (logistics_sync_runner,
    every 10 s instead of queue_job's 60 s) can find the dead job. Its channel
    (root.logistics.inbound, capacity 1) runs nothing else until then."""
    s = prefork_server
    s.login()
    cycle = CrashCycle(s, receiver=None, tag=f"idle{uuid.uuid4().hex[:6]}", feed=False, log=print)
    name = f"{cycle.tag.upper()}-001"
    shipment = s.call("logistics.shipment", "create", [{"name": name}])[0]
    kill = cycle.kill_inbox_job_waiting_for(shipment, [cycle.event(f"{cycle.tag}-1", name)], f"{cycle.tag}-1")
    try:
        cycle.wait_requeued(kill)
        assert kill.requeued_after_s < 30, f"re-queued {kill.requeued_after_s:.1f} s after the kill"
        # Re-run, it applies the event once.
        wait_for(lambda: cycle.db.one("SELECT state FROM queue_job WHERE uuid = %s", [kill.job_uuid])[0] == "done",
                 60, what="the re-queued inbox job done")
        assert cycle.db.all("""SELECT count(*) FROM logistics_shipment_milestone
                                WHERE external_event_id = %s""", [f"{cycle.tag}-1"]) == [(1,)]
    finally:
        cycle.db.close()


def test_cancel_or_safety_net_during_a_delivery_neither_fails_it_nor_sends_it_twice(prefork_server):
    """A manager cancels a message, and the safety-net cron runs, while the message is
    being delivered (the receiver answers after 4 s): the delivery records its result
    (sent: the receiver has it), the receiver gets it once, and no second job is made."""
    s = prefork_server
    uid = s.login()["uid"]
    company_id = s.call("res.users", "read", [uid], ["company_id"])[0]["company_id"][0]
    cron = s.call("ir.model.data", "search_read", [["module", "=", "logistics_sync_connector"],
                                                   ["name", "=", "ir_cron_requeue"]], fields=["res_id"])[0]["res_id"]
    # The cron's code, run now (not through the cron lock, which the cron worker may hold).
    cron_action = s.call("ir.cron", "read", [cron], ["ir_actions_server_id"])[0]["ir_actions_server_id"][0]
    db = Db(s.db)
    try:
        with FakeReceiver() as receiver:
            receiver.delay = 4.0
            backend = outbound_backend(s, receiver, company_id)
            first_id = (db.one("SELECT max(id) FROM logistics_sync_message")[0] or 0) + 1
            product = s.call("product.product", "create", {"name": "In-flight Parcel", "type": "consu"})
            partner = s.call("res.partner", "create", {"name": "In-flight Customer"})
            order = s.call("sale.order", "create", {"partner_id": partner, "order_line": [
                [0, 0, {"product_id": product, "product_uom_qty": 1}]]})
            s.call("sale.order", "action_confirm", [order])  # delivery ready: shipment.booking
            message_id, key = db.one("""SELECT id, uuid FROM logistics_sync_message
                                         WHERE backend_id = %s AND direction = 'out' AND id >= %s""",
                                     [backend, first_id])
            job_uuid, _pid, _query = find_running_job(db, s, "_send", IN_FLIGHT, timeout=60)
            s.call("ir.actions.server", "run", [cron_action])
            assert db.one("SELECT state FROM queue_job WHERE uuid = %s", [job_uuid])[0] == "started", (
                "the cron ran while the message was being delivered")
            s.call("logistics.sync.message", "action_cancel", [message_id])  # waits for the delivery
            wait_for(lambda: db.one("SELECT state FROM queue_job WHERE uuid = %s", [job_uuid])[0] == "done",
                     60, what="the delivery job done")

            # Settled: the message in a final state and no delivery job of it left that
            # could send it again (a retried delivery, if any, would be one).
            def settled():
                state = db.one("SELECT state FROM logistics_sync_message WHERE id = %s", [message_id])[0]
                live = db.one("""SELECT count(*) FROM queue_job WHERE method_name = '_send' AND state = ANY(%s)
                                  AND ((records #>> '{}')::jsonb -> 'ids') @> %s::jsonb""",
                              [list(LIVE_JOB_STATES), json.dumps([message_id])])[0]
                return state != "pending" and not live

            wait_for(settled, 60, what="the message final, no delivery job of it left")
            state, status = db.one("SELECT state, http_status FROM logistics_sync_message WHERE id = %s",
                                   [message_id])
            assert (state, status) == ("sent", 200)
            with receiver.lock:
                accepted = [k for k, st, body in receiver.calls if st == 200 and json.loads(body)["id"] == key]
            assert accepted == [key], accepted
            jobs = db.all("""SELECT uuid, state FROM queue_job WHERE method_name = '_send'
                              AND ((records #>> '{}')::jsonb -> 'ids') @> %s::jsonb""", [json.dumps([message_id])])
            assert jobs == [(job_uuid, "done")], jobs
    finally:
        db.close()
