from odoo import models
from odoo.exceptions import AccessError


class ResUsers(models.Model):
    _inherit = "res.users"

    def _logistics_access_error(self):
        return AccessError(
            self.env._("Only Logistics Managers can release invoices or override a hold."))
