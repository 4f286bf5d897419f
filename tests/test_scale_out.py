"""Scaling out: two Odoo nodes (prefork workers) on one database behind nginx.

The shape of deploy/, run with the shipped files: nginx runs deploy/nginx/odoo.conf
(round robin, TLS, X-Forwarded-* headers) in front of two odoo-bin servers configured
with deploy/odoo-node.conf.example (proxy_mode, db_name, no dbfilter, workers, queue_job
server-wide with its channels), so both nodes have a job runner; only paths, addresses,
ports and sizes are replaced. queue_job's runners elect a master with a PostgreSQL
advisory lock (jobrunner/runner.py); the others retry every ERROR_RECOVERY_DELAY seconds.

nginx also limits the webhook rate per client address and serves nothing under
/queue_job/ (each runner calls its own node directly).

The tests share the nodes and run in file order; the last one crashes a node.
"""

import configparser
import importlib.util
import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter

from .conftest import OdooServer, _free_port, copy_template, launch
from .reverse_proxy import EXAMPLE as NGINX_EXAMPLE
from .reverse_proxy import Nginx
from .test_e2e_webhooks import DEMO_SECRET, wait_for
from .test_lib_signing import sign_standard

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parent.parent
NODE_EXAMPLE = REPO / "deploy" / "odoo-node.conf.example"
WEBHOOK = "/logistics/webhook/demo-tms"
DISTINCT = 60  # distinct events through the proxy
DUPLICATED = 8  # events delivered 4 times at once: twice to each node, directly
AFTER_CRASH = 20  # events posted once a node is gone


def _queue_job_constant(relative, name):
    """A constant of the installed queue_job (the lock id, the retry delays), read from its source."""
    spec = importlib.util.find_spec("odoo.addons.queue_job")
    source = (Path(spec.origin).parent / relative).read_text()
    return int(re.search(rf"^{name} = (\d+)$", source, re.M).group(1))


LOCK_ID = _queue_job_constant("jobrunner/runner.py", "PG_ADVISORY_LOCK_ID")
ERROR_RECOVERY_DELAY = _queue_job_constant("jobrunner/runner.py", "ERROR_RECOVERY_DELAY")
START_DELAY = _queue_job_constant("jobrunner/__init__.py", "START_DELAY")


def shipped_webhook_limit():
    """(requests per second, burst) of the webhook rate limit in deploy/nginx/odoo.conf."""
    text = NGINX_EXAMPLE.read_text()
    rate = re.search(r"^limit_req_zone \$binary_remote_addr zone=logistics_webhook:\w+ rate=(\d+)r/s;$", text, re.M)
    burst = re.search(r"^ +limit_req zone=logistics_webhook burst=(\d+) nodelay;$", text, re.M)
    assert rate and burst and re.search(r"^ +limit_req_status 429;$", text, re.M), \
        f"{NGINX_EXAMPLE}: no limit_req on the webhooks"
    return int(rate.group(1)), int(burst.group(1))


def sql(db, query):
    out = subprocess.run(["psql", "-d", db, "-qAtX", "-c", query],
                         check=True, capture_output=True, text=True, timeout=30).stdout
    return [line for line in out.splitlines() if line]


def lock_holders(db):
    """Nodes ("a", "b") whose job runner holds queue_job's master lock on ``db``, from pg_locks."""
    names = sql(db, f"""
        SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND ((l.classid::bigint << 32) | l.objid::bigint) = {LOCK_ID}""")
    return [name.split("-")[1] for name in names]


def log_count(node, needle):
    return node.log.read_text(errors="replace").count(needle) if node.log.exists() else 0


def headers(event_id, body):
    ts = int(time.time())
    return {"Content-Type": "application/json", "webhook-id": event_id, "webhook-timestamp": str(ts),
            "webhook-signature": sign_standard(DEMO_SECRET, event_id, ts, body)}


def event(event_id, reference, minute):
    occurred = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1.95e9 + minute * 60))
    return json.dumps({"type": "shipment.milestone", "id": event_id, "shipment": {"reference": reference},
                       "milestone": {"code": "in_transit", "occurred_at": occurred,
                                     "location": "Scale-out hub"}}).encode()


