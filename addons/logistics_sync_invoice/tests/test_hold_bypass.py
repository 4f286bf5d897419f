# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields
from odoo.tests import new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import InvoiceReleaseHttpCase

# Context keys a caller may try: none of them may post a held invoice.
BYPASS_CONTEXTS = [
    {},
    {"logistics_release": True},
    {"logistics_override": True, "logistics_trusted": ["release", "override"]},
]
OVERRIDE_VALUES = [
    {"logistics_pod_override": True},
    {"logistics_pod_override_reason": "no reason"},
    {"logistics_pod_override_user_id": 1},
    {"logistics_pod_override_date": "2026-01-01 00:00:00"},
]


@tagged("post_install", "-at_install")
class TestHoldBypass(InvoiceReleaseHttpCase):
    """The POD hold and the release policy, attacked over RPC by restricted users."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing = new_test_user(cls.env, "hb_billing", password="hb_billing_pw",
                                    groups="account.group_account_invoice")
        # Contact Creation, as every employee created from the default user has it.
        cls.salesperson = new_test_user(
            cls.env, "hb_sales", password="hb_sales_pw",
            groups="sales_team.group_sale_salesman,base.group_partner_manager")
        cls.billing_manager = new_test_user(
            cls.env, "hb_billing_manager", password="hb_billing_manager_pw",
            groups="account.group_account_manager,sales_team.group_sale_salesman_all_leads")
        cls.logistics_manager = new_test_user(
            cls.env, "hb_logistics_manager", password="hb_logistics_manager_pw",
            groups="logistics_sync.group_logistics_manager,account.group_account_invoice,"
                   "sales_team.group_sale_salesman_all_leads,base.group_partner_manager")

    def login(self, user):
        self.authenticate(user.login, f"{user.login}_pw")

    def rpc(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs})

    def assertRpcAccessError(self, model, method, *args, **kwargs):
        with self.assertRaises(JsonRpcException) as caught:
            self.rpc(model, method, *args, **kwargs)
        self.assertEqual(str(caught.exception), "odoo.exceptions.AccessError",
                         f"{model}.{method}{args} {kwargs}")

    def held_invoice(self):
        order = self.order()
        self.deliver(order.picking_ids)
        invoice = order._create_invoices()
        self.assertTrue(invoice.logistics_pod_hold)
        return order, invoice

    def assertNotReleased(self, order, invoice):
        invoice.invalidate_recordset()
        self.assertEqual(invoice.state, "draft")
        self.assertFalse(invoice.logistics_pod_override)
        self.assertFalse(self.env["logistics.invoice.release"].search(
            [("shipment_id", "in", order.logistics_shipment_ids.ids)]))
        self.assertFalse(order.logistics_shipment_ids.invoice_ids)

    def policy_tracking(self, record):
        return record.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "logistics_invoice_policy")

    # ------------------------------------------------------------------ the hold
    def test_action_post_never_posts_a_held_invoice(self):
        order, invoice = self.held_invoice()
        for user in (self.billing, self.logistics_manager):
            self.login(user)
            for context in BYPASS_CONTEXTS:
                self.assertRpcAccessError("account.move", "action_post", [invoice.id],
                                          context=context)
        self.assertNotReleased(order, invoice)

    def test_an_attempt_to_post_a_held_invoice_is_logged_with_its_author(self):
        order, invoice = self.held_invoice()
        self.login(self.billing)
        # Not assertRpcAccessError: Odoo's assertRaises rolls back a savepoint of the
        # test's cursor, which would take the note written after the refusal with it.
        with self.assertLogs("odoo.addons.logistics_sync.tools.guard", "WARNING") as logs:
            try:
                self.rpc("account.move", "action_post", [invoice.id],
                         context={"logistics_release": True})
            except JsonRpcException as refused:
                self.assertEqual(str(refused), "odoo.exceptions.AccessError")
            else:
                self.fail("a held invoice was posted")
        self.assertIn(f"refused to {self.billing.login}", logs.output[0])
        self.assertIn(f"account.move [{invoice.id}]", logs.output[0])
        self.assertNotReleased(order, invoice)
        note = invoice.message_ids.filtered(lambda m: "Refused to" in (m.body or ""))
        self.assertEqual(note.author_id, self.billing.partner_id)
        self.assertIn("held until proof of delivery", note.body)

    def test_override_fields_are_not_writable(self):
        order, invoice = self.held_invoice()
        for user in (self.billing, self.logistics_manager):
            self.login(user)
            for values in OVERRIDE_VALUES:
                self.assertRpcAccessError("account.move", "write", [invoice.id], values,
                                          context={"logistics_release": True})
            self.assertRpcAccessError("account.move", "create", [{
                "move_type": "out_invoice", "partner_id": self.customer.id,
                "logistics_pod_override": True,
                "logistics_pod_override_reason": "created as overridden"}])
            # Nor may a caller name the private override method.
            with self.assertRaises(JsonRpcException):
                self.rpc("account.move", "_logistics_override_and_post", [invoice.id], "why not")
            self.assertRpcAccessError("account.move", "action_post", [invoice.id])
        self.assertNotReleased(order, invoice)
        self.assertFalse(invoice.logistics_pod_override_reason)

    def test_only_a_manager_overrides_and_the_invoice_records_who_when_why(self):
        order, invoice = self.held_invoice()
        self.login(self.billing)
        self.assertRpcAccessError("logistics.invoice.override.wizard", "create",
                                  {"invoice_id": invoice.id, "reason": "I say so"})
        self.assertNotReleased(order, invoice)
        self.login(self.logistics_manager)
        before = fields.Datetime.now().replace(microsecond=0)
        wizard_id = self.rpc("logistics.invoice.override.wizard", "create",
                             {"invoice_id": invoice.id, "reason": "customer prepaid"})
        self.rpc("logistics.invoice.override.wizard", "action_confirm", [wizard_id])
        invoice.invalidate_recordset()
        self.assertEqual(invoice.state, "posted")
        self.assertTrue(invoice.logistics_pod_override)
        self.assertEqual(invoice.logistics_pod_override_reason, "customer prepaid")
        self.assertEqual(invoice.logistics_pod_override_user_id, self.logistics_manager)
        self.assertGreaterEqual(invoice.logistics_pod_override_date, before)
        note = invoice.message_ids.filtered(lambda m: "customer prepaid" in (m.body or ""))
        self.assertEqual(note.author_id, self.logistics_manager.partner_id)
        self.assertIn(self.logistics_manager.name, note.body)

    def test_an_override_posts_once(self):
        """Back in draft, the overridden invoice is held again: the flag grants nothing
        (its lines could have been raised since)."""
        order, invoice = self.held_invoice()
        invoice.with_user(self.logistics_manager)._logistics_override_and_post("prepaid")
        self.assertEqual(invoice.state, "posted")
        self.login(self.billing)
        self.rpc("account.move", "button_draft", [invoice.id])
        self.assertRpcAccessError("account.move", "action_post", [invoice.id])
        invoice.invalidate_recordset()
        self.assertEqual(invoice.state, "draft")
        self.assertTrue(invoice.logistics_pod_hold)

    def test_the_release_posts_the_held_draft(self):
        order, invoice = self.held_invoice()
        shipment = order.logistics_shipment_ids
        self.pod(shipment)
        self.login(self.logistics_manager)
        self.rpc("logistics.shipment", "action_release_invoices", [shipment.id])
        invoice.invalidate_recordset()
        self.assertEqual(invoice.state, "posted")
        self.assertFalse(invoice.logistics_pod_override)
        self.assertEqual(shipment.invoice_release_ids.invoice_id, invoice)

    # ------------------------------------------------------------------ the policy
    def test_salesperson_and_billing_cannot_change_the_policy(self):
        self.login(self.salesperson)
        # From the defaults (the customer's policy), an order is created and confirmed.
        order_id = self.rpc("sale.order", "create", {
            "partner_id": self.customer.id, "logistics_invoice_policy": "on_pod",
            "order_line": [[0, 0, {"product_id": self.product.id, "product_uom_qty": 1}]]})
        self.rpc("sale.order", "action_confirm", [order_id])
        order = self.env["sale.order"].browse(order_id)
        self.assertEqual((order.state, order.logistics_invoice_policy), ("sale", "on_pod"))
        self.assertFalse(self.rpc("sale.order", "read", [order_id],
                                  ["logistics_invoice_policy_editable"])[0][
                                      "logistics_invoice_policy_editable"])
        self.assertRpcAccessError("sale.order", "write", [order_id],
                                  {"logistics_invoice_policy": "manual"})
        self.assertRpcAccessError("sale.order", "create", {
            "partner_id": self.customer.id, "logistics_invoice_policy": "manual"})
        self.assertRpcAccessError("res.partner", "write", [self.customer.id],
                                  {"logistics_invoice_policy": "manual"})
        self.assertRpcAccessError("res.partner", "create",
                                  {"name": "Manual Co", "logistics_invoice_policy": "manual"})
        # A contact without a policy of its own (the company default) is fine.
        self.rpc("res.partner", "create", {"name": "Default Co", "logistics_invoice_policy": False})
        self.login(self.billing)
        self.assertRpcAccessError("sale.order", "write", [order_id],
                                  {"logistics_invoice_policy": "manual"})
        order.invalidate_recordset()
        self.customer.invalidate_recordset()
        self.assertEqual(order.logistics_invoice_policy, "on_pod")
        self.assertEqual(self.customer.logistics_invoice_policy, "on_pod")

    def test_managers_change_the_policy_and_it_is_tracked(self):
        order = self.order()
        self.login(self.billing_manager)
        self.assertTrue(self.rpc("sale.order", "read", [order.id],
                                 ["logistics_invoice_policy_editable"])[0][
                                     "logistics_invoice_policy_editable"])
        self.rpc("sale.order", "write", [order.id], {"logistics_invoice_policy": "manual"})
        order.invalidate_recordset()
        self.assertEqual(order.logistics_invoice_policy, "manual")
        tracking = self.policy_tracking(order)
        self.assertEqual(len(tracking), 1)
        self.assertEqual(tracking.mail_message_id.author_id, self.billing_manager.partner_id)
        self.login(self.logistics_manager)
        self.rpc("res.partner", "write", [self.customer.id],
                 {"logistics_invoice_policy": "on_delivery"})
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.logistics_invoice_policy, "on_delivery")
        tracking = self.policy_tracking(self.customer)
        self.assertEqual(len(tracking), 1)
        self.assertEqual(tracking.mail_message_id.author_id, self.logistics_manager.partner_id)
