#!/bin/bash
# serve: install/update our addons in $ODOO_DB like `make run`, then serve with the job runner.
# test:  install into a fresh $ODOO_DB and run every addon's tests (Odoo's test runner).
set -euo pipefail
: "${ODOO_DB:=logistics}" "${ODOO_ADDONS:=queue_job,logistics_sync,logistics_sync_connector,logistics_sync_easypost,logistics_sync_invoice,logistics_sync_reconcile,logistics_sync_monitor,logistics_sync_runner,logistics_sync_x12_214}"
ODOO_OURS="${ODOO_ADDONS#queue_job,}"
DB_ARGS=(--db_host "${HOST:-db}" --db_port "${PORT:-5432}" --db_user "${USER:-odoo}" --db_password "${PASSWORD:-odoo}")
case "${1:-serve}" in
  serve)
    odoo -c /etc/odoo/odoo.conf "${DB_ARGS[@]}" -d "$ODOO_DB" -i "$ODOO_ADDONS" -u "$ODOO_OURS" --stop-after-init
    exec odoo -c /etc/odoo/odoo.conf "${DB_ARGS[@]}" -d "$ODOO_DB" ;;
  test)
    exec odoo -c /etc/odoo/odoo.conf "${DB_ARGS[@]}" -d "${ODOO_DB}_test" -i "$ODOO_ADDONS" \
      --test-enable --test-tags "$(echo "$ODOO_OURS" | sed 's/\([^,]*\)/\/\1/g')" --stop-after-init --http-port 8169 ;;
  *) exec "$@" ;;
esac
