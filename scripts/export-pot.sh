#!/usr/bin/env bash
# Regenerate addons/<addon>/i18n/<addon>.pot from the code and data, as Odoo exports
# them, on a copy of the test template database: `bash scripts/export-pot.sh [addon…]`.
source "$(dirname "$0")/common.sh"
ensure_venv
ensure_pg
ensure_test_template  # sets CONF and TEMPLATE
DB="logistics_pot_$$"
trap 'dropdb --if-exists "$DB" >/dev/null 2>&1 || true' EXIT
copy_db "$TEMPLATE" "$DB"
addons=("$@")
if ((${#addons[@]} == 0)); then
  for manifest in "$REPO_ROOT"/addons/*/__manifest__.py; do
    addons+=("$(basename "$(dirname "$manifest")")")
  done
fi
for addon in "${addons[@]}"; do
  mkdir -p "$REPO_ROOT/addons/$addon/i18n"
  "$PY" "$ODOO_SRC/odoo-bin" -c "$CONF" -d "$DB" --modules="$addon" --log-level=warn \
    --i18n-export="$REPO_ROOT/addons/$addon/i18n/$addon.pot" --stop-after-init
  log "addons/$addon/i18n/$addon.pot"
done
