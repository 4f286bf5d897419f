# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from collections import defaultdict

from odoo import api, models

from ..lib import state_machine
from ..tools import bulk, guard
from ..tools.bulk import update_rows

# Milestones not inserted yet arrive after every stored one (POD tie-break).
_NEW_ARRIVAL = 1 << 62


def _differs(record, fname, value):
    current = record[fname]
    if record._fields[fname].type == "many2one":
        current = current.id
    return (current or False) != (value or False)


class LogisticsShipmentStateMixin(models.AbstractModel):
    """How a shipment's derived fields follow its milestones: the derivation by
    ``lib/state_machine.py`` and its writes, in bulk SQL or through the ORM.

    Only ``logistics.shipment`` inherits it; it holds the derived fields (state,
    current milestone, POD flags and dates) that these methods write.
    """

    _name = "logistics.shipment.state.mixin"
    _description = "Shipment state derived from its milestones"

    # Derived fields written with bulk UPDATEs: no tracking, no hooks depend on them.
    # The others (state, POD flags) join them in the same UPDATEs, or go through the
    # ORM, one write per distinct value, for chatter tracking or an extension's write
    # (see _logistics_orm_write_needed).
    # Shipments whose milestones a derivation reads and holds at once (memory bound).
    _logistics_derive_chunk = 1000

    _LOGISTICS_SQL_FIELDS = (
        "current_milestone_id", "current_reason_id", "last_event_at", "date_picked_up",
        "date_delivered", "pod_date", "pod_document_url",
    )

    # Facts: what the milestones decide (docs/architecture.md, "Facts are read-only").
    # Written by the derivation below, or by an entry point in a trusted DERIVATION
    # block; create / write refuse them to everyone below Settings administrator.
    _LOGISTICS_FACT_FIELDS = (
        "state", "current_milestone_id", "current_reason_id", "last_event_at", "date_picked_up",
        "date_delivered", "pod_received", "pod_date", "pod_signed_by", "pod_document_url",
        "pod_attachment_id",
    )

    def _logistics_check_facts(self, vals_list):
        """Refuse facts among these create / write values outside the entry point."""
        written = {fname for vals in vals_list for fname in vals}
        if not written.isdisjoint(self._LOGISTICS_FACT_FIELDS):
            guard.check(self.env, guard.DERIVATION, written, self._LOGISTICS_FACT_FIELDS,
                        self.env._("Shipment"), records=self)

    @api.model
    def default_get(self, fields):
        # default_<field> context keys and personal defaults (ir.default) are the
        # caller's too: a new shipment's facts start from their field defaults.
        defaults = super().default_get(fields)
        facts = [f for f in self._LOGISTICS_FACT_FIELDS if f in defaults]
        if facts and not guard.allowed(self.env, guard.DERIVATION):
            for fname in facts:
                field = self._fields[fname]
                if field.default:
                    defaults[fname] = field.default(self)
                else:
                    del defaults[fname]
        return defaults

    def _logistics_attach_pod(self, attachment):
        """Entry point: record ``attachment`` as this shipment's POD document (the Add
        Milestone wizard's upload), logged in the chatter."""
        self.ensure_one()
        self.check_access("write")
        with guard.trusted(guard.DERIVATION):
            self.pod_attachment_id = attachment
        self.message_post(body=self.env._("Proof of delivery document attached."),
                          attachment_ids=attachment.ids)

    def _logistics_after_derived_change(self, before):
        """Hook: the state or POD flag of these shipments was just written, through
        :meth:`write` or in bulk by :meth:`_logistics_write_derived`. ``before`` maps
        each id to its ``(pod_received, state)`` before the change. Override this, not
        ``write``, to react to it: an override of ``write`` sends the inbox's writes
        back through the ORM (see ``_logistics_orm_write_needed``)."""

    def _logistics_recompute_state(self, rows=None):
        """Derive state, current milestone, dates and POD from the milestones.

        Reads the milestones of the shipments chunk by chunk (see
        :meth:`_logistics_derive_chunked`; or takes ``rows``, all of them as
        :meth:`logistics.shipment.milestone._state_rows` returns them) and writes effects
        and derived fields in bulk.
        """
        if not self:
            return
        derived = self._logistics_derive_chunked() if rows is None else self._logistics_derive(rows)
        self._logistics_write_derived(derived)

    def _logistics_derive_chunked(self, new_rows=(), new_rows_of=None):
        """:meth:`_logistics_derive` of these shipments from their stored milestones and
        ``new_rows`` (milestones not inserted yet, under provisional keys), for at most
        ``_logistics_derive_chunk`` shipments at a time. ``new_rows_of(shipment_ids,
        stored_rows)``, if given, returns more new rows of a chunk from its stored
        milestones (deduplication reads each history once, here).

        An inbox batch spans thousands of shipments: holding all their histories at
        once made each batch's memory, and the workers' heaps, grow with the length of
        the histories. A chunk's milestones are let go before the next chunk is read;
        what is kept (the changes) is bounded by the batch.
        """
        Milestone = self.env["logistics.shipment.milestone"]
        new_of = defaultdict(list)
        for r in new_rows:
            new_of[r.shipment_id].append(r)
        derived = {"effects": {}, "changes": {}}
        ids, size = sorted(self.ids), self._logistics_derive_chunk
        for start in range(0, len(ids), size):
            chunk = self.browse(ids[start:start + size])
            rows = Milestone._state_rows(shipment_ids=chunk.ids)
            if new_rows_of:
                rows += new_rows_of(chunk.ids, rows)
            rows += [r for shipment_id in chunk.ids for r in new_of.pop(shipment_id, ())]
            part = chunk._logistics_derive(rows)
            derived["effects"].update(part["effects"])
            derived["changes"].update(part["changes"])
        return derived

    @api.model
    def _logistics_derive_rows(self, rows):
        """{shipment id: :class:`state_machine.Derivation`} of the shipments of ``rows``
        (all their milestones, as ``logistics.shipment.milestone._state_rows`` returns
        them; a row may carry a provisional key instead of an id for a milestone not
        inserted yet: it counts as arriving after every stored one)."""
        codes = {  # code id -> (code, kind, rank, shipment state), read once
            c.id: (c.code, c.kind, c.rank, c.shipment_state)
            for c in self.env["logistics.milestone.code"]._code_map().values()
        }
        by_shipment = defaultdict(list)
        for r in rows:
            code, kind, rank, state = codes[r.code_id]
            by_shipment[r.shipment_id].append(state_machine.Milestone(
                key=r.id, code=code, kind=kind, rank=rank, occurred_at=r.occurred_at,
                voided=r.voided, state=state, pod_signed_by=r.pod_signed_by,
                pod_document_url=r.pod_document_url,
                arrival=r.id if isinstance(r.id, int) else _NEW_ARRIVAL + r.id[1],
            ))
        return {shipment_id: state_machine.derive(milestones)
                for shipment_id, milestones in by_shipment.items()}

    def _logistics_derivations(self):
        """{shipment id: :class:`state_machine.Derivation`} of these shipments, from
        their stored milestones."""
        rows = self.env["logistics.shipment.milestone"]._state_rows(shipment_ids=self.ids)
        derivations = self._logistics_derive_rows(rows)
        return {s.id: derivations.get(s.id) or state_machine.derive([]) for s in self}

    def _logistics_derive(self, rows):
        """The changes that :meth:`_logistics_derive_rows` makes to these shipments.

        Returns ``{"effects": {key: effect}, "changes": {shipment id: (sql, orm)}}``:
        the effects that differ from the stored ones (every provisional key), and per
        changed shipment the values of ``_LOGISTICS_SQL_FIELDS`` when one of them changes
        (``current_milestone_id`` may be a provisional key) and the other changed fields.
        The POD time, signer and document, once recorded, are kept.
        """
        # Pending ORM writes and recomputations first: flushed after the bulk UPDATE, a
        # stale one (e.g. a related field of a shipment just created) would overwrite it.
        self.flush_recordset()
        derivations = self._logistics_derive_rows(rows)
        rows_of = defaultdict(list)
        for r in rows:
            rows_of[r.shipment_id].append(r)
        empty = state_machine.derive([])
        effects, changes = {}, {}
        for shipment in self:
            d = derivations.get(shipment.id, empty)
            mine = rows_of[shipment.id]
            for r in mine:
                effect = d.effects.get(r.id)
                if (r.effect or None) != effect or not isinstance(r.id, int):
                    effects[r.id] = effect
            current = next((r for r in mine if r.id == d.current), None)
            vals = {
                "state": d.state,
                "current_milestone_id": current.id if current else False,
                "current_reason_id": current.reason_id if current and current.reason_id else False,
                "last_event_at": d.last_event_at or False,
                "date_picked_up": d.date_picked_up or False,
                "date_delivered": d.date_delivered or False,
                "pod_received": d.pod_received,
                "pod_date": shipment.pod_date or d.pod_date or False,
                "pod_document_url": shipment.pod_document_url or d.pod_document_url or False,
            }
            if d.pod_signed_by and not shipment.pod_signed_by:
                vals["pod_signed_by"] = d.pod_signed_by
            changed = {k: v for k, v in vals.items() if _differs(shipment, k, v)}
            sql = {k: vals[k] for k in self._LOGISTICS_SQL_FIELDS} if any(
                k in self._LOGISTICS_SQL_FIELDS for k in changed) else None
            orm = {k: v for k, v in changed.items() if k not in self._LOGISTICS_SQL_FIELDS}
            if sql or orm:
                changes[shipment.id] = (sql, orm)
        return {"effects": effects, "changes": changes}

    def _logistics_write_derived(self, derived, new_ids=None):
        """Write a :meth:`_logistics_derive` result; ``new_ids`` maps provisional keys to
        the ids of the inserted milestones. Returns the shipments written."""
        # The derivation writes the facts: the one trusted DERIVATION block of the shipment.
        with guard.trusted(guard.DERIVATION):
            Milestone = self.env["logistics.shipment.milestone"]
            new_ids = new_ids or {}
            update_rows(Milestone, ("effect",), [
                (key, effect) for key, effect in derived["effects"].items() if isinstance(key, int)],
                log=False)
            sql_of, orm_of = {}, {}
            for shipment_id, (sql, orm) in derived["changes"].items():
                if sql:
                    sql["current_milestone_id"] = new_ids.get(
                        sql["current_milestone_id"], sql["current_milestone_id"])
                    sql_of[shipment_id] = tuple(sql[k] or None for k in self._LOGISTICS_SQL_FIELDS)
                if orm:
                    orm_of[shipment_id] = orm
            if orm_of and self._logistics_orm_write_needed():
                update_rows(self, self._LOGISTICS_SQL_FIELDS, [(i, *v) for i, v in sql_of.items()])
                orm_groups = {}
                for shipment_id, orm in orm_of.items():
                    orm_groups.setdefault(tuple(sorted(orm.items())), []).append(shipment_id)
                for orm_vals, ids in orm_groups.items():
                    self.browse(ids).write(dict(orm_vals))
            else:
                self._logistics_bulk_write(sql_of, orm_of)
            return self.browse(derived["changes"])

    def _logistics_orm_write_needed(self):
        """Whether the state and POD flags must go through ``write``: for the chatter
        tracking of state changes (when the backend asks for it), or because the model
        opted out of bulk SQL writes (``_logistics_bulk_sql = False``, for an extension
        that must see those writes). React to changes in
        :meth:`_logistics_after_derived_change` instead, which both paths call."""
        return not self.env.context.get("tracking_disable") or not bulk.enabled(self)

    def _logistics_bulk_write(self, sql_of, orm_of):
        """Each shipment written once: its derived columns (``sql_of``: id -> values of
        ``_LOGISTICS_SQL_FIELDS``) and its changed state and POD flags (``orm_of``: id ->
        {field: value}, as ``write`` would get them) in one UPDATE per set of columns.
        A second UPDATE of the same rows for the state would be a second row version,
        and not a HOT one (the state is indexed). The ORM's other duties are done here:
        access, dependents, the hook."""
        shipments = self.browse(orm_of)
        shipments.check_access("write")
        before = {s.id: (s.pod_received, s.state) for s in shipments}
        by_columns = {}
        for shipment_id in {**sql_of, **orm_of}:
            derived = sql_of.get(shipment_id, ())
            orm = orm_of.get(shipment_id, {})
            names = tuple(sorted(orm))
            columns = (self._LOGISTICS_SQL_FIELDS if derived else ()) + names
            by_columns.setdefault(columns, []).append(
                (shipment_id, *derived, *(orm[n] for n in names)))
        for columns, rows in by_columns.items():
            update_rows(self, columns, rows)
            flags = [c for c in columns if c not in self._LOGISTICS_SQL_FIELDS]
            if flags:
                self.browse([r[0] for r in rows]).modified(flags)
        changed = shipments.filtered(lambda s: before[s.id] != (s.pod_received, s.state))
        if changed:
            changed._logistics_after_derived_change(before)
