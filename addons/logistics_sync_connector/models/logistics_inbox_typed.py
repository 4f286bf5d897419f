# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Inbound events of other types than milestones: dispatch by type.

Milestones keep their batch path (logistics_inbox.py). Every other type has one apply
method, named in :data:`APPLY_METHODS`, called once per batch with the events of that
type the backend may send (lib/authority.py); the same durability, deduplication (the
webhook id, then the message's applied events) and replay rules apply to every type.
"""

import logging
from collections import namedtuple

from odoo import api, models
from odoo.addons.logistics_sync.lib.states import MESSAGE_SKIPPED

from ..lib import authority as lib_authority
from ..lib import event_types, ownership
from .logistics_sync_message import is_concurrency_error

_logger = logging.getLogger(__name__)

# What an apply method reports for each event it is given, by (message, index):
# state "done" (applied; ``text`` an optional note, e.g. fields Odoo owns left as they
# are), or a message problem state: "invalid", "failed" (a fault in the event itself:
# replay after correcting it), "unauthorized", "unmatched", "unmapped", "skipped" (none
# of it may be applied: the data is Odoo's; replay after changing the owner);
# ``shipment_id`` links the message to the shipment it touched.
Outcome = namedtuple("Outcome", "state text shipment_id", defaults=(None, False))
DONE, SKIPPED = "done", MESSAGE_SKIPPED
# A message takes the first of these its events got (those needing a person first).
PROBLEM_STATES = ("invalid", "failed", "unauthorized", "unmapped", "unmatched", SKIPPED)

APPLY_METHODS = {
    event_types.SHIPMENT_UPDATED: "_apply_shipment_updated",
    event_types.FULFILLMENT_ACKNOWLEDGED: "_apply_fulfillment_acknowledged",
    event_types.FULFILLMENT_REJECTED: "_apply_fulfillment_rejected",
    event_types.FULFILLMENT_SHIPPED: "_apply_fulfillment_shipped",
}


class LogisticsInboxTyped(models.AbstractModel):
    """The inbox's apply methods of the event types other than milestones
    (logistics.inbox calls :meth:`_split` and :meth:`_apply` on each batch)."""

    _name = "logistics.inbox.typed"
    _description = "Logistics Inbox: Other Event Types"

    @api.model
    def _split(self, backend, parsed):
        """``(milestone events, other events)`` of a batch; counts on the backend the
        events sent in a deprecated version, on their message's first processing only (a
        retry or replay sends nothing new; one pass: the milestone path stays fast)."""
        milestones, typed, deprecated, last = [], [], 0, None
        for item in parsed:
            event = item[1]
            if event.deprecated and not item[0][0].processed_at:
                deprecated += 1
                last = f"{event.type} {event.schema_version}"
            if event.type == event_types.MILESTONE:
                milestones.append(item)
            else:
                typed.append(item)
        if deprecated:
            backend._count_deprecated(deprecated, last)
        return milestones, typed

    @api.model
    def _apply(self, backend, typed, applied, problems):
        """Apply the events of other types than milestones, type by type; record their
        outcome in ``applied`` and ``problems`` as the milestone path does. Returns the
        notes by message (what was received but deliberately not applied)."""
        rules = backend._authority()
        by_type = {}
        for key, event in typed:
            by_type.setdefault(event.type, []).append((key, event))
        notes = {}
        for type_, items in by_type.items():
            refusal = lib_authority.type_refusal(rules, type_)
            if refusal:
                outcomes = {key: Outcome("unauthorized", refusal) for key, _e in items}
            else:
                outcomes = self._apply_type(backend, type_, items, applied)
            for (message, index), outcome in outcomes.items():
                if outcome.state == DONE:
                    applied["ok"].setdefault(message.id, []).append((index, outcome.shipment_id))
                    if outcome.text:
                        notes.setdefault(message, []).append(outcome.text)
                else:
                    problems.setdefault(message, {}).setdefault(outcome.state, set()).add(
                        outcome.text or outcome.state)
        return notes

    @api.model
    def _apply_type(self, backend, type_, items, applied):
        """One type's apply method on all its events, in a savepoint; if it raises, again
        message by message, a message that still raises being retried later (transient,
        like a milestone batch)."""
        method = getattr(self, APPLY_METHODS[type_])
        try:
            with self.env.cr.savepoint():
                return method(backend, items)
        except Exception as exc:  # noqa: BLE001 - isolated per message below
            if is_concurrency_error(exc):
                raise
            _logger.info("%s batch failed (%s); retrying message by message", type_, exc)
        by_message, outcomes = {}, {}
        for key, event in items:
            by_message.setdefault(key[0], []).append((key, event))
        for message, message_items in by_message.items():
            try:
                with self.env.cr.savepoint():
                    outcomes.update(method(backend, message_items))
            except Exception as exc:  # noqa: BLE001 - recorded on the message
                if is_concurrency_error(exc):
                    raise
                applied["failed"][message.id] = str(exc)
        return outcomes

    # ------------------------------------------------------------------ helpers
    @api.model
    def _odoo_owned(self, backend):
        """The field groups Odoo owns on the backend's inbound flow (lib/ownership.py)."""
        return self.env["logistics.backend.flow"]._inbound_of(backend)._odoo_owned_groups()

    @api.model
    def _owned_outcome(self, event, values, left_out, notes):
        """The outcome of an event whose groups ``left_out`` Odoo owns (``values`` None:
        none of it applied, the message is skipped), else None, the note added to
        ``notes``."""
        if values is None:
            return Outcome(SKIPPED, self.env._(
                "%(event)s: not applied, owned by Odoo: %(groups)s. Change the owner on the "
                "backend's inbound flow and replay.",
                event=event.event_id, groups=ownership.labels(left_out)))
        if left_out:
            notes.append(self.env._("%(event)s: not applied, owned by Odoo: %(groups)s.",
                                    event=event.event_id, groups=ownership.labels(left_out)))
        return None

    @api.model
    def _typed_shipments(self, backend, items):
        """``({key: shipment}, {key: Outcome})``: the shipment of each event that names
        one (shipment reference, external id or tracking number), matched and checked
        against the backend's scope as milestones are; the others get an outcome
        (unmatched, unauthorized). A first match binds the external id."""
        Binding = self.env["logistics.shipment.binding"]
        shipments, new_bindings = Binding._match_shipments(backend, items)
        rules = backend._authority()
        bound = Binding._bound_ids(backend, self.env["logistics.shipment"].union(
            *shipments.values())) if rules.scope == lib_authority.SCOPE_BOUND else ()
        found, outcomes, asserted = {}, {}, set()
        for key, event in items:
            shipment = shipments.get(key)
            if not shipment:
                outcomes[key] = Outcome("unmatched", event.shipment_reference or event.tracking_number
                                        or event.shipment_external_id or "?")
                continue
            refusal = lib_authority.scope_refusal(rules, shipment.name, shipment.id in bound)
            if refusal:
                outcomes[key] = Outcome("unauthorized", refusal)
                continue
            asserted.add(event.shipment_external_id)
            found[key] = shipment
        Binding._create_bindings(backend, {
            ext: shipment for ext, shipment in new_bindings.items() if ext in asserted})
        return found, outcomes

    # ------------------------------------------------------------------ apply methods
    @api.model
    def _apply_shipment_updated(self, backend, items):
        """shipment.updated: carrier (by the backend's carrier cross-references), service,
        tracking, promised / estimated delivery, planned pickup and packages, through the
        shipment's entry point; oldest first, an update older than the last one applied
        changes nothing. Groups of fields Odoo owns (the inbound flow) are left as they
        are, and noted; an update that only gives such groups is skipped."""
        shipments, outcomes = self._typed_shipments(backend, items)
        odoo_owned = self._odoo_owned(backend)
        codes = {(e.data.get("carrier") or {}).get("code") for _k, e in items}
        carriers = self.env["logistics.backend.xref"]._resolve(backend, "carrier", codes)
        for key, event in sorted(items, key=lambda item: item[1].occurred_at):
            shipment = shipments.get(key)
            if not shipment:
                continue
            values, notes = _update_values(event, carriers)
            values, left_out = ownership.inbound_values(event.type, values, odoo_owned)
            skipped = self._owned_outcome(event, values, left_out, notes)
            if skipped:
                outcomes[key] = skipped
                continue
            packages = values.pop("packages", None)
            applied = shipment._logistics_apply_transport(values, packages, event.occurred_at)
            if not applied:
                notes.append(self.env._("%(event)s: older than the last update applied: not applied.",
                                        event=event.event_id))
            outcomes[key] = Outcome(DONE, " ".join(notes) or None, shipment.id)
        return outcomes


