# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models


class LogisticsBackendStatusMap(models.Model):
    _name = "logistics.backend.status.map"
    _inherit = ["logistics.company.guard"]
    _description = "Backend Status Code Map"
    _order = "backend_id, external_code"

    backend_id = fields.Many2one(
        "logistics.backend", required=True, ondelete="cascade", index=True, check_company=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    external_code = fields.Char(required=True, help="The code as the external system sends it.")
    milestone_code_id = fields.Many2one("logistics.milestone.code", "Milestone", required=True)
    reason_id = fields.Many2one(
        "logistics.milestone.reason", domain="[('code_id', '=', milestone_code_id)]"
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_uniq", "unique(backend_id, external_code)", "Each external code is mapped once."),
    ]

    # ------------------------------------------------------------------ map and match
    @api.model
    def _map_event(self, event, code_map, status_map):
        """(code record, reason record) for an inbound event, or None when unmapped:
        the backend's ``status_map`` ({external code: map record}) first, by
        ``code:detail`` then ``code``, else a canonical code of ``code_map``."""
        Reason = self.env["logistics.milestone.reason"]
        keys = [event.code]
        if event.detail:
            keys.insert(0, f"{event.code}:{event.detail}")
        for key in keys:
            mapped = status_map.get(key)
            if mapped:
                return mapped.milestone_code_id, mapped.reason_id
        code = code_map.get(event.code)
        if code and code.active:  # canonical codes map to themselves
            reason = Reason
            if event.reason:
                reason = code.reason_ids.filtered(lambda r: r.code == event.reason)[:1]
            return code, reason
        return None

    @api.model
    def _load_defaults(self, backend):
        """Seed a backend's editable status map with its adapter's documented codes."""
        codes = self.env["logistics.milestone.code"]._code_map()
        existing = set(backend.status_map_ids.mapped("external_code"))
        values = []
        for external, (canonical, reason) in backend._adapter().default_status_map().items():
            if external in existing or canonical not in codes:
                continue
            code = codes[canonical]
            reason_rec = code.reason_ids.filtered(lambda r, reason=reason: r.code == reason)[:1]
            values.append({
                "backend_id": backend.id, "external_code": external,
                "milestone_code_id": code.id, "reason_id": reason_rec.id,
            })
        return self.create(values)
