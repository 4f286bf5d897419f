# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    logistics_invoice_policy = fields.Selection(
        related="company_id.logistics_invoice_policy", readonly=False)
    logistics_auto_release = fields.Boolean(related="company_id.logistics_auto_release", readonly=False)
    logistics_release_user_id = fields.Many2one(
        related="company_id.logistics_release_user_id", readonly=False)
    logistics_pod_require_signer = fields.Boolean(
        related="company_id.logistics_pod_require_signer", readonly=False)
    logistics_pod_require_document = fields.Boolean(
        related="company_id.logistics_pod_require_document", readonly=False)
    logistics_release_require_done = fields.Boolean(
        related="company_id.logistics_release_require_done", readonly=False)
