# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json
from datetime import timedelta

import responses

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import file_open

from .common import ConnectorCase, OutboundHttpMixin, WebhookCase


@tagged("post_install", "-at_install")
class TestBackendActions(OutboundHttpMixin, ConnectorCase):
    def test_counters_and_lag(self):
        Message = self.env["logistics.sync.message"]
        base = {"backend_id": self.backend.id, "company_id": self.backend.company_id.id,
                "direction": "in", "payload": "{}"}
        Message.create([
            dict(base, event_id="a", state="done"),
            dict(base, event_id="b", state="dead"),
            dict(base, event_id="c", state="unmapped"),
            dict(base, event_id="d", state="pending",
                 received_at=fields.Datetime.now() - timedelta(seconds=90)),
            dict(base, event_id="e", direction="out", state="sent"),
        ])
        backend = self.backend
        self.assertEqual(backend.message_in_count, 4)
        self.assertEqual(backend.message_done_count, 1)
        self.assertEqual(backend.message_dead_count, 1)
        self.assertEqual(backend.message_attention_count, 2)
        self.assertEqual(backend.message_out_count, 1)
        self.assertGreaterEqual(backend.lag_seconds, 89)
        self.assertTrue(backend.last_event_at)
        action = backend.action_view_messages()
        self.assertEqual(action["domain"], [("backend_id", "=", backend.id)])

    def test_webhook_url_pause_resume(self):
        self.assertTrue(self.backend.webhook_url.endswith("/logistics/webhook/test-tms"))
        notification = self.backend.action_show_webhook_url()
        self.assertIn("/logistics/webhook/test-tms", notification["params"]["message"])
        self.backend.action_pause()
        self.assertTrue(self.backend.paused)
        self.backend.action_resume()
        self.assertFalse(self.backend.paused)

    def test_code_must_be_a_slug(self):
        with self.assertRaises(Exception):
            self.backend.code = "Not A Slug/"

    @responses.activate
    def test_test_connection(self):
        self.backend.base_url = "https://93.184.216.34/ping"
        responses.add(responses.POST, "https://93.184.216.34/ping", status=204)
        result = self.backend.action_test_connection()
        self.assertEqual(result["params"]["type"], "success")
        responses.replace(responses.POST, "https://93.184.216.34/ping", status=401)
        with self.assertRaises(UserError):
            self.backend.action_test_connection()
        self.backend.base_url = "http://127.0.0.1:22/"
        with self.assertRaises(UserError):
            self.backend.action_test_connection()

    def test_rotate_wizard(self):
        admin = new_test_user(self.env, "rot_admin", groups="logistics_sync.group_logistics_admin")
        action = self.backend.with_user(admin).action_rotate_secret()
        wizard = self.env[action["res_model"]].with_user(admin).with_context(**action["context"]).create({})
        wizard.action_rotate()
        self.assertTrue(wizard.new_secret.startswith("whsec_"))
        self.assertEqual(len(self.backend.secret_ids.filtered("active")), 2)
        # The Rotate Signing Secret button: same wizard, the outbound signing secrets.
        action = self.backend.with_user(admin).with_context(default_purpose="outbound").action_rotate_secret()
        wizard = self.env[action["res_model"]].with_user(admin).with_context(**action["context"]).create({})
        wizard.action_rotate()
        self.assertEqual(self.backend.signing_secret_ids.mapped("secret"), [wizard.new_secret])
        self.assertEqual(len(self.backend.secret_ids.filtered("active")), 2)

    def test_retention_keeps_dedup_records_30_days(self):
        Message = self.env["logistics.sync.message"]
        base = {"backend_id": self.backend.id, "company_id": self.backend.company_id.id,
                "direction": "in", "payload": '{"x": 1}', "state": "done"}
        now = fields.Datetime.now()
        recent, old, ancient = Message.create([
            dict(base, event_id="recent", received_at=now - timedelta(days=2)),
            dict(base, event_id="old", received_at=now - timedelta(days=20)),
            dict(base, event_id="ancient", received_at=now - timedelta(days=40)),
        ])
        self.env["ir.config_parameter"].set_param(
            "logistics_sync_connector.payload_retention_days", 10)
        Message._cron_purge()
        self.env.invalidate_all()
        self.assertEqual(recent.payload, '{"x": 1}')
        self.assertFalse(old.payload, "payload blanked after the retention period")
        self.assertTrue(old.exists(), "the dedup record stays for at least 30 days")
        self.assertFalse(ancient.exists())

    def test_retention_never_purges_unresolved_messages(self):
        Message = self.env["logistics.sync.message"]
        base = {"backend_id": self.backend.id, "company_id": self.backend.company_id.id,
                "direction": "in", "payload": '{"x": 1}',
                "received_at": fields.Datetime.now() - timedelta(days=400)}
        unresolved = Message.create([
            dict(base, event_id=state, state=state)
            for state in ("dead", "failed", "invalid", "unmapped", "unmatched", "unauthorized",
                          "skipped", "pending")])
        Message._cron_purge()
        self.env.invalidate_all()
        self.assertEqual(len(unresolved.exists()), 8)
        self.assertEqual(set(unresolved.mapped("payload")), {'{"x": 1}'})

    def test_neutralize_disables_backends_and_blanks_credentials(self):
        self.backend.write({"auth_type": "bearer", "auth_secret": "live-token"})
        self.env.flush_all()
        with file_open("logistics_sync_connector/data/neutralize.sql") as f:
            self.env.cr.execute(f.read())
        self.env.invalidate_all()
        self.assertTrue(self.backend.paused)
        self.assertFalse(self.backend.auth_secret)
        self.assertFalse(self.backend.secret_ids.filtered("active"))


@tagged("post_install", "-at_install")
class TestConnectorUiOverHttp(WebhookCase):
    def test_views_and_server_actions_load_for_a_manager(self):
        new_test_user(self.env, "ui_conn_manager", password="ui_conn_manager_pw",
                      groups="logistics_sync.group_logistics_manager")
        self.authenticate("ui_conn_manager", "ui_conn_manager_pw")
        for xmlid in ("logistics_sync_connector.logistics_sync_message_action",
                      "logistics_sync_connector.logistics_backend_action",
                      "logistics_sync_connector.logistics_webhook_audit_action"):
            action = self.url_open("/web/action/load", data=json.dumps(
                {"jsonrpc": "2.0", "method": "call", "params": {"action_id": xmlid}}),
                headers={"Content-Type": "application/json"}).json()["result"]
            views = [[False, mode] for mode in action["view_mode"].split(",")] + [[False, "search"]]
            result = self.url_open("/web/dataset/call_kw", data=json.dumps({
                "jsonrpc": "2.0", "method": "call", "params": {
                    "model": action["res_model"], "method": "get_views", "args": [],
                    "kwargs": {"views": views, "options": {"toolbar": True}}}}),
                headers={"Content-Type": "application/json"}).json()
            self.assertNotIn("error", result, result.get("error"))
            if action["res_model"] == "logistics.sync.message":
                toolbar = result["result"]["views"]["list"]["toolbar"]["action"]
                self.assertEqual({a["name"] for a in toolbar} >= {"Replay / Retry", "Cancel"}, True)
