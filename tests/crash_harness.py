"""kill -9 of Odoo prefork workers while queue_job jobs run: the scenario shared by
tests/test_reliability_crash.py and bench/bench_soak_crash.py.

One cycle, against a server started with ``--workers=2`` and the queue_job runner:

* set-up (JSON-RPC): shipments for the inbound events, an outbound TMS backend pointing
  at a local fake receiver (down during the set-up, so that the outbound messages wait),
  sale orders whose deliveries queue outbound messages, and an ``on_pod`` order whose
  POD webhook releases an invoice automatically;
* a live feed of signed webhooks (one event every 0.4 s) runs during the whole cycle;
* three kills, one after the other, each of a worker observed executing a job:
  - outbound: the receiver answers after 3 s, the job waits for it (its PostgreSQL
    session idle in transaction for 0.5 s): the request reached the receiver, which
    handles it, but the answer goes nowhere;
  - inbound: a batch of events whose job waits for a shipment row that the test holds
    locked (observed with pg_blocking_pids): killed in the middle of its transaction;
  - invoice release: the release job, held first on the sale order lines, then on the POD
    milestone row (both locked by the test), is killed after it created and posted the
    invoice, while it inserts the release row;
* then it waits until everything is processed and collects what the invariants need.

queue_job timing (18.0.4.1.2.2): a job whose worker died keeps state ``started``; the runner
re-queues it (``requeue_dead_jobs``) once its ``queue_job_lock`` row is no longer locked
(the dead worker's transaction was rolled back) and it was enqueued more than 10 s ago,
the next time the runner wakes up: on any job activity, else after ``SELECT_TIMEOUT``
(60 s in queue_job, 10 s with logistics_sync_runner loaded server-wide, as here). Kills
are done one at a time, each waited for, while traffic goes on (the live feed); a dead
job is re-queued about 10 s after the kill either way (bench/bench_soak_crash.py
--no-feed measures it without traffic).

Invariants (``check_invariants``): every accepted event is exactly one milestone and no
duplicate report; every outbound message is sent and accepted by the receiver under its
own Idempotency-Key with one payload (a receiver deduplicating on the key applies it
once), more than once only if the job sending it was killed; first acceptances in order
per shipment; one posted invoice and one release row; every killed job found dead and
re-queued by the runner within a minute; no job seen started/enqueued for a minute.
"""

import base64
import hashlib
import json
import os
import signal
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import psycopg2
import requests

from .conftest import LIVE_JOB_STATES, unchanged, wait_until
from .test_lib_signing import sign_standard

DEMO_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
RECOVERY_LIMIT = 60  # seconds: no job stays started/enqueued longer than this after a kill
BASE_TIME = 1925000000  # 2031-01-01: event times, distinct per event


@dataclass
class Kill:
    kind: str
    job_uuid: str
    pid: int
    at: float  # time.monotonic() of the kill
    waited_s: float  # until the victim was observed
    query: str = ""  # the victim's last statement
    requeued_after_s: float | None = None
    final_state: str | None = None
    retry: int | None = None
    message_ids: list = field(default_factory=list)


class Db:
    """Direct, autocommit view of the test database (PG* environment variables)."""

    def __init__(self, dbname, autocommit=True):
        self.conn = psycopg2.connect(dbname=dbname, application_name="crash-test")
        self.conn.autocommit = autocommit

    def all(self, sql, params=()):
        with self.conn.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall() if cr.description else []

    def one(self, sql, params=()):
        rows = self.all(sql, params)
        return rows[0] if rows else None

    def backend_pid(self):
        return self.conn.get_backend_pid()

    def close(self):
        self.conn.close()


class Monitor(threading.Thread):
    """Samples queue_job every 0.2 s: the longest time any job was seen in state
    started or enqueued (since its date_enqueued)."""

    def __init__(self, dbname, max_seconds=900):
        super().__init__(daemon=True)
        self.db = Db(dbname)
        self.stop_event = threading.Event()
        self.max_age = 0.0
        self.max_age_uuid = None
        self.samples = 0
        self.deadline = time.monotonic() + max_seconds

    def run(self):
        try:
            while not self.stop_event.is_set() and time.monotonic() < self.deadline:
                for job_uuid, age in self.db.all(
                        """SELECT uuid, extract(epoch FROM (now() AT TIME ZONE 'utc') - date_enqueued)
                             FROM queue_job WHERE state IN ('started', 'enqueued')"""):
                    if age is not None and float(age) > self.max_age:
                        self.max_age, self.max_age_uuid = float(age), job_uuid
                self.samples += 1
                self.stop_event.wait(0.2)
        finally:
            self.db.close()

    def stop(self):
        self.stop_event.set()
        self.join(10)


class Feed(threading.Thread):
    """A live feed: one signed single-event webhook every ``interval`` seconds."""

    def __init__(self, cycle, references, interval=0.4, max_posts=600, max_seconds=400):
        super().__init__(daemon=True)
        self.cycle, self.references, self.interval = cycle, references, interval
        self.max_posts, self.deadline = max_posts, time.monotonic() + max_seconds
        self.stop_event = threading.Event()
        self.statuses = Counter()

    def run(self):
        for n in range(self.max_posts):
            if self.stop_event.is_set() or time.monotonic() > self.deadline:
                return
            event = self.cycle.event(f"{self.cycle.tag}-feed-{n}", self.references[n % len(self.references)])
            try:
                status = self.cycle.post([event], f"{self.cycle.tag}-feed-msg-{n}")
            except requests.RequestException as exc:
                status = type(exc).__name__
            self.statuses[status] += 1
            self.stop_event.wait(self.interval)

    def stop(self):
        self.stop_event.set()
        self.join(40)


