# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models

from .logistics_metrics import TOKEN_PARAM


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    logistics_metrics_token = fields.Char(
        "Metrics bearer token", config_parameter=TOKEN_PARAM, groups="base.group_system",
        help="Prometheus sends it as 'Authorization: Bearer <token>' to /logistics/metrics; "
        "empty: the endpoint answers 404.",
    )
