# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging

from odoo import api, fields, models
from odoo.addons.logistics_sync.lib.states import SHIPMENT_TERMINAL

from ..lib import adapters, authority, outbound
from .logistics_inbox_store import STORED
from .logistics_shipment_binding import BOUND_SQL

_logger = logging.getLogger(__name__)

OUTCOMES = [
    ("ok", "Answered"),
    ("retry", "Failed (temporary)"),
    ("fail", "Refused or unknown"),
    ("skipped", "Nothing to ask with"),
]
# Stored with the answers: the message list shows what came from a poll.
POLL_HEADERS = {"content-type": "application/json", "x-logistics-poll": "1"}


class LogisticsShipmentPoll(models.Model):
    """When a backend last asked its provider about one shipment, and what came of it.

    A run (logistics.backend.polling) picks the backend's open shipments that nothing
    was received about for its silent hours and that it did not ask about within them,
    the longest silent first; asks each within the backend's rate limit and circuit
    breaker (those of its outbound deliveries, which polls count towards); and stores
    each answer through the inbox as the backend's integration user, so that the
    inbox jobs apply it like a webhook delivery (same dedup, authority and replay)."""

    _name = "logistics.shipment.poll"
    _inherit = ["logistics.company.guard"]
    _description = "Shipment Poll"
    _order = "polled_at desc, id desc"

    backend_id = fields.Many2one(
        "logistics.backend", required=True, ondelete="cascade", index=True, check_company=True)
    shipment_id = fields.Many2one(
        "logistics.shipment", required=True, ondelete="cascade", index=True, check_company=True)
    company_id = fields.Many2one(related="shipment_id.company_id", store=True, index=True)
    polled_at = fields.Datetime("Asked At", required=True, readonly=True)
    outcome = fields.Selection(OUTCOMES, required=True, readonly=True)
    http_status = fields.Integer("HTTP Status", readonly=True)
    error = fields.Char(readonly=True)
    message_id = fields.Many2one(
        "logistics.sync.message", "Answer", readonly=True, ondelete="set null",
        help="The inbound message the last answer was stored as (an unchanged answer is "
        "the same message).")

    _sql_constraints = [
        ("backend_shipment_uniq", "unique(backend_id, shipment_id)",
         "One poll record per backend and shipment."),
    ]

    # ------------------------------------------------------------------ run
    @api.model
    def _run(self, backend):
        """Ask about ``backend``'s silent shipments; returns what was done
        (``asked``, ``stored``, and why it ``stopped`` early, if it did)."""
        backend.ensure_one()
        counts = {"asked": 0, "stored": 0, "stopped": ""}
        Outbox = self.env["logistics.outbox"]
        now = fields.Datetime.now()
        allowed, probe = Outbox._circuit_allows(backend, now)
        if not allowed:
            counts["stopped"] = self.env._("Circuit open.")
            return counts
        shipments = self._due(backend, now, backend.poll_max_per_run or 1)
        if not shipments:
            return counts
        adapter = backend._adapter()
        settings = Outbox._settings(backend)
        references = self._references(backend, shipments)
        records = {p.shipment_id.id: p for p in self.search(
            [("backend_id", "=", backend.id), ("shipment_id", "in", shipments.ids)])}
        with outbound.Client() as client:
            for shipment in shipments:
                self.flush_model()
                now = fields.Datetime.now()
                if Outbox._rate_limit_wait(backend, now):
                    counts["stopped"] = self.env._("Rate limit reached.")
                    break
                result = adapter.pull(settings, references[shipment.id], client=client)
                now = fields.Datetime.now()
                message = False
                if result.outcome != "skipped":
                    counts["asked"] += 1
                    Outbox._circuit_record_after_delivery(backend, result.outcome != "retry", now)
                if result.outcome == "ok":
                    message, stored = self._store_answers(backend, adapter, result.payloads)
                    counts["stored"] += stored
                records[shipment.id] = self._note(
                    records.get(shipment.id), backend, shipment, now, result, message)
                if result.outcome == "retry":
                    counts["stopped"] = self.env._("%s: asking again later.", result.reason)
                    break
                if probe and result.outcome != "skipped":
                    break  # a half-open circuit: one probe per run
        if counts["stored"] and not backend.paused:
            backend._enqueue_inbox()
        _logger.info("backend %s: polled %s shipments, %s new answers%s", backend.code,
                     counts["asked"], counts["stored"],
                     f" ({counts['stopped']})" if counts["stopped"] else "")
        return counts

    @api.model
    def _due(self, backend, now, limit):
        """The shipments to ask about, the longest silent first: open (not terminal), in
        the backend's scope (lib/authority.py), with something to name them by (a bound
        external id or a tracking number), nothing received about them (no milestone)
        for the backend's silent hours, and not asked about by it within those hours."""
        cutoff = fields.Datetime.subtract(now, hours=backend.poll_silent_hours or 1)
        self.env.flush_all()
        self.env.cr.execute(
            f"""SELECT s.id
                 FROM logistics_shipment s
            LEFT JOIN logistics_shipment_poll p
                   ON p.shipment_id = s.id AND p.backend_id = %(backend)s
            LEFT JOIN LATERAL (SELECT max(m.received_at) AS heard
                                 FROM logistics_shipment_milestone m
                                WHERE m.shipment_id = s.id) h ON true
                WHERE s.company_id = %(company)s
                  AND s.state NOT IN %(terminal)s
                  AND coalesce(h.heard, s.create_date) < %(cutoff)s
                  AND (p.polled_at IS NULL OR p.polled_at < %(cutoff)s OR p.outcome = 'retry')
                  AND (%(every)s OR {BOUND_SQL})
                  AND (s.tracking_number IS NOT NULL
                       OR EXISTS (SELECT 1 FROM logistics_shipment_binding b
                                   WHERE b.backend_id = %(backend)s AND b.shipment_id = s.id
                                     AND b.external_id IS NOT NULL))
             ORDER BY coalesce(h.heard, s.create_date), s.id
                LIMIT %(limit)s""",
            {"backend": backend.id, "company": backend.company_id.id,
             "terminal": tuple(SHIPMENT_TERMINAL), "cutoff": cutoff, "limit": limit,
             "every": backend.shipment_scope == authority.SCOPE_COMPANY},
        )
        return self.env["logistics.shipment"].browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _references(self, backend, shipments):
        """``{shipment id: adapters.PullReference}``: the backend's external id of each
        (its latest binding with one), its tracking number, and the backend's code of its
        carrier (a carrier cross-reference)."""
        external = {}
        for binding in self.env["logistics.shipment.binding"].search(
                [("backend_id", "=", backend.id), ("shipment_id", "in", shipments.ids),
                 ("external_id", "!=", False)], order="id desc"):
            external.setdefault(binding.shipment_id.id, binding.external_id)
        carriers = {}
        carrier_ids = [s.carrier_id.id for s in shipments if s.carrier_id]
        if carrier_ids:
            for xref in self.env["logistics.backend.xref"].search(
                    [("backend_id", "=", backend.id), ("kind", "=", "carrier"),
                     ("carrier_id", "in", carrier_ids)], order="id"):
                carriers.setdefault(xref.carrier_id.id, xref.external_code)
        return {s.id: adapters.PullReference(
            shipment=s.name, external_id=external.get(s.id),
            tracking_number=s.tracking_number or None,
            carrier=carriers.get(s.carrier_id.id)) for s in shipments}

    @api.model
    def _store_answers(self, backend, adapter, payloads):
        """Store a poll's answers as inbound messages of ``backend``, as a webhook
        delivery is stored; returns (the last message's id, how many were new)."""
        Inbox = self.env["logistics.inbox"]
        config = {"backend_id": backend.id, "company_id": backend.company_id.id}
        message_id, stored = False, 0
        for body in payloads:
            message_id, outcome, _error = Inbox._receive(
                config, adapter, None, body, POLL_HEADERS, backend.code, "poll")
            stored += outcome == STORED
        return message_id, stored

    @api.model
    def _note(self, record, backend, shipment, now, result, message_id):
        vals = {
            "polled_at": now, "outcome": result.outcome, "http_status": result.status_code or 0,
            "error": (result.reason or "")[:500] if result.outcome != "ok" else False,
        }
        if message_id:
            vals["message_id"] = message_id
        if record:
            record.write(vals)
            return record
        return self.create({"backend_id": backend.id, "shipment_id": shipment.id, **vals})