def wait_for(predicate, timeout, interval=0.2, what="condition"):
    """``conftest.wait_until``, polling every 0.2 s by default."""
    return wait_until(predicate, timeout, interval, what)


def is_worker_of(server, pid):
    """Only kill a direct child of the server process this test started."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1]) == server.proc.pid
    except (OSError, ValueError, IndexError):
        return False


def worker_threads(server):
    """{pid: thread count} of the workers of ``server`` (its direct children, but the
    gevent one): a prefork worker runs two (its loop runs in a thread of its own), one
    more while a delivery's deadline timer waits (lib/outbound.py)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or not is_worker_of(server, int(entry)):
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if b"gevent" in f.read().split(b"\0"):  # `odoo-bin gevent …`, not --gevent-port
                    continue
            found[int(entry)] = len(os.listdir(f"/proc/{entry}/task"))
        except OSError:  # gone meanwhile
            continue
    return found


def find_running_job(db, server, method, condition, params=(), timeout=60):
    """(uuid, worker pid, last statement) of a job of ``method`` in state started, executed
    by a worker of ``server`` whose PostgreSQL session matches ``condition`` (on ``a``,
    its pg_stat_activity row). The session executing a job holds the row lock of its
    queue_job_lock row: the row's xmax is that transaction's id (application names do
    not tell prefork workers apart: their connections may come from the master)."""
    sql = f"""SELECT j.uuid, j.worker_pid, left(a.query, 120) FROM queue_job j
                JOIN queue_job_lock l ON l.queue_job_id = j.id
                JOIN pg_stat_activity a ON a.datname = current_database() AND a.backend_xid = l.xmax
               WHERE j.state = 'started' AND j.method_name = %s AND {condition}
               ORDER BY j.date_started LIMIT 1"""

    def probe():
        row = db.one(sql, (method, *params))
        return row if row and is_worker_of(server, row[1]) else None

    return wait_for(probe, timeout, interval=0.1, what=f"a running {method} job")


IN_FLIGHT = "a.state = 'idle in transaction' AND a.state_change < now() - interval '0.5 seconds'"


def outbound_backend(server, receiver, company_id, **overrides):
    """The TMS backend delivering to ``receiver`` (created once per database), with the
    request deadline ``timeout_total`` of 60 s unless overridden. One job per message:
    these tests kill and cancel the ``_send`` job of a delivery (a batch job killed in the
    middle of its batch: test_reliability_outbound_batch.py)."""
    values = {"base_url": receiver.url, "allow_private_network": True, "retry_base_delay": 1,
              "retry_max_delay": 2, "max_attempts": 1000, "circuit_threshold": 100000, "rate_limit": 0,
              "timeout_total": 60, "outbound_delivery": "message", **overrides}
    backend = server.call("logistics.backend", "search", [["code", "=", "crash-tms"]])
    if backend:
        server.call("logistics.backend", "write", backend, values)
        return backend[0]
    return server.call("logistics.backend", "create", dict(
        values, name="Crash TMS", code="crash-tms", backend_type="tms", company_id=company_id))


def book_one_order(server, db, backend, tag):
    """Confirm a one-line sale order (its delivery ready: a shipment.booking message to
    ``backend``); returns the outbound message's (id, idempotency key)."""
    first_id = (db.one("SELECT max(id) FROM logistics_sync_message")[0] or 0) + 1
    product = server.call("product.product", "create", {"name": f"{tag} Parcel", "type": "consu"})
    partner = server.call("res.partner", "create", {"name": f"{tag} Customer"})
    order = server.call("sale.order", "create", {"partner_id": partner, "order_line": [
        [0, 0, {"product_id": product, "product_uom_qty": 1}]]})
    server.call("sale.order", "action_confirm", [order])
    return db.one("""SELECT id, uuid FROM logistics_sync_message
                      WHERE backend_id = %s AND direction = 'out' AND id >= %s""", [backend, first_id])


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def webhook_body(events):
    """One event as is, several under "events" (the generic adapter's batch)."""
    return json.dumps(events[0] if len(events) == 1 else {"events": events}).encode()


def post_webhook(server, code, secret, msg_id, body):
    """``body`` signed (Standard Webhooks) with ``secret`` under ``msg_id``, posted to the
    webhook of backend ``code``; returns the response."""
    ts = int(time.time())
    return requests.post(f"{server.url}/logistics/webhook/{code}", data=body, timeout=30, headers={
        "Content-Type": "application/json", "webhook-id": msg_id, "webhook-timestamp": str(ts),
        "webhook-signature": sign_standard(secret, msg_id, ts, body)})


