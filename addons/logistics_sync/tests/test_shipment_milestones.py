# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo import models
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import SQL

from ..models import logistics_shipment_state_mixin as shipment_module
from ..tools.bulk import update_rows
from .common import LogisticsCase, at


@tagged("post_install", "-at_install")
class TestShipmentMilestones(LogisticsCase):
    def test_state_follows_milestones_in_order(self):
        shipment = self.new_shipment()
        self.assertEqual(shipment.state, "draft")
        self.apply(shipment, ("created", 0), ("picked_up", 1), ("in_transit", 2))
        self.assertEqual(shipment.state, "in_transit")
        self.assertEqual(shipment.current_milestone_id.code, "in_transit")
        self.assertEqual(shipment.date_picked_up, at(1))
        self.assertEqual(shipment.last_event_at, at(2))
        self.apply(shipment, ("delivered", 5))
        self.assertEqual(shipment.state, "delivered")
        self.assertEqual(shipment.date_delivered, at(5))

    def test_out_of_order_arrival_is_recorded_without_moving_back(self):
        shipment = self.new_shipment()
        self.apply(shipment, ("delivered", 5))
        self.apply(shipment, ("in_transit", 3), ("in_transit", 6))
        self.assertEqual(shipment.state, "delivered")
        effects = {(m.code, m.occurred_at): m.effect for m in shipment.milestone_ids}
        self.assertEqual(effects[("in_transit", at(3))], "history")
        self.assertEqual(effects[("in_transit", at(6))], "after_terminal")
        self.assertEqual(len(shipment.milestone_ids), 3, "late milestones stay visible")

    def test_lower_rank_after_higher_does_not_downgrade(self):
        shipment = self.new_shipment()
        self.apply(shipment, ("out_for_delivery", 4))
        self.apply(shipment, ("in_transit", 6))
        self.assertEqual(shipment.state, "out_for_delivery")
        late = shipment.milestone_ids.filtered(lambda m: m.code == "in_transit")
        self.assertEqual(late.effect, "late")

    def test_duplicates_in_one_batch_and_across_batches_and_sources(self):
        shipment = self.new_shipment()
        res = self.apply(shipment, ("picked_up", 1), ("picked_up", 1), source="tms")
        self.assertEqual([r["status"] for r in res], ["created", "duplicate"])
        self.assertEqual(res[0]["milestone_id"], res[1]["milestone_id"])
        res2 = self.apply(shipment, ("picked_up", 1, {"external_event_id": "evt-9"}), source="wms")
        self.assertEqual(res2[0]["status"], "duplicate")
        milestone = shipment.milestone_ids
        self.assertEqual(len(milestone), 1)
        self.assertEqual(milestone.source, "tms", "the first report is kept")
        self.assertEqual(sorted(milestone.duplicate_ids.mapped("source")), ["tms", "wms"])
        self.assertEqual(
            milestone.duplicate_ids.filtered(lambda d: d.source == "wms").external_event_id,
            "evt-9",
        )

    def test_aware_and_iso_event_times_are_normalised_to_utc(self):
        shipment = self.new_shipment()
        cet = timezone(timedelta(hours=1))
        res = shipment._apply_milestones([
            {"shipment_id": shipment.id, "code": "picked_up",
             "occurred_at": datetime(2026, 11, 20, 9, 0, 0, 123456, tzinfo=cet)},
            {"shipment_id": shipment.id, "code": "picked_up", "occurred_at": "2026-11-20T08:00:00Z"},
        ])
        self.assertEqual([r["status"] for r in res], ["created", "duplicate"])
        self.assertEqual(shipment.milestone_ids.occurred_at, datetime(2026, 11, 20, 8, 0, 0))

    def test_unknown_code_and_missing_time_are_rejected(self):
        shipment = self.new_shipment()
        with self.assertRaises(ValidationError):
            shipment._apply_milestones([{"shipment_id": shipment.id, "code": "teleported",
                                         "occurred_at": at(1)}])
        with self.assertRaises(ValidationError):
            shipment._apply_milestones([{"shipment_id": shipment.id, "code": "delivered"}])
        with self.assertRaises(ValidationError):
            shipment._apply_milestones([{"shipment_id": shipment.id, "code": "delivered",
                                         "occurred_at": "yesterday"}])
        self.assertFalse(shipment.milestone_ids)

    def test_side_states_and_reasons(self):
        shipment = self.new_shipment()
        self.apply(shipment, ("in_transit", 1), ("exception", 2, {"reason": "damaged"}))
        self.assertEqual(shipment.state, "exception")
        self.assertEqual(shipment.current_reason_id.code, "damaged")
        self.assertTrue(shipment.needs_attention)
        self.assertIn(shipment, self.Shipment.search([("needs_attention", "=", True)]))
        self.apply(shipment, ("in_transit", 3))
        self.assertEqual(shipment.state, "in_transit")
        # An unknown reason is kept as detail rather than lost.
        self.apply(shipment, ("exception", 4, {"reason": "alien_abduction"}))
        latest = shipment.milestone_ids.filtered(lambda m: m.occurred_at == at(4))
        self.assertFalse(latest.reason_id)
        self.assertIn("alien_abduction", latest.detail)

    def test_pod_evidence(self):
        shipment = self.new_shipment()
        self.apply(shipment, ("in_transit", 1),
                   ("delivered", 3, {"pod_signed_by": "J. Doe", "pod_document_url": "https://x/pod.pdf"}))
        self.assertTrue(shipment.pod_received)
        self.assertEqual(shipment.pod_signed_by, "J. Doe")
        self.assertEqual(shipment.pod_document_url, "https://x/pod.pdf")
        self.assertEqual(shipment.pod_date, at(3))
        other = self.new_shipment()
        self.apply(other, ("in_transit", 1), ("pod_received", 2, {"pod_signed_by": "K"}))
        self.assertEqual(other.state, "delivered")
        self.assertTrue(other.pod_received)
        plain = self.new_shipment()
        self.apply(plain, ("delivered", 2))
        self.assertFalse(plain.pod_received, "delivered without evidence is not a POD")

    def test_correction_voids_terminal_and_rederives(self):
        shipment = self.new_shipment()
        self.apply(shipment, ("in_transit", 1), ("delivered", 2))
        wrong = shipment.milestone_ids.filtered(lambda m: m.code == "delivered")
        with self.assertRaises(UserError):
            wrong.with_user(self.user)._void("wrong parcel")
        with self.assertRaises(UserError):
            wrong.with_user(self.manager)._void("")
        wrong.with_user(self.manager)._void("scanned the wrong parcel")
        self.assertEqual(shipment.state, "in_transit")
        self.assertEqual(wrong.effect, "voided")
        self.assertEqual(wrong.voided_by_id, self.manager)

    def test_late_flag(self):
        now = datetime.now()
        late = self.new_shipment(date_planned=now - timedelta(days=1))
        on_time = self.new_shipment(date_planned=now + timedelta(days=1))
        eta_late = self.new_shipment(date_planned=now + timedelta(days=1),
                                     date_estimated=now - timedelta(hours=1))
        done = self.new_shipment(date_planned=now - timedelta(days=1))
        self.apply(done, ("delivered", 0))
        self.assertTrue(late.is_late)
        self.assertFalse(on_time.is_late)
        self.assertTrue(eta_late.is_late)
        self.assertFalse(done.is_late)
        found = self.Shipment.search([("is_late", "=", True), ("id", "in", (late | on_time | eta_late | done).ids)])
        self.assertEqual(found, late | eta_late)
        not_late = self.Shipment.search([("is_late", "=", False), ("id", "in", (late | on_time | eta_late | done).ids)])
        self.assertEqual(not_late, on_time | done)

    def test_canonical_vocabulary_is_protected(self):
        delivered = self.env.ref("logistics_sync.milestone_code_delivered")
        with self.assertRaises(UserError):
            delivered.rank = 1
        with self.assertRaises(UserError):
            delivered.unlink()
        delivered.name = "Delivered to consignee"  # documentation stays editable
        # Admins can extend the vocabulary with reasons and new codes.
        reason = self.env["logistics.milestone.reason"].create(
            {"code_id": self.env.ref("logistics_sync.milestone_code_exception").id,
             "code": "customs", "name": "Customs hold"})
        shipment = self.new_shipment()
        self.apply(shipment, ("exception", 1, {"reason": "customs"}))
        self.assertEqual(shipment.current_reason_id, reason)

    def test_sequence_reference(self):
        shipment = self.new_shipment()
        self.assertTrue(shipment.name.startswith("SHP/"))

    @settings(max_examples=25, deadline=None)
    @given(st.permutations([("created", 0), ("picked_up", 1), ("exception", 2), ("in_transit", 3),
                            ("out_for_delivery", 4), ("delivery_failed", 5), ("out_for_delivery", 6),
                            ("delivered", 7), ("in_transit", 8), ("pod_received", 9)]),
           st.integers(1, 4))
    def test_property_any_arrival_order_same_final_state(self, events, batch):
        """Applied through the ORM in any order and batching: same state and effects."""
        reference = self.new_shipment()
        self.apply(reference, *sorted(events, key=lambda e: e[1]))
        shipment = self.new_shipment()
        for i in range(0, len(events), batch):
            self.apply(shipment, *events[i:i + batch])
        self.assertEqual(shipment.state, reference.state)
        self.assertEqual(shipment.state, "delivered")
        self.assertTrue(shipment.pod_received)
        self.assertEqual(
            sorted((m.code, m.occurred_at, m.effect) for m in shipment.milestone_ids),
            sorted((m.code, m.occurred_at, m.effect) for m in reference.milestone_ids),
        )


