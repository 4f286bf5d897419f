#!/usr/bin/env bash
# Shared set-up steps for `make run` and `make test`. Sourced, not executed.
# Everything here is idempotent: a second run only checks stamps and exits fast.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL_DIR="$REPO_ROOT/.local"                 # ignored: venv stamps, PG cluster, config
VENV="${VENV:-$REPO_ROOT/.venv}"
PY="$VENV/bin/python"
# The conventional location named in the developers' guide.
ODOO_SRC="${ODOO_SRC:-/opt/odoo/18.0}"
ODOO_DB="${ODOO_DB:-logistics}"
ODOO_HTTP_PORT="${ODOO_HTTP_PORT:-8069}"
# Every addon of the repository, in dependency order, plus queue_job (job runner).
ODOO_ADDONS="queue_job,logistics_sync,logistics_sync_connector,logistics_sync_easypost,logistics_sync_invoice,logistics_sync_reconcile,logistics_sync_monitor,logistics_sync_runner,logistics_sync_x12_214"
mkdir -p "$LOCAL_DIR"

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[setup] error:\033[0m %s\n' "$*" >&2; exit 1; }

# --- system packages --------------------------------------------------------
# Debian packages the project needs: build tools and headers for Odoo's Python
# requirements, the PostgreSQL 15 server for the embedded cluster,
# docker-compose (only to validate docker-compose.yml in the tests), and nginx and
# openssl (the scale-out test runs deploy/nginx/odoo.conf in the foreground on
# 127.0.0.1; on a host with systemd, Debian's nginx package also enables its own
# default site on port 80: `systemctl disable --now nginx` if unwanted), and
# chromium, the headless browser of the tours (Odoo's HttpCase.start_tour).
SYSTEM_PACKAGES=(build-essential pkg-config libldap2-dev libsasl2-dev libpq-dev
  libxml2-dev libxslt1-dev libjpeg-dev zlib1g-dev libffi-dev
  postgresql postgresql-client docker-compose nginx openssl chromium)

ensure_system_packages() {
  local stamp="$LOCAL_DIR/.apt-stamp" want missing=()
  want="$(printf '%s\n' "${SYSTEM_PACKAGES[@]}" | sha1sum | cut -c1-12)"
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && return 0
  for p in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
      log "installing system packages: ${missing[*]}"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
      die "missing system packages: ${missing[*]}
  install them with: sudo apt-get install ${missing[*]}"
    fi
  fi
  echo "$want" > "$stamp"
}

# --- Odoo source --------------------------------------------------------------
ensure_odoo_src() {
  if [[ ! -f "$ODOO_SRC/odoo/release.py" || ! -f "$ODOO_SRC/requirements.txt" ]]; then
    die "no Odoo 18.0 source tree at ODOO_SRC=$ODOO_SRC
  Get one (any unmodified Odoo 18.0 Community tree), e.g.:
    git clone --depth 1 -b 18.0 <odoo repository> /opt/odoo/18.0
  then: export ODOO_SRC=/opt/odoo/18.0   (see README, 'Getting Odoo')"
  fi
  grep -q "version_info = (18, 0" "$ODOO_SRC/odoo/release.py" || die "$ODOO_SRC is not Odoo 18.0"
}

# --- Python virtualenv --------------------------------------------------------
ensure_venv() {
  ensure_odoo_src
  local stamp="$LOCAL_DIR/.venv-stamp" want
  want="$( (cat "$ODOO_SRC/requirements.txt" "$REPO_ROOT/requirements.txt" \
      "$REPO_ROOT/test-requirements.txt" "$REPO_ROOT/build-constraints.txt"; echo "$ODOO_SRC") | sha1sum | cut -c1-12)"
  if [[ -x "$PY" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return 0; fi
  log "creating/updating virtualenv in $VENV"
  [[ -x "$PY" ]] || python3 -m venv "$VENV"
  "$PY" -m pip install -q --upgrade "pip>=25.3" wheel
  # Odoo's pinned requirements; sdists are built with setuptools<70, as a *build*
  # constraint only (pip>=25.3 --build-constraint; cbor2 5.4.2 fails otherwise).
  "$PY" -m pip install -q --build-constraint "$REPO_ROOT/build-constraints.txt" \
    -r "$ODOO_SRC/requirements.txt"
  # Odoo itself, editable in compat mode (the default editable mode breaks
  # `import odoo` beside the OCA addon wheels that extend the odoo.addons namespace).
  "$PY" -m pip install -q --no-deps -e "$ODOO_SRC" --config-settings editable_mode=compat \
    >"$LOCAL_DIR/pip-odoo.log" 2>&1 || { tail -30 "$LOCAL_DIR/pip-odoo.log" >&2; die "installing Odoo failed"; }
  # Our runtime + test requirements, without the build constraint (setuptools>=70 in the venv).
  bash "$REPO_ROOT/scripts/install-python-requirements.sh" "$PY" "$REPO_ROOT/requirements.txt"
  "$PY" -m pip install -q -r "$REPO_ROOT/test-requirements.txt"
  "$PY" -c "import odoo, importlib.util as u; assert u.find_spec('odoo.addons.queue_job')" || die "odoo/queue_job not importable from $VENV"
  echo "$want" > "$stamp"
}

# --- PostgreSQL ---------------------------------------------------------------
# PG* variables select an existing server; otherwise a project-local cluster in
# .local/pg listens on 127.0.0.1:${LOCAL_PG_PORT:-54329} and a socket in .local/pg/run.
PG_LOCAL_DATA="$LOCAL_DIR/pg/data"
PG_LOCAL_RUN="$LOCAL_DIR/pg/run"
pg_bin() {
  local d; for d in /usr/lib/postgresql/*/bin; do [[ -x "$d/pg_ctl" ]] && { echo "$d"; return; }; done
  die "no PostgreSQL server binaries found (install the 'postgresql' Debian package)"
}
using_external_pg() { [[ -n "${PGHOST:-}${PGPORT:-}${PGUSER:-}" ]]; }

ensure_pg() {
  if using_external_pg; then
    export PGUSER="${PGUSER:-odoo}"
    [[ "$PGUSER" == "postgres" ]] && die "Odoo refuses the 'postgres' database user: create a dedicated role (see README)"
    psql -d postgres -Atc "select 1" >/dev/null 2>&1 || die "cannot reach PostgreSQL with PGHOST=${PGHOST:-} PGPORT=${PGPORT:-} PGUSER=$PGUSER"
    return 0
  fi
  local bin; bin="$(pg_bin)"
  export PGHOST="$PG_LOCAL_RUN" PGPORT="${LOCAL_PG_PORT:-54329}" PGUSER=odoo
  # PostgreSQL refuses to run as root: as root, the cluster belongs to the 'postgres' system user.
  local as=()
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    as=(runuser -u postgres --)
  fi
  if [[ ! -f "$PG_LOCAL_DATA/PG_VERSION" ]]; then
    log "initialising project-local PostgreSQL cluster in $PG_LOCAL_DATA"
    mkdir -p "$PG_LOCAL_DATA" "$PG_LOCAL_RUN"
    [[ ${#as[@]} -gt 0 ]] && chown -R postgres: "$LOCAL_DIR/pg" && chmod o+x "$LOCAL_DIR" "$REPO_ROOT" 2>/dev/null || true
    "${as[@]}" "$bin/initdb" -D "$PG_LOCAL_DATA" -U odoo --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$PG_LOCAL_DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_LOCAL_RUN'
max_connections = 200
shared_buffers = 512MB
work_mem = 16MB
fsync = ${LOCAL_PG_FSYNC:-on}
synchronous_commit = ${LOCAL_PG_SYNC_COMMIT:-on}
CONF
  fi
  if ! "${as[@]}" "$bin/pg_ctl" -D "$PG_LOCAL_DATA" status >/dev/null 2>&1; then
    log "starting PostgreSQL on port $PGPORT"
    "${as[@]}" "$bin/pg_ctl" -D "$PG_LOCAL_DATA" -o "-p $PGPORT" -l "$LOCAL_DIR/pg/server.log" -w start >/dev/null \
      || { tail -20 "$LOCAL_DIR/pg/server.log" >&2; die "PostgreSQL did not start"; }
  fi
}

stop_local_pg() {
  using_external_pg && return 0
  [[ -f "$PG_LOCAL_DATA/PG_VERSION" ]] || return 0
  local as=(); [[ $(id -u) -eq 0 ]] && as=(runuser -u postgres --)
  "${as[@]}" "$(pg_bin)/pg_ctl" -D "$PG_LOCAL_DATA" -m fast stop >/dev/null 2>&1 || true
}

# Copy a template database; sessions left on the template (e.g. an Odoo process that
# just exited) are ended first, since createdb -T needs it to itself.
copy_db() {  # copy_db <template> <new>
  local attempt
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    psql -d postgres -qAtc "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                             WHERE datname = '$1' AND pid <> pg_backend_pid()" >/dev/null
    createdb -T "$1" "$2" 2>"$LOCAL_DIR/createdb.err" && return 0
    sleep 1
  done
  cat "$LOCAL_DIR/createdb.err" >&2
  die "could not copy database $1 to $2"
}

db_exists() { [[ "$(psql -d postgres -Atc "select 1 from pg_database where datname='$1'")" == 1 ]]; }

# --- Odoo configuration -------------------------------------------------------
write_odoo_conf() {  # write_odoo_conf <file> [workers]
  local conf="$1" workers="${2:-${ODOO_WORKERS:-0}}"
  cat > "$conf" <<CONF
[options]
addons_path = $ODOO_SRC/odoo/addons,$ODOO_SRC/addons,$REPO_ROOT/addons
data_dir = $LOCAL_DIR/filestore
db_host = ${PGHOST}
db_port = ${PGPORT}
db_user = ${PGUSER}
db_password = ${PGPASSWORD:-False}
http_interface = ${ODOO_HTTP_INTERFACE:-127.0.0.1}
http_port = $ODOO_HTTP_PORT
server_wide_modules = base,web,queue_job,logistics_sync_runner
workers = $workers
max_cron_threads = 1
limit_time_real = 600
limit_time_cpu = 300
limit_memory_soft = 2147483648
limit_memory_hard = 2684354560
list_db = False
log_level = ${ODOO_LOG_LEVEL:-info}

[queue_job]
channels = root:2,root.logistics:2,root.logistics.inbound:1,root.logistics.outbound:1
CONF
}

# Install our addons into database $1 when missing (with demo data unless
# WITHOUT_DEMO=1), or update them when the addons tree changed since the last run.
ensure_db() {
  local db="$1" conf="$2" stamp="$LOCAL_DIR/db-$1.hash" want args=()
  want="$(addons_hash)"
  if db_exists "$db" && [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return 0; fi
  if db_exists "$db"; then
    log "updating addons in database $db"
    args=(-i "$ODOO_ADDONS" -u "${ODOO_ADDONS#queue_job,}")
  else
    log "creating database $db with $ODOO_ADDONS (first run takes a minute or two)"
    args=(-i "$ODOO_ADDONS")
    [[ "${WITHOUT_DEMO:-0}" == 1 ]] && args+=(--without-demo=all)
  fi
  "$PY" "$ODOO_SRC/odoo-bin" -c "$conf" -d "$db" "${args[@]}" --stop-after-init \
      --log-level=warn --logfile="$LOCAL_DIR/odoo-init-$db.log" \
    || { tail -40 "$LOCAL_DIR/odoo-init-$db.log" >&2; die "initialising database $db failed (log: $LOCAL_DIR/odoo-init-$db.log)"; }
  echo "$want" > "$stamp"
}

# Hash of everything that changes what an initialised database contains.
addons_hash() {
  (cd "$REPO_ROOT" && find addons -type f \( -name '*.py' -o -name '*.xml' -o -name '*.csv' -o -name '*.sql' -o -name '*.json' \) \
     -not -path '*/tests/*' -print0 | sort -z | xargs -0 sha1sum; echo "$ODOO_SRC") | sha1sum | cut -c1-16
}

# The test configuration (.local/odoo-test.conf, port $TEST_HTTP_PORT) and the cached
# template database that tests, benchmarks and .pot exports copy; sets CONF and TEMPLATE.
ensure_test_template() {
  CONF="$LOCAL_DIR/odoo-test.conf"
  ODOO_HTTP_PORT="${TEST_HTTP_PORT:-8169}" write_odoo_conf "$CONF" 0
  TEMPLATE="${TEST_TEMPLATE_DB:-logistics_test_template}"
  ensure_db "$TEMPLATE" "$CONF"
}
