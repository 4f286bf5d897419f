# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..lib import lateness
from ..lib.dates import to_utc_naive
from ..lib.states import SHIPMENT_ATTENTION, SHIPMENT_TERMINAL
from .logistics_shipment_milestone import BatchDedup

_logger = logging.getLogger(__name__)

SHIPMENT_STATES = [
    ("draft", "Draft"),
    ("created", "Created"),
    ("picked_up", "Picked Up"),
    ("in_transit", "In Transit"),
    ("out_for_delivery", "Out for Delivery"),
    ("on_hold", "On Hold"),
    ("available_for_pickup", "Available for Pickup"),
    ("delivery_failed", "Delivery Failed"),
    ("exception", "Exception"),
    ("delivered", "Delivered"),
    ("returned", "Returned"),
    ("cancelled", "Cancelled"),
]


class LogisticsShipment(models.Model):
    _name = "logistics.shipment"
    _description = "Shipment"
    _inherit = ["mail.thread", "mail.activity.mixin", "logistics.shipment.state.mixin",
                "logistics.shipment.transport"]
    _order = "id desc"
    _check_company_auto = True
    # Milestone batches write the derived fields with bulk SQL (tools/bulk.py).
    _logistics_bulk_sql = True

    name = fields.Char(
        "Reference", required=True, copy=False, default="/", index="trigram", tracking=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner", "Customer", index=True, tracking=True, check_company=True
    )
    carrier_id = fields.Many2one(
        "delivery.carrier", index=True, tracking=True, check_company=True
    )
    tracking_number = fields.Char(index=True, tracking=True, copy=False)
    picking_ids = fields.One2many(
        "stock.picking", "logistics_shipment_id", "Deliveries", check_company=True
    )
    picking_count = fields.Integer(compute="_compute_picking_count")
    sale_id = fields.Many2one(
        "sale.order", "Sale Order", index="btree_not_null", check_company=True, tracking=True
    )
    date_planned = fields.Datetime("Planned Delivery", tracking=True)
    date_estimated = fields.Datetime("Estimated Delivery", tracking=True)
    date_picked_up = fields.Datetime("Picked Up On", readonly=True, copy=False)
    date_delivered = fields.Datetime("Delivered On", readonly=True, copy=False)
    state = fields.Selection(
        SHIPMENT_STATES,
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
        help="Derived from the milestones by event time and rank, never by arrival order.",
    )
    current_milestone_id = fields.Many2one(
        "logistics.shipment.milestone", readonly=True, copy=False
    )
    current_reason_id = fields.Many2one(
        "logistics.milestone.reason",
        "Current Reason",
        related="current_milestone_id.reason_id",
        store=True,
    )
    # Not indexed: it changes with nearly every milestone, and an indexed column that
    # changes rules out PostgreSQL's HOT updates (no index entries rewritten).
    last_event_at = fields.Datetime(
        "Last Event", readonly=True, copy=False,
        help="Event time of the latest effective milestone.",
    )
    milestone_ids = fields.One2many(
        "logistics.shipment.milestone", "shipment_id", "Milestones", copy=False
    )
    milestone_count = fields.Integer(compute="_compute_milestone_count")
    pod_received = fields.Boolean("POD Received", readonly=True, copy=False, index=True)
    pod_signed_by = fields.Char("POD Signed By", readonly=True, tracking=True, copy=False)
    pod_date = fields.Datetime("POD Time", readonly=True, copy=False)
    pod_document_url = fields.Char("POD Document URL", readonly=True, copy=False)
    pod_attachment_id = fields.Many2one("ir.attachment", "POD Document", readonly=True, copy=False)
    is_late = fields.Boolean(compute="_compute_is_late", search="_search_is_late")
    needs_attention = fields.Boolean(
        compute="_compute_needs_attention", search="_search_needs_attention"
    )
    note = fields.Html()

    _sql_constraints = [
        ("name_company_uniq", "unique(name, company_id)", "Shipment references must be unique."),
    ]

    def init(self):
        res = super().init()
        # Every milestone batch rewrites the derived fields of its shipments: free room
        # in each page lets PostgreSQL update them in place (HOT) when no indexed column
        # changes, instead of adding an entry to each of the table's indexes.
        self.env.cr.execute("SELECT reloptions FROM pg_class WHERE oid = 'logistics_shipment'::regclass")
        if "fillfactor=80" not in (self.env.cr.fetchone()[0] or []):
            self.env.cr.execute("ALTER TABLE logistics_shipment SET (fillfactor = 80)")
        self.env.cr.execute("DROP INDEX IF EXISTS logistics_shipment__last_event_at_index")
        return res

    # ------------------------------------------------------------------ compute
    def _compute_picking_count(self):
        for rec in self:
            rec.picking_count = len(rec.picking_ids)

    def _compute_milestone_count(self):
        data = self.env["logistics.shipment.milestone"]._read_group(
            [("shipment_id", "in", self.ids)], ["shipment_id"], ["__count"]
        )
        counts = {shipment.id: count for shipment, count in data}
        for rec in self:
            rec.milestone_count = counts.get(rec.id, 0)

    def _late_deadline(self):
        self.ensure_one()
        return lateness.deadline(self.date_estimated, self.date_planned)

    @api.depends("date_estimated", "date_planned", "state")
    def _compute_is_late(self):
        now = fields.Datetime.now()
        for rec in self:
            deadline = rec._late_deadline()
            rec.is_late = bool(deadline and deadline < now and rec.state not in SHIPMENT_TERMINAL)

    def _search_is_late(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on 'late'."))
        now = fields.Datetime.now()
        late = [
            ("state", "not in", SHIPMENT_TERMINAL),
            "|",
            ("date_estimated", "<", now),
            "&",
            ("date_estimated", "=", False),
            ("date_planned", "<", now),
        ]
        if (operator == "=") == value:
            return late
        # Written out rather than negated: NOT on NULL dates would drop rows.
        return [
            "|",
            ("state", "in", SHIPMENT_TERMINAL),
            "|",
            "&",
            ("date_estimated", "!=", False),
            ("date_estimated", ">=", now),
            "&",
            ("date_estimated", "=", False),
            "|",
            ("date_planned", "=", False),
            ("date_planned", ">=", now),
        ]

    @api.depends("state")
    def _compute_needs_attention(self):
        for rec in self:
            rec.needs_attention = rec.state in SHIPMENT_ATTENTION

    def _search_needs_attention(self, operator, value):
        positive = (operator == "=") == bool(value)
        return [("state", "in" if positive else "not in", SHIPMENT_ATTENTION)]

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        self._logistics_check_facts(vals_list)
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["name"] = (
                    self.env["ir.sequence"]
                    .with_company(company)
                    .next_by_code("logistics.shipment")
                    or "/"
                )
        return super().create(vals_list)

    def write(self, vals):
        self._logistics_check_facts([vals])
        before = {s.id: (s.pod_received, s.state) for s in self} if (
            "pod_received" in vals or "state" in vals) else None
        res = super().write(vals)
        if before:
            self._logistics_after_derived_change(before)
        return res

    # ------------------------------------------------------------------ lookups
    @api.model
    def _search_references(self, names):
        """The shipments whose reference is exactly one of ``names`` (access rules apply).

        Never through the reference's trigram index (GIN, for the UI's substring
        search): PostgreSQL can plan an exact ``IN`` lookup through it when the index's
        statistics are stale, and each name then scans the index's whole pending list
        of recent entries: seconds instead of milliseconds (docs/performance.md).
        GIN indexes only serve bitmap scans: those are off for this one query (until
        the end of the transaction if it fails: a rollback resets the setting too)."""
        if not names:
            return self.browse()
        cr = self.env.cr
        cr.execute("SELECT current_setting('enable_bitmapscan')")
        previous = cr.fetchone()[0]
        cr.execute("SELECT set_config('enable_bitmapscan', 'off', true)")
        shipments = self.search([("name", "in", list(names))])
        cr.execute("SELECT set_config('enable_bitmapscan', %s, true)", [previous])
        return shipments

    # ------------------------------------------------------------------ milestones
    @api.model
    def _prepare_milestone_values(self, values, codes):
        """Normalise one input of :meth:`_apply_milestones` into milestone values."""
        vals = dict(values)
        code = vals.pop("code", None)
        if not vals.get("code_id"):
            record = codes.get(code)
            if not record:
                raise ValidationError(self.env._("Unknown milestone code %r.", code))
            vals["code_id"] = record.id
        if not vals.get("shipment_id"):
            raise ValidationError(self.env._("A milestone needs a shipment."))
        if not vals.get("occurred_at"):
            raise ValidationError(self.env._("A milestone needs its event time (occurred_at)."))
        for fname in ("occurred_at", "received_at"):
            try:
                vals[fname] = to_utc_naive(vals.get(fname))
            except ValueError as exc:
                raise ValidationError(
                    self.env._("Invalid date/time %r.", vals[fname])) from exc
        reason = vals.pop("reason", None)
        if reason and not vals.get("reason_id"):
            reason_rec = self.env["logistics.milestone.reason"].search(
                [("code_id", "=", vals["code_id"]), ("code", "=", reason)], limit=1
            )
            if reason_rec:
                vals["reason_id"] = reason_rec.id
            else:
                vals["detail"] = " - ".join(filter(None, [reason, vals.get("detail")]))
        return vals

    @api.model
    def _apply_milestones(self, values_list):
        """Apply a batch of milestones: the one entry point of every channel.

        Each item is a dict with ``shipment_id``, ``code`` (canonical code) or
        ``code_id``, ``occurred_at`` (event time; aware datetimes and ISO strings are
        converted to UTC) and optionally ``received_at``, ``source``, ``location``,
        ``reason`` (reason code) or ``reason_id``, ``detail``, ``external_code``,
        ``external_event_id``, ``pod_signed_by``, ``pod_document_url``.

        A milestone already known for (shipment, code, event time) — from this
        batch, an earlier one, or a concurrent transaction — is not created again:
        the report is recorded as a duplicate of the first one, with its source.
        The states of the touched shipments are derived again once, at the end.

        Returns one ``{"status": "created"|"duplicate", "milestone_id": id}`` per item.
        """
        Milestone = self.env["logistics.shipment.milestone"]
        codes = self.env["logistics.milestone.code"]._code_map()
        prepared = [self._prepare_milestone_values(v, codes) for v in values_list]
        if not prepared:
            return []
        shipment_ids = {v["shipment_id"] for v in prepared}
        shipments = self.browse(shipment_ids)
        shipments.check_access("write")
        # Row locks only: every locked shipment is written below (derived fields) or
        # touched, which is what makes a concurrent batch fail and retry (see the lock).
        shipments._logistics_lock(touch=False)
        dedup = BatchDedup(prepared)
        # Derive before inserting, with the new milestones under provisional keys, so
        # that they are inserted with their effect: updating every fresh row's effect
        # afterwards would cost as much as inserting it.
        derived = shipments._logistics_derive_chunked(new_rows_of=dedup)
        key_to_id, first_of_key = dedup.key_to_id, dedup.first_of_key
        to_create = sorted(first_of_key.values())  # in the order of the batch
        created = Milestone._insert_milestones([
            dict(prepared[p], effect=derived["effects"][("new", p)]) for p in to_create])
        new_ids = {("new", p): milestone_id for p, milestone_id in zip(to_create, created.ids, strict=True)}
        for key, position in first_of_key.items():
            key_to_id[key] = new_ids[("new", position)]
        results, dup_vals, fresh = [], [], set(created.ids)
        for vals in prepared:
            milestone_id = key_to_id[Milestone._key_of(vals)]
            if milestone_id in fresh:
                fresh.discard(milestone_id)  # the first report of a key creates it
                results.append({"status": "created", "milestone_id": milestone_id})
            else:
                results.append({"status": "duplicate", "milestone_id": milestone_id})
                dup_vals.append(Milestone._duplicate_values(milestone_id, vals))
        Milestone._insert_duplicates(dup_vals)
        written = shipments._logistics_write_derived(derived, new_ids)
        (shipments - written)._logistics_lock()
        return results

    def _logistics_lock(self, touch=True):
        """Serialise concurrent milestone batches on the same shipments.

        Odoo runs transactions in REPEATABLE READ: a transaction cannot see a
        milestone that a concurrent one commits after its snapshot. Touching the
        shipment rows makes the second transaction wait for the first and then
        fail with a genuine serialization failure, which Odoo's request retry and
        queue_job retry by running it again on a fresh snapshot, where the
        milestone is visible and reported as a duplicate. Rows are locked in id
        order so that batches over several shipments cannot deadlock.

        With ``touch=False`` the rows are only locked (no new row version, which cost
        as much as the real update on a batch of 10,000 shipments): the caller must
        then write every one of them before it commits, as ``_apply_milestones`` does.
        """
        if not self:
            return
        if touch:
            self.env.cr.execute(
                """UPDATE logistics_shipment SET write_date = write_date
                    WHERE id IN (SELECT id FROM logistics_shipment WHERE id = ANY(%s)
                                 ORDER BY id FOR UPDATE)""",
                [sorted(self.ids)],
            )
        else:
            self.env.cr.execute(
                """SELECT id FROM logistics_shipment WHERE id = ANY(%s)
                    ORDER BY id FOR NO KEY UPDATE""",
                [sorted(self.ids)],
            )

    # ------------------------------------------------------------------ actions
    def action_add_milestone(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync.logistics_milestone_add_wizard_action"
        )
        action["context"] = {"default_shipment_id": self.id}
        return action

    def action_correct_state(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync.logistics_shipment_correct_wizard_action"
        )
        action["context"] = {"default_shipment_id": self.id}
        return action

    def action_view_pickings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("stock.action_picking_tree_all")
        action["domain"] = [("id", "in", self.picking_ids.ids)]
        action["context"] = {"create": False}
        if len(self.picking_ids) == 1:
            action["views"] = [(False, "form")]
            action["res_id"] = self.picking_ids.id
        return action

    def action_view_milestones(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync.logistics_shipment_milestone_action"
        )
        action["domain"] = [("shipment_id", "=", self.id)]
        action["context"] = {"default_shipment_id": self.id, "create": False}
        return action

    # ------------------------------------------------------------------ helpers
    def _logistics_open(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync.logistics_shipment_action"
        )
        action["domain"] = [("id", "in", self.ids)]
        if len(self) == 1:
            action["views"] = [(False, "form")]
            action["res_id"] = self.id
        return action

    @api.model
    def _prepare_from_picking(self, picking):
        return {
            "company_id": picking.company_id.id,
            "partner_id": picking.partner_id.id,
            "carrier_id": picking.carrier_id.id,
            "tracking_number": picking.carrier_tracking_ref or False,
            "sale_id": picking.sale_id.id,
            "date_planned": picking.date_deadline or picking.sale_id.commitment_date or False,
        }

    @api.model
    def _create_from_pickings(self, pickings):
        """One shipment per picking, each with its ``created`` milestone."""
        if not pickings:
            return self.browse()
        shipments = self.create([self._prepare_from_picking(p) for p in pickings])
        for shipment, picking in zip(shipments, pickings, strict=True):
            picking.logistics_shipment_id = shipment
        now = fields.Datetime.now()
        self._apply_milestones(
            [
                {"shipment_id": s.id, "code": "created", "occurred_at": now, "source": "odoo"}
                for s in shipments
            ]
        )
        return shipments