class CrashCycle:
    """One set-up + three kills + drain; ``result()`` holds what the invariants need."""

    def __init__(self, server, receiver, tag=None, shipments=24, big_events=300, messages=8,
                 per_message=25, orders=6, feed=True, log=print):
        self.server, self.receiver = server, receiver
        self.tag = tag or f"crash{uuid.uuid4().hex[:8]}"
        self.shipments, self.big_events = shipments, big_events
        self.messages, self.per_message, self.orders = messages, per_message, orders
        self.log, self.feed = log, feed
        self.db = Db(server.db)
        self.kills = []
        self.event_ids = []  # every inbound event id posted (accepted)
        self.webhook_ids = []
        self.statuses = Counter()
        self._clock = 0
        self._lock = threading.Lock()
        self.timings = {}
        self.bodies = {}  # webhook id -> body posted, for a sender's retry

    # ------------------------------------------------------------------ helpers
    def event(self, event_id, reference, code="in_transit", pod=None):
        with self._lock:
            self._clock += 1
            at = BASE_TIME + self._clock * 60
            self.event_ids.append(event_id)
        event = {"type": "shipment.milestone", "id": event_id, "shipment": {"reference": reference},
                 "milestone": {"code": code, "occurred_at": iso(at), "location": "Crash test hub"}}
        if pod:
            event["pod"] = {"signed_by": pod, "received_at": iso(at)}
        return event

    def post(self, events, msg_id):
        body = webhook_body(events)
        response = post_webhook(self.server, "demo-tms", DEMO_SECRET, msg_id, body)
        with self._lock:
            self.bodies[msg_id] = body
            self.statuses[response.status_code] += 1
            if response.status_code == 202:
                self.webhook_ids.append(msg_id)
        return response.status_code

    def find_victim(self, method, condition, params=(), timeout=60):
        return find_running_job(self.db, self.server, method, condition, params, timeout)

    def kill(self, kind, method, condition, params=(), timeout=60):
        start = time.monotonic()
        job_uuid, pid, query = self.find_victim(method, condition, params, timeout)
        os.kill(pid, signal.SIGKILL)
        kill = Kill(kind, job_uuid, pid, time.monotonic(), time.monotonic() - start, query=" ".join(query.split()))
        records = self.db.one("SELECT records FROM queue_job WHERE uuid = %s", [job_uuid])[0] or {}
        records = json.loads(records) if isinstance(records, str) else records  # stored as a JSON string
        kill.message_ids = list(records.get("ids") or [])
        self.kills.append(kill)
        self.log(f"  killed worker {pid} running {method} ({kind}) after {kill.waited_s:.1f} s")
        return kill

    def wait_requeued(self, kill):
        """Until the dead job left state started (queue_job's requeue_dead_jobs)."""
        def requeued():
            state, pid = self.db.one("SELECT state, worker_pid FROM queue_job WHERE uuid = %s", [kill.job_uuid])
            return state != "started" or pid != kill.pid

        wait_for(requeued, RECOVERY_LIMIT + 20, what=f"re-queue of the {kill.kind} job killed in worker {kill.pid}")
        kill.requeued_after_s = time.monotonic() - kill.at
        self.log(f"  {kill.kind} job re-queued {kill.requeued_after_s:.1f} s after the kill")

    # ------------------------------------------------------------------ set-up
    def setup(self):
        s = self.server
        started = time.monotonic()
        self.receiver.mode, self.receiver.delay = "down", 0
        self.first_out_id = (self.db.one("SELECT max(id) FROM logistics_sync_message")[0] or 0) + 1
        uid = s.login()["uid"]
        company_id = s.call("res.users", "read", [uid], ["company_id"])[0]["company_id"][0]
        s.call("res.company", "write", [company_id], {
            "logistics_auto_release": True, "logistics_release_user_id": uid,
            "logistics_release_require_done": True})
        # Events are dated from BASE_TIME on, years ahead: no future limit for demo-tms.
        s.call("logistics.backend", "write", s.call("logistics.backend", "search", [["code", "=", "demo-tms"]]),
               {"event_future_hours": 0})
        # Inbound: shipment set A for the batch killed mid-transaction (the first one is
        # the row the test holds locked), set B for the live feed and the other messages.
        names = [f"{self.tag.upper()}-{i:03d}" for i in range(self.shipments)]
        ids = s.call("logistics.shipment", "create", [{"name": n} for n in names])
        half = self.shipments // 2
        self.set_a, self.set_b = names[:half], names[half:]
        self.lock_shipment_id = min(ids[:half])
        # Invoice release on POD.
        partner = s.call("res.partner", "create", {"name": f"{self.tag} POD Customer",
                                                   "logistics_invoice_policy": "on_pod"})
        product = s.call("product.product", "create", {"name": f"{self.tag} Widget", "type": "consu",
                                                       "invoice_policy": "delivery", "list_price": 50})
        self.pod_order = s.call("sale.order", "create", {
            "partner_id": partner, "order_line": [[0, 0, {"product_id": product, "product_uom_qty": 3}]]})
        s.call("sale.order", "action_confirm", [self.pod_order])
        self.pod_order_name = s.call("sale.order", "read", [self.pod_order], ["name"])[0]["name"]
        picking = s.call("sale.order", "read", [self.pod_order], ["picking_ids"])[0]["picking_ids"][0]
        self._validate(picking, 3)
        shipment = s.call("stock.picking", "read", [picking], ["logistics_shipment_id"])[0]["logistics_shipment_id"]
        assert shipment, "the confirmed delivery has a shipment"
        self.pod_shipment_id, self.pod_reference = shipment
        # Outbound: a TMS backend at the fake receiver, down while the messages are queued.
        self.backend_id = outbound_backend(s, self.receiver, company_id)
        product_out = s.call("product.product", "create", {"name": f"{self.tag} Parcel", "type": "consu"})
        customer = s.call("res.partner", "create", {"name": f"{self.tag} Customer"})
        pickings = []
        for _i in range(self.orders):
            order = s.call("sale.order", "create", {"partner_id": customer, "order_line": [
                [0, 0, {"product_id": product_out, "product_uom_qty": 1}]]})
            s.call("sale.order", "action_confirm", [order])
            pickings += s.call("sale.order", "read", [order], ["picking_ids"])[0]["picking_ids"]
        for picking in pickings:  # ready (booking) then done (update): 2 messages per shipment
            self._validate(picking, 1)
        self.timings["setup_s"] = time.monotonic() - started

    def _validate(self, picking, quantity):
        moves = self.server.call("stock.picking", "read", [picking], ["move_ids"])[0]["move_ids"]
        self.server.call("stock.move", "write", moves, {"quantity": quantity, "picked": True})
        self.server.call("stock.picking", "button_validate", [picking])

    def outbound_messages(self):
        return self.db.all("""SELECT id, uuid, state, ordering_key, event_type FROM logistics_sync_message
                               WHERE backend_id = %s AND direction = 'out' AND id >= %s ORDER BY id""",
                           [self.backend_id, self.first_out_id])

    # ------------------------------------------------------------------ the kills
    def kill_outbound(self):
        """A delivery in flight: the receiver holds the request for 3 s."""
        self.receiver.delay, self.receiver.mode = 3.0, "ok"
        kill = self.kill("outbound", "_send", IN_FLIGHT, timeout=60)
        self.receiver.delay = 0.3  # still slow: deliveries keep going on while the rest happens
        self.wait_requeued(kill)

    def kill_inbox_job_waiting_for(self, shipment_id, events, msg_id):
        """Post ``events`` while the test holds ``shipment_id`` locked, kill the inbox job
        once its transaction waits for that lock, then release it; returns the Kill."""
        def post():
            assert self.post(events, msg_id) == 202

        return self.kill_inbox_job_locked_out(shipment_id, post)

    def kill_inbox_job_locked_out(self, shipment_id, trigger, kind="inbound"):
        """Hold ``shipment_id`` locked, call ``trigger()`` (which makes an inbox job run),
        kill the inbox job once its transaction waits for that lock, then release it;
        returns the Kill."""
        holder = Db(self.server.db, autocommit=False)
        try:
            holder.all("SELECT id FROM logistics_shipment WHERE id = %s FOR UPDATE", [shipment_id])
            trigger()
            return self.kill(kind, "_process_inbox",
                             "a.wait_event_type = 'Lock' AND %s = ANY(pg_blocking_pids(a.pid))",
                             [holder.backend_pid()])
        finally:
            holder.conn.rollback()
            holder.close()

    def kill_inbound(self):
        """A batch of events killed while its transaction waits for a locked shipment."""
        events = [self.event(f"{self.tag}-big-{i}", self.set_a[i % len(self.set_a)])
                  for i in range(self.big_events)]
        kill = self.kill_inbox_job_waiting_for(self.lock_shipment_id, events, f"{self.tag}-big")
        # The rest of the inbound backlog arrives meanwhile, one message replayed.
        for m in range(self.messages):
            events = [self.event(f"{self.tag}-msg{m}-{i}", self.set_b[(m + i) % len(self.set_b)])
                      for i in range(self.per_message)]
            assert self.post(events, f"{self.tag}-msg{m}") == 202
        self.replay_status = self._replay(f"{self.tag}-msg0")
        self.wait_requeued(kill)

    def _replay(self, msg_id):
        """The same delivery again (a sender retry): acknowledged as a duplicate (the same
        id with another body would be a 409 conflict)."""
        return post_webhook(self.server, "demo-tms", DEMO_SECRET, msg_id, self.bodies[msg_id]).status_code

    def kill_release(self):
        """The invoice release job killed after it created and posted the invoice, just
        before it records the release: the test holds the sale order lines (the job waits
        there, before the invoice), then the POD milestone row (that the release row
        references) and lets the job go on to it."""
        lines, milestone = Db(self.server.db, autocommit=False), Db(self.server.db, autocommit=False)
        try:
            lines.all("SELECT id FROM sale_order_line WHERE order_id = %s FOR UPDATE", [self.pod_order])
            pod = self.event(f"{self.tag}-pod", self.pod_reference, code="delivered", pod="Crash Receiver")
            assert self.post([pod], f"{self.tag}-pod") == 202
            wait_for(lambda: self.db.one(
                """SELECT 1 FROM queue_job j, pg_stat_activity a
                    WHERE j.state = 'started' AND j.method_name = '_logistics_release_job'
                      AND %s = ANY(pg_blocking_pids(a.pid))""", [lines.backend_pid()]),
                60, interval=0.1, what="the release job waiting for the sale order lines")
            milestone.all("""SELECT id FROM logistics_shipment_milestone
                              WHERE external_event_id = %s FOR UPDATE""", [f"{self.tag}-pod"])
            lines.conn.rollback()
            kill = self.kill("release", "_logistics_release_job",
                             "a.wait_event_type = 'Lock' AND %s = ANY(pg_blocking_pids(a.pid))",
                             [milestone.backend_pid()])
        finally:
            for holder in (lines, milestone):
                holder.conn.rollback()
                holder.close()
        self.wait_requeued(kill)

    # ------------------------------------------------------------------ drain
    def drain(self, timeout=150):
        def finished():
            inbound = self.db.one("""SELECT count(*) FILTER (WHERE state = 'pending'), count(*)
                                       FROM logistics_sync_message
                                      WHERE direction = 'in' AND event_id = ANY(%s)""", [self.webhook_ids])
            outbound = [m for m in self.outbound_messages() if m[2] != "sent"]
            released = self.db.one("SELECT count(*) FROM logistics_invoice_release WHERE shipment_id = %s",
                                   [self.pod_shipment_id])[0]
            busy = self.db.one("""SELECT count(*) FROM queue_job
                                   WHERE state IN ('pending', 'enqueued', 'started')""")[0]
            return inbound[0] == 0 and inbound[1] == len(self.webhook_ids) and not outbound and released and not busy

        wait_for(finished, timeout, interval=0.5, what="inbox processed, outbox sent, invoice released, queue idle")

    def settle(self, timeout=60):
        """Until nothing more happens: no job left in a live state, and the number of
        jobs, of requests the receiver got and of invoice releases the same on two
        polls in a row (a second release or delivery, if any, would have shown up)."""
        def snapshot():
            live, jobs = self.db.one("""SELECT count(*) FILTER (WHERE state = ANY(%s)), count(*)
                                          FROM queue_job""", [list(LIVE_JOB_STATES)])
            if live:
                return None
            releases = self.db.one("SELECT count(*) FROM logistics_invoice_release WHERE shipment_id = %s",
                                   [self.pod_shipment_id])[0]
            with self.receiver.lock:
                requests_received = len(self.receiver.calls)
            return jobs, requests_received, releases

        wait_for(unchanged(snapshot), timeout, interval=0.5,
                 what="no live job, no new job, request or invoice release")

    def run(self):
        """Set up, kill three times, drain; returns the result dict."""
        started = time.monotonic()
        monitor = None
        try:
            self.setup()
            monitor, feed = Monitor(self.server.db), Feed(self, self.set_b)
            monitor.start()
            if self.feed:
                feed.start()
            try:
                self.kill_outbound()
                self.kill_inbound()
                self.kill_release()
            finally:
                if self.feed:
                    feed.stop()
            self.drain()
            self.settle()
            monitor.stop()
            for kill in self.kills:
                kill.final_state, kill.retry = self.db.one(
                    "SELECT state, retry FROM queue_job WHERE uuid = %s", [kill.job_uuid])
            self.timings["cycle_s"] = time.monotonic() - started
            return self.result(monitor, feed)
        finally:
            if monitor:
                monitor.stop()  # closes its connection: the database can be dropped
            self.db.close()

    def result(self, monitor, feed):
        db = self.db
        milestones = dict(db.all("""SELECT external_event_id, count(*) FROM logistics_shipment_milestone
                                     WHERE source = 'demo-tms' AND external_event_id = ANY(%s)
                                     GROUP BY external_event_id""", [self.event_ids]))
        duplicates = db.one("""SELECT count(*) FROM logistics_shipment_milestone_duplicate
                                WHERE external_event_id = ANY(%s)""", [self.event_ids])[0]
        inbound_states = dict(db.all("""SELECT state, count(*) FROM logistics_sync_message
                                         WHERE direction = 'in' AND event_id = ANY(%s) GROUP BY state""",
                                     [self.webhook_ids]))
        outbound = self.outbound_messages()
        keys = {m[1] for m in outbound}
        with self.receiver.lock:
            calls = [(key, status, json.loads(body)) for key, status, body in self.receiver.calls]
        calls = [call for call in calls if call[2].get("id") in keys]
        invoices = db.all("""SELECT id, state FROM account_move
                              WHERE invoice_origin = %s AND move_type = 'out_invoice'""", [self.pod_order_name])
        releases = db.all("SELECT trigger, invoice_id FROM logistics_invoice_release WHERE shipment_id = %s",
                          [self.pod_shipment_id])
        jobs = dict(db.all("SELECT state, count(*) FROM queue_job GROUP BY state"))
        log = self.server.log.read_text(errors="replace") if self.server.log.exists() else ""
        return {
            "tag": self.tag,
            "event_ids": list(self.event_ids), "milestones": milestones, "duplicate_reports": duplicates,
            "inbound_states": inbound_states, "webhook_statuses": dict(self.statuses),
            "feed": self.feed, "feed_statuses": dict(feed.statuses), "replay_status": self.replay_status,
            "outbound": outbound, "calls": calls,
            "invoices": invoices, "releases": releases, "jobs": jobs,
            "kills": self.kills,
            "requeued_in_log": {k.job_uuid: f"Re-queued dead job with uuid: {k.job_uuid}" in log for k in self.kills},
            "max_job_age_s": monitor.max_age, "monitor_samples": monitor.samples,
            "timings": dict(self.timings),
        }


