# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, new_test_user, tagged

from .common import LogisticsCase


@tagged("post_install", "-at_install")
class TestPickingShipments(LogisticsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product = cls.env["product.product"].create(
            {"name": "Widget", "type": "consu", "is_storable": True, "list_price": 10}
        )
        cls.carrier_product = cls.env["product.product"].create(
            {"name": "Freight", "type": "service"}
        )
        cls.carrier = cls.env["delivery.carrier"].create(
            {"name": "Test Carrier", "product_id": cls.carrier_product.id,
             "delivery_type": "fixed", "fixed_price": 5}
        )

    def _confirmed_order(self):
        order = self.env["sale.order"].create({
            "partner_id": self.partner.id,
            "carrier_id": self.carrier.id,
            "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": 3})],
        })
        order.action_confirm()
        return order

    def test_confirmed_delivery_creates_shipment(self):
        order = self._confirmed_order()
        picking = order.picking_ids
        self.assertEqual(len(picking), 1)
        shipment = picking.logistics_shipment_id
        self.assertTrue(shipment, "a confirmed outgoing delivery gets a shipment")
        self.assertEqual(shipment.sale_id, order)
        self.assertEqual(shipment.partner_id, self.partner)
        self.assertEqual(shipment.carrier_id, self.carrier)
        self.assertEqual(shipment.state, "created")
        self.assertEqual(shipment.milestone_ids.code, "created")
        self.assertEqual(shipment.milestone_ids.source, "odoo")
        self.assertEqual(order.logistics_shipment_count, 1)
        action = order.action_view_logistics_shipments()
        self.assertEqual(action["res_id"], shipment.id)
        # The tracking number set later on the picking reaches the shipment.
        picking.carrier_tracking_ref = "1Z999"
        self.assertEqual(shipment.tracking_number, "1Z999")
        # Confirming again (e.g. re-assigning) does not create a second shipment.
        picking.move_ids._action_confirm()
        self.assertEqual(self.Shipment.search_count([("sale_id", "=", order.id)]), 1)

    def test_setting_off_then_manual_creation_and_linking(self):
        self.company.logistics_auto_create_shipment = False
        order = self._confirmed_order()
        picking = order.picking_ids
        self.assertFalse(picking.logistics_shipment_id)
        action = picking.action_logistics_create_shipment()
        shipment = picking.logistics_shipment_id
        self.assertTrue(shipment)
        self.assertEqual(action["res_id"], shipment.id)
        with self.assertRaises(UserError):
            picking.action_logistics_create_shipment()
        # Link a second, existing delivery to the same shipment.
        order2 = self._confirmed_order()
        shipment.write({"picking_ids": [Command.link(order2.picking_ids.id)]})
        self.assertEqual(order2.picking_ids.logistics_shipment_id, shipment)
        self.assertEqual(shipment.picking_count, 2)
        self.assertEqual(shipment.action_view_pickings()["domain"], [("id", "in", shipment.picking_ids.ids)])

    def test_receipts_get_no_shipment(self):
        receipt_type = self.env.ref("stock.picking_type_in")
        picking = self.env["stock.picking"].create({
            "picking_type_id": receipt_type.id,
            "partner_id": self.partner.id,
            "move_ids": [Command.create({
                "name": "in", "product_id": self.product.id, "product_uom_qty": 1,
                "location_id": receipt_type.default_location_src_id.id or self.env.ref("stock.stock_location_suppliers").id,
                "location_dest_id": receipt_type.default_location_dest_id.id,
            })],
        })
        picking.action_confirm()
        self.assertFalse(picking.logistics_shipment_id)

    def test_stock_user_confirming_a_delivery(self):
        """A warehouse user (no Logistics group) can still confirm deliveries."""
        stock_user = new_test_user(self.env, "stock_only", groups="stock.group_stock_user")
        out_type = self.env.ref("stock.picking_type_out")
        form = Form(self.env["stock.picking"].with_user(stock_user))
        form.picking_type_id = out_type
        form.partner_id = self.partner
        with form.move_ids_without_package.new() as move:
            move.product_id = self.product
            move.product_uom_qty = 2
        picking = form.save()
        picking.action_confirm()
        self.assertTrue(picking.sudo().logistics_shipment_id)
