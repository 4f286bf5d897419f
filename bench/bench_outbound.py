"""Outbound delivery: throughput to a local receiver, and drain after an outage.

    bash bench/run.sh outbound [--messages 2000] [--outage-messages 500] [--workers 0,2] [--capacity 1,4]
                               [--modes message,batch,array]

Modes (the backend's delivery): ``message``, one job per message (the default setting);
``batch``, one job per backend sending single-message requests over kept-alive
connections; ``array``, the same with the flow accepting arrays (one request per group).

For each server mode (workers=0 threaded, workers=2 prefork) and each capacity of the
queue_job channel ``root.logistics.outbound`` (the test configuration has 1; a copy of
the configuration is written for the others), on one database, against the fake
external system of the reliability tests (tests/fake_receiver.py) on 127.0.0.1:

1. throughput: N outbound messages are queued (one job each, as business events do)
   while the server is stopped; the server starts with its job runner; time until all
   are ``sent`` (wall, server start included) and the rate seen by the receiver (first
   to last 2xx), average job execution time from queue_job (the rest is the runner);
2. outage: the receiver answers 503 while N messages are queued and tried (retries with
   backoff, the circuit opens); then it answers 200: drain time until all are sent, and
   the delivered-once check (one 2xx per Idempotency-Key, every message's key);
3. RSS of the server processes at start and at the end of each run;
4. when a rate is below 100 messages/s, cProfile of the job of one message (the same
   steps as queue_job's runjob controller, in this process), top functions printed.
Everything is bounded in count and time.
"""

import argparse
import cProfile
import io
import json
import pstats
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench_ingest import start, stop  # noqa: E402
from common import child_pids, odoo_env, rss_mib, table, write_json  # noqa: E402

from tests.fake_receiver import FakeReceiver  # noqa: E402

LOCAL = Path(__file__).resolve().parent.parent / ".local"
CODE = "bench-out"
SLOW = 100  # messages/s under which the job is profiled


class StampedCalls(list):
    """receiver.calls that also keeps when each request was answered."""

    def __init__(self):
        super().__init__()
        self.times = []

    def append(self, item):
        self.times.append(time.monotonic())
        super().append(item)


def conf_with_capacity(conf, capacity):
    """A copy of the configuration whose outbound channel runs ``capacity`` jobs at once."""
    text = Path(conf).read_text()
    total = capacity + 2  # inbound keeps its 2
    channels = (f"channels = root:{total},root.logistics:{total},root.logistics.inbound:2,"
                f"root.logistics.outbound:{capacity}")
    text, count = re.subn(r"^channels\s*=.*$", channels, text, flags=re.M)
    if not count:
        text += f"\n[queue_job]\n{channels}\n"
    path = LOCAL / f"bench-outbound-c{capacity}.conf"
    path.write_text(text)
    return str(path)


def set_mode(db, conf, backend_id, mode):
    """The backend's delivery for this run (see the module's docstring)."""
    with odoo_env(db, conf) as env:
        backend = env["logistics.backend"].browse(backend_id)
        backend.outbound_delivery = "message" if mode == "message" else "batch"
        backend.flow_ids.filtered(lambda f: f.flow == "outbound_shipment").accepts_arrays = mode == "array"


def prepare(db, conf, url):
    with odoo_env(db, conf) as env:
        user = env.ref("logistics_sync_connector.demo_user_integration")
        backend = env["logistics.backend"].create({
            "name": "Bench outbound", "code": CODE, "backend_type": "tms", "integration_user_id": user.id,
            "base_url": url, "allow_private_network": True, "rate_limit": 0, "max_attempts": 50,
            "retry_base_delay": 1, "retry_max_delay": 10, "circuit_threshold": 5, "circuit_cooldown": 5,
            "timeout_connect": 5, "timeout_read": 10})
        return backend.id


def payload(i):
    """About the size of a shipment.update of a one-line delivery (~700 bytes)."""
    return {"stage": "done", "shipment": {"reference": f"BENCH/{i:06d}", "tracking_number": f"1Z{i:010d}",
                                          "carrier": "Bench Carrier"},
            "picking": f"WH/OUT/{i:05d}", "origin": f"S{i:05d}", "scheduled_date": "2026-11-24 10:00:00",
            "date_done": "2026-11-24 11:00:00",
            "ship_to": {"name": "Bench Customer", "street": "1 Bench Street", "street2": None, "zip": "1000",
                        "city": "Brussels", "state": None, "country": "BE", "phone": "+32 2 000 00 00",
                        "email": "bench@example.com"},
            "weight": 1.5, "lines": [{"sku": "BENCH-1", "quantity": 1.0, "uom": "Units"}]}


