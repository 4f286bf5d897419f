#!/usr/bin/env bash
# Run one benchmark against a fresh copy of the test template database:
#   bash bench/run.sh reconcile [args]     (reconciliation views, 100k shipments)
#   bash bench/run.sh ingest [args]        (webhook ingestion vs Odoo's automation webhook)
#   bash bench/run.sh process [args]       (inbox drain, end-to-end lag, memory soak)
#   bash bench/run.sh scale [args]         (webhook ingestion: workers, two nodes behind nginx)
#   bash bench/run.sh outbound [args]      (outbound delivery rate, drain after an outage)
#   bash bench/run.sh sustain [args]       (the highest steady webhook rate with lag p95 < 2 s)
#   bash bench/run.sh batch_memory [args]  (memory of one inbox batch as histories grow, in process)
# Each prints a table and writes bench/results/<name>.json.
source "$(dirname "$0")/../scripts/common.sh"
name="${1:?usage: bench/run.sh <reconcile|ingest|process|scale|outbound|...> [args]}"; shift
ensure_system_packages
ensure_venv
ensure_pg
ensure_test_template  # sets CONF and TEMPLATE
DB="logistics_bench_${name}"
dropdb --if-exists "$DB"
copy_db "$TEMPLATE" "$DB"
trap '[[ "${KEEP_DB:-0}" == 1 ]] || dropdb --if-exists "$DB"' EXIT
export PGHOST PGPORT PGUSER ODOO_SRC
"$PY" "$REPO_ROOT/bench/bench_${name}.py" --db "$DB" --conf "$CONF" "$@"
