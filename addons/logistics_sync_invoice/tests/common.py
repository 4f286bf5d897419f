# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime

from odoo import Command
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import new_test_user
from odoo.tests.common import HttpCase, TransactionCase


class InvoiceReleaseMixin:
    """Company, 'on POD' customer, stocked product and users (with TransactionCase or HttpCase)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.company.write({"logistics_auto_release": False, "logistics_invoice_policy": "manual",
                           "logistics_pod_require_signer": False,
                           "logistics_pod_require_document": False,
                           "logistics_release_require_done": True})
        cls.customer = cls.env["res.partner"].create({"name": "POD Customer"})
        cls.customer.logistics_invoice_policy = "on_pod"
        cls.product = cls.env["product.product"].create({
            "name": "Crate", "type": "consu", "is_storable": True, "list_price": 100.0,
            "invoice_policy": "delivery"})
        cls.env["stock.quant"]._update_available_quantity(
            cls.product, cls.env.ref("stock.stock_location_stock"), 1000)
        cls.manager = new_test_user(
            cls.env, "release_manager",
            groups="logistics_sync.group_logistics_manager,account.group_account_invoice,"
                   "sales_team.group_sale_salesman_all_leads,stock.group_stock_user")
        cls.user = new_test_user(
            cls.env, "release_user",
            groups="logistics_sync.group_logistics_user,account.group_account_invoice,"
                   "sales_team.group_sale_salesman_all_leads")

    def order(self, qty=10, partner=None):
        order = self.env["sale.order"].create({
            "partner_id": (partner or self.customer).id,
            "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": qty})],
        })
        with trap_jobs():
            order.action_confirm()
        return order

    def deliver(self, picking, qty=None, backorder=False):
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty if qty is None else qty
            move.picked = True
        ctx = {"cancel_backorder": not backorder} if qty is not None else {}
        res = picking.with_context(**ctx, skip_backorder=True, picking_ids_not_to_backorder=[] if backorder else picking.ids).button_validate()
        self.assertEqual(picking.state, "done")
        return res

    def pod(self, shipment, signed_by="R. Ceiver", code="pod_received", when=None, **extra):
        with trap_jobs() as trap:
            shipment._apply_milestones([dict({
                "shipment_id": shipment.id, "code": code,
                "occurred_at": when or datetime(2026, 11, 20, 14, 0),
                "source": "test", "pod_signed_by": signed_by}, **extra)])
        return trap


class InvoiceReleaseCase(InvoiceReleaseMixin, TransactionCase):
    pass


class InvoiceReleaseHttpCase(InvoiceReleaseMixin, HttpCase):
    pass
