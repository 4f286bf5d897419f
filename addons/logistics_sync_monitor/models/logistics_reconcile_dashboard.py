# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class LogisticsReconcileDashboard(models.TransientModel):
    _inherit = "logistics.reconcile.dashboard"

    # One health card per backend the user may read (record rules: their companies).
    backend_ids = fields.Many2many("logistics.backend", string="Backends", compute="_compute_backend_ids")

    def _compute_backend_ids(self):
        backends = self.env["logistics.backend"].search([])
        for rec in self:
            rec.backend_ids = backends

    def action_open_backend_health(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync_monitor.logistics_backend_health_action")
