from odoo import _, api, fields, models

REPORTS = {
    "uninvoiced": "logistics.reconcile.uninvoiced",
    "nopod": "logistics.reconcile.invoiced.nopod",
    "stale": "logistics.reconcile.stale",
    "sync": "logistics.reconcile.sync",
    "quantity": "logistics.reconcile.quantity",
}


class ReconcileCountsMixin(models.AbstractModel):
    _name = "logistics.reconcile.counts"
    _description = "Reconciliation counts"

    uninvoiced_count = fields.Integer("Delivered, not invoiced")
    uninvoiced_amount = fields.Float("Amount at stake")
    nopod_count = fields.Integer("Invoiced without POD")
    nopod_amount = fields.Float("Amount invoiced without POD")
    stale_count = fields.Integer("Stale shipments")
    exception_count = fields.Integer("Shipments in exception")
    sync_count = fields.Integer("Sync issues")
    quantity_count = fields.Integer("Quantity mismatches")

    @api.model
    def _collect(self):
        """Counts and amounts of every report, within the user's companies."""
        env = self.env
        read = lambda model, domain, agg: env[model]._read_group(domain, [], agg)[0]  # noqa: E731
        uninvoiced = read(REPORTS["uninvoiced"], [], ["__count", "amount_at_stake:sum"])
        nopod = read(REPORTS["nopod"], [], ["__count", "amount:sum"])
        stale = read(REPORTS["stale"], [("issue", "=", "stale")], ["__count"])
        exception = read(REPORTS["stale"], [("issue", "=", "exception")], ["__count"])
        sync = read(REPORTS["sync"], [("issue", "!=", "duplicate")], ["message_count:sum"])
        quantity = read(REPORTS["quantity"], [], ["__count"])
        return {
            "uninvoiced_count": uninvoiced[0], "uninvoiced_amount": uninvoiced[1] or 0.0,
            "nopod_count": nopod[0], "nopod_amount": nopod[1] or 0.0,
            "stale_count": stale[0], "exception_count": exception[0],
            "sync_count": sync[0] or 0, "quantity_count": quantity[0],
        }

    def _open_report(self, key, domain=None):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            f"logistics_sync_reconcile.logistics_reconcile_{key}_action")
        if domain:
            action["domain"] = domain
        return action

    def action_open_uninvoiced(self):
        return self._open_report("uninvoiced")

    def action_open_nopod(self):
        return self._open_report("nopod")

    def action_open_stale(self):
        return self._open_report("stale", [("issue", "=", "stale")])

    def action_open_exception(self):
        return self._open_report("stale", [("issue", "=", "exception")])

    def action_open_sync(self):
        return self._open_report("sync")

    def action_open_quantity(self):
        return self._open_report("quantity")


class LogisticsReconcileDashboard(models.TransientModel):
    _name = "logistics.reconcile.dashboard"
    _inherit = "logistics.reconcile.counts"
    _description = "Reconciliation Dashboard"

    @api.model
    def action_open(self):
        dashboard = self.create(self._collect())
        return {
            "type": "ir.actions.act_window",
            "name": _("Reconciliation"),
            "res_model": self._name,
            "res_id": dashboard.id,
            "view_mode": "form",
            "target": "current",
        }


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
                                       name=_("Reconciliation %s", fields.Date.context_today(self))))
            if not summary._is_open():
                continue
            note = _(
                "%(u)s delivered not invoiced (%(ua).2f at stake), %(n)s invoiced without POD, "
                "%(s)s stale, %(e)s in exception, %(y)s sync issues, %(q)s quantity mismatches.",
                u=summary.uninvoiced_count, ua=summary.uninvoiced_amount, n=summary.nopod_count,
                s=summary.stale_count, e=summary.exception_count, y=summary.sync_count,
                q=summary.quantity_count)
            for user in managers.filtered(lambda u, c=company: c in u.company_ids):
                summary.activity_schedule(
                    "mail.mail_activity_data_todo", user_id=user.id,
                    summary=_("Logistics reconciliation: items open"), note=note)
