#!/usr/bin/env bash
# make run: set up everything needed, bring database $ODOO_DB up to date, serve Odoo
# on http://127.0.0.1:$ODOO_HTTP_PORT with the queue_job runner.
source "$(dirname "$0")/common.sh"
ensure_system_packages
ensure_venv
ensure_pg
CONF="$LOCAL_DIR/odoo.conf"
write_odoo_conf "$CONF"
ensure_db "$ODOO_DB" "$CONF"
log "serving database $ODOO_DB on http://${ODOO_HTTP_INTERFACE:-127.0.0.1}:$ODOO_HTTP_PORT (login admin / admin with demo data)"
exec "$PY" "$ODOO_SRC/odoo-bin" -c "$CONF" -d "$ODOO_DB" "$@"
