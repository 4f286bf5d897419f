"""Inbox processing by the queue_job jobs: backlog drain, end-to-end lag, memory.

    bash bench/run.sh process [--backlogs 10000,100000] [--workers 0,2] [--lag-seconds 30]
                              [--rate 100] [--soak-events 0] [--scrape-metrics SECONDS]
                              [--types milestone,shipment.updated,fulfillment.shipped]

Everything goes through a real server started as `make run` starts it, on 127.0.0.1:
* drain: a backlog of N events is POSTed as signed webhooks (100 events per request)
  while the server runs without its job runner, then the server is started with the
  runner and timed until the inbox is empty (events applied = new milestones);
* lag: with the runner on, one event per request at a steady rate (default 100/s),
  each for a fresh shipment; a poller sees each shipment leave 'draft' (every 20 ms):
  lag = seen - sent, webhook received -> shipment state updated;
* --scrape-metrics N: during the lag run, GET /logistics/metrics every N seconds (as
  Prometheus would; a token is set in the database first), to compare the lag p95 with
  and without scraping (--backlogs "" runs the lag part only);
* soak (--soak-events N): one large backlog drained with the memory of each server
  process sampled every 10 s and printed after every --soak-mark events (100,000), to
  show that memory does not grow with the number of events;
* --types: besides milestones (the drains above, and the default), the apply rate of
  shipment.updated and fulfillment.shipped, one backlog of --typed-events each drained
  per --workers value (bench/process_types.py).
A backlog goes to fresh shipments, --events-per-shipment each (default 10, a realistic
history): picked up, in transit (several times), out for delivery, delivered, in event-time
order, spread so that every batch touches many shipments and derives real state changes
(the lag run sends one event per fresh shipment).
"""

import argparse
import http.client
import json
import sys
import threading
import time
import zlib
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))
import process_types  # noqa: E402
from bench_ingest import load, sign, start, stop  # noqa: E402
from common import (  # noqa: E402
    child_pids,
    memory_mib,
    odoo_env,
    percentile,
    py_spy,
    rss_mib,
    stop_py_spy,
    table,
    write_json,
)

CODES = ("picked_up", "in_transit", "out_for_delivery", "delivered")
MILESTONES_SQL = "SELECT count(*) FROM logistics_shipment_milestone"


