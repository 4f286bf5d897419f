"""Crash soak: the kill -9 cycle of tests/test_reliability_crash.py, repeated.

    bash bench/run.sh soak_crash [--cycles 5] [--no-feed]

One prefork server (--workers=2, queue_job runner) on a copy of the test template; each
cycle sets up new shipments, outbound messages and a POD order, kills a worker in the
middle of an outbound delivery, of an inbound batch and of an invoice release, waits
until everything is processed and checks the invariants (nothing lost, applied once,
one invoice, no job left started/enqueued for more than a minute). ``--no-feed`` drops
the live webhook feed that keeps the job runner busy, to measure how long queue_job takes
to re-queue a dead job when nothing else happens. Prints a table and writes
bench/results/soak_crash.json (soak_crash_nofeed.json). Everything runs on 127.0.0.1,
bounded in cycles and time.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO))
from common import table, write_json  # noqa: E402

from tests.conftest import OdooServer, _free_port  # noqa: E402
from tests.crash_harness import RECOVERY_LIMIT, CrashCycle, check_invariants  # noqa: E402
from tests.fake_receiver import FakeReceiver  # noqa: E402


def start(db, conf):
    port = _free_port()
    log = REPO / ".local" / f"bench-{db}.log"
    log.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [sys.executable, os.path.join(os.environ["ODOO_SRC"], "odoo-bin"), "-c", conf, "-d", db,
         "--http-interface=127.0.0.1", f"--http-port={port}", "--workers=2",
         f"--gevent-port={_free_port()}", f"--logfile={log}", "--log-level=info"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"odoo exited early, see {log}")
        try:
            if requests.get(f"{url}/web/health", timeout=2).status_code == 200:
                return OdooServer(url, db, proc, log)
        except requests.RequestException:
            pass
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"odoo did not answer on {url}, see {log}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--conf", required=True)
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--no-feed", action="store_true")
    parser.add_argument("--max-minutes", type=float, default=60)
    args = parser.parse_args()
    server = start(args.db, args.conf)
    rows, deadline = [], time.monotonic() + args.max_minutes * 60
    try:
        with FakeReceiver() as receiver:
            for cycle in range(1, args.cycles + 1):
                if time.monotonic() > deadline:
                    print(f"time limit reached after {cycle - 1} cycle(s)")
                    break
                print(f"cycle {cycle}/{args.cycles}")
                result = CrashCycle(server, receiver, tag=f"soak{cycle}x{int(time.time())}",
                                    feed=not args.no_feed).run()
                try:
                    check_invariants(result)
                    verdict = "ok"
                except AssertionError as exc:
                    verdict = f"FAILED: {str(exc)[:200]}"
                kills = {k.kind: k for k in result["kills"]}
                accepted = sum(1 for _key, status, _body in result["calls"] if status == 200)
                rows.append({
                    "cycle": cycle,
                    "events": len(result["event_ids"]),
                    "milestones": sum(result["milestones"].values()),
                    "outbound": len(result["outbound"]),
                    "accepted_2xx": accepted,
                    "invoices": len(result["invoices"]),
                    "requeue_out_s": kills["outbound"].requeued_after_s,
                    "requeue_in_s": kills["inbound"].requeued_after_s,
                    "requeue_release_s": kills["release"].requeued_after_s,
                    "max_job_age_s": result["max_job_age_s"],
                    "cycle_s": result["timings"]["cycle_s"],
                    "verdict": verdict,
                })
                print(f"  {verdict}")
    finally:
        server.proc.terminate()
        try:
            server.proc.wait(30)
        except subprocess.TimeoutExpired:
            server.proc.kill()
    table(f"Crash soak: kill -9 of a worker during an outbound delivery, an inbound batch and an "
          f"invoice release, per cycle (feed {'off' if args.no_feed else 'on'}; limit {RECOVERY_LIMIT} s)", rows,
          ["cycle", "events", "milestones", "outbound", "accepted_2xx", "invoices", "requeue_out_s",
           "requeue_in_s", "requeue_release_s", "max_job_age_s", "cycle_s", "verdict"])
    write_json("soak_crash_nofeed" if args.no_feed else "soak_crash",
               {"cycles": rows, "feed": not args.no_feed, "recovery_limit_s": RECOVERY_LIMIT})
    if any(r["verdict"] != "ok" for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
