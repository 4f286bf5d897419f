"""Reconciliation views on a large data set: 100,000 shipments / 1,000,000 milestones.

    bash bench/run.sh reconcile [--shipments 100000]

Seeds a copy of the test template with bench/seed.sql, then times what the web client
does when a report opens: the first page (80 rows, default order) and the total count,
plus the dashboard's counts and amounts, and one scrape of /logistics/metrics (its
queries alone, and with the Prometheus rendering), median of 7.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import odoo_env, table, timed, write_json  # noqa: E402
from seed_orders import seed as seed_orders  # noqa: E402

REPORTS = ["logistics.reconcile.uninvoiced", "logistics.reconcile.invoiced.nopod",
           "logistics.reconcile.stale", "logistics.reconcile.late.promise",
           "logistics.reconcile.sync", "logistics.reconcile.quantity",
           "logistics.reconcile.withdrawn"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--conf", required=True)
    parser.add_argument("--shipments", type=int, default=100_000)
    args = parser.parse_args()
    with odoo_env(args.db, args.conf) as env:
        backend = env["logistics.backend"].search([], limit=1)
        partner = env["res.partner"].search([("is_company", "=", True)], limit=1)
        company = env.company.id
    seed = Path(__file__).resolve().parent / "seed.sql"
    subprocess.run(["psql", "-q", "-d", args.db, "-v", f"shipments={args.shipments}",
                    "-v", f"backend={backend.id}", "-v", f"company={company}",
                    "-v", f"partner={partner.id}", "-f", str(seed)], check=True,
                   env=dict(os.environ))
    with odoo_env(args.db, args.conf) as env:
        seed_orders(env, args.shipments)
    rows = []
    with odoo_env(args.db, args.conf) as env:
        counts = {
            "shipments": env["logistics.shipment"].search_count([]),
            "milestones": env["logistics.shipment.milestone"].search_count([]),
            "messages": env["logistics.sync.message"].search_count([]),
            "orders": env["sale.order"].search_count([]),
            "invoices": env["account.move"].search_count([("move_type", "=", "out_invoice")]),
        }
        for model in REPORTS:
            Report = env[model]
            page = timed(lambda R=Report: R.web_search_read([], {"id": {}}, limit=80))
            count = timed(lambda R=Report: R.search_count([]))
            rows.append({"report": model, "rows": Report.search_count([]),
                         "first_page_s": page["median_s"], "count_s": count["median_s"]})
        dash = timed(lambda: env["logistics.reconcile.dashboard"]._collect(), repeat=3)
        rows.append({"report": "dashboard (all counts + amounts)", "rows": "",
                     "first_page_s": dash["median_s"], "count_s": None})
        Metrics = env["logistics.metrics"]
        metrics = {"queries": timed(Metrics._snapshot, repeat=7),
                   "scrape": timed(Metrics._render, repeat=7)}
    table(f"Reconciliation views on {counts['shipments']:,} shipments / "
          f"{counts['milestones']:,} milestones / {counts['messages']:,} messages (median of 5)",
          rows, ["report", "rows", "first_page_s", "count_s"])
    print(f"/logistics/metrics on the same data (median of 7): queries "
          f"{metrics['queries']['median_s']:.3f} s, whole scrape (queries + exposition) "
          f"{metrics['scrape']['median_s']:.3f} s (target 0.2 s)")
    write_json("reconcile", {"counts": counts, "reports": rows, "target_s": 1.0,
                             "metrics": metrics, "metrics_target_s": 0.2})


if __name__ == "__main__":
    main()
