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


# queue_job states of a job that may still run (and create or change records).
LIVE_JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started")


def wait_until(predicate, timeout=60, interval=0.5, message="condition"):
    """Poll ``predicate()`` every ``interval`` seconds until it returns a truthy value,
    and return that value. After ``timeout`` seconds (the predicate is called once more
    at the deadline), raise AssertionError naming ``message`` and the last value seen.
    The shared way for the tests to wait: never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{message}: not reached within {timeout} s (last value: {value!r:.500})")
        time.sleep(min(interval, remaining))


def unchanged(probe):
    """A predicate for ``wait_until``: true once ``probe()`` (a snapshot of what should
    no longer change; None while it is not worth comparing) gives the same value on two
    consecutive polls."""
    previous = []

    def check():
        value = probe()
        stable = value is not None and previous == [value]
        previous[:] = [value]
        return stable

    return check


def live_jobs(server, domain=()):
    """queue_job jobs of ``server`` that may still run (JSON-RPC), matching ``domain``."""
    return server.call("queue.job", "search_read", [["state", "in", list(LIVE_JOB_STATES)], *domain],
                       fields=["uuid", "state", "identity_key", "method_name"])


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
        return payload.get("result")  # absent when the method returned None

    def login(self, login="admin", password="admin"):
        return self.rpc("/web/session/authenticate",
                        {"db": self.db, "login": login, "password": password})

    def call(self, model, method, *args, **kwargs):
        return self.rpc("/web/dataset/call_kw",
                        {"model": model, "method": method, "args": list(args), "kwargs": kwargs})


def copy_template(db_suffix="e2e"):
    """A fresh copy of the test template database, named after ``db_suffix`` and the pid."""
    template = os.environ.get("LOGISTICS_TEST_TEMPLATE")
    if not template or not os.environ.get("LOGISTICS_TEST_CONF"):
        pytest.skip("end-to-end tests run through `make test` (needs the template database)")
    db = f"logistics_{db_suffix}_{os.getpid()}"
    subprocess.run(["dropdb", "--if-exists", db], check=True)

    def copied():  # the template must be free of other sessions
        subprocess.run(["psql", "-d", "postgres", "-qAtc",
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        f"WHERE datname = '{template}' AND pid <> pg_backend_pid()"],
                       check=False, capture_output=True)
        return subprocess.run(["createdb", "-T", template, db]).returncode == 0

    wait_until(copied, timeout=30, interval=1, message=f"copy of {template} to {db}")
    return db


def launch(db, extra_args=(), name=None, env=None, new_session=False, timeout=90, conf=None):
    """Start odoo-bin on ``db`` (as `make run` does) and wait until it answers."""
    port = _free_port()
    log = REPO / ".local" / f"{name or db}.log"
    log.unlink(missing_ok=True)
    cmd = [sys.executable, os.path.join(os.environ["ODOO_SRC"], "odoo-bin"),
           "-c", str(conf or os.environ["LOGISTICS_TEST_CONF"]),
           "-d", db, "--http-interface=127.0.0.1", f"--http-port={port}",
           f"--logfile={log}", "--log-level=info", *extra_args]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                            env=env, start_new_session=new_session)
    url = f"http://127.0.0.1:{port}"

    def answers():
        if proc.poll() is not None:
            raise RuntimeError(f"odoo exited early, see {log}")
        try:
            return requests.get(f"{url}/web/health", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_until(answers, timeout, interval=0.5, message=f"odoo answering on {url} (see {log})")
    except AssertionError:
        proc.kill()
        raise
    server = OdooServer(url, db, proc, log)
    server.port = port
    return server


def start_server(db_suffix="e2e", extra_args=()):
    return launch(copy_template(db_suffix), extra_args)


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
