# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json

from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import WebhookCase, generic_event, new_carrier


@tagged("post_install", "-at_install")
class TestFulfillmentInbox(WebhookCase):
    """fulfillment.* events through the real webhook and inbox, as a WMS sends them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.may_report_fulfillment = True
        cls.fulfiller = new_test_user(
            cls.env, "test-fulfiller",
            groups="stock.group_stock_user,sales_team.group_sale_salesman_all_leads")
        cls.seller = new_test_user(cls.env, "test-seller", groups="sales_team.group_sale_salesman")
        cls.env.company.logistics_fulfillment_user_id = cls.fulfiller
        cls.product = cls.env["product.product"].create({
            "name": "Widget", "default_code": "A-100", "type": "consu", "is_storable": True,
            "tracking": "lot"})
        stock = cls.env.ref("stock.stock_location_stock")
        for name in ("LOT-1", "LOT-2"):
            lot = cls.env["stock.lot"].create({"name": name, "product_id": cls.product.id})
            cls.env["stock.quant"]._update_available_quantity(cls.product, stock, 5, lot_id=lot)
        cls.order = cls.env["sale.order"].create({
            "partner_id": cls.env["res.partner"].create({"name": "Customer"}).id,
            "user_id": cls.seller.id,
            "order_line": [Command.create({"product_id": cls.product.id, "product_uom_qty": 10})]})
        cls.order.action_confirm()

    def event(self, type_, event_id, **extra):
        return dict({"type": type_, "schema_version": "1", "id": event_id,
                     "occurred_at": "2026-11-20T08:00:00Z",
                     "order": {"reference": self.order.name}}, **extra)

    def shipped(self, event_id, qty, lots, sku="A-100", **extra):
        event = self.event("fulfillment.shipped", event_id, shipped_at="2026-11-20T09:00:00Z",
                           lines=[{"sku": sku, "quantity": qty, "unit": "Units",
                                   "lots": [{"number": n, "quantity": q} for n, q in lots]}],
                           **extra)
        del event["occurred_at"]
        return event

    def post_events(self, *events):
        response = self.post_signed({"events": list(events)})
        self.assertEqual(response.status_code, 202, response.text)
        self.process()
        return self.messages()[-1]

    def test_acknowledged_then_shipped_partly_then_the_rest(self):
        message = self.post_events(self.event("fulfillment.acknowledged", "ack-1"))
        self.assertEqual(message.state, "done", message.error)
        self.assertEqual(self.order.logistics_fulfillment_state, "acknowledged")
        delivery = self.order.picking_ids
        message = self.post_events(self.shipped("ship-1", 7, [("LOT-1", 4), ("LOT-2", 3)],
                                                tracking={"number": "1Z7"}))
        self.assertEqual(message.state, "done", message.error)
        self.assertEqual(delivery.state, "done")
        self.assertEqual(delivery.carrier_tracking_ref, "1Z7")
        self.assertEqual(str(delivery.date_done), "2026-11-20 09:00:00")
        self.assertEqual(sum(delivery.move_ids.mapped("quantity")), 7)
        self.assertEqual(message.shipment_ids, delivery.logistics_shipment_id)
        backorder = self.order.picking_ids - delivery
        self.assertEqual(backorder.move_ids.product_uom_qty, 3)
        # The same event in a new webhook (new id): applied once.
        again = self.post_events(self.shipped("ship-1", 7, [("LOT-1", 4), ("LOT-2", 3)]))
        self.assertEqual(again.state, "done", again.error)
        self.assertIn("already applied", again.result)
        self.assertEqual(self.order.picking_ids, delivery | backorder)
        self.assertEqual(backorder.state, "assigned")
        message = self.post_events(self.shipped("ship-2", 3, [("LOT-1", 1), ("LOT-2", 2)]))
        self.assertEqual(message.state, "done", message.error)
        self.assertEqual(backorder.state, "done")
        self.assertEqual(len(self.order.logistics_shipment_ids), 2)
        self.assertEqual(self.order.order_line.qty_delivered, 10)

    def test_mismatch_fails_precisely_and_applies_once_corrected(self):
        delivery = self.order.picking_ids
        message = self.post_events(self.shipped("ship-x", 7, [("LOT-1", 7)], sku="WMS-A100"))
        self.assertEqual(message.state, "failed")
        self.assertIn("ship-x: unknown SKU WMS-A100", message.error)
        self.assertEqual(delivery.state, "assigned")
        over = self.post_events(self.shipped("ship-y", 11, [("LOT-1", 5), ("LOT-2", 6)]))
        self.assertEqual(over.state, "failed")
        self.assertIn("A-100: 11 Units shipped, 10 open on", over.error)
        self.assertEqual(delivery.state, "assigned")
        self.assertFalse(delivery.move_line_ids.filtered("picked"))
        # The warehouse's SKU becomes known to Odoo (a cross-reference): the replay applies.
        self.env["logistics.backend.xref"].create({
            "backend_id": self.backend.id, "kind": "product", "external_code": "WMS-A100",
            "product_id": self.product.id})
        message.action_replay()
        self.process()
        self.assertEqual(message.state, "done", message.error)
        self.assertEqual(delivery.state, "done")
        self.assertEqual(json.loads(message.applied_events), [0])

    def test_warehouse_and_carrier_codes_go_through_the_cross_references(self):
        delivery = self.order.picking_ids
        event = self.shipped("ship-w", 10, [("LOT-1", 5), ("LOT-2", 5)], warehouse="DC-EAST",
                             carrier={"code": "WMS-EXP"}, tracking={"number": "TRK-W"})
        message = self.post_events(event)
        self.assertEqual(message.state, "failed")
        self.assertIn("unknown warehouse DC-EAST", message.error)
        self.assertEqual(delivery.state, "assigned")
        # The WMS's warehouse and carrier codes become known to Odoo: the replay applies,
        # taking the goods from that location and setting the delivery's carrier.
        stock = self.env.ref("stock.stock_location_stock")
        carrier = new_carrier(self.env, "WMS Express")
        self.env["logistics.backend.xref"].create([
            {"backend_id": self.backend.id, "kind": "location", "external_code": "DC-EAST",
             "location_id": stock.id},
            {"backend_id": self.backend.id, "kind": "carrier", "external_code": "WMS-EXP",
             "carrier_id": carrier.id}])
        message.action_replay()
        self.process()
        self.assertEqual(message.state, "done", message.error)
        self.assertEqual(delivery.state, "done")
        self.assertEqual((delivery.carrier_id, delivery.carrier_tracking_ref), (carrier, "TRK-W"))
        self.assertEqual(delivery.move_line_ids.location_id, stock)

    def test_rejected_release_gives_the_salesperson_an_activity(self):
        message = self.post_events(self.event(
            "fulfillment.rejected", "rej-1", reason={"code": "out_of_stock", "text": "3 short"}))
        self.assertEqual(message.state, "done", message.error)
        self.assertEqual(self.order.logistics_fulfillment_state, "rejected")
        self.assertEqual(self.order.picking_ids.logistics_fulfillment_state, "rejected")
        activity = self.order.activity_ids
        self.assertEqual(activity.user_id, self.seller)
        self.assertIn("out_of_stock - 3 short", str(activity.note))

    def test_unknown_order_and_missing_fulfillment_user(self):
        message = self.post_events(dict(self.event("fulfillment.acknowledged", "ack-9"),
                                        order={"reference": "S-NOPE"}))
        self.assertEqual(message.state, "unmatched")
        self.assertIn("order S-NOPE", message.error)
        self.env.company.logistics_fulfillment_user_id = False
        message = self.post_events(self.event("fulfillment.acknowledged", "ack-10"))
        self.assertEqual(message.state, "failed")
        self.assertIn("no Fulfillment User set", message.error)
        self.assertFalse(self.order.logistics_fulfillment_state)

    def test_shipped_quantities_odoo_owns_are_skipped_until_the_owner_changes(self):
        flow = self.env["logistics.backend.flow"]._inbound_of(self.backend)
        self.assertEqual(flow.owner_shipped, "external", "by default the warehouse's word applies")
        flow.owner_shipped = "odoo"
        delivery = self.order.picking_ids
        milestone = generic_event(self.shipment.name, "picked_up", "2026-11-20T10:00:00Z")
        message = self.post_events(
            milestone, self.shipped("ship-1", 7, [("LOT-1", 4), ("LOT-2", 3)], tracking={"number": "1Z7"}))
        self.assertEqual(message.state, "skipped", message.error)
        self.assertIn("ship-1: not applied, owned by Odoo: Shipped quantities and lots. Change the "
                      "owner on the backend's inbound flow and replay.", message.error)
        self.assertEqual(delivery.state, "assigned")
        self.assertFalse(delivery.move_line_ids.filtered("picked"))
        self.assertEqual(self.shipment.state, "picked_up", "the milestone of the batch applies")
        self.assertEqual(json.loads(message.applied_events), [0])
        # The warehouse owns its shipped quantities from now on, Odoo the tracking: the
        # replay validates the delivery and leaves its tracking number alone.
        flow.write({"owner_shipped": "external", "owner_transport": "odoo"})
        message.action_replay()
        self.process()
        self.assertEqual(message.state, "done", message.error)
        self.assertIn("ship-1: not applied, owned by Odoo: Carrier and tracking.", message.result)
        self.assertEqual(delivery.state, "done")
        self.assertEqual(sum(delivery.move_ids.mapped("quantity")), 7)
        self.assertFalse(delivery.carrier_tracking_ref)
        self.assertEqual(json.loads(message.applied_events), [0, 1])
