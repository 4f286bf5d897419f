# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models

from ..models.logistics_backend_secret import PURPOSES


class LogisticsSecretRotateWizard(models.TransientModel):
    _name = "logistics.secret.rotate.wizard"
    _description = "Rotate a Webhook Secret"

    backend_id = fields.Many2one("logistics.backend", required=True)
    purpose = fields.Selection(PURPOSES, required=True, default="inbound")
    grace_hours = fields.Integer(
        "Keep previous secrets valid for (hours)", default=24,
        help="Both secrets verify (inbound) or sign (outbound) during this window, so the "
        "other side can switch without loss.",
    )
    new_secret = fields.Char(readonly=True)

    def action_rotate(self):
        self.ensure_one()
        self.new_secret = self.backend_id._rotate_secret(self.grace_hours, self.purpose).secret
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
