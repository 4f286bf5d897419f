# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The webhook side of a backend: its URL, who may post to it (IP allowlist, URL token),
secret rotation, and what happens to it when the addon of its adapter is uninstalled
(lib/adapters.ondelete)."""

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..lib import webhook_access


class LogisticsBackend(models.Model):
    _inherit = "logistics.backend"

    webhook_url = fields.Char(compute="_compute_webhook_url")
    webhook_allowlist = fields.Text(
        "Webhook IP Allowlist", tracking=True,
        help="Addresses or networks (CIDR) that may post this backend's webhooks, one per "
        "line or separated by commas; empty: any address. Others get 403, before anything "
        "is read or stored, and an audit row. Behind a proxy, the address is the one the "
        "proxy saw (proxy_mode, deploy/README.md).",
    )
    webhook_url_token_required = fields.Boolean(
        "Require URL Token", tracking=True,
        help="Webhooks must be posted to /logistics/webhook/<code>/<token> with one of the "
        "backend's active URL tokens (for systems that cannot sign their requests); the "
        "plain URL then gets 401 and an audit row. Tokens are rotated like secrets.",
    )
    url_token_ids = fields.One2many(
        "logistics.backend.secret", "backend_id", "Webhook URL Tokens",
        domain=[("purpose", "=", "url_token")], groups="logistics_sync.group_logistics_admin",
    )
    webhook_token_url = fields.Char(
        "Webhook URL with Token", compute="_compute_webhook_token_url",
        groups="logistics_sync.group_logistics_admin",
    )

    @api.depends("code")
    def _compute_webhook_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for rec in self:
            rec.webhook_url = f"{base}/logistics/webhook/{rec.code}" if rec.code else False

    @api.depends("webhook_url", "url_token_ids.secret", "url_token_ids.expires_at")
    def _compute_webhook_token_url(self):
        now = fields.Datetime.now()
        for rec in self:
            tokens = rec.url_token_ids.filtered(
                lambda t: t.active and (not t.expires_at or t.expires_at > now)).sorted("id")
            rec.webhook_token_url = (
                f"{rec.webhook_url}/{tokens[-1].secret}" if tokens and rec.webhook_url else False)

    @api.constrains("webhook_allowlist")
    def _check_webhook_allowlist(self):
        for rec in self:
            try:
                webhook_access.parse_allowlist(rec.webhook_allowlist)
            except ValueError as exc:
                raise ValidationError(self.env._(
                    "%(entry)s is not an IP address or network (CIDR, e.g. 192.0.2.0/24 or "
                    "2001:db8::/32) in the webhook IP allowlist of %(backend)s.",
                    entry=str(exc), backend=rec.name)) from None

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records._ensure_url_token()
        return records

    def write(self, vals):
        res = super().write(vals)
        if vals.get("webhook_url_token_required"):
            self._ensure_url_token()
        return res

    def _ensure_url_token(self):
        """A backend that requires a URL token gets one when it has none active."""
        Secret = self.env["logistics.backend.secret"]
        for rec in self.filtered("webhook_url_token_required"):
            if not Secret.sudo().search_count(
                    [("backend_id", "=", rec.id), ("purpose", "=", "url_token")]):
                rec._create_secret(purpose="url_token")

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
        purpose = self.env.context.get("default_purpose")
        purpose = purpose if purpose in ("outbound", "url_token") else "inbound"
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
