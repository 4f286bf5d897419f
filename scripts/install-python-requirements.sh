#!/usr/bin/env bash
# Install our runtime requirements.txt into the Python given as $1 (default python3).
# Used by `make run` / `make test` (into .venv) and by docker/Dockerfile (into the
# official odoo:18.0 image), so that both install exactly the same packages.
# OCA addon wheels (odoo-addon-*) declare a dependency on the `odoo` distribution,
# which the official image does not have as a pip package: they go in with --no-deps.
set -euo pipefail
PY="${1:-python3}"
REQ="${2:-$(cd "$(dirname "$0")/.." && pwd)/requirements.txt}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
grep -E '^[[:space:]]*odoo-addon-' "$REQ" > "$tmp/oca.txt" || true
grep -vE '^[[:space:]]*odoo-addon-' "$REQ" > "$tmp/other.txt" || true
"$PY" -m pip install -q -r "$tmp/other.txt"
[[ -s "$tmp/oca.txt" ]] && "$PY" -m pip install -q --no-deps -r "$tmp/oca.txt"
exit 0
