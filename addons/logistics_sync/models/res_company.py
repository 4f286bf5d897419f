# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    logistics_auto_create_shipment = fields.Boolean(
        "Create shipments on confirmed deliveries",
        default=True,
        help="Create a logistics shipment when an outgoing delivery is confirmed.",
    )
