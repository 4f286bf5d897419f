# Two commands for a newcomer with ODOO_SRC set: `make run` and `make test`.
.PHONY: run test test-fast lint shell update clean-db stop-db help

help:
	@echo "make run    - set up (venv, PostgreSQL, database 'logistics') and serve Odoo on :8069"
	@echo "make test   - run every addon's tests and the end-to-end tests (what CI runs)"
	@echo "make test-fast - only the addons' tests, without the end-to-end tests under tests/"
	@echo "make lint   - ruff + pylint-odoo (mandatory checks fail, optional ones reported)"
	@echo "make shell  - odoo shell on the 'logistics' database"
	@echo "make stop-db / clean-db - stop / remove the project-local PostgreSQL cluster"

run:
	@bash scripts/run.sh

test:
	@bash scripts/test.sh $(ARGS)

test-fast:
	@bash scripts/test.sh addons $(ARGS)

lint:
	@bash scripts/lint.sh

shell:
	@bash -c 'source scripts/common.sh; ensure_venv; ensure_pg; write_odoo_conf .local/odoo.conf; exec "$$PY" "$$ODOO_SRC/odoo-bin" shell -c .local/odoo.conf -d "$$ODOO_DB"'

stop-db:
	@bash -c 'source scripts/common.sh; stop_local_pg'

clean-db: stop-db
	rm -rf .local/pg .local/db-*.hash .local/filestore