@tagged("post_install", "-at_install")
class TestBulkApply(LogisticsCase):
    """_apply_milestones writes milestones, duplicates and derived fields in bulk SQL:
    what it stores must be exactly what the ORM would store."""

    def test_bulk_insert_stores_related_and_default_columns(self):
        other = self.env["res.company"].create({"name": "Bulk Co"})
        shipments = self.new_shipment() | self.new_shipment(company_id=other.id)
        before = datetime.now().replace(microsecond=0)
        shipments._apply_milestones([
            {"shipment_id": s.id, "code": "picked_up", "occurred_at": at(1)} for s in shipments
        ] + [{"shipment_id": shipments[0].id, "code": "picked_up", "occurred_at": at(1),
              "source": "wms", "external_event_id": "dup-1"}])
        for shipment in shipments:
            milestone = shipment.milestone_ids
            self.assertEqual(len(milestone), 1)
            self.assertEqual(milestone.company_id, shipment.company_id)
            self.assertEqual(milestone.code, "picked_up")
            self.assertEqual(milestone.source, "manual")
            self.assertGreaterEqual(milestone.received_at, before)
            self.assertEqual(milestone.create_uid, self.env.user)
            self.assertEqual(shipment.state, "picked_up")
            self.assertEqual(shipment.current_milestone_id, milestone)
        duplicate = shipments[0].milestone_ids.duplicate_ids
        self.assertEqual((duplicate.source, duplicate.external_event_id), ("wms", "dup-1"))
        self.assertEqual(duplicate.shipment_id, shipments[0])
        self.assertEqual(duplicate.company_id, shipments[0].company_id)
        self.assertEqual(self.env["logistics.shipment.milestone"].search_count(
            [("code", "=", "picked_up"), ("shipment_id", "in", shipments.ids)]), 2,
            "the stored related column is searchable")

    def test_extra_fields_fall_back_to_the_orm(self):
        """A value outside the bulk columns (an extension's field) goes through create()."""
        shipment = self.new_shipment()
        Milestone = self.env["logistics.shipment.milestone"]
        code = self.env.ref("logistics_sync.milestone_code_in_transit")
        record = Milestone._insert_milestones([{
            "shipment_id": shipment.id, "code_id": code.id, "occurred_at": at(2),
            "void_reason": "kept by the ORM path"}])
        self.assertEqual(record.void_reason, "kept by the ORM path")
        self.assertEqual(record.code, "in_transit")

    def test_derived_fields_and_reason_follow_the_current_milestone(self):
        shipment = self.new_shipment()
        self.apply(shipment, ("in_transit", 1), ("exception", 2, {"reason": "damaged"}))
        self.assertEqual(shipment.state, "exception")
        self.assertEqual(shipment.current_reason_id.code, "damaged")
        self.apply(shipment, ("delivered", 3, {"pod_signed_by": "R. Ceiver",
                                               "pod_document_url": "https://pod.example/1"}))
        self.assertEqual(shipment.state, "delivered")
        self.assertFalse(shipment.current_reason_id)
        self.assertEqual(shipment.date_delivered, at(3))
        self.assertEqual(shipment.last_event_at, at(3))
        self.assertTrue(shipment.pod_received)
        self.assertEqual(shipment.pod_date, at(3))
        self.assertEqual(shipment.pod_document_url, "https://pod.example/1")
        self.assertEqual(shipment.pod_signed_by, "R. Ceiver")
        self.env.invalidate_all()
        self.assertEqual(shipment.current_milestone_id.code, "delivered", "stored, not only cached")

    @contextmanager
    def shipment_writes(self):
        """The sets of fields written by every ORM write() of shipments meanwhile."""
        writes, base_write = [], models.BaseModel.write

        def spy_write(records, vals):
            if records._name == "logistics.shipment":
                writes.append(set(vals))
            return base_write(records, vals)

        with patch.object(models.BaseModel, "write", spy_write):
            yield writes

    def test_state_changes_are_written_in_bulk_and_reach_the_hook(self):
        """Without chatter tracking, state and POD flags are one UPDATE per set of
        columns: no shipment write(), yet dependents, the log columns and the
        _logistics_after_derived_change hook see the change, with the values before."""
        quiet, busy, held = self.new_shipment(), self.new_shipment(), self.new_shipment()
        self.apply(busy, ("picked_up", 1))
        self.assertFalse(held.needs_attention)
        Shipment = type(self.Shipment)
        calls = []

        def hook(records, before):
            calls.append((set(records.ids), dict(before)))

        updated = []

        def spy_update_rows(model, columns, rows, log=True):
            if model._name == "logistics.shipment":
                updated.extend(r[0] for r in rows)
            return update_rows(model, columns, rows, log)

        with self.shipment_writes() as writes, \
                patch.object(Shipment, "_logistics_after_derived_change", hook), \
                patch.object(shipment_module, "update_rows", spy_update_rows):
            self.Shipment._apply_milestones([
                {"shipment_id": quiet.id, "code": "picked_up", "occurred_at": at(1)},
                {"shipment_id": busy.id, "code": "in_transit", "occurred_at": at(2)},
                {"shipment_id": busy.id, "code": "picked_up", "occurred_at": at(1)},  # duplicate
                {"shipment_id": held.id, "code": "exception", "occurred_at": at(2)},
                {"shipment_id": held.id, "code": "delivered", "occurred_at": at(3),
                 "pod_signed_by": "R. Ceiver"},
            ])
        self.assertEqual(writes, [], "no ORM write of shipments")
        self.assertEqual(sorted(updated), sorted([quiet.id, busy.id, held.id]),
                         "each shipment's row written once (state with the derived columns)")
        self.assertEqual(calls, [({quiet.id, busy.id, held.id}, {
            quiet.id: (False, "draft"), busy.id: (False, "picked_up"), held.id: (False, "draft")})])
        self.assertEqual((quiet.state, busy.state, held.state), ("picked_up", "in_transit", "delivered"))
        self.assertTrue(held.pod_received)
        self.assertEqual(held.pod_signed_by, "R. Ceiver")
        self.assertFalse(held.needs_attention, "a non-stored dependent follows")
        self.env.invalidate_all()
        self.assertEqual(held.state, "delivered", "stored, not only cached")
        self.assertEqual(held.write_uid, self.env.user)

    def test_tracking_or_an_opt_out_keeps_the_orm_write(self):
        Shipment = type(self.Shipment)
        self.assertFalse(self.Shipment._logistics_orm_write_needed())
        self.assertTrue(self.Shipment.with_context(tracking_disable=False)._logistics_orm_write_needed())
        # An extension that must see these writes opts out of the bulk SQL path.
        with patch.object(Shipment, "_logistics_bulk_sql", False):
            self.assertTrue(self.Shipment._logistics_orm_write_needed())
        self.assertFalse(self.Shipment._logistics_orm_write_needed())
        # Overriding write() alone does not: the contract is the attribute.
        with patch.object(Shipment, "write", Shipment.write):
            self.assertFalse(self.Shipment._logistics_orm_write_needed())
        # With tracking, write() does it (test_webhook checks the chatter end to end).
        shipment = self.new_shipment().with_context(tracking_disable=False)
        with self.shipment_writes() as writes:
            shipment._apply_milestones([{"shipment_id": shipment.id, "code": "picked_up",
                                         "occurred_at": at(1)}])
        self.assertEqual(writes, [{"state"}])
        self.assertEqual(shipment.state, "picked_up")


