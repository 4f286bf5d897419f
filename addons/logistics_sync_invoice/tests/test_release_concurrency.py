# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Two transactions releasing the same shipment at once: one invoice."""

import threading
from datetime import datetime
from functools import partial
from unittest.mock import patch

from odoo import SUPERUSER_ID, Command, api, sql_db
from odoo.service.model import retrying
from odoo.tests import tagged
from odoo.tests.common import BaseCase, get_db_name


@tagged("post_install", "-at_install")
class TestConcurrentRelease(BaseCase):
    def setUp(self):
        super().setUp()
        self.db = sql_db.db_connect(get_db_name())
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            env.company.logistics_release_require_done = False
            partner = env["res.partner"].create({"name": "Concurrent POD"})
            product = env["product.product"].create(
                {"name": "Racy", "type": "consu", "is_storable": True, "invoice_policy": "order"})
            order = env["sale.order"].create({"partner_id": partner.id, "order_line": [
                Command.create({"product_id": product.id, "product_uom_qty": 3})]})
            order.action_confirm()
            picking = order.picking_ids
            picking.move_ids.quantity = 3
            picking.move_ids.picked = True
            picking.button_validate()
            shipment = picking.logistics_shipment_id
            shipment._apply_milestones([{"shipment_id": shipment.id, "code": "pod_received",
                                         "occurred_at": datetime(2026, 1, 1), "pod_signed_by": "X"}])
            self.ids = {"order": order.id, "shipment": shipment.id}
            # Two real transactions race here: the data must be visible to both.
            cr.commit()  # pylint: disable=invalid-commit

    def test_two_releases_one_invoice(self):
        barrier = threading.Barrier(2, timeout=20)
        waited = threading.local()
        errors, results = [], []
        with self.db.cursor() as cr:
            Shipment = type(api.Environment(cr, SUPERUSER_ID, {})["logistics.shipment"])
        original = Shipment._logistics_lock

        def wait_then_lock(shipments, *args, **kwargs):
            if not getattr(waited, "done", False):
                waited.done = True
                shipments.env.cr.execute("SELECT 1")
                barrier.wait()
            return original(shipments, *args, **kwargs)

        def release():
            try:
                with self.db.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
                    shipment = env["logistics.shipment"].browse(self.ids["shipment"])
                    res = retrying(partial(shipment._release_invoices, "manual"), env)
                    results.append(res[shipment.id][0])
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

        with patch.object(Shipment, "_logistics_lock", wait_then_lock):
            threads = [threading.Thread(target=release) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        self.assertFalse(errors, errors)
        self.assertEqual(sorted(results), ["already", "released"])
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            order = env["sale.order"].browse(self.ids["order"])
            self.assertEqual(len(order.invoice_ids), 1)
            self.assertEqual(order.invoice_ids.state, "posted")