def queue(db, conf, backend_id, run, n):
    """Queue n outbound messages (and their jobs) as business events do; returns seconds."""
    start_at = time.monotonic()
    with odoo_env(db, conf) as env:
        backend = env["logistics.backend"].browse(backend_id)
        user = backend.integration_user_id
        Outbox = env["logistics.outbox"].with_user(user).with_company(backend.company_id)
        for i in range(n):
            # Two messages per shipment (a booking, then an update): their order is checked.
            Outbox._create(backend.with_user(user), "outbound_shipment", "shipment.update",
                           f"bench:{run}:{i}", payload(i), ordering_key=f"bench-shp:{run}:{i // 2}")
    return time.monotonic() - start_at


def states(db, conf, run):
    with odoo_env(db, conf) as env:
        env.cr.execute("""SELECT state, count(*) FROM logistics_sync_message
                           WHERE direction = 'out' AND event_id LIKE %s GROUP BY state""", [f"bench:{run}:%"])
        return dict(env.cr.fetchall())


def keys_and_exec_time(db, conf, run):
    """(message uuids, average exec time of their jobs in ms: of the batch job for a batch)."""
    with odoo_env(db, conf) as env:
        env.cr.execute("""SELECT m.uuid, j.exec_time FROM logistics_sync_message m
                            LEFT JOIN queue_job j ON j.uuid = m.job_uuid
                           WHERE m.direction = 'out' AND m.event_id LIKE %s""", [f"bench:{run}:%"])
        rows = env.cr.fetchall()
    times = [t for _k, t in rows if t]
    return {k for k, _t in rows}, (sum(times) / len(times) * 1000 if times else None)


def shipment_order(db, conf, run):
    """{message uuid: (ordering key, id)} of the run's messages."""
    with odoo_env(db, conf) as env:
        env.cr.execute("""SELECT uuid, ordering_key, id FROM logistics_sync_message
                           WHERE direction = 'out' AND event_id LIKE %s""", [f"bench:{run}:%"])
        return {uuid: (key, mid) for uuid, key, mid in env.cr.fetchall()}


def accepted(calls, stamps=None):
    """[(message uuid, Idempotency-Key, time)] of the 2xx answers, arrays unpacked in order."""
    out = []
    for i, (key, status, body) in enumerate(calls):
        if status != 200:
            continue
        data = json.loads(body)
        at = stamps[i] if stamps else None
        ids = [e.get("id") for e in data.get("events", [])] if data.get("type") == "batch" else [data.get("id")]
        out.extend((mid, key, at) for mid in ids)
    return out


def checks(calls, keys, order):
    """Exactly once (one 2xx per Idempotency-Key, each message accepted once) and in
    order per shipment (first acceptances by message id)."""
    ok = [(mid, key) for mid, key, _at in accepted(calls) if mid in keys]
    per_message, per_key = Counter(mid for mid, _k in ok), Counter(key for _mid, key in ok)
    requests_2xx = Counter(key for key, status, _b in calls if status == 200)
    first, seen = {}, set()
    for mid, _key in ok:
        if mid not in seen:
            seen.add(mid)
            shipment, message_id = order[mid]
            first.setdefault(shipment, []).append(message_id)
    in_order = all(ids == sorted(ids) for ids in first.values())
    once = (set(per_message) == keys and all(c == 1 for c in per_message.values())
            and all(requests_2xx[k] == 1 for k in per_key))
    return {"keys_2xx": len(per_key), "max_2xx_per_key": max((requests_2xx[k] for k in per_key), default=0),
            "delivered_once": once, "in_order": in_order}


def wait_sent(db, conf, run, n, time_limit, stall=60):
    """Until all are sent, none is pending, nothing was sent for ``stall`` s, or the limit."""
    start_at = progress_at = time.monotonic()
    last = -1
    while time.monotonic() - start_at < time_limit and time.monotonic() - progress_at < stall:
        found = states(db, conf, run)
        if found.get("sent", 0) >= n or not found.get("pending"):
            return found
        if found.get("sent", 0) != last:
            last, progress_at = found.get("sent", 0), time.monotonic()
        time.sleep(0.5)
    return states(db, conf, run)


def server_rss(proc):
    return rss_mib([proc.pid] + child_pids(proc.pid))


