from odoo import fields, models


class LogisticsBackendStatusMap(models.Model):
    _name = "logistics.backend.status.map"
    _description = "Backend Status Code Map"
    _order = "backend_id, external_code"

    backend_id = fields.Many2one("logistics.backend", required=True, ondelete="cascade", index=True)
    external_code = fields.Char(required=True, help="The code as the external system sends it.")
    milestone_code_id = fields.Many2one("logistics.milestone.code", "Milestone", required=True)
    reason_id = fields.Many2one(
        "logistics.milestone.reason", domain="[('code_id', '=', milestone_code_id)]"
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_uniq", "unique(backend_id, external_code)", "Each external code is mapped once."),
    ]
