# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import textwrap

from odoo import Command, api, fields, models
from odoo.addons.logistics_sync.lib.states import MESSAGE_ATTENTION

# How many of a company's oldest unresolved messages the daily summary lists.
OLDEST_UNRESOLVED = 10


class LogisticsReconcileSummary(models.Model):
    """Daily snapshot posted to the Logistics Managers when anything is open."""

    _name = "logistics.reconcile.summary"
    _inherit = ["logistics.reconcile.counts", "mail.thread", "mail.activity.mixin"]
    _description = "Reconciliation Summary"
    _order = "date desc, id desc"

    name = fields.Char(required=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    company_id = fields.Many2one("res.company", required=True, default=lambda s: s.env.company)
    oldest_message_ids = fields.Many2many(
        "logistics.sync.message", "logistics_reconcile_summary_message_rel", "summary_id", "message_id",
        string="Oldest Unresolved Messages", readonly=True,
        help="The company's oldest sync messages that needed a person (the Sync Issues states) "
        "when the summary was made; they keep their payload until someone resolves them.",
    )

    def _is_open(self):
        self.ensure_one()
        return any(self[f] for f in ("uninvoiced_count", "nopod_count", "stale_count",
                                     "exception_count", "late_count", "late_promise_count",
                                     "sync_count", "quantity_count"))

    @api.model
    def _cron_daily_summary(self):
        managers = self.env.ref("logistics_sync.group_logistics_manager").users
        for company in self.env["res.company"].search([]):
            summary = self._summarize(company)
            if not summary._is_open():
                continue
            note = summary._note()
            for user in managers.filtered(lambda u, c=company: c in u.company_ids):
                summary.activity_schedule(
                    "mail.mail_activity_data_todo", user_id=user.id,
                    summary=self.env._("Logistics reconciliation: items open"), note=note)

    @api.model
    def _summarize(self, company):
        """The summary of one company. Crons run as the superuser, whom record rules do
        not restrict: every count and list is filtered on the company explicitly."""
        counts = self.with_company(company).with_context(allowed_company_ids=[company.id])._collect(company)
        oldest = self.env["logistics.sync.message"].search(
            [("company_id", "=", company.id), ("state", "in", MESSAGE_ATTENTION)],
            order="received_at, id", limit=OLDEST_UNRESOLVED)
        return self.create(dict(counts, company_id=company.id, oldest_message_ids=[Command.set(oldest.ids)],
                                name=self.env._("Reconciliation %s", fields.Date.context_today(self))))

    def _note(self):
        """The to-do's text: the counts, the unresolved messages per backend and state, and
        the oldest unresolved messages with a link to each."""
        self.ensure_one()
        now = fields.Datetime.now()
        states = dict(self.env["logistics.sync.message"]._fields["state"]._description_selection(self.env))
        issues = self.env["logistics.reconcile.sync"].search(
            [("company_id", "=", self.company_id.id), ("issue", "in", MESSAGE_ATTENTION)])
        base_url = self.get_base_url()
        return self.env["ir.qweb"]._render("logistics_sync_reconcile.summary_note", {
            "counts": self.env._(
                "%(u)s delivered not invoiced (%(ua).2f at stake), %(n)s invoiced without POD, "
                "%(s)s stale, %(e)s in exception, %(l)s late, %(p)s late against promise, "
                "%(y)s sync issues, %(q)s quantity mismatches.",
                u=self.uninvoiced_count, ua=self.uninvoiced_amount, n=self.nopod_count,
                s=self.stale_count, e=self.exception_count, l=self.late_count,
                p=self.late_promise_count, y=self.sync_count, q=self.quantity_count),
            "issues": [{"backend": row.backend_id.display_name, "state": states.get(row.issue, row.issue),
                        "count": row.message_count, "age": self._age(now - row.oldest)} for row in issues],
            "oldest": [{"name": m.name, "backend": m.backend_id.display_name, "state": states.get(m.state, m.state),
                        "age": self._age(now - m.received_at),
                        "reason": textwrap.shorten(m.error or "", 160, placeholder="…"),
                        "url": f"{base_url}/odoo/logistics.sync.message/{m.id}"}
                       for m in self.oldest_message_ids.sorted(lambda m: (m.received_at, m.id))],
        })

    def _age(self, delta):
        if delta.days >= 1:
            return self.env._("%s day(s)", delta.days)
        return self.env._("%s hour(s)", delta.seconds // 3600)