class PausedBacklogCrash:
    """kill -9 of the inbox job working through a backlog that a paused backend stored
    and that Resume set going (issue 14, items 5, 4 and 6 under a crash).

    A backend of its own (its inbox jobs: root.logistics.inbound, capacity 1), paused
    (Pause), receives ``batches`` signed batches of ``per_batch`` events (202 each), the
    first batch's id again with another body (409, twice: the sender retries it), a
    byte-identical replay (200) and three messages dated implausibly (before 2000, two
    days ahead, 400 days before the shipment was created). Nothing is processed until
    Resume. Each job takes ``batch_limit`` messages (logistics_sync_connector.inbox_batch,
    restored afterwards): the first job's batches touch shipment set A and commit, the
    next job's batches touch set B, whose first row the test holds locked: that job is
    killed while waiting for it, with part of the backlog done and part not.
    """

    def __init__(self, server, batches=8, per_batch=15, batch_limit=4, log=print):
        assert batches > batch_limit
        self.server, self.log = server, log
        self.batches, self.per_batch, self.batch_limit = batches, per_batch, batch_limit
        self.cycle = CrashCycle(server, receiver=None, tag=f"pause{uuid.uuid4().hex[:6]}", feed=False, log=log)
        self.tag, self.db = self.cycle.tag, self.cycle.db
        self.code = f"crash-{self.tag}"
        self.secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
        self.statuses = {}  # what kind of delivery -> [HTTP statuses]
        self.accepted, self.conflicting, self.implausible = [], [], {}  # event ids
        self.bodies = {}  # webhook id -> body accepted (202)
        self.timings = {}

    def post(self, kind, msg_id, body):
        status = post_webhook(self.server, self.code, self.secret, msg_id, body).status_code
        self.statuses.setdefault(kind, []).append(status)
        if status == 202:
            self.bodies[msg_id] = body
        return status

    def event(self, event_id, reference, at):
        return {"type": "shipment.milestone", "id": event_id, "shipment": {"reference": reference},
                "milestone": {"code": "in_transit", "occurred_at": iso(at), "location": "Paused hub"}}

    def setup(self):
        s = self.server
        uid = s.login()["uid"]
        company = s.call("res.users", "read", [uid], ["company_id"])[0]["company_id"][0]
        integration = s.call("res.users", "search", [["login", "=", "demo-integration"]])[0]
        codes = s.call("logistics.milestone.code", "search", [])
        self.backend_id = s.call("logistics.backend", "create", {
            "name": f"Crash paused {self.tag}", "code": self.code, "backend_type": "tms", "adapter": "generic",
            "company_id": company, "integration_user_id": integration, "shipment_scope": "company",
            "allowed_milestone_code_ids": [[6, 0, codes]]}, context={"logistics_new_secret": False})
        s.call("logistics.backend.secret", "create", {"backend_id": self.backend_id, "secret": self.secret})
        self.batch_param = s.call("ir.config_parameter", "get_param", "logistics_sync_connector.inbox_batch")
        s.call("ir.config_parameter", "set_param", "logistics_sync_connector.inbox_batch", str(self.batch_limit))
        names = [f"{self.tag.upper()}-{i:03d}" for i in range(6)]
        ids = s.call("logistics.shipment", "create", [{"name": n} for n in names])
        self.set_a, self.set_b = names[:3], names[3:]
        self.lock_shipment_id = ids[3]  # set B's first shipment: in every batch of the second job

    def fill_while_paused(self):
        s, now = self.server, int(time.time())
        s.call("logistics.backend", "action_pause", [self.backend_id])
        for b in range(self.batches):
            references = self.set_a if b < self.batch_limit else self.set_b
            events = [self.event(f"{self.tag}-b{b}-{i}", references[i % len(references)],
                                 now - 7200 + b * 100 + i) for i in range(self.per_batch)]
            self.accepted += [e["id"] for e in events]
            assert self.post("batch", f"{self.tag}-b{b}", webhook_body(events)) == 202
        # The first batch's id with another body: refused (409), kept on an audit row.
        events = [self.event(f"{self.tag}-conflict-{i}", self.set_b[0], now - 600 + i) for i in range(3)]
        self.conflicting = [e["id"] for e in events]
        self.conflict_id, self.conflict_body = f"{self.tag}-b0", webhook_body(events)
        for _retry in range(2):
            self.post("conflict", self.conflict_id, self.conflict_body)
        self.post("replay", f"{self.tag}-b1", self.bodies[f"{self.tag}-b1"])
        # Authentic, stored (202), never applied: dated by a sender's broken clock.
        for kind, at in (("before 2000", 946598400),  # 1999-12-31
                         ("in the future", now + 2 * 86400),
                         ("too old", now - 400 * 86400)):
            event_id = f"{self.tag}-odd-{kind.replace(' ', '-')}"
            self.implausible[event_id] = kind
            assert self.post("implausible", event_id, webhook_body([self.event(event_id, self.set_a[0], at)])) == 202
        # Paused: stored, acknowledged, nothing processed and no job made.
        self.while_paused = {
            "states": dict(self.db.all("""SELECT state, count(*) FROM logistics_sync_message
                                           WHERE backend_id = %s GROUP BY state""", [self.backend_id])),
            "inbox_jobs": self.db.one("SELECT count(*) FROM queue_job WHERE identity_key = %s",
                                      [jobs_inbox_key(self.backend_id)])[0],
        }

    def resume_and_kill(self):
        def resume():
            self.server.call("logistics.backend", "action_resume", [self.backend_id])

        kill = self.cycle.kill_inbox_job_locked_out(self.lock_shipment_id, resume, kind="resumed inbox")
        self.at_kill = dict(self.db.all("""SELECT event_id, state FROM logistics_sync_message
                                            WHERE backend_id = %s""", [self.backend_id]))
        self.cycle.wait_requeued(kill)
        return kill

    def drain(self, timeout=90):
        def snapshot():
            pending, live = self.db.one(
                """SELECT (SELECT count(*) FROM logistics_sync_message WHERE backend_id = %s AND state = 'pending'),
                          (SELECT count(*) FROM queue_job WHERE state = ANY(%s))""",
                [self.backend_id, list(LIVE_JOB_STATES)])
            if pending or live:
                return None
            return self.db.one("""SELECT count(*) FROM logistics_shipment_milestone WHERE source = %s""",
                               [self.code]), self.db.one("SELECT count(*) FROM queue_job")

        wait_for(unchanged(snapshot), timeout, interval=0.5,
                 what=f"the backlog of {self.code} processed, no live job, nothing new")

    def run(self):
        started = time.monotonic()
        try:
            self.setup()
            try:
                self.fill_while_paused()
                kill = self.resume_and_kill()
                self.drain()
            finally:
                self.server.call("ir.config_parameter", "set_param", "logistics_sync_connector.inbox_batch",
                                 self.batch_param or False)
            kill.final_state, kill.retry = self.db.one("SELECT state, retry FROM queue_job WHERE uuid = %s",
                                                       [kill.job_uuid])
            self.timings["run_s"] = time.monotonic() - started
            return self.result(kill)
        finally:
            self.db.close()

    def result(self, kill):
        db = self.db
        every = self.accepted + self.conflicting + list(self.implausible)
        log = self.server.log.read_text(errors="replace") if self.server.log.exists() else ""
        return {
            "tag": self.tag, "code": self.code, "batches": self.batches, "batch_limit": self.batch_limit,
            "statuses": self.statuses, "while_paused": self.while_paused, "at_kill": self.at_kill,
            "accepted": self.accepted, "conflicting": self.conflicting, "implausible": self.implausible,
            "conflict_id": self.conflict_id, "conflict_body": self.conflict_body.decode(),
            "original_body": self.bodies[self.conflict_id].decode(),
            "milestones": dict(db.all("""SELECT external_event_id, count(*) FROM logistics_shipment_milestone
                                          WHERE source = %s AND external_event_id = ANY(%s)
                                          GROUP BY external_event_id""", [self.code, every])),
            "duplicate_reports": db.one("""SELECT count(*) FROM logistics_shipment_milestone_duplicate
                                            WHERE external_event_id = ANY(%s)""", [every])[0],
            "messages": {event_id: (state, error, payload) for event_id, state, error, payload in db.all(
                """SELECT event_id, state, error, payload FROM logistics_sync_message
                    WHERE backend_id = %s""", [self.backend_id])},
            "conflict_rows": db.all("""SELECT a.payload, a.payload_hash, m.event_id FROM logistics_webhook_audit a
                                         LEFT JOIN logistics_sync_message m ON m.id = a.message_id
                                        WHERE a.backend_id = %s AND a.reason = 'conflict'""", [self.backend_id]),
            "inbox_jobs": dict(db.all("""SELECT state, count(*) FROM queue_job WHERE identity_key = %s
                                          GROUP BY state""", [jobs_inbox_key(self.backend_id)])),
            "failed_jobs": db.one("SELECT count(*) FROM queue_job WHERE state = 'failed'")[0],
            "kill": kill, "requeued_in_log": f"Re-queued dead job with uuid: {kill.job_uuid}" in log,
            "timings": dict(self.timings),
        }


