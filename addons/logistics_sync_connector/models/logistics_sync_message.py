# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging
import uuid
from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.logistics_sync.lib.states import (
    MESSAGE_ATTENTION,
    MESSAGE_FAILED,
    MESSAGE_PENDING,
    MESSAGE_PURGEABLE,
    MESSAGE_REPLAYABLE,
)
from odoo.addons.logistics_sync.tools.bulk import update_rows
from odoo.exceptions import AccessError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from ..lib import outbound as lib_outbound

_logger = logging.getLogger(__name__)


def is_concurrency_error(exc):
    """Errors that Odoo and queue_job retry: let them propagate."""
    return isinstance(exc, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY)


# Columns that processing an inbound message changes.
INBOUND_COLUMNS = ("state", "error", "result", "applied_events", "processed_at", "job_uuid",
                   "attempts", "next_attempt_at")
STATES = [
    ("pending", "Pending"),
    ("done", "Processed"),
    ("sent", "Sent"),
    ("unmapped", "Unmapped code"),
    ("unmatched", "Unmatched shipment"),
    ("unauthorized", "Outside the backend's authority"),
    ("skipped", "Skipped (flow disabled or data owned by Odoo)"),
    ("invalid", "Invalid payload"),
    ("failed", "Failed"),
    ("dead", "Dead"),
    ("cancelled", "Cancelled"),
]