def throughput(args, conf, receiver, workers, capacity, mode):
    run = f"t{workers}c{capacity}{mode}"
    set_mode(args.db, conf, args.backend_id, mode)
    queue_s = queue(args.db, conf, args.backend_id, run, args.messages)
    first, connections = len(receiver.calls), receiver.connections
    start_at = time.monotonic()
    proc, _port = start(args.db, conf, workers, runner=True)
    rss_before = server_rss(proc)
    try:
        found = wait_sent(args.db, conf, run, args.messages, args.time_limit)
        wall = time.monotonic() - start_at
        rss_after = server_rss(proc)
    finally:
        stop(proc)
    keys, exec_ms = keys_and_exec_time(args.db, conf, run)
    with receiver.lock:
        calls, stamps = receiver.calls[first:], receiver.calls.times[first:]
        connections = receiver.connections - connections
    ok_times = [at for mid, _key, at in accepted(calls, stamps) if mid in keys]
    span = (max(ok_times) - min(ok_times)) if len(ok_times) > 1 else 0
    sent = found.get("sent", 0)
    return {"mode": mode, "workers": workers, "capacity": capacity, "messages": args.messages, "sent": sent,
            "requests": len(calls), "connections": connections,
            **checks(calls, keys, shipment_order(args.db, conf, run)),
            "queue_s": queue_s, "wall_s": wall, "msg_per_s_wall": sent / wall,
            "msg_per_s_receiver": (len(ok_times) - 1) / span if span else 0.0,
            "job_exec_ms": exec_ms, "per_msg_ms": span / max(1, len(ok_times) - 1) * 1000 * capacity,
            "rss_start_mib": rss_before, "rss_end_mib": rss_after, "states": json.dumps(found)}


def outage(args, conf, receiver, workers, capacity, mode):
    run = f"o{workers}c{capacity}{mode}"
    set_mode(args.db, conf, args.backend_id, mode)
    first = len(receiver.calls)
    proc, _port = start(args.db, conf, workers, runner=True)
    rss_before = server_rss(proc)
    try:
        receiver.mode = "down"
        queue(args.db, conf, args.backend_id, run, args.outage_messages)
        time.sleep(args.outage_seconds)  # attempts fail with 503, retries back off, the circuit opens
        refused = sum(1 for _k, status, _b in receiver.calls[first:] if status == 503)
        receiver.mode = "ok"
        back_at = time.monotonic()
        found = wait_sent(args.db, conf, run, args.outage_messages, args.time_limit)
        drain = time.monotonic() - back_at
        rss_after = server_rss(proc)
    finally:
        receiver.mode = "ok"
        stop(proc)
    keys, _exec_ms = keys_and_exec_time(args.db, conf, run)
    with receiver.lock:
        calls = receiver.calls[first:]
    sent = found.get("sent", 0)
    return {"mode": mode, "workers": workers, "capacity": capacity, "messages": args.outage_messages,
            "outage_s": args.outage_seconds, "refused_503": refused, "drain_s": drain, "sent": sent,
            "msg_per_s": sent / drain if drain else 0.0,
            **checks(calls, keys, shipment_order(args.db, conf, run)),
            "rss_start_mib": rss_before, "rss_end_mib": rss_after, "states": json.dumps(found)}


def profile_jobs(args, conf, count):
    """Run the jobs of ``count`` messages in this process the way queue_job's runjob
    controller does (load, started + commit, perform, done + commit), under cProfile."""
    from odoo import SUPERUSER_ID, api
    from odoo.addons.queue_job.job import Job
    from odoo.modules.registry import Registry

    run = "prof"
    queue(args.db, conf, args.backend_id, run, count)
    with odoo_env(args.db, conf) as env:
        env.cr.execute("SELECT job_uuid FROM logistics_sync_message WHERE event_id LIKE %s ORDER BY id",
                       [f"bench:{run}:%"])
        uuids = [r[0] for r in env.cr.fetchall()]
    registry = Registry(args.db)
    profiler = cProfile.Profile()
    queries = 0
    start_at = time.perf_counter()
    for job_uuid in uuids:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            count_before = cr.sql_log_count
            profiler.enable()
            job = Job.load(env, job_uuid)
            job.set_started()
            job.store()
            cr.commit()
            job.lock()
            job.perform()
            env.flush_all()
            job.set_done()
            job.store()
            env.flush_all()
            cr.commit()
            profiler.disable()
            queries += cr.sql_log_count - count_before
    per_job_ms = (time.perf_counter() - start_at) / max(1, len(uuids)) * 1000
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    rows = breakdown(stats, len(uuids))
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(12)
    return {"per_job_ms": per_job_ms, "jobs": len(uuids), "queries_per_job": queries / max(1, len(uuids)),
            "breakdown": rows, "text": out.getvalue(), "states": states(args.db, conf, run)}


