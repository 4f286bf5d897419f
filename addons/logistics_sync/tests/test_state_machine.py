# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The pure derivation: no database needed.

Plain ``BaseCase`` classes: Odoo's test runner (``--test-enable``) collects them as
well as pytest."""

import itertools
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.tests import common

from ..lib.state_machine import (
    EFFECT_AFTER_TERMINAL,
    EFFECT_HISTORY,
    EFFECT_LATE,
    EFFECT_STATE,
    EFFECT_VOIDED,
    Milestone,
    derive,
)

VOCAB = {
    "created": ("progress", 10),
    "picked_up": ("progress", 20),
    "in_transit": ("progress", 30),
    "out_for_delivery": ("progress", 40),
    "on_hold": ("side", 50),
    "available_for_pickup": ("side", 55),
    "delivery_failed": ("side", 60),
    "exception": ("side", 70),
    "delivered": ("terminal", 100),
    "pod_received": ("evidence", 105),
    "returned": ("terminal", 110),
    "cancelled": ("terminal", 120),
}
T0 = datetime(2026, 1, 1)


def ms(*events):
    out = []
    for i, (code, hours, *voided) in enumerate(events):
        kind, rank = VOCAB[code]
        out.append(Milestone(i, code, kind, rank, T0 + timedelta(hours=hours), bool(voided)))
    return out


def state(*events):
    return derive(ms(*events)).state


class TestDerive(common.BaseCase):
    """The derived state of given milestone lists."""

    def test_every_milestone_only_fact_is_derived_here(self):
        """Proof of delivery is any evidence code (an admin's too) or a delivery with a
        signer or document; its time, signer and document, and the dates, come along."""
        photo = Milestone(10, "pod_photo", "evidence", 95, T0 + timedelta(hours=5),
                          pod_document_url="https://pod/1", arrival=2)
        signed = Milestone(11, "delivered", "terminal", 100, T0 + timedelta(hours=5),
                           pod_signed_by="J. Doe", arrival=1)
        d = derive([*ms(("picked_up", 1), ("in_transit", 2)), photo, signed])
        self.assertEqual((d.state, d.current, d.pod_received), ("delivered", 11, True))
        self.assertEqual(d.pod_key, 11, "same event time: the first to arrive")
        self.assertEqual((d.pod_date, d.pod_signed_by, d.pod_document_url),
                         (T0 + timedelta(hours=5), "J. Doe", "https://pod/1"))
        self.assertEqual((d.date_picked_up, d.date_delivered, d.last_event_at),
                         (T0 + timedelta(hours=1), T0 + timedelta(hours=5), T0 + timedelta(hours=5)))
        unsigned = derive(ms(("picked_up", 1), ("delivered", 3)))
        self.assertFalse(unsigned.pod_received, "a delivery without signer or document")
        self.assertIsNone(unsigned.pod_date)
        only_photo = derive([*ms(("in_transit", 1)), photo])
        self.assertEqual((only_photo.state, only_photo.pod_key), ("delivered", 10))
        self.assertIsNone(only_photo.date_picked_up)

    def test_no_milestone_is_draft(self):
        self.assertEqual(derive([]).state, "draft")

    def test_progress_in_order(self):
        self.assertEqual(state(("created", 0), ("picked_up", 1), ("in_transit", 2)), "in_transit")

    def test_lower_rank_later_does_not_move_back(self):
        d = derive(ms(("out_for_delivery", 1), ("in_transit", 2)))
        self.assertEqual(d.state, "out_for_delivery")
        self.assertEqual(d.effects[1], EFFECT_LATE)

    def test_terminal_sticks_and_late_events_are_marked(self):
        d = derive(ms(("delivered", 5), ("in_transit", 6), ("exception", 7)))
        self.assertEqual(d.state, "delivered")
        self.assertEqual(d.effects[0], EFFECT_STATE)
        self.assertEqual(d.effects[1], EFFECT_AFTER_TERMINAL)
        self.assertEqual(d.effects[2], EFFECT_AFTER_TERMINAL)

    def test_first_terminal_wins(self):
        self.assertEqual(state(("returned", 9), ("delivered", 5)), "delivered")

    def test_a_terminal_dated_before_2000_never_decides(self):
        """Issue 14, item 4: a cancellation dated 1970 (a sender's zero date) would be the
        first terminal milestone for ever, and freeze the shipment."""
        epoch = Milestone("epoch", "cancelled", "terminal", 120, datetime(1970, 1, 1))
        d = derive([*ms(("picked_up", 1), ("in_transit", 2)), epoch])
        self.assertEqual((d.state, d.effects["epoch"]), ("in_transit", EFFECT_HISTORY))
        d = derive([*ms(("in_transit", 2), ("delivered", 3)), epoch])
        self.assertEqual((d.state, d.current, d.effects["epoch"]), ("delivered", 1, EFFECT_HISTORY))
        late = Milestone("y2k", "returned", "terminal", 110, datetime(2000, 1, 1))
        self.assertEqual(derive([*ms(("delivered", 3)), late]).state, "returned")

    def test_side_state_shows_until_next_progress(self):
        self.assertEqual(state(("in_transit", 1), ("exception", 2)), "exception")
        self.assertEqual(state(("in_transit", 1), ("exception", 2), ("in_transit", 3)), "in_transit")
        self.assertEqual(state(("in_transit", 1), ("exception", 2), ("out_for_delivery", 3)),
                         "out_for_delivery")
        # An exception that happened before the latest progress milestone is history.
        self.assertEqual(state(("exception", 0), ("in_transit", 1)), "in_transit")

    def test_pod_implies_delivered(self):
        d = derive(ms(("in_transit", 1), ("pod_received", 2)))
        self.assertEqual(d.state, "delivered")
        self.assertEqual(d.pod_key, 1)

    def test_voided_milestone_is_ignored(self):
        d = derive(ms(("in_transit", 1), ("delivered", 2, True)))
        self.assertEqual(d.state, "in_transit")
        self.assertEqual(d.effects[1], EFFECT_VOIDED)

    def test_every_permutation_gives_the_same_state(self):
        events = [("created", 0), ("picked_up", 1), ("exception", 2), ("in_transit", 3),
                  ("out_for_delivery", 4), ("in_transit", 5), ("delivered", 6), ("exception", 7)]
        base = derive(ms(*events))
        self.assertEqual(base.state, "delivered")
        for perm in itertools.permutations(ms(*events)):
            d = derive(perm)
            self.assertEqual((d.state, d.current, d.effects), (base.state, base.current, base.effects))


event_strategy = st.tuples(st.sampled_from(sorted(VOCAB)), st.integers(0, 12), st.booleans())


class TestDeriveProperties(common.BaseCase):
    """Properties of the derivation over generated milestone lists (hypothesis)."""

    @settings(max_examples=300, deadline=None)
    @given(st.lists(event_strategy, max_size=12), st.randoms(use_true_random=False))
    def test_property_permutation_invariance(self, events, rnd):
        milestones = ms(*[(c, h) if not v else (c, h, True) for c, h, v in events])
        shuffled = list(milestones)
        rnd.shuffle(shuffled)
        a, b = derive(milestones), derive(shuffled)
        self.assertEqual((a.state, a.current, a.effects), (b.state, b.current, b.effects))

    @settings(max_examples=300, deadline=None)
    @given(st.lists(event_strategy, min_size=1, max_size=12))
    def test_property_terminal_is_never_left(self, events):
        """Adding any non-terminal milestone later than a terminal one never changes the state."""
        milestones = ms(*[(c, h) for c, h, _v in events])
        d = derive(milestones)
        if d.state not in ("delivered", "returned", "cancelled") or d.current is None:
            return
        terminal_time = next(m.occurred_at for m in milestones if m.key == d.current)
        extra = Milestone("late", "in_transit", "progress", 30, terminal_time + timedelta(hours=1))
        self.assertEqual(derive([*milestones, extra]).state, d.state)

    @settings(max_examples=300, deadline=None)
    @given(st.lists(event_strategy, min_size=1, max_size=12))
    def test_property_progress_never_goes_back(self, events):
        """Applying events one by one (in arrival order), the progress rank never decreases
        while no side/terminal/evidence milestone exists."""
        progress = [(c, h) for c, h, _v in events if VOCAB[c][0] == "progress"]
        best = 0
        for i in range(1, len(progress) + 1):
            d = derive(ms(*progress[:i]))
            rank = VOCAB[d.state][1]
            self.assertGreaterEqual(rank, best)
            best = rank
