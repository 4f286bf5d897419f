# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The webhook side of a backend: its URL, secret rotation, and what happens to it when
the addon of its adapter is uninstalled (lib/adapters.ondelete)."""

from odoo import api, fields, models


class LogisticsBackend(models.Model):
    _inherit = "logistics.backend"

    webhook_url = fields.Char(compute="_compute_webhook_url")

    @api.depends("code")
    def _compute_webhook_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for rec in self:
            rec.webhook_url = f"{base}/logistics/webhook/{rec.code}" if rec.code else False

    def action_show_webhook_url(self):
        self.ensure_one()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Webhook URL of %s", self.name),
                "message": self.webhook_url,
                "sticky": True,
                "type": "info",
            },
        }

    def action_rotate_secret(self):
        """The rotation wizard, for the webhook secrets or (button context) the outbound
        signing secrets: the context only picks which; rotating checks the right."""
        self.ensure_one()
        purpose = "outbound" if self.env.context.get("default_purpose") == "outbound" else "inbound"
        return {
            "type": "ir.actions.act_window",
            "res_model": "logistics.secret.rotate.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_backend_id": self.id, "default_purpose": purpose},
        }

    def _rotate_secret(self, grace_hours=24, purpose="inbound"):
        """New secret now; the previous ones stay valid for ``grace_hours``."""
        return self.env["logistics.backend.secret"]._rotate(self, grace_hours, purpose)

    def _adapter_uninstalled(self):
        """The addon of these backends' adapter is being uninstalled: keep the backends
        but switch them to the generic adapter and pause them, so that nothing is parsed
        as another provider's payload (their webhooks now fail the generic signature:
        401 and audit rows, never silently). Run by the uninstall, a system operation,
        whatever the logistics groups of the administrator who runs it."""
        labels = dict(self._fields["adapter"]._description_selection(self.env))
        for backend in self.sudo().with_context(active_test=False, tracking_disable=True):
            previous = labels.get(backend.adapter, backend.adapter)
            backend.write({"adapter": "generic", "paused": True})
            backend.message_post(body=self.env._(
                "The addon of the adapter %(adapter)s was uninstalled: this backend now uses "
                "the generic adapter and is paused. Reinstall the addon, choose its adapter "
                "again and resume the backend.", adapter=previous))
