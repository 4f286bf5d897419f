#!/usr/bin/env bash
# make lint: ruff, then pylint-odoo as OCA runs it: the mandatory checks
# (.pylintrc-mandatory) fail the lint on any message, the optional ones (.pylintrc)
# are only reported. Tools come from test-requirements.txt (the pre-commit hooks need
# GitHub, which this does not).
#
# Executed, it lints; sourced (e.g. by scripts/test.sh), it only defines `lint`.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

lint() (  # a subshell: the caller keeps its working directory
  ensure_venv
  cd "$REPO_ROOT"
  local addons=() manifest fmt=text rc=0
  for manifest in addons/*/__manifest__.py; do addons+=("${manifest%/__manifest__.py}"); done
  [[ -t 1 ]] && fmt=colorized

  log "ruff check addons tests bench scripts"
  "$VENV/bin/ruff" check addons tests bench scripts || rc=1

  log "pylint-odoo, optional checks (report only): ${addons[*]}"
  "$PY" -m pylint --rcfile=.pylintrc --exit-zero --output-format="$fmt" "${addons[@]}"

  log "pylint-odoo, mandatory checks: ${addons[*]}"
  "$PY" -m pylint --rcfile=.pylintrc-mandatory --output-format="$fmt" "${addons[@]}" || rc=1

  # OCA's checks of the files pylint does not read (XML, CSV, manifests, .po/.pot).
  log "oca-checks-odoo-module, oca-checks-po"
  "$VENV/bin/oca-checks-odoo-module" addons/*/__manifest__.py || rc=1
  "$VENV/bin/oca-checks-po" addons/*/i18n/*.pot || rc=1

  ((rc == 0)) || { printf '\033[31m[lint] failed\033[0m\n' >&2; return 1; }
  log "lint passed"
)

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  lint
fi
