# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..tools import guard


class LogisticsShipmentMilestoneDuplicate(models.Model):
    _name = "logistics.shipment.milestone.duplicate"
    _description = "Duplicate Milestone Report"
    _order = "received_at desc, id desc"
    # Duplicate reports are inserted with bulk SQL (tools/bulk.py).
    _logistics_bulk_sql = True

    milestone_id = fields.Many2one(
        "logistics.shipment.milestone", required=True, ondelete="cascade", index=True
    )
    shipment_id = fields.Many2one(related="milestone_id.shipment_id", store=True, index=True)
    company_id = fields.Many2one(related="milestone_id.company_id", store=True, index=True)
    source = fields.Char(required=True)
    received_at = fields.Datetime(required=True, default=fields.Datetime.now)
    external_event_id = fields.Char("External Event ID")
    external_code = fields.Char()
    detail = fields.Text()

    @api.model_create_multi
    def create(self, vals_list):
        # A report's source is the system's to name (see the milestone's create).
        if not guard.is_trusted(guard.DERIVATION):
            system = {"source": self.env["logistics.shipment.milestone"]._logistics_manual_source(),
                      "received_at": fields.Datetime.now()}
            vals_list = [dict(vals, **system) for vals in vals_list]
        return super().create(vals_list)

    def write(self, vals):
        # Immutable once recorded, as the milestone it reports.
        guard.check(self.env, guard.CORRECTION, vals, vals, self.env._("Duplicate report"),
                    records=self)
        return super().write(vals)

    def unlink(self):
        if not guard.allowed(self.env, guard.CORRECTION):
            raise AccessError(self.env._("Duplicate milestone reports are never deleted."))
        return super().unlink()
