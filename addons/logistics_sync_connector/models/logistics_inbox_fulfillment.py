# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, models
from odoo.addons.logistics_sync.models.stock_picking import FulfillmentMismatch
from odoo.exceptions import UserError, ValidationError

from ..lib import ownership
from .logistics_inbox_typed import DONE, Outcome


class LogisticsInboxFulfillment(models.AbstractModel):
    """fulfillment.acknowledged / rejected / shipped (the apply methods of
    logistics_inbox_typed.APPLY_METHODS): each gets ``(backend, [((message, index),
    TypedEvent)])`` and returns ``{(message, index): Outcome}``.

    The entry points live with the orders and deliveries (logistics_sync); they run as
    the company's Fulfillment User, the integration user having no stock or sales rights.
    """

    _inherit = "logistics.inbox.typed"

    @api.model
    def _apply_fulfillment_acknowledged(self, backend, items):
        return self._apply_fulfillment(backend, items, self._fulfillment_answer)

    @api.model
    def _apply_fulfillment_rejected(self, backend, items):
        return self._apply_fulfillment(backend, items, self._fulfillment_answer)

    @api.model
    def _apply_fulfillment_shipped(self, backend, items):
        """Events whose shipped quantities Odoo owns (the inbound flow) are skipped,
        before their order is looked up: the warehouse's word is not wanted on them."""
        odoo_owned = self._odoo_owned(backend)
        outcomes, rest = {}, []
        for key, event in items:
            values, left_out = ownership.inbound_values(event.type, _shipped_values(event), odoo_owned)
            skipped = self._owned_outcome(event, values, left_out, [])
            if skipped:
                outcomes[key] = skipped
            else:
                rest.append((key, event))
        outcomes.update(self._apply_fulfillment(backend, rest, self._fulfillment_shipped))
        return outcomes

    # ------------------------------------------------------------------ helpers
    @api.model
    def _apply_fulfillment(self, backend, items, apply_one):
        """Each event on its own order, in its own savepoint: a mismatch is the event's
        fault (failed, replayable once corrected), never its neighbours'."""
        user = backend.company_id.logistics_fulfillment_user_id
        if not user:
            reason = self.env._("no Fulfillment User set for %s in Settings > Logistics",
                                backend.company_id.name)
            return {key: Outcome("failed", f"{event.event_id}: {reason}") for key, event in items}
        env = self.with_user(user).with_company(backend.company_id).env
        orders = {o.name: o for o in env["sale.order"].search([
            ("name", "in", list({e.order_reference for _k, e in items})),
            ("company_id", "=", backend.company_id.id)])}
        outcomes = {}
        for key, event in items:
            order = orders.get(event.order_reference)
            if not order:
                outcomes[key] = Outcome("unmatched", f"order {event.order_reference}")
                continue
            try:
                with self.env.cr.savepoint():
                    outcomes[key] = apply_one(backend, order, event)
            except (FulfillmentMismatch, UserError, ValidationError) as exc:
                outcomes[key] = Outcome("failed", f"{event.event_id}: {exc}")
        return outcomes

    @api.model
    def _fulfillment_answer(self, backend, order, event):
        reason = event.data.get("reason") or {}
        state = "rejected" if event.type.endswith("rejected") else "acknowledged"
        status = order._logistics_fulfillment_answer(state, {
            "event_key": f"{backend.code}:{event.event_id}", "occurred_at": event.occurred_at,
            "source": backend.code, "reason_code": reason.get("code"), "reason": reason.get("text")})
        note = False if status == "applied" else self.env._(
            "%(event)s: %(status)s, nothing changed", event=event.event_id, status=status)
        return Outcome(DONE, note, order.logistics_shipment_ids[:1].id)

    @api.model
    def _fulfillment_shipped(self, backend, order, event):
        data, env, notes = event.data, order.env, []
        # Carrier and tracking Odoo owns are left as they are (and noted).
        given, left_out = ownership.inbound_values(
            event.type, _shipped_values(event), self._odoo_owned(backend))
        self._owned_outcome(event, given, left_out, notes)
        lines = given["lines"]
        products = self._fulfillment_resolve(backend, "product", [line["sku"] for line in lines], env)
        unknown = sorted({line["sku"] for line in lines} - set(products))
        if unknown:
            raise FulfillmentMismatch(self.env._("unknown SKU %s", ", ".join(unknown)))
        location = False
        if data.get("warehouse"):
            location = self._fulfillment_resolve(backend, "location", [data["warehouse"]], env).get(
                data["warehouse"])
            if not location:
                raise FulfillmentMismatch(self.env._("unknown warehouse %s", data["warehouse"]))
        carrier_code = given.get("carrier")
        carrier = carrier_code and self._fulfillment_resolve(
            backend, "carrier", [carrier_code], env).get(carrier_code)
        result = env["stock.picking"]._logistics_apply_shipped(order, {
            "event_key": f"{backend.code}:{event.event_id}",
            "delivery": event.order_release,
            "shipped_at": event.occurred_at,
            "carrier": carrier or False,
            "tracking_number": given.get("tracking_number"),
            "lines": [{
                "product": products[line["sku"]], "sku": line["sku"],
                "quantity": line["quantity"], "uom": line.get("unit"), "location": location,
                "lots": [{"name": lot["number"], "quantity": lot["quantity"]}
                         for lot in line.get("lots") or []]
                + [{"name": serial, "quantity": 1.0} for serial in line.get("serial_numbers") or []],
            } for line in lines],
        })
        if result["status"] != "applied":
            notes = [self.env._("%s: already applied, nothing changed", event.event_id)]
        return Outcome(DONE, " ".join(notes) or False, result["shipment"].id)

    @api.model
    def _fulfillment_resolve(self, backend, kind, codes, env):
        """{code: record, in ``env``}: the backend's cross-references (and their
        fallbacks), read as the integration user."""
        found = self.env["logistics.backend.xref"]._resolve(backend, kind, codes)
        return {code: record.with_env(env) for code, record in found.items()}


def _shipped_values(event):
    """What a fulfillment.shipped event gives, by the keys of lib/ownership.py's
    INBOUND_FIELDS (the carrier by its code)."""
    data = event.data
    values = {"lines": data["lines"], "carrier": (data.get("carrier") or {}).get("code"),
              "tracking_number": (data.get("tracking") or {}).get("number")}
    return {key: value for key, value in values.items() if value}
