# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class LogisticsBackendCircuit(models.Model):
    """Circuit breaker state of a backend: written by its delivery jobs, which run as
    the integration user and may not modify the backend's configuration."""

    _name = "logistics.backend.circuit"
    _inherit = ["logistics.company.guard"]
    _description = "Backend Circuit Breaker"

    backend_id = fields.Many2one(
        "logistics.backend", required=True, ondelete="cascade", index=True, check_company=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    state = fields.Selection(
        [("closed", "Closed"), ("open", "Open"), ("half_open", "Half-open")],
        default="closed", required=True,
    )
    failures = fields.Integer()
    opened_at = fields.Datetime()

    _sql_constraints = [("backend_uniq", "unique(backend_id)", "One circuit per backend.")]
