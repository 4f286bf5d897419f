# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models, tools


class LogisticsBackendSecret(models.Model):
    _name = "logistics.backend.secret"
    _inherit = ["logistics.company.guard"]
    _description = "Webhook Secret"
    _order = "id desc"

    backend_id = fields.Many2one(
        "logistics.backend", required=True, ondelete="cascade", index=True, check_company=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
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

    # ------------------------------------------------------------------ webhook verification
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
            """SELECT id, adapter, paused, integration_user_id, company_id
                 FROM logistics_backend WHERE code = %s AND active""",
            [code],
        )
        row = self.env.cr.fetchone()
        if not row:
            return None
        backend_id, adapter, paused, uid, company_id = row
        self.env.cr.execute(
            """SELECT secret, expires_at FROM logistics_backend_secret
                WHERE backend_id = %s AND active ORDER BY id DESC""",
            [backend_id],
        )
        secrets = tuple(self.env.cr.fetchall())
        return {
            "backend_id": backend_id, "adapter": adapter, "paused": bool(paused),
            "uid": uid, "company_id": company_id, "secrets": secrets,
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
    def _active_secrets(self, config, now=None):
        now = now or fields.Datetime.now()
        return [s for s, expires in config["secrets"] if not expires or expires > now]
