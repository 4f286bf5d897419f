"""Crash reliability: kill -9 of Odoo workers while queue_job jobs run, on a real server
in prefork mode (--workers=2) with its job runner. See crash_harness.py for the scenario."""

import json
import os
import time
import uuid

import pytest

from .conftest import LIVE_JOB_STATES, _free_port, start_server, stop_server, unchanged
from .crash_harness import (
    IN_FLIGHT,
    RECOVERY_LIMIT,
    CrashCycle,
    Db,
    PausedBacklogCrash,
    book_one_order,
    check_invariants,
    check_paused_backlog,
    find_running_job,
    is_worker_of,
    outbound_backend,
    wait_for,
    worker_threads,
)
from .fake_receiver import TRICKLE_BODY, FakeReceiver

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
            message_id, key = book_one_order(s, db, backend, "In-flight")
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


def test_kill_9_of_the_inbox_job_working_through_a_backlog_stored_while_paused(prefork_server):
    """Issue 14, item 14 (inbound, the new paths): see crash_harness.PausedBacklogCrash.
    Every accepted event applied once, the 409's body never and kept once on its audit
    row, the implausibly dated messages invalid and unapplied, nothing pending or failed."""
    result = PausedBacklogCrash(prefork_server).run()
    kill = result["kill"]
    print(f"resumed inbox job killed after {kill.waited_s:.1f} s (in: {kill.query[:60]}), re-queued after "
          f"{kill.requeued_after_s:.1f} s, final {kill.final_state}; {len(result['accepted'])} events, "
          f"timings {result['timings']}")
    check_paused_backlog(result)


DEADLINE_S = 10.0  # the backend's request deadline in the trickle test


