# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import TMS_SECRET, ConnectorCase, WebhookCase


@tagged("post_install", "-at_install")
class TestConnectorSecurity(ConnectorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(cls.env, "conn_manager",
                                    groups="logistics_sync.group_logistics_manager")
        cls.admin = new_test_user(cls.env, "conn_admin",
                                  groups="logistics_sync.group_logistics_admin")
        cls.backend.write({"auth_type": "bearer", "auth_secret": "s3cr3t-token"})

    def test_non_admins_cannot_read_secrets(self):
        for user in (self.manager, self.integration_user):
            backend = self.backend.with_user(user)
            self.assertEqual(backend.name, "Test TMS")
            with self.assertRaises(AccessError):
                backend.read(["auth_secret"])
            with self.assertRaises(AccessError):
                backend.read(["secret_ids"])
            with self.assertRaises(AccessError):
                self.env["logistics.backend.secret"].with_user(user).search_read([], ["secret"])
            data = backend.read()[0]  # all readable fields: secrets are not among them
            self.assertNotIn("auth_secret", data)
            self.assertNotIn("secret_ids", data)
            self.assertNotIn(TMS_SECRET, json.dumps(data, default=str))
            self.assertNotIn("s3cr3t-token", json.dumps(data, default=str))
        admin_backend = self.backend.with_user(self.admin)
        self.assertEqual(admin_backend.auth_secret, "s3cr3t-token")
        self.assertIn(TMS_SECRET, admin_backend.secret_ids.mapped("secret"))

    def test_only_admins_configure_and_rotate(self):
        with self.assertRaises(AccessError):
            self.backend.with_user(self.manager).write({"base_url": "https://evil.example"})
        with self.assertRaises(Exception):
            self.backend.with_user(self.manager)._rotate_secret()
        self.backend.with_user(self.admin)._rotate_secret()

    def test_replay_and_cancel_are_for_managers(self):
        message = self.env["logistics.sync.message"].create({
            "backend_id": self.backend.id, "company_id": self.backend.company_id.id,
            "direction": "in", "event_id": "e1", "state": "dead", "payload": "{}"})
        user = new_test_user(self.env, "conn_user", groups="logistics_sync.group_logistics_user")
        with self.assertRaises(Exception):
            message.with_user(user).action_replay()
        message.with_user(self.manager).action_cancel()
        self.assertEqual(message.state, "cancelled")

    def test_other_company_backends_are_invisible(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        user = new_test_user(self.env, "other_co_user", groups="logistics_sync.group_logistics_manager",
                             company_id=other.id, company_ids=[other.id])
        self.assertFalse(self.env["logistics.backend"].with_user(user).search([("id", "=", self.backend.id)]))


@tagged("post_install", "-at_install")
class TestSecretsOverRpc(WebhookCase):
    def test_rpc_never_returns_secrets_to_managers(self):
        new_test_user(self.env, "rpc_manager", password="rpc_manager_pw",
                      groups="logistics_sync.group_logistics_manager")
        self.authenticate("rpc_manager", "rpc_manager_pw")
        response = self.url_open("/web/dataset/call_kw", data=json.dumps({
            "jsonrpc": "2.0", "method": "call", "params": {
                "model": "logistics.backend", "method": "web_read", "args": [[self.backend.id]],
                "kwargs": {"specification": {"name": {}, "code": {}}}}}),
            headers={"Content-Type": "application/json"})
        self.assertEqual(response.json()["result"][0]["code"], "test-tms")
        response = self.url_open("/web/dataset/call_kw", data=json.dumps({
            "jsonrpc": "2.0", "method": "call", "params": {
                "model": "logistics.backend.secret", "method": "search_read", "args": [[]],
                "kwargs": {"fields": ["secret"]}}}),
            headers={"Content-Type": "application/json"})
        self.assertIn("error", response.json())
        self.assertNotIn(TMS_SECRET, response.text)
        form = self.url_open("/web/dataset/call_kw", data=json.dumps({
            "jsonrpc": "2.0", "method": "call", "params": {
                "model": "logistics.backend", "method": "get_views", "args": [],
                "kwargs": {"views": [[False, "form"]]}}}),
            headers={"Content-Type": "application/json"}).json()["result"]
        self.assertNotIn("secret_ids", form["views"]["form"]["arch"])
        self.assertNotIn("auth_secret", form["views"]["form"]["arch"])