def stamp(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def lifecycle_code(step, steps):
    """The code of a shipment's ``step``-th event out of ``steps``: picked up, in transit
    (as often as needed, each at a new time), out for delivery, delivered."""
    if step == 0:
        return "picked_up"
    if step == steps - 1:
        return "delivered"
    if step == steps - 2:
        return "out_for_delivery"
    return "in_transit"


def make_event(run, i, ref, base, code=None):
    return {"type": "shipment.milestone", "id": f"{run}-{i}", "shipment": {"reference": ref},
            "milestone": {"code": code or CODES[i % len(CODES)], "occurred_at": stamp(base + i),
                          "location": "Bench hub"}}


def signed(run, i, payload):
    body = json.dumps(payload).encode()
    msg_id, ts = f"{run}-req-{i}", int(time.time())
    return "/logistics/webhook/demo-tms", body, {
        "Content-Type": "application/json", "webhook-id": msg_id, "webhook-timestamp": str(ts),
        "webhook-signature": sign(msg_id, ts, body)}


def connect(db):
    conn = psycopg2.connect(dbname=db)
    conn.autocommit = True
    return conn


def scalar(conn, query, params=()):
    with conn.cursor() as cr:
        cr.execute(query, params)
        return cr.fetchone()[0]


def prepare(db, conf, run, shipments):
    """``shipments`` fresh shipments for one run (names ``<run>-NNNNNN``)."""
    names = [f"{run}-{i:06d}" for i in range(shipments)]
    with odoo_env(db, conf) as env:
        for start in range(0, shipments, 5000):
            env["logistics.shipment"].create([{"name": n} for n in names[start:start + 5000]])
            env.cr.commit()
        # Event times are years ahead, distinct per run: no future limit.
        env["logistics.backend"].search([("code", "=", "demo-tms")]).write(
            {"max_attempts": 3, "event_future_hours": 0})
    analyze(db)
    return names


def analyze(db):
    """VACUUM ANALYZE the tables a run just seeded, as autovacuum does in a running
    system within a minute or so. Without it, the statistics of the template (8
    shipments) made PostgreSQL look shipments up by name through the trigram index,
    whose GIN pending list the fresh rows sit in: 0.2-0.8 s per lookup (auto_explain),
    in the inbox job's shipment matching and in the lag poller."""
    conn = connect(db)
    try:
        with conn.cursor() as cr:
            cr.execute("VACUUM ANALYZE logistics_shipment")
    finally:
        conn.close()


def fill(db, conf, refs, events, run, per_request=100, connections=4, layout="spread"):
    """POST ``events`` events (``per_request`` per request) with no job runner.

    ``spread``: event k goes to shipment k % len(refs), so a batch spans many shipments
    and each shipment goes through its whole life over the backlog (the history a batch
    reads grows as the backlog drains). ``grouped``: a shipment's events follow each
    other, so every batch reads the same amount of history."""
    # In the past (the inbox refuses events over 24 h ahead), within the max age, apart per run.
    base = time.time() - 180 * 86400 + (zlib.crc32(run.encode()) % 1000) * 10**4
    steps = -(-events // len(refs))

    def where(k):
        if layout == "grouped":
            return refs[k // steps], k % steps
        return refs[k % len(refs)], k // len(refs)

    def make(i):
        events_ = []
        for k in range(i * per_request, (i + 1) * per_request):
            ref, step = where(k)
            events_.append(make_event(run, k, ref, base, lifecycle_code(step, steps)))
        return signed(run, i, {"events": events_})

    proc, port = start(db, conf, 2, runner=False)
    try:
        result = load(port, make, events // per_request, connections, time_limit=600)
    finally:
        stop(proc)
    assert result["statuses"] == {202: events // per_request}, result["statuses"]
    return result


def backend_action(db, conf, action, backend="demo-tms"):
    """Pause or resume the bench backend (``action_pause`` / ``action_resume``)."""
    with odoo_env(db, conf) as env:
        getattr(env["logistics.backend"].search([("code", "=", backend)]), action)()


def warm_up(port, workers):
    """Make every HTTP worker load the registry before the clock starts."""
    def hit():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/web/login")
        conn.getresponse().read()
    threads = [threading.Thread(target=hit) for _ in range(max(1, workers) * 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def drain(db, conf, workers, expect_events, timeout=1800, sample_every=5.0, profile=None,
          mark_every=0, backend="demo-tms", applied_sql=MILESTONES_SQL):
    """Drain a full inbox with the server and its runner: the backend is paused while
    the server starts and its workers load the registry, then resumed, and timed until
    nothing is pending (``with_start_s`` also counts the server start).
    With ``mark_every`` (events), the memory of every server process is also sampled
    and printed each time that many more events are applied (``marks``).
    With ``profile`` (a file path), py-spy samples every server process meanwhile and
    writes collapsed stacks there (``py-spy`` must be installed: pip install py-spy).
    ``backend``: the one whose inbox is drained; ``applied_sql``: counts the events applied
    (by default the milestones)."""
    conn = connect(db)
    milestones_before = scalar(conn, applied_sql)
    pending = scalar(conn, "SELECT count(*) FROM logistics_sync_message WHERE state = 'pending'")
    backend_action(db, conf, "action_pause", backend)
    launched = time.monotonic()
    proc, port = start(db, conf, workers, runner=True)
    warm_up(port, workers)
    spy = py_spy(proc.pid, profile, idle=True) if profile else None
    backend_action(db, conf, "action_resume", backend)
    ready = time.monotonic()
    samples, next_sample, marks, next_mark = [], ready, [], mark_every
    per_message = expect_events / pending if pending else 0

    def sample(now):
        applied = scalar(conn, applied_sql)
        memory = memory_mib([proc.pid] + child_pids(proc.pid))
        return (round(now - ready, 1), applied - milestones_before,
                round(sum(m["rss"] for m in memory.values()), 1),
                round(sum(m["pss"] for m in memory.values()), 1), memory)

    try:
        while time.monotonic() - ready < timeout:
            now = time.monotonic()
            if now >= next_sample:
                samples.append(sample(now))
                next_sample = now + sample_every
            left = scalar(conn, "SELECT count(*) FROM logistics_sync_message WHERE state = 'pending'")
            # Polled often: a short drain is timed to the poll (docs/performance.md).
            # Messages done (cheap) tell when a mark is near; the milestones are counted only then.
            if mark_every and (pending - left) * per_message >= next_mark:
                mark = sample(now)
                if mark[1] >= next_mark or not left:
                    marks.append(mark)
                    heaps = ", ".join(f"{pid}: {m['anon']:.0f}" for pid, m in sorted(mark[4].items()))
                    print(f"{mark[1]:>9,} events applied at {mark[0]:7.1f} s: RSS {mark[2]:.0f} MiB, "
                          f"PSS {mark[3]:.0f} MiB; heap (RssAnon, MiB) per process {heaps}",
                          flush=True)
                    next_mark = (mark[1] // mark_every + 1) * mark_every
            if not left:
                break
            time.sleep(0.05)
        done = time.monotonic()
        rss_end = rss_mib([proc.pid] + child_pids(proc.pid))
    finally:
        stop_py_spy(spy)
        stop(proc)
    applied = scalar(conn, applied_sql) - milestones_before
    with conn.cursor() as cr:
        cr.execute("SELECT state, count(*) FROM logistics_sync_message GROUP BY state")
        states = dict(cr.fetchall())
    conn.close()
    seconds = done - ready
    return {"workers": workers, "messages": pending, "events": applied,
            "expected": expect_events, "seconds": seconds,
            "events_per_s": applied / seconds if seconds else 0.0,
            "with_start_s": done - launched,
            "rss_first_mib": samples[0][2] if samples else None,
            "rss_max_mib": max((s[2] for s in samples), default=None), "rss_end_mib": rss_end,
            "states": json.dumps(states), "samples": samples, "marks": marks}


METRICS_TOKEN = "bench-metrics-token"


def set_metrics_token(db):
    conn = connect(db)
    with conn.cursor() as cr:
        cr.execute("""INSERT INTO ir_config_parameter (key, value, create_date, write_date)
                      VALUES ('logistics_sync_monitor.metrics_token', %s, now(), now())
                      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value""", [METRICS_TOKEN])
    conn.commit()
    conn.close()


def scraper(port, every, stop_event, durations, statuses):
    """GET /logistics/metrics every ``every`` seconds until ``stop_event``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while not stop_event.wait(every):
        started = time.monotonic()
        conn.request("GET", "/logistics/metrics",
                     headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        response = conn.getresponse()
        response.read()
        durations.append(time.monotonic() - started)
        statuses[response.status] = statuses.get(response.status, 0) + 1


def poll_states(conn, ids, names, sent, seen, lock, stop):
    """Until ``stop``: note in ``seen`` when each shipment of ``names`` already in ``sent``
    left 'draft' (by primary key: cheap, every 20 ms)."""
    waiting = set(names)
    with conn.cursor() as cr:
        while waiting and not stop.is_set():
            with lock:
                asked = [n for n in waiting if n in sent]
            if asked:
                cr.execute("SELECT name FROM logistics_shipment WHERE id = ANY(%s) "
                           "AND state <> 'draft'", [[ids[n] for n in asked]])
                now = time.monotonic()
                for (name,) in cr.fetchall():
                    seen[name] = now
                    waiting.discard(name)
            time.sleep(0.02)


def lag(db, conf, workers, rate, seconds, connections=8, scrape_every=0):
    """Steady ``rate`` events/s, one per request and per fresh shipment; time until each
    shipment's state is updated by the job (scraping the metrics every ``scrape_every``
    seconds meanwhile, when set)."""
    run = f"lag{workers}x{int(time.time()) % 100000}"
    count = int(rate * seconds)
    names = [f"{run}-{i:05d}" for i in range(count)]
    with odoo_env(db, conf) as env:
        ids = dict(zip(names, env["logistics.shipment"].create([{"name": n} for n in names]).ids,
                       strict=True))
    analyze(db)
    conn = connect(db)
    sent, seen, acks, statuses = {}, {}, [], {}
    lock = threading.Lock()
    proc, port = start(db, conf, workers, runner=True)
    warm_up(port, workers)
    pids = [proc.pid] + child_pids(proc.pid)
    rss_before = rss_mib(pids)
    stop_polling = threading.Event()

    def sender(offset):
        import http.client
        http_conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for i in range(offset, count, connections):
            due = t0 + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            path, body, headers = signed(run, i, make_event(run, i, names[i], wall_t0))
            started = time.monotonic()
            with lock:
                sent[names[i]] = started
            http_conn.request("POST", path, body=body, headers=headers)
            response = http_conn.getresponse()
            response.read()
            with lock:
                acks.append(time.monotonic() - started)
                statuses[response.status] = statuses.get(response.status, 0) + 1

    wall_t0 = time.time() - 3600  # event times in the past: the inbox refuses future ones
    poll = threading.Thread(target=poll_states, args=(conn, ids, names, sent, seen, lock, stop_polling))
    poll.start()
    scrapes, scrape_statuses = [], {}
    if scrape_every:
        scrape = threading.Thread(target=scraper, args=(port, scrape_every, stop_polling, scrapes,
                                                        scrape_statuses))
        scrape.start()
    t0 = time.monotonic() + 0.5
    senders = [threading.Thread(target=sender, args=(k,)) for k in range(connections)]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    sending = time.monotonic() - t0
    deadline = time.monotonic() + 120
    while len(seen) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    stop_polling.set()
    poll.join()
    if scrape_every:
        scrape.join()
    rss_after = rss_mib([proc.pid] + child_pids(proc.pid))
    stop(proc)
    conn.close()
    lags = [seen[n] - sent[n] for n in names if n in seen]
    return {"workers": workers, "rate": rate, "events": count, "sent_per_s": count / sending,
            "updated": len(lags), "lag_p50_ms": percentile(lags, 50) * 1000,
            "lag_p95_ms": percentile(lags, 95) * 1000, "lag_max_ms": max(lags, default=0) * 1000,
            "ack_p50_ms": percentile(acks, 50) * 1000, "ack_p99_ms": percentile(acks, 99) * 1000,
            "statuses": json.dumps(statuses), "rss_before_mib": rss_before,
            "rss_after_mib": rss_after, "scrape_every_s": scrape_every, "scrapes": len(scrapes),
            "scrape_p50_ms": percentile(scrapes, 50) * 1000 if scrapes else None,
            "scrape_max_ms": max(scrapes, default=0) * 1000,
            "scrape_statuses": json.dumps(scrape_statuses)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--conf", required=True)
    parser.add_argument("--backlogs", default="10000,100000")
    parser.add_argument("--workers", default="0,2")
    parser.add_argument("--events-per-shipment", type=int, default=10,
                        help="a backlog of N events goes to N / this many fresh shipments")
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--lag-seconds", type=float, default=30)
    parser.add_argument("--soak-events", type=int, default=0)
    parser.add_argument("--soak-mark", type=int, default=100000, metavar="EVENTS",
                        help="during the soak, print the memory of the server processes each "
                             "time this many more events are applied")
    parser.add_argument("--scrape-metrics", type=float, default=0, metavar="SECONDS",
                        help="during the lag run, GET /logistics/metrics every SECONDS")
    parser.add_argument("--soak-layout", choices=("spread", "grouped"), default="spread",
                        help="spread: each batch touches many shipments, whose history grows "
                             "over the soak; grouped: each shipment's events are consecutive")
    parser.add_argument("--profile", metavar="DIR",
                        help="sample the server with py-spy during each drain; collapsed stacks "
                             "are written to DIR/drain-w<workers>-n<events>.txt "
                             "(DIR/drain-<type>-w<workers>.txt for --types)")
    parser.add_argument("--types", default=process_types.MILESTONE,
                        help="comma-separated event types whose apply rate is measured: "
                             f"{', '.join(process_types.TYPES)} (milestone: the --backlogs drains)")
    parser.add_argument("--typed-events", type=int, default=1000,
                        help="the backlog of each type other than milestone")
    parser.add_argument("--typed-per-request", type=int, default=10,
                        help="events per webhook request of the types other than milestone")
    args = parser.parse_args()
    types = [t for t in args.types.split(",") if t]
    unknown = set(types) - set(process_types.TYPES)
    if unknown:
        parser.error(f"unknown --types {', '.join(sorted(unknown))}")
    workers_list = [int(w) for w in args.workers.split(",")]
    if args.scrape_metrics:
        set_metrics_token(args.db)
    drains, lags, soak, typed = [], [], [], []
    for workers in workers_list:
        for size in [int(b) for b in args.backlogs.split(",") if b and process_types.MILESTONE in types]:
            run = f"d{workers}n{size}"
            refs = prepare(args.db, args.conf, run, max(1, size // args.events_per_shipment))
            fill(args.db, args.conf, refs, size, run)
            profile = args.profile and Path(args.profile) / f"drain-w{workers}-n{size}.txt"
            drains.append(drain(args.db, args.conf, workers, size, profile=profile))
            print(f"drained {size} events with workers={workers}: "
                  f"{drains[-1]['events_per_s']:,.0f} events/s", flush=True)
        if args.lag_seconds:
            lags.append(lag(args.db, args.conf, workers, args.rate, args.lag_seconds,
                            scrape_every=args.scrape_metrics))
            print(f"lag at {args.rate}/s with workers={workers}: p50 "
                  f"{lags[-1]['lag_p50_ms']:.0f} ms, p95 {lags[-1]['lag_p95_ms']:.0f} ms", flush=True)
        for type_ in [t for t in types if t != process_types.MILESTONE]:
            profile = args.profile and Path(args.profile) / f"drain-{type_}-w{workers}.txt"
            typed.append(process_types.run_type(args.db, args.conf, type_, workers, args.typed_events,
                                                args.typed_per_request, drain, analyze, profile))
            print(f"drained {args.typed_events} {type_} events with workers={workers}: "
                  f"{typed[-1]['events_per_s']:,.1f} events/s", flush=True)
    if args.soak_events:
        workers = workers_list[-1]
        refs = prepare(args.db, args.conf, f"s{workers}",
                       max(1, args.soak_events // args.events_per_shipment))
        fill(args.db, args.conf, refs, args.soak_events, f"s{workers}", per_request=500,
             layout=args.soak_layout)
        result = drain(args.db, args.conf, workers, args.soak_events, sample_every=10.0,
                       mark_every=args.soak_mark)
        soak.append(result)
        pids = sorted({pid for sample in result["samples"] for pid in sample[4]})
        for title, samples in (("over time", result["samples"]),
                               (f"every {args.soak_mark:,} events", result["marks"])):
            table(f"Soak: {args.soak_events:,} events, memory of the server processes {title} "
                  "(RSS and PSS summed; own heap = RssAnon of each process)", [
                {"t_s": t, "events_applied": n, "rss_mib": r, "pss_mib": p,
                 **{f"anon_{pid}": round(m[pid]["anon"], 1) for pid in m}}
                for t, n, r, p, m in samples],
                ["t_s", "events_applied", "rss_mib", "pss_mib", *(f"anon_{pid}" for pid in pids)])
    if drains:
        table("Drain: backlog applied by the queue_job jobs (backend resumed -> inbox empty)", drains,
              ["workers", "messages", "events", "expected", "seconds", "events_per_s",
               "with_start_s", "rss_first_mib", "rss_max_mib", "rss_end_mib", "states"])
    if lags:
        table("End-to-end lag at a steady rate (webhook sent -> shipment state updated)", lags,
              ["workers", "rate", "events", "sent_per_s", "updated", "lag_p50_ms", "lag_p95_ms",
               "lag_max_ms", "ack_p50_ms", "ack_p99_ms", "statuses", "rss_before_mib",
               "rss_after_mib", "scrape_every_s", "scrapes", "scrape_p50_ms", "scrape_max_ms",
               "scrape_statuses"])
    if typed:
        rates = [dict(d, type=process_types.MILESTONE, per_request=100) for d in drains] + typed
        table("Apply rate by event type (backend resumed -> inbox empty)", rates,
              ["type", "workers", "messages", "per_request", "events", "expected", "seconds",
               "events_per_s", "rss_max_mib", "states"])
    write_json("process", {"drain": drains, "lag": lags, "soak": soak,
                           "events_per_shipment": args.events_per_shipment,
                           **({"types": types, "typed": typed} if typed else {})})


if __name__ == "__main__":
    main()
