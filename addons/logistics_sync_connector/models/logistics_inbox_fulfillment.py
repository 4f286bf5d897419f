# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, models
from odoo.addons.logistics_sync.models.stock_picking import FulfillmentMismatch
from odoo.exceptions import UserError, ValidationError

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
        return self._apply_fulfillment(backend, items, self._fulfillment_shipped)

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
        data, env = event.data, order.env
        lines = data["lines"]
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
        carrier_code = (data.get("carrier") or {}).get("code")
        carrier = carrier_code and self._fulfillment_resolve(
            backend, "carrier", [carrier_code], env).get(carrier_code)
        result = env["stock.picking"]._logistics_apply_shipped(order, {
            "event_key": f"{backend.code}:{event.event_id}",
            "delivery": event.order_release,
            "shipped_at": event.occurred_at,
            "carrier": carrier or False,
            "tracking_number": (data.get("tracking") or {}).get("number"),
            "lines": [{
                "product": products[line["sku"]], "sku": line["sku"],
                "quantity": line["quantity"], "uom": line.get("unit"), "location": location,
                "lots": [{"name": lot["number"], "quantity": lot["quantity"]}
                         for lot in line.get("lots") or []]
                + [{"name": serial, "quantity": 1.0} for serial in line.get("serial_numbers") or []],
            } for line in lines],
        })
        note = False if result["status"] == "applied" else self.env._(
            "%s: already applied, nothing changed", event.event_id)
        return Outcome(DONE, note, result["shipment"].id)

    @api.model
    def _fulfillment_resolve(self, backend, kind, codes, env):
        """{code: record, in ``env``}: the backend's cross-references (and their
        fallbacks), read as the integration user."""
        found = self.env["logistics.backend.xref"]._resolve(backend, kind, codes)
        return {code: record.with_env(env) for code, record in found.items()}
