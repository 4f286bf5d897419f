# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import models
from odoo.exceptions import AccessError

# Who may choose a customer's or an order's invoice release policy: it decides when an
# invoice may be posted, so it is a billing decision, not a sales one.
POLICY_GROUPS = ("account.group_account_manager", "logistics_sync.group_logistics_manager",
                 "base.group_system")


class ResUsers(models.Model):
    _inherit = "res.users"

    def _logistics_access_error(self):
        return AccessError(
            self.env._("Only Logistics Managers can release invoices or override a hold."))

    def _logistics_may_set_invoice_policy(self):
        """May the current user change a release policy (not merely take the default)?"""
        return self.env.su or any(self.env.user.has_group(g) for g in POLICY_GROUPS)

    def _logistics_policy_access_error(self):
        return AccessError(self.env._(
            "Only billing managers and Logistics Managers can change an invoice release "
            "policy."))
