# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class LogisticsShipmentCorrectWizard(models.TransientModel):
    _name = "logistics.shipment.correct.wizard"
    _description = "Correct a Shipment's Milestones"

    shipment_id = fields.Many2one("logistics.shipment", required=True)
    milestone_ids = fields.Many2many(
        "logistics.shipment.milestone",
        "logistics_correct_wizard_milestone_rel",
        "wizard_id",
        "milestone_id",
        string="Milestones to void",
        domain="[('shipment_id', '=', shipment_id), ('voided', '=', False)]",
        required=True,
    )
    reason = fields.Char(required=True)

    def action_apply(self):
        self.ensure_one()
        self.milestone_ids._void(self.reason)
        return {"type": "ir.actions.act_window_close"}
