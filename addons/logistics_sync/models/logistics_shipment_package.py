# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class LogisticsShipmentPackage(models.Model):
    """A package of a shipment, as the TMS, carrier or warehouse reports it."""

    _name = "logistics.shipment.package"
    _description = "Shipment Package"
    _order = "shipment_id, id"
    _check_company_auto = True

    shipment_id = fields.Many2one(
        "logistics.shipment", required=True, ondelete="cascade", index=True, check_company=True)
    company_id = fields.Many2one(related="shipment_id.company_id", store=True, index=True)
    reference = fields.Char(required=True)
    tracking_number = fields.Char()
    weight = fields.Float(digits=(16, 3))
    weight_uom = fields.Selection(
        [("kg", "kg"), ("g", "g"), ("lb", "lb"), ("oz", "oz")], "Weight Unit", default="kg")
    size_length = fields.Float("Length")
    size_width = fields.Float("Width")
    size_height = fields.Float("Height")
    dimension_uom = fields.Selection(
        [("cm", "cm"), ("mm", "mm"), ("m", "m"), ("in", "in")], "Dimension Unit", default="cm")
