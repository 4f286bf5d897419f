# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Issue 14, items 1, 2, 3 and 7: what an unauthenticated sender can make the webhook
endpoint write, read, cache and say, through the real HTTP stack."""

from odoo.tests import tagged

from .common import TMS_SECRET, WebhookCase

AUDIT_CAP = "logistics_sync_connector.webhook_audit_per_minute"


@tagged("post_install", "-at_install")
class TestWebhookLimits(WebhookCase):

    def set_param(self, key, value):
        self.env["ir.config_parameter"].set_param(key, value)
        self.env.registry.clear_cache()

    # -- item 3: unknown codes leave nothing in the ORM cache
    def test_unknown_codes_add_nothing_to_the_orm_cache(self):
        cache = self.registry._Registry__caches["default"]

        def entries():
            return sorted(str(key[1:]) for key in list(cache) if key[0] == "logistics.backend.secret")

        self.assertEqual(self.post_signed({}, url="/logistics/webhook/nope-0").status_code, 404)
        self.assertEqual(self.post_signed({"x": 1}).status_code, 202)  # a known code is cached
        before = entries()
        self.assertTrue(before)
        for i in range(40):
            self.assertEqual(self.post_signed({}, url=f"/logistics/webhook/nope-{i}").status_code, 404)
        self.assertEqual(entries(), before)
        # A backend created meanwhile is found at once (the caches are cleared).
        self.backend.copy({"code": "test-tms-2", "name": "Test TMS 2"})
        self.env["logistics.backend.secret"].create({
            "backend_id": self.env["logistics.backend"].search([("code", "=", "test-tms-2")]).id,
            "secret": TMS_SECRET})
        self.assertEqual(self.post_signed({"x": 2}, url="/logistics/webhook/test-tms-2").status_code, 202)
