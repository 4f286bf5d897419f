"""End-to-end fixtures: a real Odoo server, started the way `make run` starts it,
on a copy of the test template database, on 127.0.0.1 and a free port."""

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parent.parent


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OdooServer:
    def __init__(self, url, db, proc, log):
        self.url, self.db, self.proc, self.log = url, db, proc, log
        self.session = requests.Session()

    def rpc(self, path, params, session=None):
        response = (session or self.session).post(
            f"{self.url}{path}",
            json={"jsonrpc": "2.0", "method": "call", "params": params, "id": uuid.uuid4().hex},
            timeout=60,
        )
        response.raise_for_status()
        payload = response.json()
        if "error" in payload:
            raise RuntimeError(json.dumps(payload["error"])[:2000])
        return payload["result"]

    def login(self, login="admin", password="admin"):
        return self.rpc("/web/session/authenticate",
                        {"db": self.db, "login": login, "password": password})

    def call(self, model, method, *args, **kwargs):
        return self.rpc("/web/dataset/call_kw",
                        {"model": model, "method": method, "args": list(args), "kwargs": kwargs})


def start_server(db_suffix="e2e", extra_args=()):
    template = os.environ.get("LOGISTICS_TEST_TEMPLATE")
    conf = os.environ.get("LOGISTICS_TEST_CONF")
    if not template or not conf:
        pytest.skip("end-to-end tests run through `make test` (needs the template database)")
    db = f"logistics_{db_suffix}_{os.getpid()}"
    subprocess.run(["dropdb", "--if-exists", db], check=True)
    for _attempt in range(10):  # the template must be free of other sessions
        subprocess.run(["psql", "-d", "postgres", "-qAtc",
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        f"WHERE datname = '{template}' AND pid <> pg_backend_pid()"],
                       check=False, capture_output=True)
        if subprocess.run(["createdb", "-T", template, db]).returncode == 0:
            break
        time.sleep(1)
    else:
        raise RuntimeError(f"could not copy {template} to {db}")
    port = _free_port()
    log = REPO / ".local" / f"{db}.log"
    cmd = [sys.executable, os.path.join(os.environ["ODOO_SRC"], "odoo-bin"), "-c", conf,
           "-d", db, "--http-interface=127.0.0.1", f"--http-port={port}",
           f"--logfile={log}", "--log-level=info", *extra_args]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"odoo exited early, see {log}")
        try:
            if requests.get(f"{url}/web/health", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError(f"odoo did not answer on {url}, see {log}")
    return OdooServer(url, db, proc, log)


def stop_server(server):
    server.proc.terminate()
    try:
        server.proc.wait(30)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(10)
    subprocess.run(["dropdb", "--if-exists", server.db], check=False)


@pytest.fixture(scope="session")
def odoo_server():
    server = start_server()
    yield server
    stop_server(server)