def jobs_inbox_key(backend_id):
    """Identity key of a backend's inbox job (logistics_sync/tools/jobs.py)."""
    return f"logistics-inbox-{backend_id}"


def check_paused_backlog(r):
    """Nothing lost, nothing applied twice, nothing refused applied; raises AssertionError."""
    # Paused: every delivery verified and answered, stored pending, no job until Resume.
    assert r["statuses"] == {"batch": [202] * r["batches"], "conflict": [409, 409], "replay": [200],
                             "implausible": [202] * 3}, r["statuses"]
    assert r["while_paused"] == {"states": {"pending": r["batches"] + 3}, "inbox_jobs": 0}, r["while_paused"]
    # Killed in the middle of the backlog: the first job's batches done, the rest waiting.
    first = {f"{r['tag']}-b{b}" for b in range(r["batch_limit"])}
    states_at_kill = r["at_kill"]
    assert {e: st for e, st in states_at_kill.items() if e in first} == dict.fromkeys(first, "done"), states_at_kill
    assert {st for e, st in states_at_kill.items() if e not in first} == {"pending"}, states_at_kill
    kill = r["kill"]
    assert r["requeued_in_log"], "the runner found the inbox job dead and re-queued it"
    assert kill.requeued_after_s < RECOVERY_LIMIT and kill.final_state == "done", kill
    # Every accepted event applied exactly once; refused ones never.
    missing = [e for e in r["accepted"] if e not in r["milestones"]]
    assert not missing, f"{len(missing)} event(s) lost, e.g. {missing[:5]}"
    twice = {e: n for e, n in r["milestones"].items() if n != 1}
    assert not twice, twice
    assert r["duplicate_reports"] == 0, "an event was applied twice (duplicate milestone reports)"
    applied_wrongly = [e for e in r["conflicting"] + list(r["implausible"]) if e in r["milestones"]]
    assert not applied_wrongly, f"applied, but refused (409) or implausible: {applied_wrongly}"
    # The 409's body kept exactly once, on a conflict row of the message it collided with.
    assert r["conflict_rows"] == [(r["conflict_body"], hashlib.sha256(r["conflict_body"].encode()).hexdigest(),
                                   r["conflict_id"])], r["conflict_rows"]
    # Messages: the batches done (the first one with its own body), the odd ones invalid.
    messages = r["messages"]
    assert messages[r["conflict_id"]][2] == r["original_body"]
    states = {e: st for e, (st, _err, _payload) in messages.items()}
    batches = {e: st for e, st in states.items() if e not in r["implausible"]}
    assert set(batches.values()) == {"done"} and len(batches) == r["batches"], batches
    for event_id, kind in r["implausible"].items():
        state, error, _payload = messages[event_id]
        assert state == "invalid" and "event time" in (error or ""), (kind, state, error)
    # Nothing left to run, nothing failed.
    assert set(r["inbox_jobs"]) == {"done"}, r["inbox_jobs"]
    assert r["failed_jobs"] == 0, r["failed_jobs"]


