# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    logistics_fulfillment_user_id = fields.Many2one(
        "res.users", "Fulfillment User",
        help="Warehouse events (fulfillment.*) validate deliveries and answer on orders as "
        "this user (needs Inventory and Sales rights): the integration user has neither.")
