# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""A batch deduplicates and derives its shipments a chunk at a time: bounded
memory, and the same facts and effects as deriving each shipment from all its
milestones."""

from contextlib import contextmanager
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.tests import tagged

from .common import LogisticsCase, at

CODES = ("created", "picked_up", "in_transit", "out_for_delivery", "on_hold", "exception",
         "delivery_failed", "delivered", "returned", "pod_received")


@tagged("post_install", "-at_install")
class TestChunkedDerivation(LogisticsCase):
    @contextmanager
    def chunks_of(self, size):
        """Derive ``size`` shipments at a time; yields the shipment ids of every read of
        milestones by shipment (``_state_rows``)."""
        Milestone = type(self.env["logistics.shipment.milestone"])
        original, reads = Milestone._state_rows, []

        def spy(model, shipment_ids=None, ids=None):
            if shipment_ids:
                reads.append(set(shipment_ids))
            return original(model, shipment_ids=shipment_ids, ids=ids)

        with patch.object(type(self.Shipment), "_logistics_derive_chunk", size), \
                patch.object(Milestone, "_state_rows", spy):
            yield reads

    def assert_derived_from_all_milestones(self, shipments):
        """Stored facts and effects = the state machine over all stored milestones."""
        shipments.invalidate_recordset()
        derivations = shipments._logistics_derivations()
        for shipment in shipments:
            d = derivations[shipment.id]
            self.assertEqual(shipment.state, d.state)
            self.assertEqual(shipment.current_milestone_id.id or None, d.current)
            self.assertEqual(shipment.last_event_at or None, d.last_event_at)
            self.assertEqual(shipment.date_picked_up or None, d.date_picked_up)
            self.assertEqual(shipment.date_delivered or None, d.date_delivered)
            self.assertEqual(shipment.pod_received, d.pod_received)
            self.assertEqual({m.id: m.effect or None for m in shipment.milestone_ids},
                             {k: d.effects.get(k) for k in shipment.milestone_ids.ids})

    def test_a_batch_reads_histories_one_chunk_at_a_time(self):
        shipments = self.Shipment.browse([self.new_shipment().id for _ in range(5)])
        for hours in (1, 2, 3):
            shipments._apply_milestones([{"shipment_id": s.id, "code": "in_transit",
                                          "occurred_at": at(hours + i)}
                                         for i, s in enumerate(shipments)])
        with self.chunks_of(2) as reads:
            results = shipments._apply_milestones(
                [{"shipment_id": s.id, "code": "out_for_delivery", "occurred_at": at(9)}
                 for s in shipments]
                + [{"shipment_id": shipments[0].id, "code": "in_transit", "occurred_at": at(1)}])
        self.assertEqual([r["status"] for r in results], ["created"] * 5 + ["duplicate"])
        self.assertTrue(reads)
        # Deduplication and derivation read each history once, two shipments at a time.
        self.assertLessEqual(max(len(r) for r in reads), 2)
        self.assertEqual(sorted(i for r in reads for i in r), sorted(shipments.ids))
        self.assertEqual(set(shipments.mapped("state")), {"out_for_delivery"})
        self.assert_derived_from_all_milestones(shipments)

    @settings(max_examples=20, deadline=None)
    @given(st.lists(st.tuples(st.integers(0, 4), st.sampled_from(CODES), st.integers(0, 30),
                              st.booleans()), min_size=1, max_size=40),
           st.integers(1, 12), st.integers(1, 3), st.lists(st.integers(0, 200), max_size=4))
    def test_property_chunked_batches_equal_full_derivation(self, events, batch, chunk, voids):
        """Random shipments, codes, event times out of order, POD signers, batches,
        chunk sizes and voids: the stored result is the full derivation's."""
        shipments = self.Shipment.browse([self.new_shipment().id for _ in range(5)])
        values = [{"shipment_id": shipments[i].id, "code": code, "occurred_at": at(hours),
                   "pod_signed_by": "J. Doe" if signed and code == "delivered" else False}
                  for i, code, hours, signed in events]
        with self.chunks_of(chunk):
            for start in range(0, len(values), batch):
                self.Shipment._apply_milestones(values[start:start + batch])
            milestones = shipments.milestone_ids
            voided = milestones.browse({milestones.ids[v % len(milestones)] for v in voids})
            if voided:
                voided.with_user(self.manager)._void("test correction")
        self.assert_derived_from_all_milestones(shipments)