def check_invariants(r):
    """Nothing lost, nothing applied twice, nothing stuck; raises AssertionError."""
    kinds = sorted(k.kind for k in r["kills"])
    assert kinds == ["inbound", "outbound", "release"], kinds
    for kill in r["kills"]:
        assert r["requeued_in_log"][kill.job_uuid], f"the runner found the {kill.kind} job dead and re-queued it"
        assert kill.requeued_after_s < RECOVERY_LIMIT, (kill.kind, kill.requeued_after_s)
    # Nothing stuck: no job was seen started/enqueued for longer than the limit; none left.
    assert r["max_job_age_s"] < RECOVERY_LIMIT, r["max_job_age_s"]
    assert r["monitor_samples"] > 20
    assert not {s: n for s, n in r["jobs"].items() if s in ("started", "enqueued", "pending", "failed")}, r["jobs"]
    # Inbound: every accepted event is exactly one milestone, no duplicate report.
    assert set(r["webhook_statuses"]) == {202}, r["webhook_statuses"]
    assert r["replay_status"] == 200
    if r["feed"]:
        assert r["feed_statuses"] and set(r["feed_statuses"]) == {202}, r["feed_statuses"]
    assert len(r["event_ids"]) >= 300
    missing = [e for e in r["event_ids"] if e not in r["milestones"]]
    assert not missing, f"{len(missing)} event(s) lost, e.g. {missing[:5]}"
    twice = {e: n for e, n in r["milestones"].items() if n != 1}
    assert not twice, twice
    assert r["duplicate_reports"] == 0, "an event was applied twice (duplicate milestone reports)"
    assert set(r["inbound_states"]) == {"done"}, r["inbound_states"]
    # Outbound: every message sent; applied once in effect at the receiver. Requests are
    # matched to messages by the payload's own id (rendered once, when the message was
    # queued), independently of the Idempotency-Key header they carry.
    outbound = r["outbound"]
    assert outbound and all(m[2] == "sent" for m in outbound), [m for m in outbound if m[2] != "sent"]
    by_uuid = {m[1]: m for m in outbound}
    accepted = {}  # message uuid -> [(Idempotency-Key, body)] of the requests answered 2xx
    for key, status, body in r["calls"]:
        if status == 200:
            accepted.setdefault(body.get("id"), []).append((key, body))
    assert set(accepted) == set(by_uuid), "every message reached the receiver and was accepted"
    killed = Counter(mid for k in r["kills"] if k.kind == "outbound" for mid in k.message_ids)
    for message_uuid, requests_ok in accepted.items():
        keys = {key for key, _body in requests_ok}
        bodies = {json.dumps(body, sort_keys=True) for _key, body in requests_ok}
        # A receiver deduplicating on Idempotency-Key applies each message once: every
        # accepted request of a message carries the same key and the same body.
        assert keys == {message_uuid}, f"message {message_uuid} accepted under keys {keys}: applied {len(keys)} times"
        assert len(bodies) == 1, f"message {message_uuid}: same key, different payloads"
        # More than one 2xx only when the job that sent it was killed before recording it.
        assert len(requests_ok) <= 1 + killed[by_uuid[message_uuid][0]], (message_uuid, len(requests_ok))
    victim = next(k for k in r["kills"] if k.kind == "outbound")
    victim_uuids = [m[1] for m in outbound if m[0] in victim.message_ids]
    assert victim_uuids and len(accepted[victim_uuids[0]]) == 2, (
        "the killed delivery had reached the receiver and was sent again under the same key")
    # In order per shipment, by the first acceptance of each message.
    first, seen = [], set()
    for _key, status, body in r["calls"]:
        if status == 200 and body.get("id") not in seen:
            seen.add(body.get("id"))
            first.append(body)
    order = {}
    for body in first:
        order.setdefault(by_uuid[body["id"]][3], []).append(body["type"])
    assert all(types == ["shipment.booking", "shipment.update"] for types in order.values()), order
    # Invoice: released once.
    assert len(r["invoices"]) == 1 and r["invoices"][0][1] == "posted", r["invoices"]
    assert len(r["releases"]) == 1 and r["releases"][0] == ("auto", r["invoices"][0][0]), r["releases"]
