# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    logistics_auto_create_shipment = fields.Boolean(
        related="company_id.logistics_auto_create_shipment", readonly=False
    )
