# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import models


class LogisticsCompanyGuard(models.AbstractModel):
    """Companies stay apart: a backend and every record that belongs to one (secrets,
    flows, status maps, circuits, bindings, sync messages, rejected webhooks) carry the
    backend's company, kept within their users' companies by record rules and company
    checks (docs/security-model.md); each of those models inherits this.

    Record rules apply to a create with its new values, but to a write only with the
    old ones: moving a record to another company's backend (or shipment), or a backend
    to another company, must pass them with the new values too."""

    _name = "logistics.company.guard"
    _description = "Logistics Company Boundary"
    _check_company_auto = True
    # The fields that decide which company a record belongs to.
    _logistics_company_fields = frozenset({"backend_id", "shipment_id", "company_id"})

    def write(self, vals):
        res = super().write(vals)
        if not self.env.su and not self._logistics_company_fields.isdisjoint(vals):
            self.check_access("write")
        return res