PARTS = [  # (label, file name suffix, function name), cumulative time per job
    ("queue_job: Job.load", "queue_job/job.py", "load"),
    ("queue_job: Job.store (started, done)", "queue_job/job.py", "store"),
    ("PostgreSQL commits (2 per job)", "~", "<method 'commit' of 'psycopg2.extensions.connection' objects>"),
    ("_send (the job's own work)", "logistics_outbox.py", "_send"),
    ("  _blocking_predecessor (search)", "logistics_outbox.py", "_blocking_predecessor"),
    ("  _circuit_allows", "logistics_outbox.py", "_circuit_allows"),
    ("  _settings (sudo reads)", "logistics_outbox.py", "_settings"),
    ("  HTTP POST to the receiver", "lib/outbound.py", "send"),
    ("  _record_result (writes)", "logistics_outbox.py", "_record_result"),
    ("all SQL (psycopg2 execute)", "~", "<method 'execute' of 'psycopg2.extensions.cursor' objects>"),
]


def breakdown(stats, jobs):
    rows = []
    for label, suffix, name in PARTS:
        total = sum(ct for (path, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items()
                    if func == name and path.endswith(suffix))
        rows.append({"part": label, "ms_per_job": total / max(1, jobs) * 1000})
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--conf", required=True)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--outage-messages", type=int, default=500)
    parser.add_argument("--outage-seconds", type=float, default=15)
    parser.add_argument("--workers", default="0,2")
    parser.add_argument("--capacity", default="1,4", help="capacities of root.logistics.outbound")
    parser.add_argument("--modes", default="message,batch,array",
                        help="the backend's delivery: message (a job each), batch, array")
    parser.add_argument("--profile-jobs", type=int, default=200)
    parser.add_argument("--time-limit", type=float, default=600, help="seconds per drain, at most")
    args = parser.parse_args()
    rows, outages = [], []
    with FakeReceiver() as receiver:
        receiver.calls = StampedCalls()
        args.backend_id = prepare(args.db, args.conf, receiver.url)
        for capacity in [int(c) for c in args.capacity.split(",")]:
            conf = conf_with_capacity(args.conf, capacity)
            for workers in [int(w) for w in args.workers.split(",")]:
                for mode in args.modes.split(","):
                    rows.append(throughput(args, conf, receiver, workers, capacity, mode))
                    if args.outage_messages:
                        outages.append(outage(args, conf, receiver, workers, capacity, mode))
        profile = None
        slow = [r for r in rows if r["mode"] == "message" and r["msg_per_s_receiver"] < SLOW]
        if args.profile_jobs and slow:
            set_mode(args.db, args.conf, args.backend_id, "message")
            profile = profile_jobs(args, args.conf, args.profile_jobs)
    table(f"Throughput: {args.messages} queued messages delivered to a local receiver "
          "(wall = server start -> all sent; receiver = first to last 2xx)", rows,
          ["mode", "workers", "capacity", "messages", "sent", "requests", "connections", "queue_s", "wall_s",
           "msg_per_s_wall", "msg_per_s_receiver", "job_exec_ms", "per_msg_ms", "delivered_once", "in_order",
           "rss_start_mib", "rss_end_mib"])
    if outages:
        table(f"Outage: {args.outage_messages} messages queued while the receiver answered 503 for "
              f"{args.outage_seconds:g} s (drain = receiver back -> all sent)", outages,
              ["mode", "workers", "capacity", "messages", "refused_503", "drain_s", "msg_per_s", "keys_2xx",
               "max_2xx_per_key", "delivered_once", "in_order", "rss_start_mib", "rss_end_mib"])
    result = {"throughput": rows, "outage": outages, "messages": args.messages,
              "outage_messages": args.outage_messages, "outage_seconds": args.outage_seconds,
              "backend": {"retry_base_delay": 1, "retry_max_delay": 10, "circuit_threshold": 5,
                          "circuit_cooldown": 5, "rate_limit": 0}}
    if profile:
        table(f"Where the time of one job goes: {profile['jobs']} jobs run in this process like queue_job's "
              f"runjob controller, {profile['per_job_ms']:.1f} ms per job under cProfile "
              f"({profile['queries_per_job']:.0f} SQL queries per job; states {profile['states']})",
              profile["breakdown"], ["part", "ms_per_job"])
        print(profile["text"])
        result["profile"] = {k: v for k, v in profile.items() if k != "text"}
        result["profile"]["top"] = profile["text"][:20000]
    write_json("outbound", result)
    if (not all(o["delivered_once"] and o["in_order"] for o in outages + rows)
            or any(r["sent"] != r["messages"] for r in rows)):
        sys.exit("outbound bench: not every message was delivered exactly once and in order")


if __name__ == "__main__":
    main()