class LogisticsSyncMessage(models.Model):
    _name = "logistics.sync.message"
    _inherit = ["logistics.company.guard"]
    _description = "Logistics Sync Message"
    _order = "id desc"
    _rec_name = "name"

    name = fields.Char(compute="_compute_name")
    uuid = fields.Char(
        "Idempotency Key", required=True, readonly=True, copy=False, index=True,
        default=lambda self: str(uuid.uuid4()),
    )
    # Every webhook inserts a row and every batch updates its rows: indexes only where
    # a query needs one (backend_id: the unique (backend, direction, event) index; a few
    # companies, two directions or a handful of flows select nothing), and the sparse
    # columns indexed where set (btree_not_null): a new inbound row goes
    # into 5 of them.
    # Its company is a column of its own (written by the webhook's INSERT): it must be
    # the backend's, or a message of company A would be processed by B's inbox.
    backend_id = fields.Many2one(
        "logistics.backend", required=True, readonly=True, ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    direction = fields.Selection(
        [("in", "Inbound"), ("out", "Outbound")], required=True, readonly=True
    )
    flow = fields.Char(readonly=True)
    event_type = fields.Char(readonly=True)
    event_id = fields.Char(
        "Event ID", required=True, readonly=True,
        help="Provider event id (inbound) or business event key (outbound): unique per "
        "backend and direction, which makes replays and duplicates no-ops.",
    )
    state = fields.Selection(STATES, default="pending", required=True, readonly=True, index=True)
    payload = fields.Text(readonly=True)
    payload_hash = fields.Char(readonly=True)
    headers = fields.Text(readonly=True)
    traceparent = fields.Char(
        readonly=True, copy=False,
        help="W3C Trace Context: inbound, the sender's traceparent header (when valid); "
        "outbound, the one sent with the request (continuing the trace of the inbound "
        "message that caused it, if any).")
    error = fields.Text(readonly=True)
    result = fields.Text(readonly=True)
    attempts = fields.Integer(readonly=True)
    next_attempt_at = fields.Datetime(readonly=True, index="btree_not_null")
    received_at = fields.Datetime(readonly=True, default=fields.Datetime.now, index=True)
    processed_at = fields.Datetime(readonly=True)
    ordering_key = fields.Char(readonly=True, index="btree_not_null")
    http_status = fields.Integer("HTTP Status", readonly=True)
    duration_ms = fields.Integer(
        "Duration (ms)", readonly=True, help="Outbound: how long the last delivery attempt took.")
    response_body = fields.Text(readonly=True)
    batch_key = fields.Char(readonly=True, index="btree_not_null")
    applied_events = fields.Text(
        readonly=True, help="Indexes of the events of this message already applied (JSON)."
    )
    job_uuid = fields.Char("Last Job", readonly=True, index="btree_not_null")
    job_id = fields.Many2one("queue.job", compute="_compute_job_id")
    shipment_ids = fields.Many2many(
        "logistics.shipment", "logistics_sync_message_shipment_rel", "message_id", "shipment_id",
        readonly=True,
    )
    conflict_ids = fields.One2many(
        "logistics.webhook.audit", "message_id", "Conflicting Deliveries", readonly=True,
        groups="logistics_sync.group_logistics_manager",
        help="Authentic deliveries under this event id with another body: answered 409, "
        "their bodies kept here.",
    )
    res_model = fields.Char(readonly=True)
    # Indexed for the outbound messages of an order (linked to its shipments once created).
    res_id = fields.Many2oneReference(model_field="res_model", readonly=True,
                                      index="btree_not_null")

    _sql_constraints = [
        (
            "event_uniq",
            "unique(backend_id, direction, event_id)",
            "This event was already received / queued for this backend.",
        ),
    ]

    def init(self):
        res = super().init()
        # Indexes of earlier versions that Odoo keeps when a field's index changes: drop
        # the unneeded ones, and the full ones of sparse columns (recreated partial).
        self.env.cr.execute(
            """SELECT indexname FROM pg_indexes
                WHERE tablename = 'logistics_sync_message' AND (
                      indexname = ANY(%s) OR (indexname = ANY(%s) AND indexdef NOT LIKE '%%WHERE%%'))""",
            [[f"logistics_sync_message__{c}_index" for c in ("backend_id", "company_id", "direction", "flow")],
             [f"logistics_sync_message__{c}_index"
              for c in ("next_attempt_at", "ordering_key", "batch_key", "job_uuid")]],
        )
        for (name,) in self.env.cr.fetchall():
            self.env.cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(name)))
        return res

    def _compute_name(self):
        for rec in self:
            rec.name = f"{rec.backend_id.code}/{rec.direction}/{rec.event_id}"

    def _compute_job_id(self):
        jobs = self.env["queue.job"].sudo().search([("uuid", "in", self.filtered("job_uuid").mapped("job_uuid"))])
        by_uuid = {job.uuid: job for job in jobs}
        for rec in self:
            rec.job_id = by_uuid.get(rec.job_uuid, False)

    @api.model
    def _backend_counters(self, backends):
        """{backend id: values of the backend's counter fields} from its messages."""
        stats = {backend.id: {} for backend in backends}
        for backend, direction, state, count in self._read_group(
            [("backend_id", "in", backends.ids)], ["backend_id", "direction", "state"], ["__count"]
        ):
            stats[backend.id][(direction, state)] = count
        inbound = [("backend_id", "in", backends.ids), ("direction", "=", "in")]
        last = dict(self._read_group(inbound, ["backend_id"], ["received_at:max"]))
        oldest = dict(self._read_group(inbound + [("state", "=", MESSAGE_PENDING)],
                                       ["backend_id"], ["received_at:min"]))
        now = fields.Datetime.now()
        result = {}
        for backend in backends:
            s = stats[backend.id]
            result[backend.id] = {
                "message_in_count": sum(v for (d, _s), v in s.items() if d == "in"),
                "message_done_count": s.get(("in", "done"), 0),
                "message_failed_count": sum(v for (_d, st), v in s.items() if st in MESSAGE_FAILED),
                "message_dead_count": sum(v for (_d, st), v in s.items() if st == "dead"),
                "message_attention_count": sum(
                    v for (_d, st), v in s.items() if st in MESSAGE_ATTENTION),
                "message_out_count": s.get(("out", "sent"), 0),
                "last_event_at": last.get(backend),
                "lag_seconds": (now - oldest[backend]).total_seconds() if oldest.get(backend) else 0.0,
            }
        return result

    # ================================================================== UI actions
    def action_replay(self):
        """Managers: process again (inbound) or send again (outbound)."""
        if not self.env.user.has_group("logistics_sync.group_logistics_manager"):
            raise AccessError(self.env._("Only Logistics Managers can replay messages."))
        messages = self.filtered(lambda m: m.state in (*MESSAGE_REPLAYABLE, MESSAGE_PENDING))
        messages.write({"state": "pending", "attempts": 0, "next_attempt_at": False,
                        "error": False})
        for backend in messages.backend_id:
            mine = messages.filtered(lambda m, b=backend: m.backend_id == b)
            if mine.filtered(lambda m: m.direction == "in"):
                backend.with_user(backend.integration_user_id)._enqueue_inbox()
            self.env["logistics.outbox"]._enqueue_send(
                mine.filtered(lambda m: m.direction == "out" and not m.batch_key))
        return True

    def action_cancel(self):
        if not self.env.user.has_group("logistics_sync.group_logistics_manager"):
            raise AccessError(self.env._("Only Logistics Managers can cancel messages."))
        self.filtered(lambda m: m.state not in ("done", "sent")).write(
            {"state": "cancelled", "next_attempt_at": False})
        return True

    def action_view_job(self):
        self.ensure_one()
        if not self.job_id:
            raise UserError(self.env._("No job recorded for this message."))
        return {"type": "ir.actions.act_window", "res_model": "queue.job",
                "res_id": self.job_id.id, "view_mode": "form"}

    def _retry_values(self, error):
        """Transient failure of an inbound message: retry with backoff, dead after the
        backend's max attempts."""
        self.ensure_one()
        backend = self.backend_id
        attempts = self.attempts + 1
        if attempts >= (backend.max_attempts or 1):
            return {"state": "dead", "error": error, "attempts": attempts, "next_attempt_at": False}
        delay = lib_outbound.backoff_delay(
            attempts, base=backend.retry_base_delay or 10, cap=backend.retry_max_delay or 3600)
        return {
            "state": "pending", "error": error, "attempts": attempts,
            "next_attempt_at": fields.Datetime.now() + timedelta(seconds=delay),
        }

    def _inbound_row(self):
        """The columns of ``INBOUND_COLUMNS`` of this message, with its id."""
        self.ensure_one()
        return {"id": self.id, **{c: self[c] for c in INBOUND_COLUMNS}}

    def _write_inbound_outcomes(self, rows, links):
        """Write the outcome of a batch with one UPDATE and link the shipments with one
        INSERT (one array per column, as tools/bulk.py does)."""
        if not rows:
            return
        self.flush_model()
        update_rows(self, INBOUND_COLUMNS,
                    [(row["id"], *(row.get(c) for c in INBOUND_COLUMNS)) for row in rows])
        if links:
            message_ids, shipment_ids = zip(*sorted(set(links)), strict=True)
            self.env.cr.execute(
                """INSERT INTO logistics_sync_message_shipment_rel (message_id, shipment_id)
                   SELECT * FROM unnest(%s::int[], %s::int[]) ON CONFLICT DO NOTHING""",
                [list(message_ids), list(shipment_ids)],
            )
        self.browse([row["id"] for row in rows]).invalidate_recordset(["shipment_ids"])

    # ================================================================== jobs and crons
    def _send(self):
        """Job: deliver this outbound message (logistics.outbox)."""
        return self.env["logistics.outbox"]._send(self)

    @api.model
    def _cron_send_batches(self):
        self.env["logistics.outbox"]._send_batches()

    @api.model
    def _cron_requeue(self):
        """Safety net: a job for every due message that has none (inbox and outbox)."""
        self.env["logistics.inbox"]._requeue()
        self.env["logistics.outbox"]._requeue()

    # ================================================================== retention
    @api.model
    def _cron_purge(self):
        """Blank old payloads, delete old rows; dedup keys are kept >= 30 days."""
        params = self.env["ir.config_parameter"].sudo()
        retention = int(params.get_param("logistics_sync_connector.payload_retention_days", 30))
        keep_rows = max(retention, 30)
        now = fields.Datetime.now()
        final = MESSAGE_PURGEABLE
        self.env.cr.execute(
            """UPDATE logistics_sync_message SET payload = NULL, headers = NULL
                WHERE received_at < %s AND state = ANY(%s) AND payload IS NOT NULL""",
            [now - timedelta(days=retention), list(final)],
        )
        self.env.cr.execute(
            "DELETE FROM logistics_sync_message WHERE received_at < %s AND state = ANY(%s)",
            [now - timedelta(days=keep_rows), list(final)],
        )
