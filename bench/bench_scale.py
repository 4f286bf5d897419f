"""Webhook ingestion as the server grows: one node with more workers, then two nodes behind nginx.

    bash bench/run.sh scale [--requests 2000] [--connections 8] [--workers 0,2,4] [--rounds 1]

Unbatched signed webhooks (the payload and signature of bench_ingest.py `ours()`, one
~1 KB event per request), acknowledged = signature checked, deduplicated, stored and a
job enqueued. Scenarios, each on the same database (distinct event ids per scenario):
* one node, workers=0 (threaded), 2, 4, requests straight to the node;
* one node, workers=2, behind nginx running deploy/nginx/odoo.conf (TLS terminated by
  nginx; its per-address webhook rate limit lifted): the proxy's own cost;
* two nodes x 2 workers behind the same nginx (round robin).
The job runner is not loaded (as in bench_ingest.py): only ingestion is measured, the
inbox just fills up. Also reported: PostgreSQL connections per node after the run.
Clients keep their connections alive; prefork workers close theirs after each response
(HTTP/1.0), so nginx and the clients of workers > 0 open a connection per request.
Everything runs on 127.0.0.1, bounded in request count and time.
"""

import argparse
import http.client
import json
import os
import signal
import ssl
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]
from bench_ingest import free_port, ours  # noqa: E402
from common import child_pids, odoo_env, percentile, rss_mib, table, write_json  # noqa: E402

from tests.reverse_proxy import Nginx  # noqa: E402

LOCAL = BENCH.parent / ".local"