@tagged("post_install", "-at_install")
class TestHotPathSchema(LogisticsCase):
    """The storage choices the inbox throughput rests on (bench/run.sh process)."""

    def indexes(self, table):
        self.env.cr.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(self.env.cr.fetchall())

    def test_shipments_updated_in_place_and_no_redundant_milestone_index(self):
        self.env.cr.execute("SELECT reloptions FROM pg_class WHERE oid = 'logistics_shipment'::regclass")
        self.assertIn("fillfactor=80", self.env.cr.fetchone()[0] or [])
        self.assertNotIn("logistics_shipment__last_event_at_index", self.indexes("logistics_shipment"))
        milestone = self.indexes("logistics_shipment_milestone")
        self.assertNotIn("logistics_shipment_milestone__shipment_id_index", milestone)
        self.assertIn("logistics_shipment_milestone_shipment_code_time_uniq", milestone)
        # init() drops an index that an earlier version created, and keeps doing so.
        self.env.cr.execute("CREATE INDEX logistics_shipment_milestone__shipment_id_index "
                            "ON logistics_shipment_milestone (shipment_id)")
        self.env["logistics.shipment.milestone"].init()
        self.assertNotIn("logistics_shipment_milestone__shipment_id_index",
                         self.indexes("logistics_shipment_milestone"))

    def test_reference_lookups_avoid_the_trigram_index(self):
        """The inbox matches events to shipments by exact reference: never through the
        trigram index of the reference (33 s for 10,000 names when PostgreSQL chose it)."""
        Shipment = self.env["logistics.shipment"]
        shipments = Shipment.create([{"name": f"GIN-{i}"} for i in range(3)])
        cr = self.env.cr
        # Where that index looks cheapest: the btree on (name, company) out of the way
        # (rolled back with the test), sequential and plain index scans disabled.
        cr.execute("ALTER TABLE logistics_shipment DROP CONSTRAINT logistics_shipment_name_company_uniq")
        cr.execute("SET LOCAL enable_seqscan = off")
        cr.execute("SET LOCAL enable_indexscan = off")
        plans, execute = [], type(cr).execute

        def explain_lookups(cursor, query, params=None, log_exceptions=True):
            code = query.code if isinstance(query, SQL) else query
            if cursor is cr and '"logistics_shipment"."name" IN' in code:
                execute(cursor, SQL("EXPLAIN %s", query) if isinstance(query, SQL)
                        else "EXPLAIN " + query, params)
                plans.append("\n".join(r[0] for r in cursor.fetchall()))
            return execute(cursor, query, params, log_exceptions)

        with patch.object(type(cr), "execute", autospec=True, side_effect=explain_lookups):
            found = Shipment._search_references({"GIN-0", "GIN-2", "nope"})
        self.assertEqual(found, shipments[0] | shipments[2])
        self.assertEqual(len(plans), 1)
        self.assertNotIn("logistics_shipment__name_index", plans[0])
        cr.execute("SHOW enable_bitmapscan")
        self.assertEqual(cr.fetchone()[0], "on", "the setting is back for what follows")
        cr.execute("EXPLAIN SELECT id FROM logistics_shipment WHERE name IN ('GIN-0', 'GIN-2')")
        self.assertIn("logistics_shipment__name_index", "\n".join(r[0] for r in cr.fetchall()),
                      "the test's conditions do make a plain lookup use that index")
