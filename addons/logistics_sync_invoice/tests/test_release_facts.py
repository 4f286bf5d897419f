# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""A POD written by hand over RPC releases nothing: facts are read-only to people."""

from odoo.addons.logistics_sync.tools import jobs
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import InvoiceReleaseCase


@tagged("post_install", "-at_install")
class TestReleaseFactsOverRpc(HttpCase, InvoiceReleaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"logistics_auto_release": True, "logistics_release_user_id": cls.manager.id})
        new_test_user(cls.env, "rf_stock", password="rf_stock-pw-123", groups="stock.group_stock_user")
        cls.user.password = "release_user-pw-123"

    def release_jobs(self, shipment):
        return self.env["queue.job"].search_count([("identity_key", "=", jobs.release_key(shipment.id))])

    def test_forged_pod_over_rpc_queues_no_release(self):
        order = self.order()
        shipment = order.logistics_shipment_ids
        self.deliver(order.picking_ids)
        for login in ("rf_stock", "release_user"):
            self.authenticate(login, f"{login}-pw-123")
            for vals in ({"pod_received": True}, {"pod_received": True, "state": "delivered",
                                                  "pod_signed_by": "Mallory"}):
                with self.subTest(login=login, vals=vals), self.assertRaises(JsonRpcException) as refused:
                    self.make_jsonrpc_request("/web/dataset/call_kw", {
                        "model": "logistics.shipment", "method": "write",
                        "args": [shipment.ids, vals], "kwargs": {"context": {
                            "logistics_release": True, "tracking_disable": True,
                            "install_mode": True}}})
                self.assertEqual(refused.exception.args[0], "odoo.exceptions.AccessError")
        self.env.invalidate_all()
        self.assertFalse(shipment.pod_received)
        self.assertEqual(self.release_jobs(shipment), 0, "no invoice release queued")
        self.assertFalse(order.invoice_ids)
        # The milestone entry point is what releases it.
        shipment._apply_milestones([{"shipment_id": shipment.id, "code": "pod_received",
                                     "occurred_at": "2026-11-20 14:00:00", "pod_signed_by": "R. Ceiver"}])
        self.assertTrue(shipment.pod_received)
        self.assertEqual(self.release_jobs(shipment), 1)

    def test_release_records_are_written_by_the_release_only(self):
        """Marking a shipment released (or linking it an invoice) would stop its release
        or claim one that never happened."""
        order = self.order()
        shipment = order.logistics_shipment_ids
        self.deliver(order.picking_ids)
        invoice = order._create_invoices()
        self.manager.password = "release_manager-pw-123"
        attempts = [
            ("logistics.shipment", "write", [shipment.ids, {"invoice_released": True}]),
            ("logistics.shipment", "write", [shipment.ids, {"invoice_ids": [(4, invoice.id)]}]),
            ("logistics.invoice.release", "create", [{
                "shipment_id": shipment.id, "invoice_id": invoice.id, "trigger": "manual"}]),
        ]
        for login in ("release_user", "release_manager"):
            self.authenticate(login, f"{login}-pw-123")
            for model, method, args in attempts:
                with self.subTest(login=login, model=model, args=args), \
                        self.assertRaises(JsonRpcException) as refused:
                    self.make_jsonrpc_request("/web/dataset/call_kw", {
                        "model": model, "method": method, "args": args,
                        "kwargs": {"context": {"logistics_release": True}}})
                self.assertEqual(refused.exception.args[0], "odoo.exceptions.AccessError")
        self.env.invalidate_all()
        self.assertEqual((shipment.invoice_released, shipment.invoice_ids), (False, invoice.browse()))
        # The release path still records them.
        shipment._apply_milestones([{"shipment_id": shipment.id, "code": "pod_received",
                                     "occurred_at": "2026-11-20 14:00:00", "pod_signed_by": "R. Ceiver"}])
        shipment.with_user(self.manager)._release_invoices()
        self.assertTrue(shipment.invoice_released)
        self.assertEqual(shipment.invoice_ids, invoice)
