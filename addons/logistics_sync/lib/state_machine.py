# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Pure shipment state derivation (no ORM, no I/O).

The state of a shipment is a function of the *set* of its effective milestones,
never of their arrival order:

* milestones are ordered by (event time, rank, code) — a total order, so any
  permutation of the same milestones yields the same result;
* the first terminal milestone (``delivered``, ``returned``, ``cancelled``) by
  event time decides the state for good; later milestones are history only; one
  dated before 2000 (``dates.EARLIEST_EVENT``, a sender's clock fault) is history:
  it would otherwise come first and freeze the state for ever;
* otherwise the progress state is the highest-rank progress milestone: a
  lower-rank milestone never moves the state back, whenever it happened or arrived;
* a side milestone (``on_hold``, ``exception``, …) shows when it is strictly later
  than every progress milestone (a later progress milestone clears it);
* evidence milestones (``pod_received``) imply ``delivered`` when no terminal
  milestone exists yet.

Everything else that depends only on the milestones is derived here too, so that
no caller decides it again: proof of delivery (an evidence milestone, or a
milestone leading to ``delivered`` that carries a signer or a document) with its
time, signer and document, and the picked-up, delivered and last event times.

Corrections are explicit: the caller voids milestones and derives again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .dates import EARLIEST_EVENT
from .states import DELIVERED, PICKED_UP

PROGRESS = "progress"
SIDE = "side"
TERMINAL = "terminal"
EVIDENCE = "evidence"
KINDS = (PROGRESS, SIDE, TERMINAL, EVIDENCE)

# How a milestone took part in the derivation (shown on the timeline).
EFFECT_STATE = "state"  # decides the current state
EFFECT_HISTORY = "history"  # superseded by a later milestone, in order
EFFECT_LATE = "late"  # lower rank than a milestone already reached: no move back
EFFECT_AFTER_TERMINAL = "after_terminal"  # happened after a terminal milestone
EFFECT_EVIDENCE = "evidence"  # proof of delivery, recorded on the shipment
EFFECT_VOIDED = "voided"  # voided by an explicit correction


@dataclass(frozen=True)
class Milestone:
    """The fields of a milestone that the derivation needs."""

    key: object  # caller's identifier (record id), returned in the effects
    code: str
    kind: str
    rank: int
    occurred_at: datetime
    voided: bool = False
    state: str | None = None  # shipment state this code leads to (default: code)
    pod_signed_by: str | None = None
    pod_document_url: str | None = None
    # Tie-break between proofs of delivery at the same event time: arrival order.
    arrival: int = 0

    @property
    def sort_key(self):
        return (self.occurred_at, self.rank, self.code, str(self.key))

    @property
    def target_state(self) -> str:
        return self.state or self.code

    @property
    def is_pod(self) -> bool:
        return is_proof_of_delivery(self.kind, self.target_state, self.pod_signed_by,
                                    self.pod_document_url)


def is_proof_of_delivery(kind, target_state, pod_signed_by=None, pod_document_url=None):
    """Proof of delivery: evidence, or a delivery that carries a signer or a document."""
    return kind == EVIDENCE or (target_state == DELIVERED and bool(pod_signed_by or pod_document_url))


@dataclass(frozen=True)
class Derivation:
    state: str  # "draft" when there is no effective milestone
    current: object  # key of the milestone that decides the state, or None
    effects: dict  # key -> EFFECT_*
    pod_key: object = None  # key of the first proof of delivery, if any
    pod_date: datetime | None = None  # its event time
    pod_signed_by: str | None = None  # first signer among the proofs, in order
    pod_document_url: str | None = None  # first document among the proofs, in order
    date_picked_up: datetime | None = None  # first pick-up
    date_delivered: datetime | None = None  # event time of the deciding delivery
    last_event_at: datetime | None = None  # latest effective milestone

    @property
    def pod_received(self) -> bool:
        return self.pod_key is not None


def derive(milestones) -> Derivation:
    """Derive the shipment state and every milestone-only fact from an iterable of
    :class:`Milestone`."""
    milestones = list(milestones)
    state, current, effects = _derive_state(milestones)
    live = [m for m in milestones if not m.voided]
    proofs = sorted((m for m in live if m.is_pod), key=lambda m: (m.occurred_at, m.arrival))
    current_ms = next((m for m in live if m.key == current), None) if current is not None else None
    return Derivation(
        state=state,
        current=current,
        effects=effects,
        pod_key=proofs[0].key if proofs else None,
        pod_date=proofs[0].occurred_at if proofs else None,
        pod_signed_by=next((m.pod_signed_by for m in proofs if m.pod_signed_by), None),
        pod_document_url=next((m.pod_document_url for m in proofs if m.pod_document_url), None),
        date_picked_up=min((m.occurred_at for m in live if m.target_state == PICKED_UP),
                           default=None),
        date_delivered=current_ms.occurred_at if current_ms and state == DELIVERED else None,
        last_event_at=max((m.occurred_at for m in live), default=None),
    )


def _derive_state(milestones):
    """(state, key of the deciding milestone, effects) of these milestones."""
    effects = {}
    live = []
    for m in milestones:
        if m.kind not in KINDS:
            raise ValueError(f"unknown milestone kind {m.kind!r} for {m.code!r}")
        if m.voided:
            effects[m.key] = EFFECT_VOIDED
        else:
            live.append(m)
    live.sort(key=lambda m: m.sort_key)

    terminal = next((m for m in live if m.kind == TERMINAL
                     and m.occurred_at >= EARLIEST_EVENT), None)
    evidence = [m for m in live if m.kind == EVIDENCE]
    for m in evidence:
        effects[m.key] = EFFECT_EVIDENCE

    if terminal is not None:
        for m in live:
            if m.kind == EVIDENCE:
                continue
            if m is terminal:
                effects[m.key] = EFFECT_STATE
            elif m.sort_key > terminal.sort_key:
                effects[m.key] = EFFECT_AFTER_TERMINAL
            else:
                effects[m.key] = EFFECT_HISTORY
        return terminal.target_state, terminal.key, effects

    # No terminal milestone (but those dated before 2000, history): walk in event
    # order, keeping the highest progress.
    for m in live:
        if m.kind == TERMINAL:
            effects[m.key] = EFFECT_HISTORY
    best = None  # highest-rank progress milestone so far
    for m in live:
        if m.kind != PROGRESS:
            continue
        if best is None or m.rank > best.rank:
            if best is not None:
                effects[best.key] = EFFECT_HISTORY
            best = m
            effects[m.key] = EFFECT_STATE
        elif m.rank == best.rank:
            effects[m.key] = EFFECT_HISTORY
        else:
            effects[m.key] = EFFECT_LATE
    last_progress_at = max((m.occurred_at for m in live if m.kind == PROGRESS), default=None)

    side = [m for m in live if m.kind == SIDE]
    current_side = None
    for m in side:
        if last_progress_at is None or m.occurred_at > last_progress_at:
            current_side = m  # live is sorted: the last one wins
    for m in side:
        effects[m.key] = EFFECT_HISTORY
    if evidence:
        # Proof of delivery without a delivered milestone: the goods arrived.
        if best is not None:
            effects[best.key] = EFFECT_HISTORY
        if current_side is not None:
            effects[current_side.key] = EFFECT_HISTORY
        return DELIVERED, evidence[0].key, effects
    if current_side is not None:
        if best is not None:
            effects[best.key] = EFFECT_HISTORY
        effects[current_side.key] = EFFECT_STATE
        return current_side.target_state, current_side.key, effects
    if best is not None:
        return best.target_state, best.key, effects
    return "draft", None, effects