def start(db, conf, workers, name):
    """One node without the job runner, in its own process group; (proc, http port, gevent port)."""
    port, gevent_port = free_port(), free_port()
    log = LOCAL / f"bench-scale-{name}.log"
    env = dict(os.environ, ODOO_PGAPPNAME=f"bench-{name}-{{pid}}")
    proc = subprocess.Popen(
        [sys.executable, os.path.join(os.environ["ODOO_SRC"], "odoo-bin"), "-c", conf, "-d", db,
         "--http-interface=127.0.0.1", f"--http-port={port}", f"--gevent-port={gevent_port}",
         f"--workers={workers}", "--max-cron-threads=0", "--proxy-mode", "--load=base,web",
         f"--logfile={log}", "--log-level=warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited, see {log}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/web/health")
            if conn.getresponse().status == 200:
                time.sleep(2 if workers else 0.5)
                return proc, port, gevent_port
        except OSError:
            time.sleep(0.3)
    stop(proc)
    raise RuntimeError(f"server did not start, see {log}")


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def load(connect, make_request, total, connections, time_limit=120):
    """``total`` requests over ``connections`` keep-alive connections made by ``connect()``."""
    latencies, statuses, lock = [], {}, threading.Lock()
    counter = iter(range(total))
    deadline = time.monotonic() + time_limit

    def worker():
        conn = connect()
        while time.monotonic() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            path, body, headers = make_request(i)
            start_at = time.perf_counter()
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - start_at
            with lock:
                latencies.append(elapsed)
                statuses[response.status] = statuses.get(response.status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    start_at = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(time_limit + 60)
    wall = time.perf_counter() - start_at
    return {"requests": len(latencies), "seconds": wall, "req_per_s": len(latencies) / wall,
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
            "statuses": json.dumps(statuses)}


def connections_of(db, names):
    with odoo_env(db, os.environ["BENCH_CONF"]) as env:
        env.cr.execute("""SELECT split_part(application_name, '-', 2), count(*) FROM pg_stat_activity
                           WHERE datname = current_database() AND application_name LIKE 'bench-%%'
                           GROUP BY 1""")
        found = dict(env.cr.fetchall())
    return {name: found.get(name, 0) for name in names}


def scenario(db, conf, label, workers, nodes, proxied, refs, run, args):
    procs, names = [], [f"{run}n{i}" for i in range(nodes)]
    proxy = None
    try:
        started = [start(db, conf, workers, name) for name in names]
        procs = [proc for proc, _p, _g in started]
        if proxied:
            # The shipped per-address webhook limit would throttle this single client.
            proxy = Nginx([p for _pr, p, _g in started], [g for _pr, _p, g in started],
                          webhook_rate=100000).__enter__()
            context = ssl.create_default_context(cafile=str(proxy.cert))

            def connect():
                return http.client.HTTPSConnection("127.0.0.1", proxy.port, timeout=60, context=context)
        else:
            port = started[0][1]

            def connect():
                return http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        rss_before = rss_mib([pid for proc in procs for pid in [proc.pid, *child_pids(proc.pid)]])
        load_before = os.getloadavg()[0]
        result = load(connect, ours(refs, 1, run), args.requests, args.connections)
        pg = connections_of(db, names)
        rss_after = rss_mib([pid for proc in procs for pid in [proc.pid, *child_pids(proc.pid)]])
        served = {}
        if proxy:
            for _addr, _req, _status, upstream in proxy.entries():
                port_ = upstream.split(", ")[-1].rsplit(":", 1)[-1]
                served[port_] = served.get(port_, 0) + 1
        return dict(result, scenario=label, workers=workers, nodes=nodes, proxy="nginx (TLS)" if proxied else "-",
                    pg_connections=sum(pg.values()), rss_mib=round(rss_after), rss_before_mib=round(rss_before),
                    served_per_node=json.dumps(sorted(served.values())) if served else "",
                    load_1m=f"{load_before:.1f}/{os.getloadavg()[0]:.1f}")
    finally:
        if proxy:
            proxy.__exit__(None, None, None)
        for proc in procs:
            stop(proc)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--conf", required=True)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", default="0,2,4")
    parser.add_argument("--shipments", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    os.environ["BENCH_CONF"] = args.conf
    with odoo_env(args.db, args.conf) as env:
        refs = env["logistics.shipment"].create(
            [{"name": f"SCALE-{i:05d}"} for i in range(args.shipments)]).mapped("name")
    plan = [(f"1 node, workers={w}", w, 1, False) for w in (int(x) for x in args.workers.split(","))]
    plan += [("1 node, workers=2, behind nginx", 2, 1, True), ("2 nodes x workers=2, behind nginx", 2, 2, True)]
    rows = []
    for r in range(args.rounds):  # rounds interleave the scenarios: a busy minute hits them all
        for k, (label, workers, nodes, proxied) in enumerate(plan):
            run = f"s{r * 10 + k}"  # event ids and times distinct per run (bench_ingest.run_base)
            rows.append(dict(scenario(args.db, args.conf, label, workers, nodes, proxied, refs, run, args),
                             round=r + 1))
            print(f"round {r + 1}, {label}: {rows[-1]['req_per_s']:.0f} req/s", flush=True)
    table(f"Unbatched signed webhooks (1 event/request, {args.connections} keep-alive connections, "
          f"{args.requests} requests per scenario and round)", rows,
          ["round", "scenario", "requests", "req_per_s", "p50_ms", "p99_ms", "statuses", "served_per_node",
           "pg_connections", "rss_mib", "load_1m"])
    print("load_1m: the machine's 1-minute load average before / after each scenario "
          f"({os.cpu_count()} CPUs; other processes compete for them)")
    summary = []
    for label, *_rest in plan:
        rates = [row["req_per_s"] for row in rows if row["scenario"] == label]
        summary.append({"scenario": label, "median_req_per_s": statistics.median(rates),
                        "min": min(rates), "max": max(rates)})
    table(f"Median over {args.rounds} round(s)", summary, ["scenario", "median_req_per_s", "min", "max"])
    write_json("scale", {"summary": summary, "scenarios": rows, "rounds": args.rounds,
                         "connections": args.connections, "requests": args.requests,
                         "load_average": os.getloadavg()})


if __name__ == "__main__":
    main()
