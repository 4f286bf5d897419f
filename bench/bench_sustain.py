"""The sustainable rate: steady signed webhooks at increasing rates, lag and backlog.

    bash bench/run.sh sustain [--rates 50,100,200,300,400] [--seconds 30] [--workers 2,4]
                              [--batch 1,100]

For each worker count and batch size, one server (with its job runner) is offered each
rate in turn for --seconds: every event for its own fresh shipment, --batch events per
request. Per rate: acknowledgement p50/p99, lag p50/p95/max (webhook sent -> shipment
state updated, seen by a poller every 20 ms), and the inbox backlog (pending messages)
when the sending stops. A rate is sustained when the server accepted it (offered at 95 %
of it or more: 8 connections wait for each acknowledgement), lag p95 < 2 s and the
backlog at the end holds less than 2 s of events (it does not grow); the figure is the
highest such rate.
Between rates the inbox is left to drain (at most 60 s).
"""

import argparse
import http.client
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import start, stop  # noqa: E402
from bench_process import (  # noqa: E402
    analyze,
    connect,
    make_event,
    poll_states,
    prepare,
    scalar,
    signed,
    warm_up,
)
from common import child_pids, odoo_env, percentile, rss_mib, table, write_json  # noqa: E402

LAG_P95_S = 2.0
PENDING = "SELECT count(*) FROM logistics_sync_message WHERE direction = 'in' AND state = 'pending'"


def offer(port, conn, ids, names, rate, seconds, batch, run, connections=8):
    """Send ``rate`` events/s for ``seconds`` (``batch`` per request); returns the figures."""
    count = int(rate * seconds) // batch * batch
    requests_ = count // batch
    sent, seen, acks, statuses = {}, {}, [], {}
    lock = threading.Lock()
    stop_polling = threading.Event()

    def sender(offset):
        http_conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for r in range(offset, requests_, connections):
            delay = t0 + r * batch / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            mine = names[r * batch:(r + 1) * batch]
            events = [make_event(run, r * batch + j, n, 1.9e9) for j, n in enumerate(mine)]
            path, body, headers = signed(run, r, events[0] if batch == 1 else {"events": events})
            started = time.monotonic()
            with lock:
                for n in mine:
                    sent[n] = started
            http_conn.request("POST", path, body=body, headers=headers)
            response = http_conn.getresponse()
            response.read()
            with lock:
                acks.append(time.monotonic() - started)
                statuses[response.status] = statuses.get(response.status, 0) + 1

    poll = threading.Thread(target=poll_states,
                            args=(conn, ids, names[:count], sent, seen, lock, stop_polling))
    poll.start()
    t0 = time.monotonic() + 0.2
    senders = [threading.Thread(target=sender, args=(k,)) for k in range(min(connections, requests_))]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    sending = time.monotonic() - t0
    backlog = scalar(conn, PENDING)
    deadline = time.monotonic() + 60
    while len(seen) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    stop_polling.set()
    poll.join()
    lags = [seen[n] - sent[n] for n in names[:count] if n in seen]
    row = {"rate": rate, "events": count, "offered_per_s": round(count / sending, 1),
           "updated": len(lags), "ack_p50_ms": percentile(acks, 50) * 1000,
           "ack_p99_ms": percentile(acks, 99) * 1000, "lag_p50_ms": percentile(lags, 50) * 1000,
           "lag_p95_ms": percentile(lags, 95) * 1000, "lag_max_ms": max(lags, default=0) * 1000,
           "backlog_end": backlog, "statuses": dict(statuses)}
    # Offered means accepted at that pace: a server that acknowledges too slowly holds the
    # senders back, which lowers the rate instead of growing the backlog.
    row["sustained"] = (len(lags) == count and row["offered_per_s"] >= 0.95 * rate
                        and row["lag_p95_ms"] < LAG_P95_S * 1000
                        and backlog <= rate * LAG_P95_S and set(statuses) == {202})
    return row


def series(db, conf, workers, batch, rates, seconds):
    run = f"sus{workers}b{batch}x{int(time.time()) % 100000}"
    total = sum(int(r * seconds) for r in rates)
    prepare(db, conf, run, total)
    names = [f"{run}-{i:06d}" for i in range(total)]
    with odoo_env(db, conf) as env:
        env.cr.execute("SELECT name, id FROM logistics_shipment WHERE name LIKE %s", [f"{run}-%"])
        ids = dict(env.cr.fetchall())
    analyze(db)
    conn = connect(db)
    proc, port = start(db, conf, workers, runner=True)
    rows = []
    try:
        warm_up(port, workers)
        offset = 0
        for rate in rates:
            mine = names[offset:offset + int(rate * seconds)]
            offset += len(mine)
            row = offer(port, conn, ids, mine, rate, seconds, batch, f"{run}r{rate}")
            row.update(workers=workers, batch=batch,
                       rss_mib=rss_mib([proc.pid] + child_pids(proc.pid)))
            rows.append(row)
            print(f"workers={workers} batch={batch} rate={rate}/s: lag p95 {row['lag_p95_ms']:.0f} ms, "
                  f"backlog {row['backlog_end']}, {'sustained' if row['sustained'] else 'NOT sustained'}",
                  flush=True)
            deadline = time.monotonic() + 60
            while scalar(conn, PENDING) and time.monotonic() < deadline:
                time.sleep(0.5)
    finally:
        stop(proc)
        conn.close()
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--conf", required=True)
    parser.add_argument("--rates", default="50,100,200,300,400")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", default="2,4")
    parser.add_argument("--batch", default="1,100", help="events per request")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    rows, figures = [], []
    for batch in (int(b) for b in args.batch.split(",")):
        for workers in (int(w) for w in args.workers.split(",")):
            mine = series(args.db, args.conf, workers, batch, rates, args.seconds)
            rows += mine
            best = max((r["rate"] for r in mine if r["sustained"]), default=0)
            figures.append({"workers": workers, "batch": batch, "sustained_events_per_s": best})
    table(f"Steady signed webhooks, {args.seconds:g} s per rate (lag: webhook sent -> shipment "
          f"state updated)", rows,
          ["workers", "batch", "rate", "offered_per_s", "ack_p50_ms", "ack_p99_ms", "lag_p50_ms",
           "lag_p95_ms", "lag_max_ms", "backlog_end", "rss_mib", "sustained"])
    table(f"The sustainable rate (lag p95 < {LAG_P95_S:g} s, backlog not growing)", figures,
          ["workers", "batch", "sustained_events_per_s"])
    write_json("sustain", {"rates": rows, "figures": figures, "seconds": args.seconds})


if __name__ == "__main__":
    main()