class SourceAddress(HTTPAdapter):
    """Connect from another loopback address, so that the proxy sees a distinct client."""

    def __init__(self, address):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def node_conf(db):
    """deploy/odoo-node.conf.example for this machine: only paths, database access,
    addresses and sizes are replaced (each one checked to exist in the example)."""
    example, test = configparser.ConfigParser(interpolation=None), configparser.ConfigParser(interpolation=None)
    example.read(NODE_EXAMPLE)
    test.read(os.environ["LOGISTICS_TEST_CONF"])
    options = example["options"]
    assert options["proxy_mode"] == "True" and not options["dbfilter"] and options["db_name"]
    assert "queue_job" in options["server_wide_modules"].split(",")
    assert example["queue_job"]["channels"]
    local = {key: test["options"][key] for key in
             ("addons_path", "data_dir", "db_host", "db_port", "db_user", "db_password")}
    local.update(db_name=db, http_interface="127.0.0.1", workers="2", max_cron_threads="0")
    for key, value in local.items():
        assert key in options, f"{NODE_EXAMPLE} has no {key}"
        options[key] = value
    path = REPO / ".local" / f"{db}-node.conf"
    with path.open("w") as f:
        example.write(f)
    return path


def start_node(db, conf, name):
    env = dict(os.environ, ODOO_PGAPPNAME=f"scale-{name}-{{pid}}")  # pg_stat_activity tells nodes apart
    gevent_port = _free_port()
    node = launch(db, [f"--gevent-port={gevent_port}"], name=f"{db}-{name}", env=env, new_session=True, conf=conf)
    node.name, node.gevent_port = name, gevent_port
    return node


def stop_node(node):
    if node.proc.poll() is None:
        os.killpg(node.proc.pid, signal.SIGTERM)
        try:
            node.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(node.proc.pid, signal.SIGKILL)
            node.proc.wait(10)


class Cluster:
    def __init__(self, db, nodes, proxy):
        self.db, self.nodes, self.proxy = db, nodes, proxy
        self.run = uuid.uuid4().hex[:8]
        self.admin = OdooServer(proxy.url, db, None, None)  # JSON-RPC through the proxy
        self.admin.session.verify = str(proxy.cert)
        self.admin.session.trust_env = False  # else REQUESTS_CA_BUNDLE would replace `verify`
        self.posted = []  # every event id that must end up applied once

    def node(self, name):
        return next(n for n in self.nodes if n.name == name)

    def post(self, url, event_id, body):
        return requests.post(f"{url}{WEBHOOK}", data=body, headers=headers(event_id, body), timeout=30,
                             verify=str(self.proxy.cert))

    def master(self, timeout):
        """The node whose runner holds the lock, once exactly one does."""
        holders = wait_for(lambda: lock_holders(self.db), timeout=timeout, interval=0.25)
        assert len(holders) == 1, holders
        return self.node(holders[0])

    def applied(self, event_ids):
        """Milestones per external event id, once every message of these events is processed."""
        def done():
            states = Counter(m["state"] for m in self.admin.call(
                "logistics.sync.message", "search_read", [["event_id", "in", event_ids]], fields=["state"]))
            return states if set(states) == {"done"} and sum(states.values()) == len(event_ids) else None

        try:
            wait_for(done, timeout=90)
        except AssertionError:
            raise AssertionError(self.admin.call("logistics.sync.message", "read_group",
                                                 [["event_id", "in", event_ids]], ["state"], ["state"])) from None
        found = self.admin.call("logistics.shipment.milestone", "search_read",
                                [["external_event_id", "in", event_ids]], fields=["external_event_id"])
        return Counter(m["external_event_id"] for m in found)


@pytest.fixture(scope="module")
def cluster():
    db = copy_template("scale")
    nodes, proxy, error = [], None, None
    try:
        with ThreadPoolExecutor(2) as pool:
            conf = node_conf(db)
            starting = [pool.submit(start_node, db, conf, name) for name in ("a", "b")]
            for future in starting:  # keep every node that started, to stop it
                try:
                    nodes.append(future.result())
                except Exception as exc:
                    error = error or exc
        if error:
            raise error
        proxy = Nginx([n.port for n in nodes], [n.gevent_port for n in nodes]).__enter__()
        cluster = Cluster(db, nodes, proxy)
        cluster.admin.uid = cluster.admin.login()["uid"]
        # Events are dated in 2031 (see event()): no future limit for demo-tms.
        cluster.admin.call("logistics.backend", "write", cluster.admin.call(
            "logistics.backend", "search", [["code", "=", "demo-tms"]]), {"event_future_hours": 0})
        yield cluster
    finally:
        if proxy:
            proxy.__exit__(None, None, None)
        for node in nodes:
            stop_node(node)
        subprocess.run(["dropdb", "--if-exists", db], check=False)


