# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json
import logging
from datetime import datetime, timedelta

from odoo import api, fields, models
from odoo.addons.logistics_sync.lib import dates as lib_dates
from odoo.addons.logistics_sync.lib.state_machine import is_proof_of_delivery
from odoo.addons.logistics_sync.lib.states import MESSAGE_SKIPPED
from odoo.addons.logistics_sync.tools import jobs
from odoo.addons.queue_job.exception import RetryableJobError

from ..lib import authority as lib_authority
from ..lib import events as lib_events
from .logistics_inbox_typed import PROBLEM_STATES
from .logistics_sync_message import is_concurrency_error
from .logistics_sync_message_trace import TRACEPARENTS_KEY

_logger = logging.getLogger(__name__)

# Advisory lock namespace: (INBOX_LOCK, backend id) while a backend's inbox is processed.
INBOX_LOCK = 0x4C53


class LogisticsInbox(models.AbstractModel):
    """The inbox of the backends: store what webhooks deliver (logistics_inbox_store.py),
    then claim, map, match and apply it in jobs, one job at a time per backend.

    Runs as the caller: the webhook controller and the inbox job run as the backend's
    integration user, whose access rights and record rules apply.
    """

    _name = "logistics.inbox"
    _description = "Logistics Inbox"

    # ------------------------------------------------------------------ jobs
    @api.model
    def _enqueue(self, backend, eta=None):
        """Make sure one processing job is waiting for this backend's inbox: due at once
        when none runs, else after the *linger* (``inbox_linger_ms``), so that events
        arriving meanwhile gather for the next job; in batch mode, after the interval."""
        backend.ensure_one()
        if not eta:
            # Nearly always a job waits already: look for it without building a job.
            waiting, running = jobs.activity(self.env, jobs.inbox_key(backend.id))
            if waiting:
                return
            hold = self.env["logistics.backend.flow"]._inbound_of(backend)._hold_seconds()
            if hold:
                eta = hold
            elif running:
                eta = self._linger() or None
        self._delay(backend, eta)

    @api.model
    def _delay(self, backend, eta):
        """The inbox job itself (``eta``: a datetime, or seconds from now)."""
        jobs.delay_backend(backend, "in", jobs.inbox_key(backend.id),
                           f"Process inbound messages of {backend.code}", eta)._process_inbox()

    @api.model
    def _chain(self, backend, backlog):
        """The job that ends after a non-empty batch chains the next one: due at once
        with a ``backlog`` (due messages it did not claim), else after the linger. It
        runs on a fresh snapshot, so messages committed meanwhile never wait.

        After this job's commit, a waiting job's eta is brought forward to that: one
        enqueued while the inbox lock was taken was postponed by a second. In a
        transaction of its own (see ``jobs.hurry``): from this job's older snapshot the
        UPDATE would fail on a serialization error and take the whole batch with it.
        """
        linger = 0 if backlog else self._linger()
        self._delay(backend, linger or None)
        registry, identity_key = self.env.registry, jobs.inbox_key(backend.id)
        due = datetime.now() + timedelta(seconds=linger) if linger else None
        self.env.cr.postcommit.add(lambda: jobs.hurry(registry, identity_key, due))

    @api.model
    def _enqueue_after_commit(self, backends):
        """Check again, after this transaction commits and on a fresh snapshot, that an
        inbox job waits for each of these backends.

        For a resume: an inbox job dispatched while it ran can read the backend as
        paused from a snapshot taken before the resume committed, and end without
        processing or chaining, while the resume saw that job as still waiting and
        added none."""
        registry, uid, context, ids = self.env.registry, self.env.uid, self.env.context, backends.ids

        def enqueue():
            with registry.cursor() as cr:
                env = api.Environment(cr, uid, context)
                for backend in env["logistics.backend"].browse(ids).exists():
                    if backend.active and not backend.paused:
                        env["logistics.inbox"]._enqueue(backend)

        self.env.cr.postcommit.add(enqueue)

    @api.model
    def _linger(self):
        """Seconds the next inbox job waits for more events when the inbox is caught up."""
        value = self.env["ir.config_parameter"].sudo().get_param(
            "logistics_sync_connector.inbox_linger_ms", "250")
        try:
            return max(0.0, float(value)) / 1000.0
        except ValueError:
            return 0.25

    @api.model
    def _process(self, backend, limit=None):
        """Process this backend's pending inbound messages, oldest first (the body of
        the job ``logistics.backend._process_inbox``). One job at a time per backend: a
        second one would race for the same rows; it is postponed by a second. A non-empty
        batch chains one more job, on a fresh snapshot, so nothing committed meanwhile
        waits (in batch mode, only while a backlog is left)."""
        backend.ensure_one()
        if backend.paused:
            return self.env._("Backend paused: messages stay queued.")
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [INBOX_LOCK, backend.id])
        if not self.env.cr.fetchone()[0]:
            raise RetryableJobError(self.env._("Another job is processing this inbox."),
                                    seconds=1, ignore_retry=True)
        inbox = self if backend.track_state_changes else self.with_context(tracking_disable=True)
        params = self.env["ir.config_parameter"].sudo()
        limit = limit or int(params.get_param("logistics_sync_connector.inbox_batch", 2000))
        max_bytes = int(params.get_param("logistics_sync_connector.inbox_batch_bytes", 2 << 20))
        messages = inbox._claim(backend, limit, max_bytes)
        if not messages:
            retry_at = inbox._next_retry(backend)
            if retry_at:
                inbox._enqueue(backend, eta=retry_at)
            return self.env._("Nothing to process.")
        flow = self.env["logistics.backend.flow"]._inbound_of(backend)
        if flow and not flow.enabled:
            summary = inbox._skip(messages)
        else:
            summary = inbox._process_messages(messages)
        backlog = inbox._has_due(backend)
        if flow.enabled and flow.mode == "batch":
            # Bookkeeping of the job, not a setting: the integration user may not write flows.
            flow.sudo().last_batch_at = fields.Datetime.now()
            if not backlog:
                return summary  # the next webhook holds its job for the next batch
        # Due messages this job's snapshot sees but did not claim: a backlog, the next
        # batch starts at once; else the next job lingers for what arrives meanwhile.
        inbox._chain(backend, backlog=backlog)
        return summary

    @api.model
    def _skip(self, messages):
        """The inbound flow is disabled: keep the messages, visibly unapplied."""
        now = fields.Datetime.now()
        messages._write_inbound_outcomes([
            dict(message._inbound_row(), state=MESSAGE_SKIPPED, processed_at=now,
                 error=self.env._("The backend's inbound flow is disabled: enable it and replay."))
            for message in messages], [])
        return self.env._("%s message(s) skipped: inbound flow disabled.", len(messages))

    @api.model
    def _requeue(self):
        """Safety net (e.g. after a crash): every backend with due inbound messages has
        a processing job waiting (the job identity key prevents doubles)."""
        # Not for a paused backend: its messages wait for Resume, which enqueues.
        self.env.cr.execute(
            """SELECT DISTINCT m.backend_id FROM logistics_sync_message m
                 JOIN logistics_backend b ON b.id = m.backend_id AND b.paused IS NOT TRUE
                WHERE m.direction = 'in' AND m.state = 'pending'
                  AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= now() at time zone 'utc')""")
        for backend in self.env["logistics.backend"].browse([r[0] for r in self.env.cr.fetchall()]):
            user = backend.integration_user_id
            with jobs.enqueuing_of(self.env, _logger, f"inbox of backend {backend.code}"):
                self.with_user(user)._enqueue(backend.with_user(user))

    # ------------------------------------------------------------------ claim
    @api.model
    def _claim(self, backend, limit, max_bytes=None):
        """Lock the oldest due messages of a backend: at most ``limit`` messages and,
        past the first one, ``max_bytes`` of payload, so that a job stays short
        whether messages carry one event or 500."""
        Message = self.env["logistics.sync.message"]
        Message.flush_model()
        self.env.cr.execute(
            """SELECT id, coalesce(octet_length(payload), 0) FROM logistics_sync_message
                WHERE backend_id = %s AND direction = 'in' AND state = 'pending'
                  AND (next_attempt_at IS NULL OR next_attempt_at <= now() at time zone 'utc')
                ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED""",
            [backend.id, limit],
        )
        ids, total = [], 0
        for message_id, size in self.env.cr.fetchall():
            if ids and max_bytes and total + size > max_bytes:
                break
            ids.append(message_id)
            total += size
        return Message.browse(ids)

    @api.model
    def _has_due(self, backend):
        self.env["logistics.sync.message"].flush_model()
        self.env.cr.execute(
            """SELECT 1 FROM logistics_sync_message
                WHERE backend_id = %s AND direction = 'in' AND state = 'pending'
                  AND (next_attempt_at IS NULL OR next_attempt_at <= now() at time zone 'utc')
                LIMIT 1""",
            [backend.id],
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _next_retry(self, backend):
        self.env["logistics.sync.message"].flush_model()
        self.env.cr.execute(
            """SELECT min(next_attempt_at) FROM logistics_sync_message
                WHERE backend_id = %s AND direction = 'in' AND state = 'pending'
                  AND next_attempt_at IS NOT NULL""",
            [backend.id],
        )
        return self.env.cr.fetchone()[0]

    # ------------------------------------------------------------------ apply
    @api.model
    def _process_messages(self, messages):
        """Parse, map, match and apply a batch of inbound messages of one backend."""
        backend = messages.backend_id
        backend.ensure_one()
        adapter = backend._adapter()
        code_map = self.env["logistics.milestone.code"]._code_map()
        # Read once per batch, not once per event.
        code_facts = {c.id: (c.code, c.kind, c.shipment_state or c.code) for c in code_map.values()}
        StatusMap = self.env["logistics.backend.status.map"]
        status_map = {m.external_code: m for m in backend.status_map_ids if m.active}
        now = fields.Datetime.now()
        outcomes = {}  # message -> (state, error, result)
        parsed = []  # ((message, index), event)
        for message in messages:
            try:
                events = adapter.parse(message.payload.encode())
            except lib_events.PayloadError as exc:
                outcomes[message] = ("invalid", str(exc), False)
                continue
            except Exception as exc:  # noqa: BLE001 - an adapter bug must not block the inbox
                if is_concurrency_error(exc):
                    raise
                _logger.warning("adapter %s failed on message %s", adapter.key, message.id, exc_info=True)
                outcomes[message] = ("invalid", f"adapter error: {exc!r}"[:2000], False)
                continue
            done = set(json.loads(message.applied_events or "[]"))
            parsed.extend(((message, i), e) for i, e in enumerate(events) if i not in done)
            if not events:
                outcomes[message] = ("done", False, self.env._("No milestone in this event."))
        # Other event types than milestones: their own apply methods (logistics_inbox_typed.py).
        Typed = self.env["logistics.inbox.typed"]
        parsed, typed = Typed._split(backend, parsed)
        Binding = self.env["logistics.shipment.binding"]
        shipments, new_bindings = Binding._match_shipments(backend, parsed)
        rules = backend._authority()
        bound = Binding._bound_ids(backend, self.env["logistics.shipment"].union(
            *shipments.values())) if rules.scope == lib_authority.SCOPE_BOUND else ()
        asserted_ext_ids = set()
        values, owners, problems = [], [], {}
        # Read once per batch, not once per event (ORM field access on the hot path).
        source, future_hours, max_age_days = (
            backend.code, backend.event_future_hours, backend.event_max_age_days)
        received = {message: message.received_at for message in messages}
        for (message, index), event in parsed:
            mapped = StatusMap._map_event(event, code_map, status_map)
            if not mapped:
                problems.setdefault(message, {}).setdefault("unmapped", set()).add(
                    f"{event.code}:{event.detail}" if event.detail else event.code)
                continue
            shipment = shipments.get((message, index))
            if not shipment:
                problems.setdefault(message, {}).setdefault("unmatched", set()).add(
                    event.shipment_reference or event.tracking_number
                    or event.shipment_external_id or "?")
                continue
            code, reason = mapped
            code_name, kind, target = code_facts[code.id]
            refusal = lib_authority.refusal(
                rules, code_name,
                is_proof_of_delivery(kind, target, event.pod_signed_by, event.pod_document_url),
                lambda s=shipment: s.name, shipment.id in bound)
            if refusal:
                problems.setdefault(message, {}).setdefault("unauthorized", set()).add(refusal)
                continue
            # A clock or parsing fault of the sender: never applied (a far-past terminal
            # event would decide the state for good).
            implausible = lib_dates.implausible(
                event.occurred_at, received[message] or now, shipment.create_date,
                future_hours, max_age_days)
            if implausible:
                problems.setdefault(message, {}).setdefault("invalid", set()).add(
                    f"{event.event_id}: {implausible}")
                continue
            asserted_ext_ids.add(event.shipment_external_id)
            values.append({
                "shipment_id": shipment.id,
                "code_id": code.id,
                "reason_id": reason.id if reason else False,
                "occurred_at": event.occurred_at,
                "received_at": received[message],
                "source": source,
                "location": event.location,
                "detail": event.detail if not reason else False,
                "external_code": event.code,
                "external_event_id": event.event_id,
                "pod_signed_by": event.pod_signed_by,
                "pod_document_url": event.pod_document_url,
            })
            owners.append((message, index, shipment))
        # Only what the backend may assert binds it to a shipment.
        Binding._create_bindings(backend, {
            ext: shipment for ext, shipment in new_bindings.items() if ext in asserted_ext_ids})
        # What applying enqueues for a shipment (its invoice's release) continues the trace.
        traceparents = {s.id: m.traceparent for m, _i, s in owners if m.traceparent}
        applied = self.with_context(**{TRACEPARENTS_KEY: traceparents} if traceparents else {}
                                    )._apply_values(values, owners)
        notes = Typed._apply(backend, typed, applied, problems) if typed else {}
        job_uuid = self.env.context.get("job_uuid")
        updates, links = [], []
        for message in messages:
            failed = applied["failed"].get(message.id)
            if message in outcomes and not failed:
                state, error, result = outcomes[message]
                updates.append(dict(message._inbound_row(), state=state, error=error,
                                    result=result, processed_at=now))
                continue
            msg_applied = applied["ok"].get(message.id, [])
            links.extend((message.id, shipment_id) for _i, shipment_id in msg_applied if shipment_id)
            row = message._inbound_row()
            row.update(
                applied_events=json.dumps(sorted(
                    set(json.loads(message.applied_events or "[]")) | {i for i, _s in msg_applied})),
                processed_at=now, job_uuid=job_uuid or message.job_uuid,
                result=self.env._("%(applied)s event(s) applied, %(created)s new milestone(s).",
                                  applied=len(msg_applied),
                                  created=applied["created"].get(message.id, 0)),
            )
            if message in notes:
                row["result"] += " " + " ".join(sorted(notes[message]))
            if failed:
                row.update(message._retry_values(failed))
            elif message in problems:
                kind = next(k for k in PROBLEM_STATES if k in problems[message])
                row.update(state=kind, error="; ".join(
                    f"{k}: {', '.join(sorted(v))}" for k, v in problems[message].items()))
            else:
                row.update(state="done", error=False)
            updates.append(row)
        messages._write_inbound_outcomes(updates, links)
        return self.env._("%s message(s) processed.", len(messages))

    @api.model
    def _apply_values(self, values, owners):
        """Apply all milestones in one batch; isolate a failing message when needed."""
        Shipment = self.env["logistics.shipment"]
        out = {"ok": {}, "created": {}, "failed": {}}
        if not values:
            return out

        def record(results, owner_slice):
            for result, (message, index, shipment) in zip(results, owner_slice, strict=True):
                out["ok"].setdefault(message.id, []).append((index, shipment.id))
                if result["status"] == "created":
                    out["created"][message.id] = out["created"].get(message.id, 0) + 1

        try:
            with self.env.cr.savepoint():
                record(Shipment._apply_milestones(values), owners)
            return out
        except Exception as exc:  # noqa: BLE001 - isolated per message below
            if is_concurrency_error(exc):
                raise
            _logger.info("batch apply failed (%s); retrying message by message", exc)
        by_message = {}
        for vals, owner in zip(values, owners, strict=True):
            by_message.setdefault(owner[0], ([], []))
            by_message[owner[0]][0].append(vals)
            by_message[owner[0]][1].append(owner)
        for message, (vals_list, owner_slice) in by_message.items():
            try:
                with self.env.cr.savepoint():
                    record(Shipment._apply_milestones(vals_list), owner_slice)
            except Exception as exc:  # noqa: BLE001 - recorded on the message
                if is_concurrency_error(exc):
                    raise
                out["failed"][message.id] = str(exc)
        return out

