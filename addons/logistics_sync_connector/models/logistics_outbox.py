# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json
import logging
import uuid
from datetime import timedelta

import psycopg2.errors

from odoo import api, fields, models
from odoo.addons.logistics_sync.tools import jobs
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from ..lib import adapters, ownership
from ..lib import outbound as lib_outbound

_logger = logging.getLogger(__name__)

BATCH_SIZE = 500  # messages per batch request


class LogisticsOutbox(models.AbstractModel):
    """The outbox of the backends: business events become outbound messages, which
    jobs deliver once each, in order per shipment or order, with retries and backoff,
    under each backend's rate limit and circuit breaker, one by one or in batches.

    Runs as the caller: messages are created and sent as the backend's integration
    user, whose access rights and record rules apply.
    """

    _name = "logistics.outbox"
    _description = "Logistics Outbox"

    # ------------------------------------------------------------------ create
    @api.model
    def _queue_event(self, flow, company, event_type, event_key, data, ordering_key, record):
        """Queue a business event for every backend of the company running this flow.

        The user who confirms an order or posts an invoice has no access to backends:
        finding them is a configuration read done with sudo(); the message itself is
        created, and later sent, as the backend's integration user.
        """
        for backend in self.env["logistics.backend"].sudo()._backends_for_flow(flow, company):
            if not backend.base_url:
                continue
            user = backend.integration_user_id
            self.with_user(user).with_company(company)._create(
                backend.with_user(user), flow, event_type, event_key, data,
                ordering_key=ordering_key, record=record)

    @api.model
    def _create(self, backend, flow, event_type, event_key, data, ordering_key=None, record=None):
        """Queue one outbound business event (once per backend and event key)."""
        Message = self.env["logistics.sync.message"]
        existing = Message.search([("backend_id", "=", backend.id), ("direction", "=", "out"),
                                   ("event_id", "=", event_key)], limit=1)
        if existing:
            return existing
        key = str(uuid.uuid4())
        # Field groups the receiving system owns are not sent to it (lib/ownership.py).
        external = backend.flow_ids.filtered(lambda f: f.flow == flow)._groups_owned_by(ownership.EXTERNAL)
        data = ownership.outbound_data(event_type, data, external)
        payload = backend._adapter().render(event_type, key, data)
        message = Message.create({
            "uuid": key,
            "backend_id": backend.id,
            "company_id": backend.company_id.id,
            "direction": "out",
            "flow": flow,
            "event_type": event_type,
            "event_id": event_key,
            "ordering_key": ordering_key,
            "payload": json.dumps(payload, sort_keys=True, default=str),
            "res_model": record._name if record else False,
            "res_id": record.id if record else False,
            **Message._outbound_trace_values(record),
        })
        if record and record._name == "logistics.shipment":
            # Booked through this backend: the shipment is in its scope from now on.
            self.env["logistics.shipment.binding"]._bind(backend, record)
        flow_rec = backend._flow(flow)
        if not flow_rec or flow_rec.mode == "realtime":
            self._enqueue_send(message)
        return message

    @api.model
    def _address(self, partner):
        """A partner's address as every outbound payload carries it."""
        return {
            "name": partner.name, "street": partner.street, "street2": partner.street2,
            "zip": partner.zip, "city": partner.city, "state": partner.state_id.code,
            "country": partner.country_id.code, "phone": partner.phone, "email": partner.email,
        }

    # ------------------------------------------------------------------ jobs
    @api.model
    def _enqueue_send(self, messages, eta=None):
        """One delivery job per message and attempt (``eta``: not before), run as the
        backend's integration user whoever queues it (a manager replaying, an admin
        resuming): the bookkeeping after the send needs that user's rights, and failing
        there would roll back a delivery the receiver already accepted."""
        for message in messages:
            job = message.with_user(message.backend_id.integration_user_id).with_delay(
                channel=message.backend_id._job_channel("out"),
                identity_key=jobs.send_key(message.id, message.attempts),
                description=f"Send {message.event_type} to {message.backend_id.code}",
                eta=eta,
                max_retries=0,  # postponements are unlimited; attempts are counted here
            )._send()
            # Under queue_job's test mode (queue_job__no_delay) the job runs at once and
            # this is its result, not a job.
            if getattr(job, "uuid", None):
                message.job_uuid = job.uuid

    @api.model
    def _enqueue_for(self, backend):
        """A delivery job for each pending real-time message of a backend that has none."""
        pending = self.env["logistics.sync.message"].search([
            ("backend_id", "=", backend.id), ("direction", "=", "out"),
            ("state", "=", "pending"), ("batch_key", "=", False)])
        realtime = pending.filtered(
            lambda m: not backend._flow(m.flow) or backend._flow(m.flow).mode == "realtime")
        self._enqueue_send(self._without_live_job(realtime))

    @api.model
    def _requeue(self):
        """Safety net (e.g. after a crash): every due outbound message without a live
        delivery job gets one."""
        stale = self._without_live_job(self.env["logistics.sync.message"].search([
            ("direction", "=", "out"), ("state", "=", "pending"), ("batch_key", "=", False),
            "|", ("next_attempt_at", "=", False), ("next_attempt_at", "<=", fields.Datetime.now()),
        ]))
        for backend in stale.backend_id:
            mine = stale.filtered(lambda m, b=backend: m.backend_id == b)
            user = backend.integration_user_id
            with jobs.enqueuing_of(self.env, _logger, f"outbox of backend {backend.code}"):
                self.with_user(user)._enqueue_send(mine.with_user(user))

    @api.model
    def _without_live_job(self, messages):
        """These messages minus those whose delivery job will still run, and minus those
        being delivered right now (their row is locked by the sending job).

        Re-enqueuing (safety-net cron, resuming a backend) must neither add a second job
        for a message whose job is queued, running, or died with its worker (queue_job
        re-queues it), nor write to a message while it is being sent: the sending job
        would fail after the receiver accepted the request and send it again."""
        if not messages:
            return messages
        messages.flush_recordset(["job_uuid"])
        self.env["queue.job"].flush_model(["uuid", "state"])
        self.env.cr.execute(SQL(
            """SELECT m.id FROM logistics_sync_message m
                WHERE m.id = ANY(%s) AND %s
                FOR NO KEY UPDATE OF m SKIP LOCKED""",
            messages.ids, jobs.no_live_job(SQL("m.job_uuid")),
        ))
        return messages.browse([r[0] for r in self.env.cr.fetchall()])

    # ------------------------------------------------------------------ send
    @api.model
    def _settings(self, backend):
        """Everything the HTTP client needs, secrets included (never job arguments): read
        with sudo, the integration user has no access to secrets. Requests are signed
        with the outbound signing secrets, never with the webhook (inbound) ones."""
        backend.ensure_one()
        signing = self.env["logistics.backend.secret"]._signing_secrets(backend)
        backend = backend.sudo()
        return adapters.OutboundSettings(
            base_url=backend.base_url or "",
            auth_type=backend.auth_type,
            api_key_header=backend.api_key_header,
            username=backend.auth_username,
            secret=backend.auth_secret,
            signing_secrets=tuple(signing),
            timeout=(backend.timeout_connect or 5.0, backend.timeout_read or 30.0),
            deadline=backend.timeout_total or lib_outbound.DEFAULT_DEADLINE,
            allow_private=backend.allow_private_network,
            allow_plain_http=backend.allow_plain_http,
        )

    @api.model
    def _blocking_predecessor(self, message):
        """An earlier undelivered message for the same ordering key, if any."""
        if not message.ordering_key:
            return message.browse()
        return message.search([
            ("backend_id", "=", message.backend_id.id), ("direction", "=", "out"),
            ("ordering_key", "=", message.ordering_key), ("id", "<", message.id),
            ("state", "=", "pending"),
        ], limit=1, order="id")

    @api.model
    def _send(self, message):
        """Deliver one outbound message, honouring order, circuit and rate limit (the
        body of the job ``logistics.sync.message._send``)."""
        message.ensure_one()
        # One delivery in flight per message, and nothing else writes to it meanwhile: a
        # concurrent change surfaces here, before the request, not as a serialization
        # failure after the receiver accepted it (which would send it again).
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT 1 FROM logistics_sync_message WHERE id = %s FOR NO KEY UPDATE NOWAIT",
                    [message.id])
        except psycopg2.errors.LockNotAvailable:
            raise RetryableJobError(
                self.env._("Message %s is being sent by another job", message.id),
                seconds=10, ignore_retry=True) from None
        if message.state != "pending":
            return self.env._("Nothing to do: message is %s.", message.state)
        backend = message.backend_id
        if backend.paused:
            raise RetryableJobError(self.env._("Backend paused"), seconds=60, ignore_retry=True)
        predecessor = self._blocking_predecessor(message)
        if predecessor:
            raise RetryableJobError(
                self.env._("Waiting for message %s of the same shipment/order", predecessor.id),
                seconds=5, ignore_retry=True)
        now = fields.Datetime.now()
        allowed, probe = self._circuit_allows(backend, now)
        if not allowed:
            raise RetryableJobError(self.env._("Circuit open"),
                                    seconds=self._circuit_wait(backend, now), ignore_retry=True)
        wait = self._rate_limit_wait(backend, now)
        if wait:
            raise RetryableJobError(self.env._("Rate limit"), seconds=wait, ignore_retry=True)
        settings = self._settings(backend)
        # Whatever may still fail on a concurrent job (the circuit's half-open write)
        # fails now, before the request goes out: a job retried after sending would
        # deliver the message twice.
        self.env.flush_all()
        result = backend._adapter().send(settings, message.event_type, message.uuid,
                                         json.loads(message.payload),
                                         traceparent=message.traceparent, message_ids=message.ids)
        return self._record_result(message, result, probe=probe)

    @api.model
    def _record_result(self, messages, result, probe=False, requeue=True, extra=None,
                       circuit=True):
        """Write the outcome of one delivery attempt (for one message or a batch); a
        retry gets a job of its own unless ``requeue`` is off (the batch job chains);
        ``circuit`` off: a success the caller knows leaves a clean circuit unchanged."""
        backend = messages.backend_id
        backend.ensure_one()
        now = fields.Datetime.now()
        if circuit or result.outcome == "retry":
            self._circuit_record_after_delivery(backend, result.outcome != "retry", now)
        common = {
            "http_status": result.status_code or 0,
            "duration_ms": round((result.elapsed or 0) * 1000),
            "response_body": result.response_body, "processed_at": now, **(extra or {}),
        }
        # One UPDATE per attempt count: the messages of an array share their outcome.
        by_attempts = {}
        for message in messages:
            by_attempts[message.attempts] = by_attempts.get(message.attempts, message.browse()) | message
        for attempts, group in by_attempts.items():
            vals = dict(common, attempts=attempts + 1)
            if result.outcome == "ok":
                vals.update(state="sent", error=False, next_attempt_at=False)
            elif result.outcome == "fail":
                vals.update(state="failed", error=result.reason)
            elif vals["attempts"] >= (backend.max_attempts or 1):
                vals.update(state="dead", error=result.reason, next_attempt_at=False)
            else:
                delay = lib_outbound.backoff_delay(
                    vals["attempts"], base=backend.retry_base_delay or 10,
                    cap=backend.retry_max_delay or 3600, retry_after=result.retry_after)
                vals.update(error=result.reason,
                            next_attempt_at=now + timedelta(seconds=delay))
            group.write(vals)
        retry = messages.filtered(lambda m: m.state == "pending" and m.next_attempt_at
                                  and not m.batch_key)
        for message in retry if requeue else ():
            self._enqueue_send(message, eta=message.next_attempt_at)
        return self.env._("%(outcome)s (HTTP %(status)s) %(reason)s", outcome=result.outcome,
                          status=result.status_code, reason=result.reason or "")

    # ------------------------------------------------------------------ batches
    @api.model
    def _send_batches(self):
        """Cron: each due batch-mode flow sends its pending messages in one request."""
        now = fields.Datetime.now()
        flows = self.env["logistics.backend.flow"].search([
            ("enabled", "=", True), ("mode", "=", "batch"), ("flow", "!=", "inbound_milestones"),
            ("backend_id.active", "=", True), ("backend_id.paused", "=", False),
        ])
        for flow in flows:
            if flow.last_batch_at and flow.last_batch_at + timedelta(
                    minutes=flow.interval_minutes or 1) > now:
                continue
            user = flow.backend_id.integration_user_id
            self.with_user(user)._send_batch(flow.backend_id.with_user(user), flow.flow)
            flow.last_batch_at = now

    @api.model
    def _send_batch(self, backend, flow):
        """Send due batch-mode messages of a flow in one request (retrying a failed
        batch under its own idempotency key)."""
        backend.ensure_one()
        Message = self.env["logistics.sync.message"]
        now = fields.Datetime.now()
        allowed, _probe = self._circuit_allows(backend, now)
        if not allowed or self._rate_limit_wait(backend, now):
            return False
        base = [("backend_id", "=", backend.id), ("direction", "=", "out"), ("flow", "=", flow),
                ("state", "=", "pending"), "|", ("next_attempt_at", "=", False),
                ("next_attempt_at", "<=", now)]
        retry = Message.search(base + [("batch_key", "!=", False)], order="id", limit=1)
        if retry:
            messages = Message.search([("batch_key", "=", retry.batch_key),
                                       ("state", "=", "pending")], order="id")
            key = retry.batch_key
        else:
            messages = Message.search(base + [("batch_key", "=", False)], order="id",
                                      limit=BATCH_SIZE)
            if not messages:
                return False
            key = str(uuid.uuid4())
            messages.write({"batch_key": key})
        payload = {"type": "batch", "id": key,
                   "events": [json.loads(m.payload) for m in messages]}
        settings = self._settings(backend)
        self.env.flush_all()  # fail before sending, not after (see _send)
        # One request, one traceparent: its first message's; the header names them all.
        result = backend._adapter().send(settings, "batch", key, payload,
                                         traceparent=messages[:1].traceparent,
                                         message_ids=messages.ids)
        self._record_result(messages, result)
        return result

    # ------------------------------------------------------------------ rate limit
    @api.model
    def _rate_limit_wait(self, backend, now):
        """Seconds to wait before the next request under the per-minute limit (deliveries
        and polls: logistics.shipment.poll)."""
        if not backend.rate_limit:
            return 0
        since = now - timedelta(seconds=60)
        self.env.cr.execute(
            """SELECT count(*), min(at) FROM (
                   SELECT processed_at AS at FROM logistics_sync_message
                    WHERE backend_id = %s AND direction = 'out' AND processed_at > %s
                   UNION ALL
                   SELECT polled_at FROM logistics_shipment_poll
                    WHERE backend_id = %s AND polled_at > %s AND outcome <> 'skipped') r""",
            [backend.id, since, backend.id, since],
        )
        count, oldest = self.env.cr.fetchone()
        if count < backend.rate_limit:
            return 0
        return max(1, int((oldest + timedelta(seconds=60) - now).total_seconds()) + 1)

    # ------------------------------------------------------------------ circuit breaker
    @api.model
    def _circuit_allows(self, backend, now):
        """(allowed, is_probe): an open circuit postpones until its cool-down ends."""
        circuit = backend.circuit_id
        if not circuit or circuit.state == "closed":
            return True, False
        if circuit.state == "open":
            if self._circuit_wait(backend, now) > 0:
                return False, False
            circuit.state = "half_open"
            backend.invalidate_recordset(["circuit_state", "circuit_failures", "circuit_opened_at"])
        return True, True

    @api.model
    def _circuit_wait(self, backend, now):
        circuit = backend.circuit_id
        if not circuit or circuit.state != "open" or not circuit.opened_at:
            return 0
        reopen = circuit.opened_at + timedelta(seconds=backend.circuit_cooldown or 60)
        return max(0, int((reopen - now).total_seconds()) + 1) if reopen > now else 0

    @api.model
    def _circuit_record(self, backend, success, now):
        """Count a delivery result; written only when the circuit changes."""
        circuit = backend.circuit_id
        if success:
            if circuit and (circuit.state != "closed" or circuit.failures):
                if circuit.state != "closed":
                    _logger.info("backend %s: circuit closed", backend.code)
                circuit.write({"state": "closed", "failures": 0, "opened_at": False})
                backend.invalidate_recordset(["circuit_state", "circuit_failures", "circuit_opened_at"])
            return
        circuit = circuit or backend._circuit()
        failures = circuit.failures + 1
        vals = {"failures": failures}
        if circuit.state == "half_open" or failures >= (backend.circuit_threshold or 1):
            if circuit.state != "open":
                _logger.warning("backend %s: circuit opened after %s failures", backend.code, failures)
            vals.update(state="open", opened_at=now)
        circuit.write(vals)
        backend.invalidate_recordset(["circuit_id", "circuit_state", "circuit_failures",
                                      "circuit_opened_at"])

    @api.model
    def _circuit_record_after_delivery(self, backend, success, now):
        """``_circuit_record`` once the request went out: best effort.

        Jobs of one backend run concurrently when its channel capacity is above 1: two
        of them may create the circuit row at once (unique violation) or update it at
        once (serialization failure). Failing the job then would deliver its message
        again (or leave it pending for good); losing one count of the circuit is the
        lesser harm.
        """
        self.env.flush_all()  # the savepoint flushes on entry: nothing of ours may fail there
        try:
            with self.env.cr.savepoint():
                self._circuit_record(backend, success, now)
        except (*PG_CONCURRENCY_EXCEPTIONS_TO_RETRY, psycopg2.errors.UniqueViolation) as exc:
            _logger.info("backend %s: circuit updated concurrently, count skipped (%s)",
                         backend.code, type(exc).__name__)
            backend.invalidate_recordset(["circuit_id", "circuit_state", "circuit_failures",
                                          "circuit_opened_at"])