def test_both_nodes_serve_one_runner_dispatches_every_event_applied_once(cluster):
    c = cluster
    master = c.master(timeout=START_DELAY + 3 * ERROR_RECOVERY_DELAY + 20)
    standby = next(n for n in c.nodes if n is not master)
    references = [f"SCALE-{c.run}-{k}" for k in range(6)]
    c.admin.call("logistics.shipment", "create", [{"name": ref} for ref in references])

    distinct = [f"{c.run}-d{i}" for i in range(DISTINCT)]
    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda i: c.post(c.proxy.url, distinct[i], event(
            distinct[i], references[i % len(references)], i)).status_code, range(DISTINCT)))
    assert statuses == [202] * DISTINCT

    # The same event delivered four times at once: twice to each node, bypassing the proxy.
    duplicated = [f"{c.run}-x{i}" for i in range(DUPLICATED)]
    for i, event_id in enumerate(duplicated):
        body = event(event_id, references[i % len(references)], 1000 + i)
        barrier, results = threading.Barrier(4), []

        def deliver(node, event_id=event_id, body=body, barrier=barrier, results=results):
            barrier.wait(10)
            response = c.post(node.url, event_id, body)
            results.append((node.name, response.status_code, response.json()["message_id"]))

        threads = [threading.Thread(target=deliver, args=(node,)) for node in c.nodes * 2]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(status for _n, status, _m in results) == [200, 200, 200, 202], results
        assert len({message for _n, _s, message in results}) == 1, results
        assert {name for name, _s, _m in results} == {"a", "b"}
    c.posted += distinct + duplicated

    # Round robin: the proxy sent webhooks and the admin's JSON-RPC calls to both nodes
    # (one session, stored in the shared data_dir, valid on either node).
    for _i in range(4):
        assert c.admin.call("res.users", "search_count", [["id", "=", c.admin.uid]]) == 1
    entries = c.proxy.entries()
    ports = {path: Counter(up.rsplit(":", 1)[1] for _a, req, _s, up in entries if path in req)
             for path in (WEBHOOK, "/web/dataset/call_kw")}
    for path, counts in ports.items():
        assert set(counts) == {str(n.port) for n in c.nodes}, (path, counts)
    assert all(log_count(node, f'"POST {WEBHOOK} HTTP/1.1" 202') for node in c.nodes)

    assert c.applied(c.posted) == Counter({event_id: 1 for event_id in c.posted})
    assert c.admin.call("logistics.sync.message", "search_count", [["event_id", "in", duplicated]]) == DUPLICATED

    # One master all along; the standby's runner runs but never got the lock nor dispatched.
    assert lock_holders(c.db) == [master.name]
    assert log_count(master, "queue job runner ready") == 1
    assert log_count(master, "asking Odoo to run job") >= 1
    assert log_count(standby, "jobrunner.runner: starting") == 1, "the standby node has a job runner"
    assert log_count(standby, "queue job runner ready") == 0
    assert log_count(standby, "asking Odoo to run job") == 0
    assert log_count(standby, "/queue_job/runjob") == 0, "jobs run on the master's node (its own http_port)"


