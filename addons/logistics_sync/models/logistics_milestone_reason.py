# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class LogisticsMilestoneReason(models.Model):
    _name = "logistics.milestone.reason"
    _description = "Milestone Reason"
    _order = "code_id, sequence, code"

    code = fields.Char(required=True, index=True)
    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    code_id = fields.Many2one(
        "logistics.milestone.code", string="Milestone", required=True, ondelete="cascade"
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_uniq", "unique(code_id, code)", "A reason code must be unique per milestone."),
    ]
