# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import base64
import hashlib
import json

from odoo import api, fields, models
from odoo.addons.logistics_sync_connector.models.logistics_inbox_store import STORED

from ..lib import ack997, x12, x12_214

ACK_SEQUENCE = "logistics_sync_x12_214.ack_997"


class LogisticsInbox(models.AbstractModel):
    """X12 214 files into the inbox: the file side of the webhook controller.

    Runs as the backend's integration user (like the webhook): each 214 transaction
    set is stored through ``_store`` (same dedup, apply, authority and replay as a
    webhook delivery); a file that is not X12 or whose envelope is faulty is kept as
    one invalid message and nothing of that interchange is stored."""

    _inherit = "logistics.inbox"

    @api.model
    def _receive_x12(self, backend, filename, content):
        """Store a file; returns ``(message ids, 997 text or "", ok)`` where ``ok`` is
        False when the file (or one of its interchanges) was rejected."""
        config = {"backend_id": backend.id, "company_id": backend.company_id.id}
        headers = {"content-type": "application/edi-x12"}
        try:
            interchanges = x12.parse(x12.decode(content))
        except x12.X12Error as exc:
            reason = f"{filename}: {exc}"
            event_id = "x12-invalid-" + hashlib.sha256(content).hexdigest()[:32]
            message_id = self._quarantine(config, event_id, content, headers, reason)
            self._note_filename(message_id, filename)
            ack = self._x12_reject(exc) if exc.partial else ""
            if ack:
                self._x12_attach(message_id, filename, ack)
            return [message_id], ack, False
        ids, acks = [], []
        for interchange in interchanges:
            rejected, stored = {}, []
            for group in interchange.groups:
                for transaction in group.transactions:
                    if transaction.set_id != x12_214.SET_ID:
                        rejected[(group.control, transaction.control)] = ack997.NOT_SUPPORTED
                        continue
                    body = x12.render(interchange, group, transaction).encode()
                    event_id = x12_214.message_event_id(interchange, group, transaction)
                    message_id, outcome = self._store_audited(
                        config, event_id, body, headers, backend.code, f"file:{filename}"[:255])
                    if outcome == STORED:
                        self._note_filename(message_id, filename)
                    stored.append(message_id)
            ack = ack997.ack_997(interchange, interchange.groups, rejected,
                                 self._x12_ack_control(), fields.Datetime.now())
            if stored:
                self._x12_attach(stored[0], filename, ack)
            ids.extend(stored)
            acks.append(ack)
        if ids and not backend.paused:
            backend._enqueue_inbox()
        return ids, "".join(acks), True

    @api.model
    def _x12_reject(self, exc):
        """The 997 rejecting what an interchange with a faulty envelope held."""
        interchange, groups = exc.partial
        kind, code = exc.fault or (None, "")
        last_group = groups[-1] if groups else None
        last_set = last_group.transactions[-1] if last_group and last_group.transactions else None
        rejected = {}
        for group in groups:
            for transaction in group.transactions:
                own = kind == "set" and transaction is last_set
                rejected[(group.control, transaction.control)] = code if own else ""
        faults = {last_group.control: code} if kind == "group" and last_group else {}
        return ack997.ack_997(interchange, groups, rejected, self._x12_ack_control(),
                              fields.Datetime.now(), group_faults=faults)

    @api.model
    def _x12_ack_control(self):
        value = self.env["ir.sequence"].next_by_code(ACK_SEQUENCE) or "1"
        return int(value) % 1_000_000_000 or 1

    @api.model
    def _note_filename(self, message_id, filename):
        # With the message's headers: the inbox job rewrites its result.
        message = self.env["logistics.sync.message"].browse(message_id)
        message.write({"headers": json.dumps({"content-type": "application/edi-x12",
                                              "x-filename": filename})})

    @api.model
    def _x12_attach(self, message_id, filename, ack):
        """The 997 of a file, on its (first) message."""
        return self.env["ir.attachment"].create({
            "name": f"{filename}.997",
            "res_model": "logistics.sync.message",
            "res_id": message_id,
            "mimetype": "text/plain",
            "datas": base64.b64encode(ack.encode()),
        })
