#!/usr/bin/env bash
# make test: set up everything needed, lint (ruff, pylint-odoo's mandatory checks),
# then run every addon's tests in a real Odoo database (a copy of a cached template)
# and the end-to-end tests under tests/, which drive a real server over HTTP.
# Extra arguments go to pytest (and skip the lint: a subset is being run).
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/lint.sh"
ensure_system_packages
ensure_venv
ensure_pg
if (($# == 0)) || [[ "${*}" == "addons" ]]; then
  lint
fi
ensure_test_template  # sets CONF and TEMPLATE
RUN_DB="logistics_test_$$"
cleanup() { dropdb --if-exists "$RUN_DB" >/dev/null 2>&1 || true; }
trap cleanup EXIT
copy_db "$TEMPLATE" "$RUN_DB"
export LOGISTICS_TEST_TEMPLATE="$TEMPLATE" LOGISTICS_TEST_CONF="$CONF" ODOO_SRC PGHOST PGPORT PGUSER
cd "$REPO_ROOT"
args=("$@"); [[ ${#args[@]} -eq 0 ]] && args=(addons tests)
set +e
"$PY" -m pytest -p no:cacheprovider --odoo-config="$CONF" --odoo-database="$RUN_DB" \
  --odoo-http --odoo-log-level=warn "${args[@]}"
rc=$?
set -e
# pytest exits 5 when it collected nothing: that is a failure here too.
exit $rc