def test_proxy_mode_records_the_client_address_seen_by_the_proxy(cluster):
    c = cluster
    session = requests.Session()
    session.trust_env = False
    session.mount("https://", SourceAddress("127.0.0.2"))
    body = event(f"{c.run}-forged", "SCALE-none", 0)
    response = session.post(f"{c.proxy.url}{WEBHOOK}", data=body, timeout=30, verify=str(c.proxy.cert), headers={
        **headers(f"{c.run}-forged", body), "webhook-signature": "v1,AAAA", "X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 401
    audit = c.admin.call("logistics.webhook.audit", "search_read", [["code", "=", "demo-tms"]],
                         fields=["remote_addr"], order="id desc", limit=1)
    # nginx saw 127.0.0.2; Odoo (proxy_mode) takes the last X-Forwarded-For entry, not the forged one.
    assert audit[0]["remote_addr"] == "127.0.0.2"


def test_proxy_limits_the_webhook_rate_per_client_address(cluster):
    c = cluster
    rate, burst = shipped_webhook_limit()
    # An unknown backend: Odoo answers 404 at once and writes nothing.
    url = f"{c.proxy.url}/logistics/webhook/no-such-backend"

    def client(address):
        session = requests.Session()
        session.trust_env, session.verify = False, str(c.proxy.cert)
        session.mount("https://", SourceAddress(address))
        return session

    # A sender below the rate is never throttled, for longer than its burst would cover.
    paced = client("127.0.0.3")
    statuses = []
    for _i in range(rate * 2):
        started = time.monotonic()
        statuses.append(paced.post(url, data=b"{}", timeout=30).status_code)
        time.sleep(max(0.0, 1.25 / rate - (time.monotonic() - started)))
    assert statuses == [404] * len(statuses)

    # A flood from another address: its burst passes, then 429 with Retry-After, from nginx.
    seen = len(c.proxy.entries())
    sessions = [client("127.0.0.4") for _i in range(8)]
    started = time.monotonic()
    with ThreadPoolExecutor(len(sessions)) as pool:
        responses = list(pool.map(lambda i: sessions[i % len(sessions)].post(url, data=b"{}", timeout=30),
                                  range(burst + 3 * rate)))
    elapsed = time.monotonic() - started
    counts = Counter(r.status_code for r in responses)
    assert set(counts) == {404, 429}, counts
    assert burst < counts[404] <= burst + 1 + rate * elapsed + 2, (counts, elapsed)
    throttled = [r for r in responses if r.status_code == 429]
    assert {(r.headers.get("Retry-After"), r.text) for r in throttled} == {("1", '{"error": "too many requests"}')}
    flood = [e for e in c.proxy.entries(seen + len(responses))[seen:] if e[0] == "127.0.0.4"]
    assert Counter(status for _a, _r, status, _u in flood) == Counter({str(k): v for k, v in counts.items()})
    assert {up for _a, _r, status, up in flood if status == "429"} == {"-"}, "throttled requests never reach Odoo"

    # Meanwhile other senders are not throttled.
    event_id = f"{c.run}-during-flood"
    assert c.post(c.proxy.url, event_id, event(event_id, f"SCALE-{c.run}-0", 3000)).status_code == 202
    c.posted.append(event_id)


def test_the_job_runner_endpoint_is_not_served_through_the_proxy(cluster):
    c = cluster
    master = c.master(timeout=5)
    # The runner calls /queue_job/runjob on its own node (http_interface:http_port), not nginx.
    assert log_count(master, "GET /queue_job/runjob?") >= 1
    session = requests.Session()
    session.trust_env, session.verify = False, str(c.proxy.cert)
    query = f"db={c.db}&job_uuid={uuid.uuid4()}"
    seen = len(c.proxy.entries())
    for path in ("/queue_job/runjob", "//queue_job/runjob", "/queue%5Fjob/runjob", "/queue_job/./runjob",
                 "/queue_job/runjob/", "/queue_job/create_test_job"):
        for method in ("GET", "POST"):
            response = session.request(method, f"{c.proxy.url}{path}?{query}", timeout=30)
            assert response.status_code == 403, (method, path, response.status_code)
    assert {up for _a, _r, _s, up in c.proxy.entries(seen + 12)[seen:]} == {"-"}, "nginx answered, not a node"
    # The same request straight to a node would be served (an unknown job: empty answer).
    assert requests.get(f"{master.url}/queue_job/runjob?{query}", timeout=30).status_code == 200


def test_crashed_master_node_the_other_runner_takes_over_and_the_proxy_fails_over(cluster):
    c = cluster
    master = c.master(timeout=5)
    survivor = next(n for n in c.nodes if n is not master)
    busy = "SELECT count(*) FROM queue_job WHERE state IN ('pending', 'enqueued', 'started')"
    wait_for(lambda: sql(c.db, busy) == ["0"], timeout=60)
    # A crash of the whole node (its process group: server, HTTP workers, job runner, gevent).
    os.killpg(master.proc.pid, signal.SIGKILL)
    master.proc.wait(10)
    crashed_at = time.monotonic()
    new_master = c.master(timeout=3 * ERROR_RECOVERY_DELAY + 15)
    print(f"takeover after {time.monotonic() - crashed_at:.1f} s")
    assert new_master is survivor
    # It holds the master lock before it logs that it is ready: give the log a moment.
    wait_for(lambda: log_count(survivor, "queue job runner ready") >= 1, timeout=15)
    assert log_count(survivor, "queue job runner ready") == 1

    seen = len(c.proxy.entries())
    before = log_count(survivor, f'"POST {WEBHOOK} HTTP/1.1" 202')
    references = [f"SCALE-{c.run}-{k}" for k in range(6)]
    after = [f"{c.run}-after{i}" for i in range(AFTER_CRASH)]
    for i, event_id in enumerate(after):
        assert c.post(c.proxy.url, event_id, event(event_id, references[i % 6], 2000 + i)).status_code == 202
    c.posted += after
    # Every request after the crash ended on the survivor (some tried the dead node first).
    tried = [up.split(", ") for _a, req, _s, up in c.proxy.entries(seen + AFTER_CRASH)[seen:] if WEBHOOK in req]
    assert [upstreams[-1] for upstreams in tried] == [f"127.0.0.1:{survivor.port}"] * AFTER_CRASH
    assert [f"127.0.0.1:{master.port}", f"127.0.0.1:{survivor.port}"] in tried, "a request failed over"
    assert log_count(survivor, f'"POST {WEBHOOK} HTTP/1.1" 202') == before + AFTER_CRASH
    assert c.applied(c.posted) == Counter({event_id: 1 for event_id in c.posted})
    assert log_count(survivor, "asking Odoo to run job") >= 1
    assert lock_holders(c.db) == [survivor.name]
