# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import models
from odoo.exceptions import AccessError


class ResUsers(models.Model):
    _inherit = "res.users"

    def _logistics_access_error(self):
        return AccessError(
            self.env._("Only Logistics Managers can release invoices or override a hold."))
