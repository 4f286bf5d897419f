# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Who may post at all: the IP allowlist (403) and the URL token (401), through real HTTP."""

import logging
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import common, new_test_user, tagged
from odoo.tools import config as odoo_config

from ..lib import webhook_access
from .common import WebhookCase, generic_event

TOKEN = "tok_" + "A1b2C3d4" * 4


def event():
    return generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z")


@tagged("post_install", "-at_install")
class TestWebhookAllowlist(WebhookCase):
    def audits(self):
        return self.env["logistics.webhook.audit"].search(
            [("backend_id", "=", self.backend.id)], order="id")

    def test_an_address_outside_the_allowlist_gets_403_and_an_audit_row(self):
        self.backend.webhook_allowlist = "192.0.2.0/24\n2001:db8::/32"
        response = self.post_signed(event())
        self.assertEqual(response.status_code, 403, response.text)
        self.assertEqual(response.json(), {"error": "address not allowed"})
        self.assertFalse(self.messages(), "nothing is stored")
        audit = self.audits()
        self.assertEqual((audit.reason, audit.remote_addr), ("address_not_allowed", "127.0.0.1"))
        # Commas, spaces and lines mix; a single address is a /32.
        self.backend.webhook_allowlist = "192.0.2.0/24, 127.0.0.1\n10.0.0.0/8"
        self.assertEqual(self.post_signed(event()).status_code, 202)
        self.backend.webhook_allowlist = False
        self.assertEqual(self.post_signed(event()).status_code, 202, "empty: any address")

    def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(self):
        """proxy_mode with X-Forwarded-Host (deploy/nginx/odoo.conf): the last
        X-Forwarded-For entry, which the audit rows record too; a forged first entry
        does not get in."""
        self.backend.webhook_allowlist = "192.0.2.0/24"
        with patch.dict(odoo_config.options, proxy_mode=True):
            headers = {"X-Forwarded-Host": "odoo.example.com"}
            ok = self.post_signed(event(), headers={**headers, "X-Forwarded-For": "192.0.2.7"})
            self.assertEqual(ok.status_code, 202, ok.text)
            forged = self.post_signed(
                event(), headers={**headers, "X-Forwarded-For": "192.0.2.7, 198.51.100.9"})
            self.assertEqual(forged.status_code, 403)
        self.assertEqual(self.audits().remote_addr, "198.51.100.9")

    def test_the_allowlist_is_validated_on_save(self):
        for bad in ("192.0.2.0/33", "example.com", "192.0.2.1/24/8", "10.0.0.0/8;"):
            with self.assertRaises(ValidationError, msg=bad):
                self.backend.webhook_allowlist = bad
        self.backend.webhook_allowlist = " 192.0.2.1/24 ,\n\n::1 "  # host bits: its network
        self.assertEqual(len(webhook_access.parse_allowlist(self.backend.webhook_allowlist)), 2)


@tagged("post_install", "-at_install")
class TestWebhookUrlToken(WebhookCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.webhook_url_token_required = True
        cls.tokens = cls.backend.sudo().url_token_ids
        cls.tokens.secret = TOKEN

    def audits(self):
        return self.env["logistics.webhook.audit"].search(
            [("backend_id", "=", self.backend.id)], order="id")

    def test_a_required_token_is_checked_before_anything_is_stored(self):
        self.assertEqual(len(self.tokens), 1, "requiring a token made one")
        plain = self.post_signed(event())
        self.assertEqual((plain.status_code, plain.json()["reason"]), (401, "missing_url_token"))
        wrong = self.post_signed(event(), url=f"{self.url}/{TOKEN[:-1]}B")
        self.assertEqual((wrong.status_code, wrong.json()["reason"]), (401, "invalid_url_token"))
        self.assertFalse(self.messages())
        self.assertEqual(self.audits().mapped("reason"), ["missing_url_token", "invalid_url_token"])
        for audit in self.audits():
            self.assertNotIn(TOKEN[:12], f"{audit.code} {audit.detail} {audit.headers}")
        ok = self.post_signed(event(), url=f"{self.url}/{TOKEN}")
        self.assertEqual(ok.status_code, 202, ok.text)
        # A query-string token is never read.
        self.assertEqual(self.post_signed(event(), url=f"{self.url}?token={TOKEN}").status_code, 401)

    def test_a_token_given_is_checked_even_when_not_required(self):
        self.backend.webhook_url_token_required = False
        self.assertEqual(self.post_signed(event()).status_code, 202)
        self.assertEqual(self.post_signed(event(), url=f"{self.url}/{'x' * 40}").status_code, 401)
        self.assertEqual(self.post_signed(event(), url=f"{self.url}/{TOKEN}").status_code, 202)

    def test_rotation_keeps_the_previous_token_for_the_grace_period(self):
        admin = new_test_user(self.env, "token-admin", groups="logistics_sync.group_logistics_admin")
        new = self.backend.with_user(admin)._rotate_secret(grace_hours=1, purpose="url_token")
        self.assertNotEqual(new.secret, TOKEN)
        self.assertEqual(self.backend.with_user(admin).webhook_token_url,
                         f"{self.backend.webhook_url}/{new.secret}")
        for token in (TOKEN, new.secret):
            self.assertEqual(self.post_signed(event(), url=f"{self.url}/{token}").status_code, 202)
        self.tokens.expires_at = fields.Datetime.now() - timedelta(seconds=1)
        self.assertEqual(self.post_signed(event(), url=f"{self.url}/{TOKEN}").status_code, 401)
        self.assertEqual(self.post_signed(event(), url=f"{self.url}/{new.secret}").status_code, 202)

    def test_the_request_log_masks_the_token(self):
        with self.assertLogs("werkzeug", logging.INFO) as logs:
            self.assertEqual(self.post_signed(event(), url=f"{self.url}/{TOKEN}").status_code, 202)
        lines = "\n".join(logs.output)
        self.assertIn("/logistics/webhook/test-tms/***", lines)
        self.assertNotIn(TOKEN, lines)


class TestWebhookAccessLib(common.BaseCase):
    """lib/webhook_access.py, without a database."""

    def test_addresses(self):
        nets = webhook_access.parse_allowlist("192.0.2.0/24 2001:db8::/32")
        for addr, allowed in (("192.0.2.9", True), ("::ffff:192.0.2.9", True), ("2001:db8::1", True),
                              ("192.0.3.1", False), ("", False), ("garbage", False), (None, False)):
            self.assertEqual(webhook_access.address_allowed(nets, addr), allowed, addr)
        self.assertTrue(webhook_access.address_allowed((), "203.0.113.1"))
        self.assertFalse(webhook_access.address_allowed((None,), "203.0.113.1"))

    def test_tokens_and_masking(self):
        fault = webhook_access.url_token_fault
        self.assertIsNone(fault(None, False, []))
        self.assertEqual(fault(None, True, [TOKEN]), "missing_url_token")
        self.assertEqual(fault("short", False, ["short"]), "invalid_url_token")
        self.assertEqual(fault(TOKEN, True, []), "invalid_url_token")
        self.assertIsNone(fault(TOKEN, True, ["other" * 4, TOKEN]))
        self.assertEqual(
            webhook_access.mask_path(f'"POST /logistics/webhook/acme/{TOKEN}?a=1 HTTP/1.1" 202'),
            '"POST /logistics/webhook/acme/***?a=1 HTTP/1.1" 202')
        self.assertEqual(webhook_access.mask_path("/logistics/webhook/acme"), "/logistics/webhook/acme")
