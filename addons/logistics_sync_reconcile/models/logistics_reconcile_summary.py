# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models


class LogisticsReconcileSummary(models.Model):
    """Daily snapshot posted to the Logistics Managers when anything is open."""

    _name = "logistics.reconcile.summary"
    _inherit = ["logistics.reconcile.counts", "mail.thread", "mail.activity.mixin"]
    _description = "Reconciliation Summary"
    _order = "date desc, id desc"

    name = fields.Char(required=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    company_id = fields.Many2one("res.company", required=True, default=lambda s: s.env.company)

    def _is_open(self):
        self.ensure_one()
        return any(self[f] for f in ("uninvoiced_count", "nopod_count", "stale_count",
                                     "exception_count", "sync_count", "quantity_count"))

    @api.model
    def _cron_daily_summary(self):
        managers = self.env.ref("logistics_sync.group_logistics_manager").users
        for company in self.env["res.company"].search([]):
            counts = self.with_company(company).with_context(
                allowed_company_ids=[company.id])._collect()
            summary = self.create(dict(counts, company_id=company.id,
                                       name=self.env._("Reconciliation %s", fields.Date.context_today(self))))
            if not summary._is_open():
                continue
            note = self.env._(
                "%(u)s delivered not invoiced (%(ua).2f at stake), %(n)s invoiced without POD, "
                "%(s)s stale, %(e)s in exception, %(y)s sync issues, %(q)s quantity mismatches.",
                u=summary.uninvoiced_count, ua=summary.uninvoiced_amount, n=summary.nopod_count,
                s=summary.stale_count, e=summary.exception_count, y=summary.sync_count,
                q=summary.quantity_count)
            for user in managers.filtered(lambda u, c=company: c in u.company_ids):
                summary.activity_schedule(
                    "mail.mail_activity_data_todo", user_id=user.id,
                    summary=self.env._("Logistics reconciliation: items open"), note=note)
