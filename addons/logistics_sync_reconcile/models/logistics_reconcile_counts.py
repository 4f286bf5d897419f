# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models

REPORTS = {
    "uninvoiced": "logistics.reconcile.uninvoiced",
    "nopod": "logistics.reconcile.invoiced.nopod",
    "stale": "logistics.reconcile.stale",
    "late_promise": "logistics.reconcile.late.promise",
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
    late_count = fields.Integer("Late shipments", help="Open shipments past their ETA, else planned delivery.")
    late_promise_count = fields.Integer("Late against promise")
    sync_count = fields.Integer("Sync issues")
    quantity_count = fields.Integer("Quantity mismatches")

    @api.model
    def _collect(self, company=None):
        """Counts and amounts of every report, within the user's companies, or of
        ``company`` only (for the superuser, whom record rules do not restrict)."""
        env = self.env
        scope = [("company_id", "=", company.id)] if company else []
        read = lambda model, domain, agg: env[model]._read_group(scope + domain, [], agg)[0]  # noqa: E731
        uninvoiced = read(REPORTS["uninvoiced"], [], ["__count", "amount_at_stake:sum"])
        nopod = read(REPORTS["nopod"], [], ["__count", "amount:sum"])
        # One read of the stale report for its three issues.
        issues = dict(env[REPORTS["stale"]]._read_group(scope, ["issue"], ["__count"]))
        late_promise = read(REPORTS["late_promise"], [], ["__count"])
        sync = read(REPORTS["sync"], [("issue", "!=", "duplicate")], ["message_count:sum"])
        quantity = read(REPORTS["quantity"], [], ["__count"])
        return {
            "uninvoiced_count": uninvoiced[0], "uninvoiced_amount": uninvoiced[1] or 0.0,
            "nopod_count": nopod[0], "nopod_amount": nopod[1] or 0.0,
            "stale_count": issues.get("stale", 0), "exception_count": issues.get("exception", 0),
            "late_count": issues.get("late", 0), "late_promise_count": late_promise[0],
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

    def action_open_late(self):
        return self._open_report("stale", [("issue", "=", "late")])

    def action_open_late_promise(self):
        return self._open_report("late_promise")

    def action_open_sync(self):
        return self._open_report("sync")

    def action_open_quantity(self):
        return self._open_report("quantity")
