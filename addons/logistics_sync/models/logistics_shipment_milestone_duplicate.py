# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


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
