# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import base64
import json

from odoo import Command
from odoo.tests import Form, HttpCase, tagged

from .common import LogisticsCase, at


@tagged("post_install", "-at_install")
class TestWizards(LogisticsCase):
    def test_add_milestone_wizard_with_pod(self):
        shipment = self.new_shipment().with_user(self.user)
        action = shipment.action_add_milestone()
        self.assertEqual(action["res_model"], "logistics.milestone.add.wizard")
        wizard_env = self.env["logistics.milestone.add.wizard"].with_user(self.user).with_context(
            **action["context"])
        form = Form(wizard_env)
        form.code_id = self.env.ref("logistics_sync.milestone_code_delivered")
        form.occurred_at = at(4)
        form.location = "Dock 4"
        form.pod_signed_by = "R. Receiver"
        form.pod_document = base64.b64encode(b"%PDF-1.4 signed pod")
        result = form.save().action_apply()
        self.assertEqual(result["type"], "ir.actions.act_window_close")
        self.assertEqual(shipment.state, "delivered")
        self.assertTrue(shipment.pod_received)
        self.assertEqual(shipment.pod_signed_by, "R. Receiver")
        self.assertEqual(shipment.pod_attachment_id.name, f"POD {shipment.name}")
        self.assertEqual(base64.b64decode(shipment.pod_attachment_id.datas), b"%PDF-1.4 signed pod")
        self.assertEqual(shipment.milestone_ids.source, "manual:logistics_user")
        self.assertEqual(shipment.milestone_ids.location, "Dock 4")
        # Adding the same milestone again is reported as a duplicate.
        again = wizard_env.create({"shipment_id": shipment.id, "occurred_at": at(4),
                                   "code_id": self.env.ref("logistics_sync.milestone_code_delivered").id})
        notification = again.action_apply()
        self.assertEqual(notification["tag"], "display_notification")
        self.assertEqual(len(shipment.milestone_ids), 1)

    def test_reason_is_reset_when_code_changes(self):
        form = Form(self.env["logistics.milestone.add.wizard"].with_context(
            default_shipment_id=self.new_shipment().id))
        form.code_id = self.env.ref("logistics_sync.milestone_code_exception")
        form.reason_id = self.env.ref("logistics_sync.milestone_reason_exception_lost")
        form.code_id = self.env.ref("logistics_sync.milestone_code_in_transit")
        self.assertFalse(form.reason_id)

    def test_correction_wizard(self):
        shipment = self.new_shipment()
        self.apply(shipment, ("in_transit", 1), ("cancelled", 2))
        action = shipment.with_user(self.manager).action_correct_state()
        wizard = self.env["logistics.shipment.correct.wizard"].with_user(self.manager).with_context(
            **action["context"]).create({
                "milestone_ids": [Command.set(shipment.milestone_ids.filtered(lambda m: m.code == "cancelled").ids)],
                "reason": "cancelled by mistake"})
        wizard.action_apply()
        self.assertEqual(shipment.state, "in_transit")
        self.assertIn("cancelled by mistake", shipment.message_ids[0].body)

    def test_settings(self):
        settings = self.env["res.config.settings"].create({"logistics_auto_create_shipment": False})
        settings.execute()
        self.assertFalse(self.env.company.logistics_auto_create_shipment)


@tagged("post_install", "-at_install")
class TestUiOverHttp(HttpCase):
    """The views and actions load for a Logistics user through the real web client RPC."""

    def _rpc(self, model, method, *args, **kwargs):
        response = self.url_open(
            "/web/dataset/call_kw",
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": {
                "model": model, "method": method, "args": list(args), "kwargs": kwargs}}),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        payload = response.json()
        self.assertNotIn("error", payload, payload.get("error"))
        return payload["result"]

    def test_views_and_actions_load(self):
        from odoo.tests import new_test_user
        new_test_user(self.env, "ui_user", password="ui_user_pw",
                      groups="logistics_sync.group_logistics_manager,stock.group_stock_user,sales_team.group_sale_salesman")
        self.authenticate("ui_user", "ui_user_pw")
        for xmlid in ("logistics_sync.logistics_shipment_action",
                      "logistics_sync.logistics_shipment_milestone_action"):
            action = self.url_open("/web/action/load", data=json.dumps(
                {"jsonrpc": "2.0", "method": "call", "params": {"action_id": xmlid}}),
                headers={"Content-Type": "application/json"}).json()["result"]
            views = [[False, mode] for mode in action["view_mode"].split(",")] + [[False, "search"]]
            result = self._rpc(action["res_model"], "get_views", views=views, options={"toolbar": True})
            self.assertEqual(set(result["views"]), {v[1] for v in views})
        shipments = self._rpc("logistics.shipment", "web_search_read", [], specification={
            "name": {}, "state": {}, "is_late": {}, "milestone_ids": {"fields": {"code_id": {}, "effect": {}}}})
        self.assertGreaterEqual(shipments["length"], 0)
        form = self._rpc("logistics.shipment", "get_views", views=[[False, "form"]])
        arch = form["views"]["form"]["arch"]
        self.assertIn("action_add_milestone", arch)
        self.assertIn("action_correct_state", arch, "managers see the correction button")
