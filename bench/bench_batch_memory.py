"""Memory of one inbox batch as the shipments' histories grow, in process (no server).

    bash bench/run.sh batch_memory [--shipments 10000] [--passes 10]

Applies ``--passes`` batches through ``logistics.shipment._apply_milestones`` (the entry
point the inbox job calls, with tracking disabled as the inbox does), each with one new
event for every one of ``--shipments`` shipments (about the shipments of one 2 MiB inbox
batch of the soak's spread layout), in event-time order: pass k finds k - 1 milestones
per shipment. Per pass: the peak of Python's allocations during the batch
(tracemalloc), the time, and this process's heap (RssAnon) after it. A batch whose
peak grows with k holds the histories.
"""

import argparse
import os
import sys
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_process import lifecycle_code  # noqa: E402
from common import memory_mib, odoo_env, table, write_json  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--conf", required=True)
    parser.add_argument("--shipments", type=int, default=10_000)
    parser.add_argument("--passes", type=int, default=10)
    args = parser.parse_args()
    base = datetime(2026, 1, 1)
    rows = []
    with odoo_env(args.db, args.conf) as env:
        Shipment = env["logistics.shipment"].with_context(tracking_disable=True)
        ids = Shipment.create([{"name": f"mem-{i:06d}"} for i in range(args.shipments)]).ids
        env.cr.commit()
        for k in range(args.passes):
            values = [{"shipment_id": sid, "code": lifecycle_code(k, args.passes),
                       "occurred_at": base + timedelta(hours=k, seconds=i), "source": "bench"}
                      for i, sid in enumerate(ids)]
            env.invalidate_all()
            tracemalloc.start()
            started = time.perf_counter()
            Shipment._apply_milestones(values)
            env.flush_all()
            seconds = time.perf_counter() - started
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            env.cr.commit()
            env.invalidate_all()
            del values
            heap = memory_mib([os.getpid()])[os.getpid()]["anon"]
            env.cr.execute("SELECT count(*) FROM logistics_shipment WHERE id = ANY(%s)"
                           " AND state <> 'draft'", [ids])
            rows.append({"pass": k + 1, "history": k, "peak_mib": peak / 2**20,
                         "seconds": seconds, "heap_after_mib": heap,
                         "not_draft": env.cr.fetchone()[0]})
            print(f"pass {k + 1}: peak {peak / 2**20:.1f} MiB, {seconds:.2f} s, "
                  f"heap {heap:.0f} MiB", flush=True)
    table(f"One batch of {args.shipments:,} events (one per shipment) as the histories grow",
          rows, ["pass", "history", "peak_mib", "seconds", "heap_after_mib", "not_draft"])
    write_json("batch_memory", {"shipments": args.shipments, "passes": rows})


if __name__ == "__main__":
    main()