def test_kill_9_inside_a_trickled_answer_delivers_once_and_leaves_nothing_behind(prefork_server):
    """Issue 14, item 14 (outbound, the new client path): the receiver accepts the request
    and trickles its 200 answer (a byte every 0.1 s, about 4 s): the worker is killed while
    the client streams it, inside the backend's request deadline (10 s: its timer armed).
    The runner re-queues the same job, which delivers the message again under the same
    Idempotency-Key and records it sent: accepted once per key, the killed attempt left
    no trace (no attempt counted, no deadline error once its deadline passed), its
    connection closed at the receiver, no deadline timer left in any worker, no second job."""
    s = prefork_server
    uid = s.login()["uid"]
    company_id = s.call("res.users", "read", [uid], ["company_id"])[0]["company_id"][0]
    cycle = CrashCycle(s, receiver=None, tag=f"trickle{uuid.uuid4().hex[:6]}", feed=False, log=print)
    db = cycle.db
    log_start = s.log.stat().st_size if s.log.exists() else 0
    try:
        with FakeReceiver() as receiver:
            receiver.mode, receiver.trickle_interval = "trickle", 0.1
            backend = outbound_backend(s, receiver, company_id, timeout_total=DEADLINE_S)
            try:
                message_id, key = book_one_order(s, db, backend, cycle.tag)
                # Headers received, the body coming: the client is inside its streaming read.
                # (Whatever key the request carries: the key is checked below.)
                wait_for(lambda: sum(receiver.trickling.values()), 60, what="the answer being trickled")
                kill = cycle.kill("outbound", "_send", IN_FLIGHT, timeout=30)
                assert kill.message_ids == [message_id], kill.message_ids
                # The answer was cut by the kill (not sent whole before it).
                wait_for(lambda: receiver.cut, 10, what="the killed request's answer cut")
                cycle.wait_requeued(kill)
                # The retry, in the middle of its answer: its worker runs the deadline timer.
                wait_for(lambda: sum(receiver.trickling.values()), 60, what="the retry's answer being trickled")
                retry_pid = db.one("SELECT worker_pid FROM queue_job WHERE uuid = %s", [kill.job_uuid])[0]
                armed = worker_threads(s).get(retry_pid)

                def sent():
                    job = db.one("SELECT state FROM queue_job WHERE uuid = %s", [kill.job_uuid])[0]
                    message = db.one("SELECT state FROM logistics_sync_message WHERE id = %s", [message_id])[0]
                    return job == "done" and message == "sent"

                wait_for(sent, 60, what="the re-queued delivery recorded")
                # Its timer cancelled with its request: gone within 2 s (its deadline is
                # more than 5 s away), not left waiting in the worker.
                assert armed and retry_pid != kill.pid, (armed, retry_pid)
                wait_for(lambda: worker_threads(s).get(retry_pid) == armed - 1, 2,
                         what=f"the deadline timer of worker {retry_pid} ({armed} threads) gone")
                # Past the killed attempt's deadline, and nothing changes any more.
                wait_for(lambda: time.monotonic() > kill.at + DEADLINE_S + 1, DEADLINE_S + 5, what="its deadline past")

                def snapshot():
                    live, count = db.one("""SELECT count(*) FILTER (WHERE state = ANY(%s)), count(*)
                                              FROM queue_job""", [list(LIVE_JOB_STATES)])
                    with receiver.lock:
                        calls = len(receiver.calls)
                    row = db.one("SELECT state, attempts, write_date FROM logistics_sync_message WHERE id = %s",
                                 [message_id])
                    return None if live else (count, calls, row)

                wait_for(unchanged(snapshot), 30, interval=0.5, what="no live job, no new request or write")
            finally:
                s.call("logistics.backend", "write", [backend], {"timeout_total": 60})
            with receiver.lock:
                calls = [(k, st, json.loads(body)) for k, st, body in receiver.calls]
                cut, answered, in_progress = list(receiver.cut), list(receiver.answered), receiver.in_progress
                trickling = +receiver.trickling
        mine = [(k, st, body) for k, st, body in calls if body.get("id") == key]
        print(f"trickle: killed after {kill.waited_s:.1f} s (in: {kill.query[:60]}), re-queued after "
              f"{kill.requeued_after_s:.1f} s; requests {[(k == key, st) for k, st, _b in mine]}")
        # Accepted once per key: both attempts (the killed one reached the receiver) under
        # the message's own key, with one payload: a receiver deduplicating on it applies it once.
        assert [(k, st) for k, st, _b in mine] == [(key, 200), (key, 200)], mine
        assert len({json.dumps(b, sort_keys=True) for _k, _st, b in mine}) == 1
        assert len(calls) == len(mine), "no other request"
        # The killed attempt's answer was cut, the retry's read whole; no connection left open.
        assert (cut, answered, in_progress, trickling) == ([key], [key], 0, {}), (cut, answered, in_progress)
        state, status, attempts, error, body = db.one(
            """SELECT state, http_status, attempts, error, response_body FROM logistics_sync_message
                WHERE id = %s""", [message_id])
        assert (state, status, attempts, error, body) == ("sent", 200, 1, None, TRICKLE_BODY.decode())
        # The same job re-queued and done, as the backend's integration user; no other job.
        jobs = db.all("""SELECT j.uuid, j.state, j.user_id = b.integration_user_id FROM queue_job j,
                                logistics_backend b
                          WHERE b.id = %s AND j.method_name = '_send'
                            AND ((j.records #>> '{}')::jsonb -> 'ids') @> %s::jsonb""",
                      [backend, json.dumps([message_id])])
        assert jobs == [(kill.job_uuid, "done", True)], jobs
        # The killed worker is gone (its timer thread with it), and nothing in the log
        # since: no deadline hit, no thread dying with an exception.
        assert not is_worker_of(s, kill.pid) and not os.path.exists(f"/proc/{kill.pid}"), kill.pid
        with s.log.open(errors="replace") as log:
            log.seek(log_start)
            text = log.read()
        assert f"Re-queued dead job with uuid: {kill.job_uuid}" in text
        assert "deadline of" not in text and "Exception in thread" not in text
    finally:
        db.close()
