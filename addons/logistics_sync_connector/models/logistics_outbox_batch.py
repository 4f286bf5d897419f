# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Batched delivery: one job per backend sends its due outbound messages over kept-alive
connections, as the inbox applies inbound ones (the per-message job stays the default)."""

import json
import logging
import math
import time
import uuid
from collections import deque
from datetime import datetime, timedelta, timezone

import psycopg2.errors

from odoo import api, fields, models
from odoo.addons.logistics_sync.tools import jobs
from odoo.addons.logistics_sync.tools.bulk import update_rows
from odoo.addons.queue_job.exception import RetryableJobError

from ..lib import outbound as lib_outbound

_logger = logging.getLogger(__name__)

# Advisory lock namespace: (OUTBOX_LOCK, backend id) while a backend's outbox job runs.
OUTBOX_LOCK = 0x4C54
BATCH_MESSAGES = 2000  # messages one job takes at most; it chains the next one
BATCH_SECONDS = 20.0  # a job starts no request after this: it chains the next one
ARRAY_SIZE = 200  # messages per request of a flow that accepts arrays
RATE_SLEEP = 2.0  # the longest wait for the rate limit inside a job; longer: chain with an eta
LOCKED_RETRY = 5  # seconds: only messages locked by another delivery left


class _Pace:
    """The rate limit inside a batch, as ``_rate_limit_wait`` counts it (messages sent
    in the last minute) and spread: after a request of n messages the next one waits
    n/limit of a minute."""

    def __init__(self, limit, recent):
        self.limit, self.times, self.next_at = limit, deque(sorted(recent)), 0.0

    def wait(self, count, now):
        if not self.limit:
            return 0.0
        while self.times and self.times[0] <= now - 60:
            self.times.popleft()
        over = len(self.times) + min(count, self.limit) - self.limit
        window = self.times[over - 1] + 60 - now if over > 0 else 0.0
        return max(0.0, window, self.next_at - now)

    def sent(self, count, now):
        if self.limit:
            self.times.extend([now] * count)
            self.next_at = now + count * 60.0 / self.limit


class LogisticsOutbox(models.AbstractModel):
    _inherit = "logistics.outbox"

    # ------------------------------------------------------------------ jobs
    @api.model
    def _enqueue_send(self, messages, eta=None):
        """Messages of a backend delivering in batches wake its outbox job instead."""
        batched = messages.filtered(lambda m: m.backend_id.outbound_delivery == "batch")
        res = super()._enqueue_send(messages - batched, eta=eta)
        for backend in batched.backend_id:
            user = backend.integration_user_id
            self.with_user(user)._enqueue_outbox(backend.with_user(user), eta=eta)
        return res

    @api.model
    def _enqueue_for(self, backend):
        if backend.outbound_delivery != "batch":
            return super()._enqueue_for(backend)
        user = backend.integration_user_id
        return self.with_user(user)._enqueue_outbox(backend.with_user(user))

    @api.model
    def _requeue(self):
        """Safety net: also an outbox job for each backend delivering in batches that has
        due messages (an array waiting for its retry included)."""
        res = super()._requeue()
        for backend in self.env["logistics.backend"].search([
                ("outbound_delivery", "=", "batch"), ("paused", "=", False)]):
            if self.with_user(backend.integration_user_id)._due_rows(backend, 1):
                user = backend.integration_user_id
                with jobs.enqueuing_of(self.env, _logger, f"outbox of backend {backend.code}"):
                    self.with_user(user)._enqueue_outbox(backend.with_user(user))
        return res

    @api.model
    def _enqueue_outbox(self, backend, eta=None):
        """Make sure the backend's outbox job waits, due by ``eta`` (None: now): a job
        postponed further (a retry, the rate limit, an open circuit) is brought forward
        once this transaction commits."""
        key = jobs.outbox_key(backend.id)
        waiting, waiting_eta = jobs.waiting_eta(self.env, key)
        if not waiting:
            return self._delay_outbox(backend, eta)
        if isinstance(eta, int | float):
            eta = fields.Datetime.now() + timedelta(seconds=eta)
        if waiting_eta and (eta is None or waiting_eta > eta):
            registry = self.env.registry
            self.env.cr.postcommit.add(lambda: jobs.hurry(registry, key, eta))

    @api.model
    def _delay_outbox(self, backend, eta=None):
        """The outbox job itself (``eta``: a datetime, or seconds from now)."""
        jobs.delay_backend(backend.with_user(backend.integration_user_id), "out",
                           jobs.outbox_key(backend.id),
                           f"Send outbound messages of {backend.code}", eta)._send_outbox()

    # ------------------------------------------------------------------ the job
    @api.model
    def _send_due(self, backend):
        """Send a bounded batch of the backend's due messages, then chain the next job
        (the body of the job ``logistics.backend._send_outbox``).

        Each delivery is locked, sent, recorded and committed in a transaction of its own
        (a cursor of the job's): a worker killed in the middle loses the record of the one
        request in flight only, which queue_job's re-run sends again under the same key;
        committing the job's own transaction instead would release its queue_job lock and
        let the runner start it a second time. One job at a time per backend."""
        backend.ensure_one()
        if backend.paused:
            return self.env._("Backend paused: messages stay queued.")
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [OUTBOX_LOCK, backend.id])
        if not self.env.cr.fetchone()[0]:
            raise RetryableJobError(self.env._("Another job is sending this outbox."),
                                    seconds=1, ignore_retry=True)
        self.env.flush_all()
        job_uuid = self.env.context.get("job_uuid")
        with lib_outbound.Client() as client, self.env.registry.cursor() as cr:
            work = self.with_env(self.env(cr=cr))
            stats, eta = work._deliver(backend.with_env(work.env), client, job_uuid)
        if eta is not False:
            self._chain_outbox(backend, eta)
        return self.env._("%(sent)s sent, %(retry)s to retry, %(failed)s failed in %(requests)s "
                          "request(s); %(held)s held.", **stats)

    @api.model
    def _chain_outbox(self, backend, eta):
        """The next job, due by ``eta`` (None: now); once this job's transaction commits, a
        job that waits already is brought forward to that (see logistics.inbox._chain)."""
        self._delay_outbox(backend, eta)
        if isinstance(eta, int | float):
            eta = datetime.now() + timedelta(seconds=eta)
        registry, key = self.env.registry, jobs.outbox_key(backend.id)
        self.env.cr.postcommit.add(lambda: jobs.hurry(registry, key, eta))

    @api.model
    def _flow_sets(self, backend):
        """(flows sent by the batch cron, flows whose receiver accepts arrays)."""
        flows = backend.flow_ids.filtered("enabled")
        return ([f.flow for f in flows if f.mode == "batch"],
                {f.flow for f in flows if f.mode == "realtime" and f.accepts_arrays})

    @api.model
    def _due_rows(self, backend, limit):
        """(id, ordering key, flow, batch key) of the oldest due messages of the backend
        that no earlier message of their ordering key holds back (one pending and not
        due, or sent by the batch cron): a shipment retrying holds back its own later
        messages only, and never fills a batch with messages that cannot go."""
        batch_flows = self._flow_sets(backend)[0]
        self.env["logistics.sync.message"].flush_model()
        now = fields.Datetime.now()
        # The first holding message of each key, computed once: a correlated NOT EXISTS
        # per due message is planned as a scan per message on a table just filled.
        self.env.cr.execute(
            """WITH holding AS MATERIALIZED (
                   SELECT ordering_key, min(id) AS first_id FROM logistics_sync_message
                    WHERE backend_id = %(backend)s AND direction = 'out' AND state = 'pending'
                      AND ordering_key IS NOT NULL
                      AND (next_attempt_at > %(now)s OR coalesce(flow, '') = ANY(%(batch_flows)s::varchar[]))
                    GROUP BY ordering_key)
               SELECT m.id, m.ordering_key, m.flow, m.batch_key FROM logistics_sync_message m
                 LEFT JOIN holding h ON h.ordering_key = m.ordering_key
                WHERE m.backend_id = %(backend)s AND m.direction = 'out' AND m.state = 'pending'
                  AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= %(now)s)
                  AND NOT coalesce(m.flow, '') = ANY(%(batch_flows)s::varchar[])
                  AND (h.first_id IS NULL OR h.first_id > m.id)
                ORDER BY m.id LIMIT %(limit)s""",
            {"backend": backend.id, "now": now, "batch_flows": batch_flows, "limit": limit},
        )
        return self.env.cr.fetchall()

    @api.model
    def _plan(self, backend, rows):
        """The requests of a batch, in order: [(ids, array, batch key)]. Messages of a
        flow that accepts arrays share a request (at most ARRAY_SIZE, and no more than
        the rate limit allows); an array that failed is sent again whole, under its key.
        A request goes before any later message of one of its ordering keys."""
        arrays = self._flow_sets(backend)[1]
        size = min(ARRAY_SIZE, backend.rate_limit or ARRAY_SIZE)
        claimed = {row[0] for row in rows}
        plan, open_groups, key_group, held, seen_keys = [], {}, {}, set(), set()

        def close(flow):
            ids = open_groups.pop(flow)
            for k in [k for k, f in key_group.items() if f == flow]:
                del key_group[k]
            plan.append((ids, True, None))

        for message_id, ordering_key, flow, batch_key in rows:
            if ordering_key and ordering_key in held:
                continue
            if batch_key:
                if batch_key in seen_keys:
                    continue
                seen_keys.add(batch_key)
                members = self._array_members(batch_key)
                if set(members) <= claimed:
                    plan.append((list(members), True, batch_key))
                else:  # part of it is held back: all of it waits
                    held.update(k for _i, k in members.values() if k)
                continue
            if ordering_key in key_group and key_group[ordering_key] != flow:
                close(key_group[ordering_key])
            if flow in arrays:
                open_groups.setdefault(flow, []).append(message_id)
                if ordering_key:
                    key_group[ordering_key] = flow
                if len(open_groups[flow]) >= size:
                    close(flow)
            else:
                plan.append(([message_id], False, None))
        for flow in sorted(open_groups, key=lambda f: open_groups[f][0]):
            close(flow)
        return plan

    @api.model
    def _array_members(self, batch_key):
        """{id: (id, ordering key)} of the pending messages of an array sent before."""
        self.env.cr.execute(
            """SELECT id, ordering_key FROM logistics_sync_message
                WHERE batch_key = %s AND direction = 'out' AND state = 'pending' ORDER BY id""",
            [batch_key])
        return {row[0]: row for row in self.env.cr.fetchall()}

    @api.model
    def _lock(self, ids):
        """(id, uuid, event type, payload, attempts, traceparent) of the pending messages among ``ids``,
        row-locked for this delivery; None when another transaction holds one of them (a
        delivery under way, a manager's edit)."""
        # First statement of its transaction (the previous delivery committed): refused,
        # the transaction is rolled back whole, no savepoint needed. Its commit need not
        # wait for the disk: only a crash of PostgreSQL itself could lose it (a worker's
        # cannot), and the message would then be sent again under the same key.
        try:
            self.env.cr.execute(
                """SET LOCAL synchronous_commit TO off;
                   SELECT id, uuid, event_type, payload, attempts, traceparent FROM logistics_sync_message
                    WHERE id = ANY(%s) AND state = 'pending' ORDER BY id FOR NO KEY UPDATE NOWAIT""",
                [list(ids)])
            return self.env.cr.fetchall()
        except psycopg2.errors.LockNotAvailable:
            self.env.cr.rollback()
            return None

    @api.model
    def _recent_sends(self, backend):
        """When (epoch seconds) the messages sent in the last minute were sent."""
        if not backend.rate_limit:
            return []
        self.env.cr.execute(
            """SELECT processed_at FROM logistics_sync_message
                WHERE backend_id = %s AND direction = 'out' AND processed_at > %s
                ORDER BY processed_at DESC LIMIT %s""",
            [backend.id, fields.Datetime.now() - timedelta(seconds=60), backend.rate_limit])
        return [at.replace(tzinfo=timezone.utc).timestamp() for (at,) in self.env.cr.fetchall()]

    @api.model
    def _next_retry(self, backend):
        """When the next message waiting for a retry is due, or False."""
        batch_flows = self._flow_sets(backend)[0]
        self.env.cr.execute(
            """SELECT min(next_attempt_at) FROM logistics_sync_message
                WHERE backend_id = %s AND direction = 'out' AND state = 'pending'
                  AND next_attempt_at IS NOT NULL AND NOT coalesce(flow, '') = ANY(%s::varchar[])""",
            [backend.id, batch_flows])
        return self.env.cr.fetchone()[0] or False

    @api.model
    def _deliver(self, backend, client, job_uuid):
        """Send the planned requests one by one, each locked, sent, recorded and committed
        on its own; returns (stats, when the next job is due: None now, False never)."""
        stats = dict.fromkeys(("sent", "retry", "failed", "requests", "held"), 0)
        rows = self._due_rows(backend, BATCH_MESSAGES)
        if not rows:
            return stats, self._next_retry(backend)
        keys_of = {row[0]: row[1] for row in rows}
        settings, adapter = self._settings(backend), backend._adapter()
        pace = _Pace(backend.rate_limit, self._recent_sends(backend))
        plan = self._plan(backend, rows)
        # The fast path of _record_sent checks the right once, record rules included.
        self.env["logistics.sync.message"].browse(list(keys_of)).check_access("write")
        # The job's own cursor (see _send_due), never the job's transaction: each delivery
        # runs on a fresh snapshot and is kept once done.
        self.env.cr.commit()  # pylint: disable=invalid-commit
        started = time.monotonic()
        Message = self.env["logistics.sync.message"]
        held, stop, progressed = set(), None, False
        clean_until = 0.0  # the circuit was seen closed, without failures, until then
        for ids, array, batch_key in plan:
            keys = {keys_of[i] for i in ids if keys_of.get(i)}
            if keys & held:  # an earlier message of the same shipment is left pending
                held |= keys
                stats["held"] += len(ids)
                continue
            if time.monotonic() - started > BATCH_SECONDS:
                stop = None
                break
            wait = pace.wait(len(ids), time.time())
            if wait > RATE_SLEEP:
                stop = math.ceil(wait)
                break
            if wait:
                time.sleep(wait)
            locked = self._lock(ids)
            if locked and array and not batch_key:
                # An array's key is written before it is sent: a re-run after a crash or a
                # retry sends the same messages under the same key.
                batch_key = str(uuid.uuid4())
                Message.browse([row[0] for row in locked]).write({"batch_key": batch_key})
                self.env.cr.commit()  # pylint: disable=invalid-commit
                locked = self._lock([row[0] for row in locked])
            if not locked:
                if locked is None:  # being sent or edited elsewhere: it stays pending
                    held |= keys
                    stats["held"] += len(ids)
                self.env.cr.rollback()
                continue
            now = fields.Datetime.now()
            # Read again a second after it was seen clean: only this job sends while it runs.
            clean = time.monotonic() < clean_until
            if not clean and backend.paused:  # Resume wakes the job again
                self.env.cr.rollback()
                stop = False
                break
            allowed, probe = (True, False) if clean else self._circuit_allows(backend, now)
            if not allowed:
                self.env.cr.rollback()
                stop = self._circuit_wait(backend, now) or 1
                break
            if not clean and backend.circuit_state == "closed" and not backend.circuit_failures:
                clean, clean_until = True, time.monotonic() + 1.0
            messages = Message.browse([row[0] for row in locked])
            if array:
                event_type, key = "batch", batch_key
                payload = {"type": "batch", "id": batch_key,
                           "events": [json.loads(row[3]) for row in locked]}
            else:
                (_id, key, event_type, body, _attempts, _trace), = locked
                payload = json.loads(body)
            self.env.flush_all()  # fail before sending, not after (see _send)
            # An array carries its first message's traceparent and every message id (as _send_batch).
            result = adapter.send(settings, event_type, key, payload, client=client,
                                  traceparent=locked[0][5], message_ids=[row[0] for row in locked])
            pace.sent(len(messages), time.time())
            if result.outcome == "ok" and clean:
                self._record_sent(locked, result, job_uuid)
            else:
                self._record_result(messages, result, probe=probe, requeue=False, circuit=not clean,
                                    extra={"job_uuid": job_uuid} if job_uuid else None)
            self.env.cr.commit()  # pylint: disable=invalid-commit
            if result.outcome == "retry":
                clean_until = 0.0
            progressed = True
            stats["requests"] += 1
            stats[{"ok": "sent", "retry": "retry"}.get(result.outcome, "failed")] += len(messages)
            if result.outcome == "retry":  # the circuit is read again before the next request
                held |= keys
        else:
            if self._due_rows(backend, 1):  # more than one job takes, or locked elsewhere
                stop = None if progressed else LOCKED_RETRY
            else:
                stop = self._next_retry(backend)
        return stats, stop

    @api.model
    def _record_sent(self, rows, result, job_uuid):
        """``_record_result`` of a success with a clean circuit (nothing to count), in one
        UPDATE without the ORM (tools/bulk.py; the write right was checked for the batch):
        the common case, a few statements less per delivery."""
        now = fields.Datetime.now()
        columns = ["state", "attempts", "http_status", "duration_ms", "response_body",
                   "processed_at", "error", "next_attempt_at", *(["job_uuid"] if job_uuid else [])]
        update_rows(self.env["logistics.sync.message"], columns, [
            (message_id, "sent", (attempts or 0) + 1, result.status_code or 0,
             round((result.elapsed or 0) * 1000), result.response_body, now, False, False,
             *([job_uuid] if job_uuid else []))
            for message_id, _key, _type, _payload, attempts, _trace in rows])
