# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..models.stock_picking import FulfillmentMismatch
from .common import LogisticsCase, at


@tagged("post_install", "-at_install")
class TestFulfillmentShipped(LogisticsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Picking = cls.env["stock.picking"]
        cls.stock = cls.env.ref("stock.stock_location_stock")
        cls.lotted = cls.env["product.product"].create({
            "name": "Lotted", "default_code": "LOT-1", "type": "consu", "is_storable": True,
            "tracking": "lot"})
        cls.serial = cls.env["product.product"].create({
            "name": "Serial", "default_code": "SER-1", "type": "consu", "is_storable": True,
            "tracking": "serial"})
        cls.plain = cls.env["product.product"].create(
            {"name": "Plain", "default_code": "PLN-1", "type": "consu", "is_storable": True})
        cls.lots = {}
        for name, qty in (("L1", 5), ("L2", 5)):
            lot = cls.env["stock.lot"].create({"name": name, "product_id": cls.lotted.id})
            cls.env["stock.quant"]._update_available_quantity(cls.lotted, cls.stock, qty, lot_id=lot)
            cls.lots[name] = lot

    def _order(self, *lines):
        order = self.env["sale.order"].create({
            "partner_id": self.partner.id,
            "order_line": [Command.create({"product_id": p.id, "product_uom_qty": q})
                           for p, q in lines]})
        order.action_confirm()
        return order

    def _shipped(self, order, event, *lines, **extra):
        return self.Picking._logistics_apply_shipped(order, dict({
            "event_key": f"wms:{event}",
            "lines": [dict({"product": p, "sku": p.default_code, "quantity": q}, **(x[0] if x else {}))
                      for p, q, *x in lines]}, **extra))

    def test_partial_then_backorder_each_with_its_shipment(self):
        order = self._order((self.lotted, 10))
        delivery = order.picking_ids
        result = self._shipped(order, "e1", (self.lotted, 7, {"lots": [
            {"name": "L1", "quantity": 4}, {"name": "L2", "quantity": 3}]}),
            tracking_number="TRK-1")
        self.assertEqual(result["status"], "applied")
        self.assertEqual(result["picking"], delivery)
        self.assertEqual(delivery.state, "done")
        self.assertEqual(delivery.carrier_tracking_ref, "TRK-1")
        done = delivery.move_ids.move_line_ids
        self.assertEqual(sorted((ml.lot_id.name, ml.quantity) for ml in done),
                         [("L1", 4), ("L2", 3)])
        backorder = result["backorder"]
        self.assertEqual(backorder.backorder_id, delivery)
        self.assertEqual(backorder.move_ids.product_uom_qty, 3)
        self.assertEqual(delivery.logistics_shipment_id.tracking_number, "TRK-1")
        first_shipment = delivery.logistics_shipment_id
        # The same event again changes nothing.
        again = self._shipped(order, "e1", (self.lotted, 7, {"lots": [
            {"name": "L1", "quantity": 4}, {"name": "L2", "quantity": 3}]}))
        self.assertEqual(again["status"], "duplicate")
        self.assertEqual(backorder.state, "assigned")
        self.assertEqual(len(order.picking_ids), 2)
        # The second event ships the backorder: its own shipment.
        second = self._shipped(order, "e2", (self.lotted, 3, {"lots": [
            {"name": "L1", "quantity": 1}, {"name": "L2", "quantity": 2}]}))
        self.assertEqual(second["picking"], backorder)
        self.assertEqual(backorder.state, "done")
        self.assertFalse(second["backorder"])
        self.assertTrue(backorder.logistics_shipment_id)
        self.assertNotEqual(backorder.logistics_shipment_id, first_shipment)
        self.assertEqual(order.logistics_shipment_ids,
                         first_shipment | backorder.logistics_shipment_id)
        self.assertEqual(order.order_line.qty_delivered, 10)
        with self.assertRaisesRegex(FulfillmentMismatch, "no open delivery"):
            self._shipped(order, "e3", (self.lotted, 1, {"lots": [{"name": "L1", "quantity": 1}]}))

    def test_mismatch_leaves_the_delivery_untouched(self):
        order = self._order((self.lotted, 10), (self.plain, 2))
        delivery = order.picking_ids
        reserved = sorted(delivery.move_line_ids.mapped(lambda ml: (ml.product_id.id, ml.quantity)))
        cases = [
            ([(self.serial, 1, {"lots": [{"name": "S1"}]})], "SER-1 is not on delivery"),
            ([(self.plain, 3.0)], r"PLN-1: 3 Units shipped, 2 open"),
            ([(self.plain, 0)], "PLN-1: the quantity must be positive"),
            ([(self.lotted, 2)], "LOT-1 is tracked: its lots / serial numbers are missing"),
            ([(self.lotted, 2, {"lots": [{"name": "L1", "quantity": 1}]})],
             "LOT-1: lots add up to 1, 2 shipped"),
            ([(self.lotted, 1, {"lots": [{"name": "NEW", "quantity": 1}]})],
             "LOT-1: lot NEW is unknown"),
            ([(self.plain, 1, {"uom": "kg"})], "PLN-1: unit kg does not measure"),
            # Every reason is given at once, and a good line does not apply alone.
            ([(self.plain, 2), (self.serial, 1, {"lots": [{"name": "S1"}]}), (self.lotted, 2)],
             "SER-1 is not on delivery.*LOT-1 is tracked"),
        ]
        for n, (lines, reason) in enumerate(cases):
            with self.subTest(reason=reason), self.assertRaisesRegex(FulfillmentMismatch, reason):
                self._shipped(order, f"bad{n}", *lines)
            self.assertEqual(delivery.state, "assigned")
            self.assertEqual(
                sorted(delivery.move_line_ids.mapped(lambda ml: (ml.product_id.id, ml.quantity))),
                reserved)
            self.assertFalse(delivery.logistics_shipped_event)
        # Corrected, the same event applies.
        result = self._shipped(order, "bad0", (self.plain, 2), (self.lotted, 10, {"lots": [
            {"name": "L1", "quantity": 5}, {"name": "L2", "quantity": 5}]}))
        self.assertEqual(result["status"], "applied")
        self.assertEqual(delivery.state, "done")
        self.assertFalse(result["backorder"])

    def test_serials_and_created_lots(self):
        order = self._order((self.serial, 2))
        delivery = order.picking_ids
        with self.assertRaisesRegex(FulfillmentMismatch, "serial numbers must be unique"):
            self._shipped(order, "s0", (self.serial, 2, {"lots": [{"name": "S1"}, {"name": "S1"}]}))
        with self.assertRaisesRegex(FulfillmentMismatch, "lot S1 is unknown"):
            self._shipped(order, "s0", (self.serial, 2, {"lots": [{"name": "S1"}, {"name": "S2"}]}))
        # An operation type that creates lots (Odoo's own switch) takes unknown ones.
        delivery.picking_type_id.use_create_lots = True
        self._shipped(order, "s0", (self.serial, 2, {"lots": [{"name": "S1"}, {"name": "S2"}]}))
        self.assertEqual(delivery.state, "done")
        self.assertEqual(sorted(delivery.move_line_ids.lot_id.mapped("name")), ["S1", "S2"])

    def test_unit_conversion_and_named_delivery(self):
        dozen = self.env.ref("uom.product_uom_dozen")
        order = self._order((self.plain, 24))
        delivery = order.picking_ids
        with self.assertRaisesRegex(FulfillmentMismatch, "is not one of the order's"):
            self._shipped(order, "u1", (self.plain, 1, {"uom": dozen.name}), delivery="WH/OUT/X")
        self._shipped(order, "u1", (self.plain, 1, {"uom": dozen.name}), delivery=delivery.name)
        self.assertEqual(delivery.move_ids.quantity, 12)
        self.assertEqual(delivery.state, "done")
        self.assertEqual(order.picking_ids.filtered(lambda p: p.state != "done").move_ids.product_uom_qty, 12)
        with self.assertRaisesRegex(FulfillmentMismatch, "nothing is left to ship"):
            self._shipped(order, "u2", (self.plain, 1), delivery=delivery.name)

    def test_shipped_event_is_a_fact(self):
        order = self._order((self.plain, 1))
        stock_user = new_test_user(self.env, "wh_user", groups="stock.group_stock_user")
        with self.assertRaises(AccessError):
            order.picking_ids.with_user(stock_user).write({"logistics_shipped_event": "wms:x"})


@tagged("post_install", "-at_install")
class TestFulfillmentAnswer(LogisticsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(cls.env, "seller", groups="sales_team.group_sale_salesman")
        product = cls.env["product.product"].create({"name": "P", "type": "consu"})
        cls.order = cls.env["sale.order"].create({
            "partner_id": cls.partner.id, "user_id": cls.salesman.id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})]})
        cls.order.action_confirm()

    def _answer(self, state, event, hours, **extra):
        return self.order._logistics_fulfillment_answer(state, dict(
            {"event_key": f"wms:{event}", "occurred_at": at(hours), "source": "wms"}, **extra))

    def test_acknowledged_then_rejected(self):
        order, delivery = self.order, self.order.picking_ids
        self.assertEqual(self._answer("acknowledged", "a1", 1), "applied")
        self.assertEqual(order.logistics_fulfillment_state, "acknowledged")
        self.assertEqual(delivery.logistics_fulfillment_state, "acknowledged")
        self.assertIn("release acknowledged", order.message_ids[0].body)
        self.assertIn("release acknowledged", delivery.message_ids[0].body)
        self.assertFalse(order.activity_ids)
        self.assertEqual(self._answer("acknowledged", "a1", 1), "duplicate")
        self.assertEqual(self._answer("rejected", "r1", 2, reason_code="NO_STOCK",
                                      reason="Out of <b>stock</b>"), "applied")
        self.assertEqual(order.logistics_fulfillment_state, "rejected")
        self.assertEqual(order.logistics_fulfillment_reason, "NO_STOCK - Out of <b>stock</b>")
        activity = order.activity_ids
        self.assertEqual(activity.user_id, self.salesman)
        self.assertIn("NO_STOCK - Out of &lt;b&gt;stock&lt;/b&gt;", str(activity.note))
        # A replay, or an older answer arriving late, changes nothing.
        messages = len(order.message_ids)
        self.assertEqual(self._answer("rejected", "r1", 2), "duplicate")
        self.assertEqual(self._answer("acknowledged", "a0", 0), "stale")
        self.assertEqual(order.logistics_fulfillment_state, "rejected")
        self.assertEqual(len(order.message_ids), messages)
        self.assertEqual(len(order.activity_ids), 1)

    def test_answer_is_a_fact(self):
        with self.assertRaises(AccessError):
            self.order.with_user(self.salesman).write({"logistics_fulfillment_state": "acknowledged"})
        with self.assertRaises(AccessError):
            self.order.with_user(self.salesman).with_context(
                logistics_trusted=True).write({"logistics_fulfillment_reason": "x"})