def _update_values(event, carriers):
    """``(shipment values, notes)`` of a shipment.updated event (the package values
    under "packages"): absent or null fields are left out."""
    data, times, notes = event.data, event.times, []
    carrier, tracking = data.get("carrier") or {}, data.get("tracking") or {}
    values = {
        "carrier_service": carrier.get("service"),
        "tracking_number": tracking.get("number"),
        "tracking_url": tracking.get("url"),
        "date_promised": times.get("dates.promised_delivery"),
        "date_estimated": times.get("dates.estimated_delivery"),
        "date_pickup_planned": times.get("dates.planned_pickup"),
    }
    if carrier.get("code") in carriers:
        values["carrier_id"] = carriers[carrier["code"]].id
    elif carrier.get("code") or carrier.get("name"):
        notes.append(f"{event.event_id}: carrier {carrier.get('code') or carrier.get('name')!r} "
                     "has no cross-reference on this backend: carrier not changed.")
    packages = None
    if data.get("packages") is not None:
        packages = []
        for package in data["packages"]:
            weight, dims = package.get("weight") or {}, package.get("dimensions") or {}
            packages.append({
                "reference": package["reference"], "tracking_number": package.get("tracking_number"),
                "weight": weight.get("value", 0.0), "weight_uom": weight.get("unit", "kg"),
                "size_length": dims.get("length", 0.0), "size_width": dims.get("width", 0.0),
                "size_height": dims.get("height", 0.0), "dimension_uom": dims.get("unit", "cm"),
            })
    values["packages"] = packages
    return {k: v for k, v in values.items() if v is not None}, notes
