# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class DeliveryCarrier(models.Model):
    _inherit = "delivery.carrier"

    logistics_sla_hours = fields.Integer(
        "Tracking SLA (hours)", default=48,
        help="A shipment of this carrier with no milestone for longer is listed as stale.")
