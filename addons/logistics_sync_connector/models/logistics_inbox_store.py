# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import hashlib
import json
import uuid

from odoo import api, fields, models

from ..lib import events as lib_events

# Headers worth keeping with an inbound message (never Authorization or cookies).
KEPT_HEADERS = (
    "content-type", "user-agent", "webhook-id", "webhook-timestamp", "x-request-id",
    "x-forwarded-for", "x-easypost-event-id",
)


class LogisticsInboxStore(models.AbstractModel):
    """The webhook side of the inbox: store what a verified delivery holds."""

    _inherit = "logistics.inbox"

    @api.model
    def _store(self, config, event_id, body, headers):
        """Store a verified webhook delivery; returns (message id, is_new).

        One INSERT … ON CONFLICT DO NOTHING: a replay, or a concurrent duplicate
        (which makes the second transaction fail with a serialization error that
        Odoo retries), inserts nothing and returns the existing id.
        """
        self.env["logistics.sync.message"].check_access("create")
        kept = {k.lower(): v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
        now = fields.Datetime.now()
        # Kept as text; PostgreSQL text cannot hold NUL (only possible in a quarantined
        # body: JSON has no raw NUL), so it is shown as U+FFFD like invalid UTF-8.
        text = body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
        self.env.cr.execute(
            """INSERT INTO logistics_sync_message
                   (uuid, backend_id, company_id, direction, flow, event_id, state, payload,
                    payload_hash, headers, received_at, attempts,
                    create_uid, write_uid, create_date, write_date)
               VALUES (%s, %s, %s, 'in', 'inbound_milestones', %s, 'pending', %s,
                       %s, %s, %s, 0, %s, %s, %s, %s)
               ON CONFLICT ON CONSTRAINT logistics_sync_message_event_uniq DO NOTHING
               RETURNING id""",
            [str(uuid.uuid4()), config["backend_id"], config["company_id"], event_id, text,
             hashlib.sha256(body).hexdigest(), json.dumps(kept), now,
             self.env.uid, self.env.uid, now, now],
        )
        row = self.env.cr.fetchone()
        if row:
            return row[0], True
        self.env.cr.execute(
            """SELECT id FROM logistics_sync_message
                WHERE backend_id = %s AND direction = 'in' AND event_id = %s""",
            [config["backend_id"], event_id],
        )
        return self.env.cr.fetchone()[0], False

    @api.model
    def _quarantine(self, config, event_id, body, headers, error):
        """Keep a malformed (but authentic) delivery, in state invalid (under its own id
        when it has a usable one, else under one derived from the body)."""
        if not lib_events.is_event_id(event_id):
            event_id = "invalid-" + hashlib.sha256(body).hexdigest()[:32]
        message_id, is_new = self._store(config, event_id, body, headers)
        if is_new:
            self.env["logistics.sync.message"].browse(message_id).write(
                {"state": "invalid", "error": error})
        return message_id
