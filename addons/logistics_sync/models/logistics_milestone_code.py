# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib import state_machine

KIND_SELECTION = [
    (state_machine.PROGRESS, "Progress"),
    (state_machine.SIDE, "Side state"),
    (state_machine.TERMINAL, "Terminal"),
    (state_machine.EVIDENCE, "Evidence"),
]
# Fields of the shipped vocabulary that define the order of the state machine:
# admins may rename and document codes, or add reasons, but not change these.
PROTECTED_FIELDS = {"code", "kind", "rank", "shipment_state"}


class LogisticsMilestoneCode(models.Model):
    _name = "logistics.milestone.code"
    _description = "Canonical Milestone Code"
    _order = "rank, code"
    _rec_name = "name"

    code = fields.Char(required=True, index=True)
    name = fields.Char(required=True, translate=True)
    kind = fields.Selection(KIND_SELECTION, required=True, default=state_machine.PROGRESS)
    rank = fields.Integer(
        required=True,
        help="Order of the milestone in the shipment life cycle: the state never "
        "moves back to a lower rank; equal event times are ordered by rank.",
    )
    shipment_state = fields.Char(
        help="Shipment state this milestone leads to (defaults to the code).",
    )
    is_canonical = fields.Boolean(
        readonly=True, help="Part of the shipped vocabulary: its code, kind and rank are fixed."
    )
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    easypost_status = fields.Char("EasyPost tracker status")
    aftership_status = fields.Char("AfterShip status")
    x12_code = fields.Char("X12 214 code", help="AT7 shipment status code(s)")
    reason_ids = fields.One2many("logistics.milestone.reason", "code_id", string="Reasons")

    _sql_constraints = [
        ("code_uniq", "unique(code)", "A milestone code must be unique."),
    ]

    @api.depends("code", "name")
    def _compute_display_name(self):
        for rec in self:
            rec.display_name = rec.name or rec.code

    def write(self, vals):
        if PROTECTED_FIELDS & set(vals) and not self.env.context.get("install_mode"):
            for rec in self.filtered("is_canonical"):
                for fname in PROTECTED_FIELDS & set(vals):
                    if rec[fname] != vals[fname]:
                        raise UserError(
                            self.env._(
                                "The %(field)s of the canonical milestone %(code)s cannot be "
                                "changed: it defines the order of the shipment state machine. "
                                "Add a reason or a new code instead.",
                                field=fname,
                                code=rec.code,
                            )
                        )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_canonical(self):
        if any(self.mapped("is_canonical")):
            raise UserError(self.env._("Canonical milestone codes cannot be deleted; archive them instead."))

    @api.model
    def _code_map(self):
        """{code: record} of every code, archived ones included."""
        return {rec.code: rec for rec in self.with_context(active_test=False).search([])}
