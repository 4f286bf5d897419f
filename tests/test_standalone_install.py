"""Each provider addon installs on its own on top of the connector (issue 16): a
database with the connector and its demo data only, then each provider addon alone in a
copy of it, none of the other provider addons with it."""

import os
import subprocess
import sys

import pytest

from .conftest import REPO

PROVIDERS = ("logistics_sync_easypost", "logistics_sync_aftership", "logistics_sync_karrio",
             "logistics_sync_shippo", "logistics_sync_x12_214")


def odoo(db, *args):
    log = REPO / ".local" / f"{db}.log"
    log.unlink(missing_ok=True)
    done = subprocess.run([sys.executable, os.path.join(os.environ["ODOO_SRC"], "odoo-bin"),
                           "-c", os.environ["LOGISTICS_TEST_CONF"], "-d", db, *args,
                           "--stop-after-init", "--log-level=warn", f"--logfile={log}"],
                          timeout=1200, check=False)
    text = log.read_text()
    assert done.returncode == 0, text[-3000:]
    assert " ERROR " not in text and " CRITICAL " not in text, text[-3000:]


def installed(db):
    out = subprocess.run(["psql", "-d", db, "-qAtc", "SELECT name FROM ir_module_module "
                          "WHERE state = 'installed' AND name LIKE 'logistics_sync%'"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_each_provider_addon_installs_alone_on_the_connector():
    if not os.environ.get("LOGISTICS_TEST_CONF"):
        pytest.skip("runs through `make test` (needs the test configuration)")
    base = f"logistics_standalone_{os.getpid()}"
    subprocess.run(["dropdb", "--if-exists", base], check=True)
    try:
        odoo(base, "-i", "logistics_sync_connector")
        assert installed(base) == {"logistics_sync", "logistics_sync_connector"}
        for provider in PROVIDERS:
            db = f"{base}_{provider.rsplit('_sync_', 1)[1]}"
            subprocess.run(["dropdb", "--if-exists", db], check=True)
            subprocess.run(["createdb", "-T", base, db], check=True)
            try:
                odoo(db, "-i", provider)
                assert installed(db) == {"logistics_sync", "logistics_sync_connector", provider}
            finally:
                subprocess.run(["dropdb", "--if-exists", db], check=False)
    finally:
        subprocess.run(["dropdb", "--if-exists", base], check=False)
