# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, models


class LogisticsReconcileDashboard(models.TransientModel):
    _name = "logistics.reconcile.dashboard"
    _inherit = "logistics.reconcile.counts"
    _description = "Reconciliation Dashboard"

    @api.model
    def action_open(self):
        dashboard = self.create(self._collect())
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reconciliation"),
            "res_model": self._name,
            "res_id": dashboard.id,
            "view_mode": "form",
            "target": "current",
        }
