# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging
from collections import defaultdict, namedtuple

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..lib import state_machine
from ..tools import guard
from ..tools.bulk import can_insert, insert_rows

_logger = logging.getLogger(__name__)

EFFECT_SELECTION = [
    (state_machine.EFFECT_STATE, "Sets the state"),
    (state_machine.EFFECT_HISTORY, "History"),
    (state_machine.EFFECT_LATE, "Late: did not move the state back"),
    (state_machine.EFFECT_AFTER_TERMINAL, "After a terminal state"),
    (state_machine.EFFECT_EVIDENCE, "Proof of delivery"),
    (state_machine.EFFECT_VOIDED, "Voided"),
]
# Changing these re-derives the shipment state.
STATE_FIELDS = {"code_id", "occurred_at", "voided", "shipment_id"}
# What an inbound milestone carries: :meth:`_insert_milestones` writes exactly these
# columns (plus the related stored ones and the log columns) with one INSERT.
INSERT_FIELDS = (
    "shipment_id", "code_id", "occurred_at", "received_at", "source", "location", "reason_id",
    "detail", "external_code", "external_event_id", "pod_signed_by", "pod_document_url", "effect",
)


DUPLICATE_FIELDS = ("milestone_id", "source", "received_at", "external_event_id", "external_code",
                    "detail")
# What a manager's correction (voided…) or the derivation (effect) sets: never given to
# create outside the entry point.
CORRECTION_FIELDS = ("voided", "void_reason", "voided_by_id", "effect")
# What deduplication and state derivation read of a milestone (see _state_rows).
MilestoneRow = namedtuple("MilestoneRow", "id shipment_id code_id occurred_at voided effect "
                                          "pod_signed_by pod_document_url reason_id")


def milestone_key(vals):
    """What makes two reports the same milestone (the unique index)."""
    return (vals["shipment_id"], vals["code_id"], vals["occurred_at"])


class BatchDedup:
    """Which reports of a batch (prepared milestone values) are new, decided chunk by
    chunk against the stored milestones that the derivation reads anyway, so that each
    history is read once (``logistics.shipment._logistics_derive_chunked``)."""

    def __init__(self, prepared):
        self.prepared = prepared
        self.positions_of = defaultdict(list)
        for position, vals in enumerate(prepared):
            self.positions_of[vals["shipment_id"]].append(position)
        self.key_to_id = {}  # key of a stored milestone -> its id
        self.first_of_key = {}  # key of a new milestone -> position of its first report

    def __call__(self, chunk_ids, stored):
        """The new milestones of these shipments, as rows under provisional keys
        ``("new", position)``, given all their ``stored`` rows."""
        stored_ids = {(r.shipment_id, r.code_id, r.occurred_at): r.id for r in stored}
        new_rows = []
        for shipment_id in chunk_ids:
            for position in self.positions_of[shipment_id]:
                vals = self.prepared[position]
                key = milestone_key(vals)
                if key in stored_ids:
                    self.key_to_id[key] = stored_ids[key]
                elif key not in self.first_of_key:
                    self.first_of_key[key] = position
                    new_rows.append(MilestoneRow(
                        ("new", position), shipment_id, vals["code_id"], vals["occurred_at"],
                        False, None, vals.get("pod_signed_by") or None,
                        vals.get("pod_document_url") or None, vals.get("reason_id") or None))
        return new_rows


def _report_row(vals, columns, now):
    """The values of ``columns`` for a bulk insert, with the ORM defaults of a report
    (received now, source ``manual``)."""
    row = {c: vals.get(c) or None for c in columns}
    row["received_at"] = row["received_at"] or now
    row["source"] = row["source"] or "manual"
    return tuple(row.values())


