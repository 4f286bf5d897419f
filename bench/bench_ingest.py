"""Webhook ingestion and inbox processing, side by side with Odoo's native webhook.

    bash bench/run.sh ingest [--requests 2000] [--connections 4] [--workers 0,2]

For each server mode (workers=0 threaded, workers=2 prefork), on one database:
* native: an Odoo 18 base_automation "On webhook" rule whose server action creates the
  equivalent milestone record (what an integrator would build without us);
* ours, one event per request: Standard Webhooks signature + dedup + durable inbox;
* ours, batches of 100 and 500 events per request;
then the drain rate of the inbox by the queue_job jobs (events applied per second,
webhook received -> shipment updated), and the RSS of the server processes.
Everything runs on 127.0.0.1, bounded in request count and time.
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import child_pids, odoo_env, percentile, py_spy, rss_mib, stop_py_spy, table, write_json  # noqa: E402

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
LOCAL = Path(__file__).resolve().parent.parent / ".local"


def sign(msg_id, ts, body):
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    return "v1," + base64.b64encode(
        hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_runner(db, proc, timeout=60):
    """Until queue_job's runner holds its master lock on ``db`` (a session-level advisory
    lock on one bigint: the inbox locks take two keys), i.e. dispatches jobs. It starts
    5 s after the server (START_DELAY): without this wait, the first seconds of a timed
    run measured that delay (the first job of a drain waited up to 2 s for it)."""
    import psycopg2

    conn = psycopg2.connect(dbname=db)
    conn.autocommit = True
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            with conn.cursor() as cr:
                cr.execute("""SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                               WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
                                 AND a.datname = %s""", [db])
                if cr.fetchone():
                    return
            time.sleep(0.2)
        raise RuntimeError(f"queue_job's runner did not start on {db}")
    finally:
        conn.close()


def start(db, conf, workers, runner=True):
    port = free_port()
    log = LOCAL / f"bench-{db}-w{workers}.log"
    args = [sys.executable, os.path.join(os.environ["ODOO_SRC"], "odoo-bin"), "-c", conf, "-d", db,
            "--http-interface=127.0.0.1", f"--http-port={port}", f"--workers={workers}",
            f"--gevent-port={free_port()}", "--max-cron-threads=0", f"--logfile={log}",
            "--log-level=warn", "--db_maxconn=64"]
    if not runner:  # no queue_job server-wide module: jobs wait, the inbox fills up
        args.append("--load=base,web")
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/web/health")
            if conn.getresponse().status == 200:
                time.sleep(2 if workers else 0.5)
                if runner:
                    wait_for_runner(db, proc)
                return proc, port
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"server did not start, see {log}")


def stop(proc):
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def load(port, make_request, total, connections, time_limit=120):
    """Send ``total`` requests over ``connections`` keep-alive connections."""
    latencies, statuses, lock = [], {}, threading.Lock()
    counter = iter(range(total))
    deadline = time.monotonic() + time_limit

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            path, body, headers = make_request(i)
            start = time.perf_counter()
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                statuses[response.status] = statuses.get(response.status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return {"requests": len(latencies), "seconds": wall, "req_per_s": len(latencies) / wall,
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
            "statuses": statuses}


def run_base(run):
    """Distinct event times per run, so that no run duplicates another's milestones."""
    return 1.9e9 + (ord(run[0]) * 100 + int(run[1:])) * 1e6


def event(ref, i, run, pad):
    return {"type": "shipment.milestone", "id": f"{run}-{i}", "shipment": {"reference": ref},
            "milestone": {"code": "in_transit",
                          "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(run_base(run) + i)),
                          "location": "Bench hub " + "x" * pad}}


def ours(refs, batch, run):
    def make(i):
        # ~1 KB per single event; ~300 B per event in batches (500 fit the 256 KB cap)
        pad = 700 if batch == 1 else 120
        events = [event(refs[(i * batch + k) % len(refs)], i * batch + k, run, pad) for k in range(batch)]
        body = json.dumps(events[0] if batch == 1 else {"events": events}).encode()
        msg_id, ts = f"{run}-req-{i}", int(time.time())
        return "/logistics/webhook/demo-tms", body, {
            "Content-Type": "application/json", "webhook-id": msg_id, "webhook-timestamp": str(ts),
            "webhook-signature": sign(msg_id, ts, body)}
    return make


def native(url_path, ids, run):
    def make(i):
        body = json.dumps({"shipment_id": ids[i % len(ids)], "id": f"{run}-{i}",
                           "occurred_at": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(run_base(run) + i)),
                           "location": "Bench hub " + "x" * 700}).encode()
        return url_path, body, {"Content-Type": "application/json"}
    return make


