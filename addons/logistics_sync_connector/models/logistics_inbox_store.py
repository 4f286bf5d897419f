# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import hashlib
import json
import uuid

from odoo import api, fields, models

from ..lib import adapters
from ..lib import events as lib_events
from ..lib import trace as lib_trace

# Headers worth keeping with an inbound message (never Authorization or cookies), with
# those its backend's adapter names (Adapter.kept_headers).
KEPT_HEADERS = frozenset((
    "content-type", "user-agent", "webhook-id", "webhook-timestamp", "x-request-id",
    "x-forwarded-for", "traceparent",
    "x-logistics-poll",  # stored from a poll's answer (logistics.shipment.poll), not posted
))


def kept_headers(adapter_key):
    """The names of the headers kept with a message of a backend of ``adapter_key``."""
    try:
        extra = adapters.get(adapter_key).kept_headers if adapter_key else ()
    except KeyError:  # its addon is being uninstalled
        extra = ()
    return KEPT_HEADERS.union(extra) if extra else KEPT_HEADERS


# What _store did with a delivery.
STORED, DUPLICATE, CONFLICT = "accepted", "duplicate", "conflict"
INVALID = "invalid"  # what _receive did with a delivery without a usable event id


class LogisticsInboxStore(models.AbstractModel):
    """The webhook side of the inbox: store what a verified delivery holds."""

    _inherit = "logistics.inbox"

    @api.model
    def _store(self, config, event_id, body, headers):
        """Store a verified webhook delivery; returns (message id, STORED, DUPLICATE
        or CONFLICT).

        One INSERT … ON CONFLICT DO NOTHING: a replay, or a concurrent duplicate
        (which makes the second transaction fail with a serialization error that
        Odoo retries), inserts nothing and returns the existing id. An existing id
        whose stored body hash differs is a CONFLICT (the same query reads it).
        """
        self.env["logistics.sync.message"].check_access("create")
        names = kept_headers(config.get("adapter"))
        kept = {k.lower(): v for k, v in headers.items() if k.lower() in names}
        # W3C Trace Context: a column of its own, and only when well formed (outbound
        # messages this one causes continue its trace; lib/trace.py).
        traceparent = lib_trace.parse(kept.pop("traceparent", None))
        now = fields.Datetime.now()
        payload_hash = hashlib.sha256(body).hexdigest()
        self.env.cr.execute(
            """INSERT INTO logistics_sync_message
                   (uuid, backend_id, company_id, direction, flow, event_id, state, payload,
                    payload_hash, headers, traceparent, received_at, attempts,
                    create_uid, write_uid, create_date, write_date)
               VALUES (%s, %s, %s, 'in', 'inbound_milestones', %s, 'pending', %s,
                       %s, %s, %s, %s, 0, %s, %s, %s, %s)
               ON CONFLICT ON CONSTRAINT logistics_sync_message_event_uniq DO NOTHING
               RETURNING id""",
            [str(uuid.uuid4()), config["backend_id"], config["company_id"], event_id,
             lib_events.storable_text(body), payload_hash, json.dumps(kept), traceparent, now,
             self.env.uid, self.env.uid, now, now],
        )
        row = self.env.cr.fetchone()
        if row:
            return row[0], STORED
        self.env.cr.execute(
            """SELECT id, payload_hash IS NOT NULL AND payload_hash <> %s
                 FROM logistics_sync_message
                WHERE backend_id = %s AND direction = 'in' AND event_id = %s""",
            [payload_hash, config["backend_id"], event_id],
        )
        message_id, differs = self.env.cr.fetchone()
        return message_id, CONFLICT if differs else DUPLICATE

    @api.model
    def _receive(self, config, adapter, signed_id, body, headers, code, remote_addr):
        """Store an authentic delivery (a webhook's, or a poll's answer): quarantined when
        it has no usable event id (INVALID), else STORED or DUPLICATE, or, under an id
        stored with another body, CONFLICT with an audit row. Returns (message id,
        outcome, the payload error of an INVALID one)."""
        try:
            event_id = adapter.message_id(headers, body, signed_id)
        except lib_events.PayloadError as exc:
            return self._quarantine(config, signed_id, body, headers, str(exc)), INVALID, str(exc)
        return (*self._store_audited(config, event_id, body, headers, code, remote_addr), None)

    @api.model
    def _store_audited(self, config, event_id, body, headers, code, remote_addr):
        """``_store``, and an audit row for a CONFLICT (the first body is kept): what every
        way in (webhook, poll, file) does with an event id of its own."""
        message_id, outcome = self._store(config, event_id, body, headers)
        if outcome == CONFLICT:
            self.env["logistics.webhook.audit"]._record_conflict(
                config, code, remote_addr, message_id, body, headers)
        return message_id, outcome

    @api.model
    def _quarantine(self, config, event_id, body, headers, error):
        """Keep a malformed (but authentic) delivery, in state invalid (under its own id
        when it has a usable one, else under one derived from the body)."""
        if not lib_events.is_event_id(event_id):
            event_id = "invalid-" + hashlib.sha256(body).hexdigest()[:32]
        message_id, outcome = self._store(config, event_id, body, headers)
        if outcome == STORED:
            self.env["logistics.sync.message"].browse(message_id).write(
                {"state": "invalid", "error": error})
        return message_id

    @api.model
    def _keep(self, config, adapter, signed_id, body, headers, note):
        """Keep an authentic delivery whose handling raised (the webhook answered 500 or
        503), with ``note`` (what went wrong, with the request id) for the operators.

        Called as the superuser on a transaction without what the handling did: the
        failure may be the integration user's own rights or companies (a misconfigured
        user must not lose what a system sent). Stored as the handling would have stored
        it: pending under its event id, to be processed once the cause is fixed (the
        re-enqueue cron makes a job for it), or quarantined when it has no usable id.
        Returns the message id."""
        try:
            event_id, error = adapter.message_id(headers, body, signed_id), None
        except Exception as exc:  # noqa: BLE001 - the adapter may be what failed
            event_id, error = None, str(exc)
        if not lib_events.is_event_id(event_id):
            return self._quarantine(config, signed_id, body, headers, f"{error or ''}\n{note}".strip())
        message_id, outcome = self._store(config, event_id, body, headers)
        if outcome == STORED:
            self.env["logistics.sync.message"].browse(message_id).write({"error": note})
        return message_id