class LogisticsShipmentMilestone(models.Model):
    _name = "logistics.shipment.milestone"
    _description = "Shipment Milestone"
    _order = "occurred_at desc, id desc"
    _rec_name = "code_id"
    # Inbound milestones are inserted with bulk SQL (tools/bulk.py).
    _logistics_bulk_sql = True

    # Not indexed on its own: the unique (shipment_id, code_id, occurred_at) index serves
    # every lookup by shipment, and one index less is ~10% off each bulk insert.
    shipment_id = fields.Many2one("logistics.shipment", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="shipment_id.company_id", store=True, index=True)
    code_id = fields.Many2one(
        "logistics.milestone.code", "Milestone", required=True, ondelete="restrict"
    )
    code = fields.Char(related="code_id.code", store=True, index=True)
    kind = fields.Selection(related="code_id.kind")
    occurred_at = fields.Datetime("Event Time", required=True, index=True)
    received_at = fields.Datetime(
        "Received", required=True, default=fields.Datetime.now, readonly=True
    )
    source = fields.Char(
        required=True, default="manual", index=True, help="System that reported the milestone."
    )
    location = fields.Char()
    reason_id = fields.Many2one(
        "logistics.milestone.reason", domain="[('code_id', '=', code_id)]", ondelete="restrict"
    )
    detail = fields.Text()
    external_code = fields.Char(help="The status code as the external system sent it.")
    external_event_id = fields.Char("External Event ID", index="btree_not_null")
    pod_signed_by = fields.Char("POD Signed By")
    pod_document_url = fields.Char("POD Document URL")
    effect = fields.Selection(EFFECT_SELECTION, readonly=True)
    voided = fields.Boolean(readonly=True, copy=False)
    void_reason = fields.Char(readonly=True, copy=False)
    voided_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    duplicate_ids = fields.One2many(
        "logistics.shipment.milestone.duplicate", "milestone_id", "Duplicate Reports"
    )
    duplicate_count = fields.Integer(compute="_compute_duplicate_count")

    _sql_constraints = [
        (
            "shipment_code_time_uniq",
            "unique(shipment_id, code_id, occurred_at)",
            "This milestone is already recorded for this shipment at this time.",
        ),
    ]

    def init(self):
        res = super().init()
        # Created by earlier versions (shipment_id was index=True); Odoo keeps it.
        self.env.cr.execute("DROP INDEX IF EXISTS logistics_shipment_milestone__shipment_id_index")
        return res

    @api.depends("duplicate_ids")
    def _compute_duplicate_count(self):
        for rec in self:
            rec.duplicate_count = len(rec.duplicate_ids)

    @api.depends("code_id", "occurred_at")
    def _compute_display_name(self):
        for rec in self:
            when = fields.Datetime.to_string(rec.occurred_at) if rec.occurred_at else ""
            rec.display_name = f"{rec.code_id.display_name or ''} {when}".strip()

    # ------------------------------------------------------------------ CRUD
    @api.model
    def _logistics_manual_source(self):
        """The source of a milestone that a person adds: ``manual:<login>``."""
        return f"manual:{self.env.user.login}"

    @api.model_create_multi
    def create(self, vals_list):
        # Outside the entry point (_apply_milestones), a person adds the milestone:
        # the system names the source, and the state is derived again (no context
        # key skips it).
        entry_point = guard.is_trusted(guard.DERIVATION)
        if not entry_point:
            shipments = self.env["logistics.shipment"].browse(
                {vals["shipment_id"] for vals in vals_list if vals.get("shipment_id")})
            guard.check(self.env, guard.DERIVATION, {f for vals in vals_list for f in vals},
                        CORRECTION_FIELDS, self.env._("Milestone"), records=shipments)
            system = {"source": self._logistics_manual_source(),
                      "received_at": fields.Datetime.now()}
            vals_list = [dict(vals, **system) for vals in vals_list]
        records = super().create(vals_list)
        if not (entry_point and self.env.context.get("logistics_skip_recompute")):
            records.shipment_id._logistics_recompute_state()
        return records

    def write(self, vals):
        # Immutable once recorded: only a manager's correction (_void) changes a
        # milestone; the derivation writes its effect.
        if not (guard.is_trusted(guard.DERIVATION) and set(vals) <= {"effect"}):
            guard.check(self.env, guard.CORRECTION, vals, vals, self.env._("Milestone"),
                        records=self)
        if "effect" in vals and len(vals) == 1:
            return super().write(vals)
        shipments = self.shipment_id
        res = super().write(vals)
        if STATE_FIELDS & set(vals):
            (shipments | self.shipment_id)._logistics_recompute_state()
        return res

    def unlink(self):
        if not guard.allowed(self.env, guard.CORRECTION):
            raise AccessError(self.env._(
                "Milestones are never deleted: a Logistics Manager voids them with Correct."))
        shipments = self.shipment_id
        res = super().unlink()
        shipments.exists()._logistics_recompute_state()
        return res

    @api.model
    def _insert_milestones(self, vals_list):
        """Create milestones for :meth:`logistics.shipment._apply_milestones`.

        The inbound hot path: one multi-row INSERT instead of the ORM's create, with
        the related stored columns (company_id, code) written here. Same access checks
        as ``create``; the caller has locked and access-checked the shipments. Goes
        through ``create`` when the model opted out of bulk SQL or a value is not one
        of ``INSERT_FIELDS`` (tools/bulk.py). The caller derives the shipment states.
        """
        if not vals_list:
            return self.browse()
        if not can_insert(self, vals_list, INSERT_FIELDS):
            with guard.trusted(guard.DERIVATION):  # the entry point's: its source, derived later
                return self.with_context(logistics_skip_recompute=True).create(vals_list)
        self.check_access("create")
        codes = {c.id: c.code for c in self.env["logistics.milestone.code"]._code_map().values()}
        shipments = self.env["logistics.shipment"].browse({v["shipment_id"] for v in vals_list})
        company_of = {s.id: s.company_id.id for s in shipments}
        now = fields.Datetime.now()
        rows = [(*_report_row(vals, INSERT_FIELDS, now), company_of[vals["shipment_id"]],
                 codes[vals["code_id"]], False) for vals in vals_list]
        records = insert_rows(self, (*INSERT_FIELDS, "company_id", "code", "voided"), rows)
        shipments.invalidate_recordset(["milestone_ids"])
        return records

    # ------------------------------------------------------------------ dedup
    @api.model
    def _key_of(self, vals):
        return milestone_key(vals)

    @api.model
    def _state_rows(self, shipment_ids=None, ids=None):
        """:class:`MilestoneRow` of the milestones of these shipments (or with these ids):
        what deduplication and state derivation read, in one query."""
        if not shipment_ids and not ids:
            return []
        self.flush_model()
        column, values = ("shipment_id", shipment_ids) if shipment_ids else ("id", ids)
        self.env.cr.execute(SQL(
            """SELECT id, shipment_id, code_id, occurred_at, voided, effect,
                      pod_signed_by, pod_document_url, reason_id
                 FROM logistics_shipment_milestone WHERE %s = ANY(%s)""",
            SQL.identifier(column), list(values),
        ))
        return [MilestoneRow._make(row) for row in self.env.cr.fetchall()]

    @api.model
    def _insert_duplicates(self, vals_list):
        """Record duplicate reports in bulk (a replayed day of events is thousands)."""
        Duplicate = self.env["logistics.shipment.milestone.duplicate"]
        if not vals_list:
            return Duplicate
        if not can_insert(Duplicate, vals_list, DUPLICATE_FIELDS):
            with guard.trusted(guard.DERIVATION):  # the entry point's: its source
                return Duplicate.create(vals_list)
        Duplicate.check_access("create")
        milestones = self.browse({v["milestone_id"] for v in vals_list})
        where = {m.id: (m.shipment_id.id, m.company_id.id) for m in milestones}
        now = fields.Datetime.now()
        rows = [(*_report_row(vals, DUPLICATE_FIELDS, now), *where[vals["milestone_id"]])
                for vals in vals_list]
        records = insert_rows(Duplicate, (*DUPLICATE_FIELDS, "shipment_id", "company_id"), rows)
        milestones.invalidate_recordset(["duplicate_ids"])
        return records

    @api.model
    def _duplicate_values(self, milestone_id, vals):
        return {
            "milestone_id": milestone_id,
            "source": vals.get("source") or "manual",
            "received_at": vals.get("received_at") or fields.Datetime.now(),
            "external_event_id": vals.get("external_event_id"),
            "external_code": vals.get("external_code"),
            "detail": vals.get("detail"),
        }

    # ------------------------------------------------------------------ corrections
    def _void(self, reason):
        """Explicit correction: void milestones, which re-derives the state."""
        if not reason:
            raise UserError(self.env._("A correction needs a reason."))
        if not self.env.user.has_group("logistics_sync.group_logistics_manager"):
            raise AccessError(
                self.env._("Only Logistics Managers can correct a shipment's milestones."))
        for shipment in self.shipment_id:
            mine = self.filtered(lambda m, s=shipment: m.shipment_id == s)
            shipment.message_post(
                body=self.env._(
                    "Milestones voided by %(user)s: %(milestones)s. Reason: %(reason)s",
                    user=self.env.user.name,
                    milestones=", ".join(mine.mapped("display_name")),
                    reason=reason,
                )
            )
        with guard.trusted(guard.CORRECTION):
            self.write({"voided": True, "void_reason": reason, "voided_by_id": self.env.uid})
