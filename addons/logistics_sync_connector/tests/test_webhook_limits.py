# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Issue 14, items 1, 2, 3 and 7: what an unauthenticated sender can make the webhook
endpoint write, read, cache and say, through the real HTTP stack."""

import time
from unittest.mock import patch

from odoo.tests import tagged

from .common import TMS_SECRET, WebhookCase, generic_event

AUDIT_CAP = "logistics_sync_connector.webhook_audit_per_minute"


@tagged("post_install", "-at_install")
class TestWebhookLimits(WebhookCase):

    def set_param(self, key, value):
        self.env["ir.config_parameter"].set_param(key, value)
        self.env.registry.clear_cache()

    # -- item 1: rejected webhooks are capped per backend and minute
    def test_rejected_webhooks_over_the_cap_are_counted_not_recorded(self):
        self.set_param(AUDIT_CAP, 3)
        junk = "x" * 8192
        signed_like = {"Content-Type": "application/json", "webhook-id": junk,
                       "webhook-timestamp": str(int(time.time())), "webhook-signature": "v1," + junk,
                       "User-Agent": "é" * 4000, "X-Forwarded-For": junk}
        for _i in range(8):
            self.assertEqual(self.post_raw(self.url, b"{}", signed_like).status_code, 401)
        for _i in range(2):
            response = self.post_raw(self.url, b"{}", {"Content-Type": "application/json", "User-Agent": junk})
            self.assertEqual(response.status_code, 401)
        rows = self.env["logistics.webhook.audit"].search([("backend_id", "=", self.backend.id)])
        recorded, counted = rows.filtered(lambda r: not r.minute), rows.filtered("minute")
        self.assertEqual(len(recorded), 3, "at most the cap, one by one")
        for row in recorded:
            self.assertEqual(row.reason, "no_valid_signature")
            self.assertEqual(len(row.headers.splitlines()), 5)
            for line in row.headers.splitlines():
                self.assertLessEqual(len(line.split(": ", 1)[1].encode()), 256, line[:40])
        self.assertIn("user-agent: " + "é" * 128, row.headers.lower(), "cut on a character boundary")
        self.assertEqual(
            sorted((r.reason, r.remote_addr, r.dropped_count, bool(r.headers)) for r in counted),
            [("missing_headers", "127.0.0.1", 2, False), ("no_valid_signature", "127.0.0.1", 5, False)],
            "one counting row per minute, reason and source address")
        self.assertEqual(rows.company_id, self.backend.company_id, "the backend's company (record rules)")
        self.assertEqual(self.post_signed(generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z"))
                         .status_code, 202, "authentic deliveries go on")
        # Past the cap of distinct counting rows, other addresses are counted together.
        Audit = self.env["logistics.webhook.audit"]
        with patch("odoo.addons.logistics_sync_connector.models.logistics_webhook_audit.COUNTING_ROWS", 3):
            for addr in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
                Audit._record({"backend_id": self.backend.id, "company_id": self.backend.company_id.id,
                               "uid": self.integration_user.id}, "test-tms", addr, "no_valid_signature",
                              "x", {})
        counted = Audit.search([("backend_id", "=", self.backend.id), ("minute", "!=", False)])
        self.assertEqual(sorted((r.remote_addr, r.dropped_count) for r in counted),
                         [("(other addresses)", 2), ("10.0.0.1", 1), ("127.0.0.1", 2), ("127.0.0.1", 5)])

    def test_no_cap_counts_every_rejected_webhook(self):
        self.set_param(AUDIT_CAP, 0)
        for _i in range(3):
            self.assertEqual(self.post_raw(self.url, b"{}", {"Content-Type": "application/json"}).status_code, 401)
        rows = self.env["logistics.webhook.audit"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual([(r.dropped_count, r.reason) for r in rows], [(3, "missing_headers")])

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
