# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models

POLICIES = [
    ("on_pod", "On proof of delivery"),
    ("on_delivery", "On delivery"),
    ("manual", "Manual"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    logistics_invoice_policy = fields.Selection(
        POLICIES, "Default Invoice Release Policy", default="manual", required=True)
    logistics_auto_release = fields.Boolean(
        "Release invoices automatically",
        help="When proof of delivery (or, for 'on delivery' customers, delivery) is recorded, "
        "a job creates and posts the invoice of the delivered quantities.")
    logistics_release_user_id = fields.Many2one(
        "res.users", "Release User",
        help="Automatic releases run as this user (needs Billing rights). Empty: the user "
        "who applied the milestone.")
    logistics_pod_require_signer = fields.Boolean("POD must have a signer")
    logistics_pod_require_document = fields.Boolean("POD must have a document")
    logistics_release_require_done = fields.Boolean(
        "Delivered quantities must match the picking", default=True,
        help="Release only shipments whose deliveries are validated in Odoo, for the "
        "quantities validated there.")
