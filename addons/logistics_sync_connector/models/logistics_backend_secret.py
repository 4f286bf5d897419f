from odoo import api, fields, models


class LogisticsBackendSecret(models.Model):
    _name = "logistics.backend.secret"
    _description = "Webhook Secret"
    _order = "id desc"

    backend_id = fields.Many2one("logistics.backend", required=True, ondelete="cascade", index=True)
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
