# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import secrets as pysecrets
from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError

from ..lib import webhook_access

PURPOSES = [
    ("inbound", "Webhook verification (inbound)"),
    ("outbound", "Request signing (outbound)"),
    ("url_token", "Webhook URL token (inbound)"),
]


class LogisticsBackendSecret(models.Model):
    """A backend's secrets: those that verify its webhooks (inbound) and, apart, those
    that sign the requests sent to it (outbound), so that knowing one side's secret
    neither forges nor reads the other side's signatures."""

    _name = "logistics.backend.secret"
    _inherit = ["logistics.company.guard"]
    _description = "Backend Secret"
    _order = "id desc"

    backend_id = fields.Many2one(
        "logistics.backend", required=True, ondelete="cascade", index=True, check_company=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    purpose = fields.Selection(PURPOSES, required=True, default="inbound", index=True)
    secret = fields.Char(required=True, copy=False)
    expires_at = fields.Datetime(help="After this time (UTC) the secret no longer verifies.")
    active = fields.Boolean(default=True)
    preview = fields.Char(compute="_compute_preview")

    @api.depends("secret")
    def _compute_preview(self):
        for rec in self:
            rec.preview = (rec.secret or "")[:10] + "…" if rec.secret else ""

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()

    # ------------------------------------------------------------------ creation and rotation
    @api.model
    def _create_for(self, backend, value=None, expires_at=False, purpose="inbound"):
        backend.ensure_one()
        # Created with sudo (nobody below admin may even read it): the caller must still
        # be allowed to change this backend, hence be in its company.
        backend.check_access("write")
        if not value:
            adapter = backend._adapter()
            value = {"inbound": adapter.new_secret, "outbound": adapter.new_signing_secret,
                     "url_token": lambda: pysecrets.token_urlsafe(32)}[purpose]()
        return self.sudo().create({
            "backend_id": backend.id,
            "purpose": purpose,
            "secret": value,
            "expires_at": expires_at,
        })

    @api.model
    def _rotate(self, backend, grace_hours=24, purpose="inbound"):
        """New secret of ``purpose`` now; the previous ones stay valid for ``grace_hours``
        (inbound: they verify; outbound: requests carry their signatures too)."""
        backend.ensure_one()
        if not self.env.user.has_group("logistics_sync.group_logistics_admin"):
            raise AccessError(self.env._("Only Logistics Administrators can rotate secrets."))
        backend.check_access("write")  # before the previous secrets are expired (sudo)
        expiry = fields.Datetime.now() + timedelta(hours=grace_hours)
        for secret in self.sudo().search([("backend_id", "=", backend.id), ("purpose", "=", purpose)]):
            if not secret.expires_at or secret.expires_at > expiry:
                secret.expires_at = expiry
        new = self._create_for(backend, purpose=purpose)
        if purpose == "inbound":
            body = self.env._("Webhook secret rotated; previous secrets expire on %s (UTC).", expiry)
        elif purpose == "url_token":
            body = self.env._("Webhook URL token rotated; previous tokens expire on %s (UTC).", expiry)
        else:
            body = self.env._("Outbound signing secret rotated; previous secrets expire on %s "
                              "(UTC) and sign requests until then.", expiry)
        backend.message_post(body=body)
        return new

    @api.model
    def _signing_secrets(self, backend):
        """The active, unexpired outbound signing secrets of a backend, newest first."""
        now = fields.Datetime.now()
        return self.sudo().search([
            ("backend_id", "=", backend.id), ("purpose", "=", "outbound"), ("active", "=", True),
            "|", ("expires_at", "=", False), ("expires_at", ">", now),
        ]).mapped("secret")

    # ------------------------------------------------------------------ webhook config
    @api.model
    def _webhook_config(self, code):
        """What the webhook controller needs before any ORM work, cached per worker; None
        for a code no active backend has.

        Only the codes of active backends get a cache entry of their own: a request for
        any other code is answered from the cached set of codes, without a query and
        without adding to the shared ORM cache, however many distinct codes are tried.
        """
        if code not in self._webhook_codes():
            return None
        return self._webhook_config_of(code)

    @api.model
    @tools.ormcache()
    def _webhook_codes(self):
        """The codes of the active backends (one cache entry, cleared like the others)."""
        self.env.cr.execute("SELECT code FROM logistics_backend WHERE active")
        return frozenset(code for (code,) in self.env.cr.fetchall())

    @api.model
    @tools.ormcache("code")
    def _webhook_config_of(self, code):
        """The configuration of the active backend ``code`` (called for known codes only).

        Read with SQL: the caller is not authenticated yet (auth='none'), so there
        is no user whose rights could apply; the result is cleared whenever a
        backend or secret changes. Secrets are returned with their expiry and
        checked for it on every request.
        """
        self.env.cr.execute(
            """SELECT id, adapter, paused, integration_user_id, company_id,
                      webhook_allowlist, webhook_url_token_required
                 FROM logistics_backend WHERE code = %s AND active""",
            [code],
        )
        row = self.env.cr.fetchone()
        if not row:
            return None
        backend_id, adapter, paused, uid, company_id, allowlist, token_required = row
        self.env.cr.execute(
            """SELECT purpose, secret, expires_at FROM logistics_backend_secret
                WHERE backend_id = %s AND active AND purpose IN ('inbound', 'url_token')
                ORDER BY id DESC""",
            [backend_id],
        )
        rows = self.env.cr.fetchall()
        try:
            networks = webhook_access.parse_allowlist(allowlist)
        except ValueError:
            networks = (None,)  # written around the constraint (SQL): nobody is allowed
        return {
            "backend_id": backend_id, "adapter": adapter, "paused": bool(paused),
            "uid": uid, "company_id": company_id,
            "secrets": tuple((s, e) for p, s, e in rows if p == "inbound"),
            "url_tokens": tuple((s, e) for p, s, e in rows if p == "url_token"),
            "allowlist": networks, "url_token_required": bool(token_required),
        }

    @api.model
    @tools.ormcache()
    def _webhook_max_body(self):
        self.env.cr.execute(
            "SELECT value FROM ir_config_parameter WHERE key = %s",
            ["logistics_sync_connector.webhook_max_body"],
        )
        row = self.env.cr.fetchone()
        return int(row[0]) if row and row[0] else 262144

    @api.model
    def _active_secrets(self, config, now=None, kind="secrets"):
        """The unexpired webhook secrets (``kind`` "secrets") or URL tokens ("url_tokens")
        of a webhook config, newest first."""
        now = now or fields.Datetime.now()
        return [s for s, expires in config[kind] if not expires or expires > now]
