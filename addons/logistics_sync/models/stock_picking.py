# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare, float_repr

from ..tools import guard


class FulfillmentMismatch(ValidationError):
    """A shipped event that does not match its delivery: nothing was written."""


class StockPicking(models.Model):
    _inherit = "stock.picking"

    logistics_shipment_id = fields.Many2one(
        "logistics.shipment",
        "Shipment",
        copy=False,
        index="btree_not_null",
        check_company=True,
        tracking=True,
    )
    logistics_shipped_event = fields.Char(
        "Shipped Event", readonly=True, copy=False, index="btree_not_null",
        help="The warehouse event that validated this delivery (source and event id).")
    logistics_fulfillment_state = fields.Selection(
        related="sale_id.logistics_fulfillment_state", string="Warehouse Release")
    logistics_shipment_state = fields.Selection(
        related="logistics_shipment_id.state", string="Shipment Status"
    )

    def _logistics_shipment_candidates(self):
        return self.filtered(
            lambda p: p.picking_type_code == "outgoing"
            and not p.logistics_shipment_id
            and p.state not in ("draft", "cancel")
        )

    def _logistics_autocreate_shipment(self):
        """Create shipments for confirmed outgoing deliveries (company setting)."""
        pickings = self._logistics_shipment_candidates().filtered(
            lambda p: p.company_id.logistics_auto_create_shipment
        )
        if pickings:
            self.env["logistics.shipment"]._create_from_pickings(pickings)

    def action_logistics_create_shipment(self):
        pickings = self._logistics_shipment_candidates()
        if not pickings:
            raise UserError(
                self.env._("Shipments are created for confirmed outgoing deliveries without one.")
            )
        shipments = self.env["logistics.shipment"]._create_from_pickings(pickings)
        return shipments._logistics_open()

    def action_logistics_open_shipment(self):
        return self.logistics_shipment_id._logistics_open()

    def write(self, vals):
        if "logistics_shipped_event" in vals:
            guard.check(self.env, guard.FULFILLMENT, vals, ["logistics_shipped_event"],
                        self.env._("Delivery"), records=self)
        res = super().write(vals)
        if "carrier_tracking_ref" in vals or "carrier_id" in vals:
            for picking in self.filtered("logistics_shipment_id"):
                shipment = picking.logistics_shipment_id
                update = {}
                if picking.carrier_tracking_ref and not shipment.tracking_number:
                    update["tracking_number"] = picking.carrier_tracking_ref
                if picking.carrier_id and not shipment.carrier_id:
                    update["carrier_id"] = picking.carrier_id.id
                if update:
                    shipment.write(update)
        return res

    # ------------------------------------------------------------------ fulfillment.shipped
    def _logistics_open_deliveries(self):
        """Outgoing deliveries a warehouse may still ship, oldest first."""
        return self.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state not in ("draft", "done", "cancel")
        ).sorted("id")

    @api.model
    def _logistics_apply_shipped(self, order, shipped):
        """Entry point of ``fulfillment.shipped``: validate ``order``'s delivery for what the
        warehouse shipped, all or nothing; the rest goes to a backorder.

        ``shipped``: ``event_key`` (source and event id: an event applies once),
        ``delivery`` (a delivery reference, optional: else the oldest open one), ``lines``
        ``[{"product": product.product, "sku": str, "quantity": float, "uom": name or
        None, "lots": [{"name": str, "quantity": float}], "location": stock.location or
        None}]``, optionally ``carrier`` (delivery.carrier), ``tracking_number`` and
        ``shipped_at`` (naive UTC).

        Raises :class:`FulfillmentMismatch` (nothing written) when the lines do not match
        the delivery. Returns ``{"status": "applied"|"duplicate", "picking", "backorder",
        "shipment"}``.
        """
        order.ensure_one()
        done = order.picking_ids.filtered(
            lambda p: p.logistics_shipped_event == shipped["event_key"])
        if done:
            return {"status": "duplicate", "picking": done[:1], "backorder": self.browse(),
                    "shipment": done[:1].logistics_shipment_id}
        picking = order.picking_ids._logistics_delivery_for(shipped.get("delivery"))
        plan = picking._logistics_shipped_plan(shipped["lines"])
        picking.check_access("write")
        picking._logistics_record_shipped(plan)
        with guard.trusted(guard.FULFILLMENT):
            picking.logistics_shipped_event = shipped["event_key"]
        update = {}
        if shipped.get("carrier"):
            update["carrier_id"] = shipped["carrier"].id
        if shipped.get("tracking_number"):
            update["carrier_tracking_ref"] = shipped["tracking_number"]
        if update:
            picking.write(update)
        before = order.picking_ids
        picking.with_context(cancel_backorder=False)._action_done()
        if shipped.get("shipped_at"):
            picking.date_done = shipped["shipped_at"]  # when it left, not when we heard
        backorder = order.picking_ids - before
        if not picking.logistics_shipment_id:
            self.env["logistics.shipment"]._create_from_pickings(picking)
        return {"status": "applied", "picking": picking, "backorder": backorder,
                "shipment": picking.logistics_shipment_id}

    def _logistics_delivery_for(self, reference):
        """The open delivery a shipped event is about, among these pickings of one order."""
        open_ones = self._logistics_open_deliveries()
        if reference:
            picking = self.filtered(lambda p: p.name == reference)
            if not picking:
                raise FulfillmentMismatch(self.env._("Delivery %s is not one of the order's.", reference))
            if picking not in open_ones:
                raise FulfillmentMismatch(self.env._(
                    "Delivery %(ref)s is %(state)s: nothing is left to ship on it.",
                    ref=reference, state=picking.state))
            return picking
        if not open_ones:
            raise FulfillmentMismatch(self.env._("The order has no open delivery to validate."))
        return open_ones[0]

    def _logistics_shipped_plan(self, lines):
        """Check shipped lines against this delivery: ``[(move, quantity, lot values,
        location)]`` in the moves' units, or :class:`FulfillmentMismatch` with every reason."""
        self.ensure_one()
        moves = self.move_ids.filtered(lambda m: m.state not in ("done", "cancel"))
        left = {move: move.product_uom_qty for move in moves}
        errors, plan = [], []
        for line in lines:
            product, label = line["product"], line.get("sku") or line["product"].display_name
            candidates = moves.filtered(lambda m, p=product: m.product_id == p)
            if not candidates:
                errors.append(self.env._("%(sku)s is not on delivery %(picking)s",
                                         sku=label, picking=self.name))
                continue
            qty = line["quantity"]
            uom = candidates[0].product_uom
            if line.get("uom") and line["uom"] != uom.name:
                given = self.env["uom.uom"].search(
                    [("name", "=", line["uom"]), ("category_id", "=", uom.category_id.id)], limit=1)
                if not given:
                    errors.append(self.env._("%(sku)s: unit %(uom)s does not measure %(product)s",
                                             sku=label, uom=line["uom"], product=product.display_name))
                    continue
                qty = given._compute_quantity(qty, uom)
            if float_compare(qty, 0, precision_rounding=uom.rounding) <= 0:
                errors.append(self.env._("%s: the quantity must be positive", label))
                continue
            location = line.get("location")
            if location and not location._child_of(self.location_id):
                errors.append(self.env._("%(sku)s: location %(loc)s is not under %(src)s",
                                         sku=label, loc=location.display_name,
                                         src=self.location_id.display_name))
                continue
            lots, error = self._logistics_shipped_lots(product, label, qty, line.get("lots") or [])
            if error:
                errors.append(error)
                continue
            remaining, parts = qty, []
            for move in candidates:
                take = min(remaining, left[move])
                if float_compare(take, 0, precision_rounding=uom.rounding) > 0:
                    parts.append({"move": move, "quantity": take, "location": location})
                    left[move] -= take
                    remaining -= take
            if float_compare(remaining, 0, precision_rounding=uom.rounding) > 0:
                errors.append(self.env._(
                    "%(sku)s: %(qty)s %(uom)s shipped, %(open)s open on %(picking)s",
                    sku=label, qty=_num(qty), uom=uom.name, open=_num(qty - remaining), picking=self.name))
                continue
            plan.extend(_split_lots(parts, lots))
        if errors:
            raise FulfillmentMismatch("; ".join(errors))
        return plan

    def _logistics_shipped_lots(self, product, label, qty, lots):
        """The lot values of one shipped line as Odoo takes them (existing lot, or a name to
        create when the operation type creates lots), or the reason they do not fit."""
        if product.tracking == "none":
            return [], False
        if not lots:
            return [], self.env._("%s is tracked: its lots / serial numbers are missing", label)
        rounding = product.uom_id.rounding
        if product.tracking == "serial":
            names = [lot["name"] for lot in lots]
            if len(set(names)) != len(names) or any(
                    float_compare(lot.get("quantity") or 1, 1, precision_rounding=rounding)
                    for lot in lots):
                return [], self.env._("%s: serial numbers must be unique, one unit each", label)
            lots = [{"name": name, "quantity": 1.0} for name in names]
        total = sum(lot.get("quantity") or 0 for lot in lots)
        if float_compare(total, qty, precision_rounding=rounding):
            return [], self.env._("%(sku)s: lots add up to %(total)s, %(qty)s shipped",
                                  sku=label, total=_num(total), qty=_num(qty))
        known = {lot.name: lot for lot in self.env["stock.lot"].search([
            ("product_id", "=", product.id), ("name", "in", [lot["name"] for lot in lots]),
            ("company_id", "in", [False, self.company_id.id])])}
        values = []
        for lot in lots:
            if lot["name"] in known and self.picking_type_id.use_existing_lots:
                values.append({"lot_id": known[lot["name"]].id, "quantity": lot["quantity"]})
            elif lot["name"] not in known and self.picking_type_id.use_create_lots:
                values.append({"lot_name": lot["name"], "quantity": lot["quantity"]})
            else:
                return [], self.env._("%(sku)s: lot %(lot)s is unknown and %(type)s creates no lots",
                                      sku=label, lot=lot["name"], type=self.picking_type_id.name)
        return values, False

    def _logistics_record_shipped(self, plan):
        """Replace the delivery's reservations by the shipped move lines, picked."""
        self.ensure_one()
        self.move_ids.move_line_ids.filtered(lambda ml: ml.state != "done").unlink()
        vals_list = []
        for part in plan:
            move = part["move"]
            base = {"move_id": move.id, "picking_id": self.id, "product_id": move.product_id.id,
                    "picked": True, "location_id": (part["location"] or move.location_id).id,
                    "location_dest_id": move.location_dest_id.id}
            if not part["lots"]:
                vals_list.append(dict(base, product_uom_id=move.product_uom.id,
                                      quantity=part["quantity"]))
            for lot in part["lots"]:
                vals_list.append(dict(base, product_uom_id=move.product_id.uom_id.id, **lot))
        self.env["stock.move.line"].create(vals_list)
        self.env["stock.move"].union(*(part["move"] for part in plan)).picked = True


def _num(quantity):
    """A quantity as people write it (7, not 7.0)."""
    return float_repr(quantity, 4).rstrip("0").rstrip(".")


def _split_lots(parts, lots):
    """Share a line's lots (product unit) among its move parts (move unit), in order."""
    lots = [dict(lot) for lot in lots]
    for part in parts:
        part["lots"] = []
        if not lots:
            continue
        move = part["move"]
        need = move.product_uom._compute_quantity(part["quantity"], move.product_id.uom_id)
        rounding = move.product_id.uom_id.rounding
        while lots and float_compare(need, 0, precision_rounding=rounding) > 0:
            take = min(need, lots[0]["quantity"])
            part["lots"].append(dict(lots[0], quantity=take))
            lots[0]["quantity"] -= take
            need -= take
            if float_compare(lots[0]["quantity"], 0, precision_rounding=rounding) <= 0:
                lots.pop(0)
    return parts