def prepare(db, conf, shipments):
    subprocess.run([sys.executable, os.path.join(os.environ["ODOO_SRC"], "odoo-bin"), "-c", conf,
                    "-d", db, "-i", "base_automation", "--stop-after-init", "--log-level=warn"],
                   check=True)
    with odoo_env(db, conf) as env:
        Shipment = env["logistics.shipment"]
        records = Shipment.create([{"name": f"ING-{i:05d}"} for i in range(shipments)])
        model = env["ir.model"]._get("logistics.shipment")
        action = env["ir.actions.server"].create({
            "name": "Bench: create milestone", "model_id": model.id, "state": "code",
            "code": "env['logistics.shipment.milestone'].create({'shipment_id': record.id, "
                    "'code_id': env.ref('logistics_sync.milestone_code_in_transit').id, "
                    "'occurred_at': payload['occurred_at'], 'source': 'native', "
                    "'location': payload.get('location'), 'external_event_id': payload['id']})"})
        rule = env["base.automation"].create({
            "name": "Bench native webhook", "model_id": model.id, "trigger": "on_webhook",
            "record_getter": "model.browse(int(payload.get('shipment_id')))",
            "action_server_ids": [(6, 0, action.ids)]})
        # Event times are years ahead, distinct per run: no future limit.
        env["logistics.backend"].search([("code", "=", "demo-tms")]).write(
            {"max_attempts": 3, "event_future_hours": 0})
        return records.mapped("name"), records.ids, f"/web/hook/{rule.webhook_uuid}"


def backlog(db, conf, runs):
    with odoo_env(db, conf) as env:
        env.cr.execute("""SELECT state, count(*) FROM logistics_sync_message
                           WHERE split_part(event_id, '-', 1) = ANY(%s) GROUP BY state""", [runs])
        return dict(env.cr.fetchall())


def drain(db, conf, runs, workers, timeout=900):
    """Start the server with its job runner on a full inbox; time until it is empty."""
    before = backlog(db, conf, runs)
    with odoo_env(db, conf) as env:
        env.cr.execute("SELECT count(*) FROM logistics_shipment_milestone")
        milestones_before = env.cr.fetchone()[0]
    start_at = time.monotonic()
    proc, _port = start(db, conf, workers, runner=True)
    try:
        while time.monotonic() - start_at < timeout:
            states = backlog(db, conf, runs)
            if not states.get("pending"):
                break
            time.sleep(0.5)
        wall = time.monotonic() - start_at
    finally:
        stop(proc)
    with odoo_env(db, conf) as env:
        env.cr.execute("SELECT count(*) FROM logistics_shipment_milestone")
        applied = env.cr.fetchone()[0] - milestones_before
    return {"workers": workers, "messages": sum(before.values()), "events": applied,
            "seconds": wall, "events_per_s": applied / wall, "states": json.dumps(states)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--conf", required=True)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", default="0,2")
    parser.add_argument("--shipments", type=int, default=200)
    parser.add_argument("--profile", metavar="DIR",
                        help="sample the server with py-spy during each scenario; collapsed "
                             "stacks are written to DIR/ingest-w<workers>-<scenario>.txt")
    args = parser.parse_args()
    refs, ids, native_path = prepare(args.db, args.conf, args.shipments)
    rows, drains, memory = [], [], []
    for workers in [int(w) for w in args.workers.split(",")]:
        proc, port = start(args.db, args.conf, workers, runner=False)
        pids = [proc.pid] + child_pids(proc.pid)
        rss_before = rss_mib(pids)
        try:
            scenarios = [
                ("native automation webhook", native(native_path, ids, f"n{workers}"), args.requests, 1),
                ("ours, 1 event/request", ours(refs, 1, f"o{workers}"), args.requests, 1),
                ("ours, 100 events/request", ours(refs, 100, f"b{workers}"), args.requests // 20, 100),
                ("ours, 500 events/request", ours(refs, 500, f"c{workers}"), args.requests // 100, 500),
            ]
            for name, make, total, batch in scenarios:
                spy = args.profile and py_spy(proc.pid, Path(args.profile) / "ingest-w{}-{}.txt".format(
                    workers, "-".join(name.replace(",", "").replace("/", "-per-").split()[:4])))
                try:
                    result = load(port, make, total, args.connections)
                finally:
                    stop_py_spy(spy)
                rows.append({"workers": workers, "scenario": name, "requests": result["requests"],
                             "req_per_s": result["req_per_s"],
                             "events_per_s": result["req_per_s"] * batch,
                             "p50_ms": result["p50_ms"], "p99_ms": result["p99_ms"],
                             "statuses": json.dumps(result["statuses"])})
            pids = [proc.pid] + child_pids(proc.pid)
            memory.append({"workers": workers, "rss_before_mib": rss_before,
                           "rss_after_mib": rss_mib(pids)})
        finally:
            stop(proc)
        # The inbox now holds every event of this round: drain it with the job runner.
        drains.append(drain(args.db, args.conf, [f"o{workers}", f"b{workers}", f"c{workers}"], workers))
    table("Ingestion (acknowledged requests; events/s = requests/s x events per request)", rows,
          ["workers", "scenario", "requests", "req_per_s", "events_per_s", "p50_ms", "p99_ms", "statuses"])
    table("Processing: backlog drained by queue_job jobs (server start -> inbox empty)", drains,
          ["workers", "messages", "events", "seconds", "events_per_s", "states"])
    table("Memory of the server processes (before / after ingestion)", memory,
          ["workers", "rss_before_mib", "rss_after_mib"])
    write_json("ingest", {"ingestion": rows, "processing": drains, "memory": memory,
                          "connections": args.connections})


if __name__ == "__main__":
    main()
