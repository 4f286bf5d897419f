# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Least privilege for the integration user (issue 13, part 6): what the inbox and the
outbox need, and nothing more, over the real RPC layer as the user the connector
installs (docs/security-model.md)."""

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import tagged
from odoo.tests.common import JsonRpcException

from .common import TMS_SECRET, WebhookCase, generic_event

PASSWORD = "integration-test-pw"
FORBIDDEN_GROUPS = ("base.group_system", "base.group_erp_manager",
                    "logistics_sync.group_logistics_user")
FORBIDDEN_MODULES = ("sales_team.", "account.")


@tagged("post_install", "-at_install")
class TestIntegrationUser(WebhookCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = cls.env.ref("logistics_sync_connector.user_logistics_integration")
        cls.user.password = PASSWORD
        cls.backend.integration_user_id = cls.user

    def call(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs})

    def assertRefused(self, model, method, *args, **kwargs):
        with self.assertRaisesRegex(JsonRpcException, "AccessError", msg=f"{model}.{method}"):
            self.call(model, method, *args, **kwargs)

    def test_groups_grant_no_sales_accounting_or_settings_rights(self):
        group = self.env.ref("logistics_sync_connector.group_logistics_integration")
        for groups in (self.user.groups_id, group.trans_implied_ids):
            xmlids = set(groups.get_external_id().values())
            self.assertFalse(xmlids & set(FORBIDDEN_GROUPS), xmlids)
            self.assertFalse([x for x in xmlids if x.startswith(FORBIDDEN_MODULES)], xmlids)
        self.assertIn(group, self.user.groups_id)
        self.assertEqual(self.user.company_ids, self.env.ref("base.main_company"))

    def test_over_rpc_reads_its_configuration_and_nothing_else(self):
        self.authenticate(self.user.login, PASSWORD)
        backend, flow = self.backend.id, self.backend.flow_ids[:1].id
        # Its backend and the configuration it runs by: read-only, secrets excluded.
        self.assertEqual(self.call("logistics.backend", "read", [backend], ["code"])[0]["code"], "test-tms")
        self.assertTrue(self.call("logistics.backend.flow", "read", [flow], ["flow", "enabled"]))
        self.assertRefused("logistics.backend", "write", [backend], {"base_url": "https://evil.example"})
        self.assertRefused("logistics.backend", "read", [backend], ["auth_secret"])
        self.assertRefused("logistics.backend.flow", "write", [flow], {"enabled": False})
        self.assertRefused("logistics.backend.status.map", "create", {
            "backend_id": backend, "external_code": "X",
            "milestone_code_id": self.env.ref("logistics_sync.milestone_code_delivered").id})
        self.assertRefused("logistics.backend.secret", "search_read", [], fields=["secret"])
        self.assertRefused("logistics.backend.secret", "create", {"backend_id": backend, "secret": "whsec_x"})
        # No sales, accounting or people's logistics tools.
        self.assertRefused("sale.order", "search_read", [], fields=["name"])
        self.assertRefused("account.move", "search_read", [], fields=["name"])
        self.assertRefused("res.config.settings", "create", {})
        self.assertRefused("logistics.shipment", "create", {"name": "BY-INTEGRATION"})
        self.assertRefused("logistics.milestone.add.wizard", "search_read", [], fields=["id"])
        for model in ("logistics.invoice.release", "logistics.reconcile.uninvoiced"):
            if model in self.env:  # installed with logistics_sync_invoice / _reconcile
                self.assertRefused(model, "search_read", [], fields=["id"])
        self.assertEqual(self.backend.flow_ids[:1].enabled, True)
        self.assertFalse(self.backend.base_url)

    def test_inbox_and_outbox_run_as_that_user(self):
        response = self.post_signed(generic_event(
            "TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z", external_id="EXT-LP-1"), secret=TMS_SECRET)
        self.assertEqual(response.status_code, 202, response.text)
        message = self.messages()
        self.assertEqual(message.create_uid, self.user)
        self.process()
        self.assertEqual((message.state, self.shipment.state), ("done", "picked_up"))
        self.assertEqual(self.shipment.milestone_ids.create_uid, self.user)
        binding = self.backend.binding_ids
        self.assertEqual((binding.external_id, binding.create_uid), ("EXT-LP-1", self.user))
        # Outbound: a message queued and its delivery recorded (circuit included).
        Outbox = self.env["logistics.outbox"].with_user(self.user)
        backend = self.backend.with_user(self.user)
        with trap_jobs() as trap:
            out = Outbox._create(backend, "outbound_shipment", "shipment.updated", "evt-lp-1", {"a": 1})
            trap.assert_jobs_count(1)
        self.assertEqual(out.create_uid, self.user)
        Outbox._circuit_record(backend, False, out.create_date)
        self.assertEqual(backend.circuit_id.failures, 1)
        # It signs with the backend's outbound secret (read for it), never the webhook one.
        signing = self.backend._create_secret(purpose="outbound").secret
        settings = self.env["logistics.outbox"].with_user(self.user)._settings(backend)
        self.assertEqual(settings.signing_secrets, (signing,))
