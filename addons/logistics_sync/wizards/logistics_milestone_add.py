# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).


from odoo import api, fields, models


class LogisticsMilestoneAddWizard(models.TransientModel):
    _name = "logistics.milestone.add.wizard"
    _description = "Add a Milestone"

    shipment_id = fields.Many2one("logistics.shipment", required=True)
    code_id = fields.Many2one(
        "logistics.milestone.code", "Milestone", required=True, domain=[("active", "=", True)]
    )
    code = fields.Char(related="code_id.code")
    occurred_at = fields.Datetime("Event Time", required=True, default=fields.Datetime.now)
    location = fields.Char()
    reason_id = fields.Many2one("logistics.milestone.reason", domain="[('code_id', '=', code_id)]")
    detail = fields.Text()
    pod_signed_by = fields.Char("Signed By")
    pod_document = fields.Binary("POD Document", attachment=False)
    pod_document_name = fields.Char()

    @api.onchange("code_id")
    def _onchange_code_id(self):
        if self.reason_id.code_id != self.code_id:
            self.reason_id = False

    def action_apply(self):
        self.ensure_one()
        shipment = self.shipment_id
        result = shipment._apply_milestones(
            [
                {
                    "shipment_id": shipment.id,
                    "code_id": self.code_id.id,
                    "occurred_at": self.occurred_at,
                    "source": self.env["logistics.shipment.milestone"]._logistics_manual_source(),
                    "location": self.location,
                    "reason_id": self.reason_id.id,
                    "detail": self.detail,
                    "pod_signed_by": self.pod_signed_by,
                }
            ]
        )[0]
        if self.pod_document:
            attachment = self.env["ir.attachment"].create(
                {
                    "name": self.pod_document_name or f"POD {shipment.name}",
                    "datas": self.pod_document,
                    "res_model": shipment._name,
                    "res_id": shipment.id,
                }
            )
            shipment._logistics_attach_pod(attachment)
        if result["status"] == "duplicate":
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "warning",
                    "message": self.env._(
                        "This milestone was already recorded; the report was kept as a duplicate."
                    ),
                    "next": {"type": "ir.actions.act_window_close"},
                },
            }
        return {"type": "ir.actions.act_window_close"}

