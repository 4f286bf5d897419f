# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The reports that read the lateness rule (logistics_sync/lib/lateness.py): the stale
report's *late* issue (past the ETA, else the planned delivery) and *Late Against
Promise* (an ETA after the promised, else the planned, delivery)."""

from datetime import timedelta

from odoo import fields
from odoo.addons.logistics_sync_invoice.tests.common import InvoiceReleaseCase
from odoo.tests import tagged

STALE = "logistics.reconcile.stale"
PROMISE = "logistics.reconcile.late.promise"


@tagged("post_install", "-at_install")
class TestLatenessReports(InvoiceReleaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        product = cls.env["product.product"].create({"name": "Ship", "type": "service"})
        cls.carrier = cls.env["delivery.carrier"].create({
            "name": "Late Co", "product_id": product.id, "logistics_sla_hours": 24})
        cls.now = fields.Datetime.now()

    def shipment(self, code="in_transit", hours_ago=2, **dates):
        """A shipment of the carrier whose last milestone ``code`` was ``hours_ago``
        hours ago (none for code=None: a draft), with the dates given as hours from now."""
        shipment = self.env["logistics.shipment"].create(dict(
            {k: self.now + timedelta(hours=v) for k, v in dates.items()},
            carrier_id=self.carrier.id, partner_id=self.customer.id))
        if code:
            shipment._apply_milestones([{
                "shipment_id": shipment.id, "code": code, "source": "late-tms",
                "occurred_at": self.now - timedelta(hours=hours_ago)}])
        return shipment

    def rows(self, model, shipments):
        self.env.flush_all()
        return self.env[model].search([("shipment_id", "in", shipments.ids)])

    def test_stale_report_lists_late_shipments_by_their_eta(self):
        late = self.shipment(date_planned=-24)
        pushed_back = self.shipment(date_planned=-24, date_estimated=24)
        silent_pushed_back = self.shipment(hours_ago=30, date_planned=-24, date_estimated=24)
        silent_late = self.shipment(hours_ago=30, date_planned=-24)
        late_eta = self.shipment(date_planned=24, date_estimated=-2)
        broken_late = self.shipment(code="exception", hours_ago=1, date_planned=-24)
        draft_late = self.shipment(code=None, date_planned=-24)
        delivered = self.shipment(code="delivered", date_planned=-24)
        on_time = self.shipment(date_planned=24)
        shipments = (late | pushed_back | silent_pushed_back | silent_late | late_eta
                     | broken_late | draft_late | delivered | on_time)
        rows = self.rows(STALE, shipments)
        self.assertEqual({r.shipment_id: r.issue for r in rows}, {
            late: "late", silent_pushed_back: "stale", silent_late: "late", late_eta: "late",
            broken_late: "exception", draft_late: "late",
        }, "exception > late > stale, one row each; an ETA pushed back is not late before it")
        by_shipment = {r.shipment_id: r for r in rows}
        self.assertEqual(by_shipment[silent_pushed_back].deadline,
                         silent_pushed_back.date_estimated, "the deadline is the ETA")
        self.assertEqual(by_shipment[late].deadline, late.date_planned, "else the planned date")
        self.assertEqual({s for s, r in by_shipment.items() if r.past_sla},
                         {silent_pushed_back, silent_late})
        # The rows past their deadline are exactly the shipments' Late filter.
        self.assertEqual(
            rows.filtered(lambda r: r.deadline < self.now).shipment_id,
            self.env["logistics.shipment"].search([("is_late", "=", True), ("id", "in", shipments.ids)]))
        # A new ETA from the TMS takes the shipment off the late rows.
        late._logistics_apply_transport({"date_estimated": self.now + timedelta(hours=6)})
        self.assertNotIn(late, self.rows(STALE, shipments).shipment_id)

    def test_late_against_promise(self):
        promised = self.shipment(date_promised=24, date_planned=0, date_estimated=48)
        planned = self.shipment(date_planned=24, date_estimated=30)
        within = self.shipment(date_promised=24, date_planned=0, date_estimated=12)
        no_eta = self.shipment(date_promised=-24)
        delivered = self.shipment(code="delivered", date_promised=24, date_estimated=48)
        draft = self.shipment(code=None, date_promised=24, date_estimated=36)
        shipments = promised | planned | within | no_eta | delivered | draft
        rows = self.rows(PROMISE, shipments)
        self.assertEqual(rows.shipment_id, promised | planned | draft)
        self.assertEqual(rows.mapped("delay_hours"), [24.0, 12.0, 6.0], "longest delay first")
        row = rows.filtered(lambda r: r.shipment_id == promised)
        self.assertEqual((row.date_promised, row.date_estimated),
                         (promised.date_promised, promised.date_estimated))
        self.assertEqual((row.partner_id, row.carrier_id, row.source, row.state, row.company_id),
                         (self.customer, self.carrier, "late-tms", "in_transit", self.company))
        self.assertEqual(rows.filtered(lambda r: r.shipment_id == planned).date_promised,
                         planned.date_planned, "without a promise, the planned delivery")
        # The same rule as the shipment's own flag.
        self.assertEqual(
            rows.shipment_id,
            shipments.filtered(lambda s: s.late_against_promise and s.state != "delivered"))
        # The TMS pushes the ETA past the promise: listed; back within it: gone.
        within._logistics_apply_transport({"date_estimated": self.now + timedelta(hours=30)})
        self.assertIn(within, self.rows(PROMISE, shipments).shipment_id)
        within._logistics_apply_transport({"date_estimated": self.now + timedelta(hours=20)})
        self.assertNotIn(within, self.rows(PROMISE, shipments).shipment_id)
        self.assertEqual(row.action_open_shipment()["res_id"], promised.id)
        # Grouped by carrier (the pivot view), the longest delay.
        self.assertEqual(self.env[PROMISE]._read_group(
            [("shipment_id", "in", shipments.ids)], ["carrier_id"], ["delay_hours:max"]),
            [(self.carrier, 24.0)])

    def test_dashboard_and_summary_count_them(self):
        self.shipment(date_planned=-24)
        self.shipment(date_promised=24, date_estimated=48)
        self.env.flush_all()
        action = self.env["logistics.reconcile.dashboard"].with_user(self.manager).action_open()
        dashboard = self.env["logistics.reconcile.dashboard"].browse(action["res_id"])
        Stale = self.env[STALE].with_user(self.manager)
        self.assertGreaterEqual(dashboard.late_count, 1)
        self.assertEqual(dashboard.late_count, Stale.search_count([("issue", "=", "late")]))
        self.assertEqual(dashboard.stale_count, Stale.search_count([("issue", "=", "stale")]))
        self.assertEqual(dashboard.exception_count, Stale.search_count([("issue", "=", "exception")]))
        self.assertGreaterEqual(dashboard.late_promise_count, 1)
        self.assertEqual(dashboard.late_promise_count,
                         self.env[PROMISE].with_user(self.manager).search_count([]))
        self.assertEqual(dashboard.action_open_late()["domain"], [("issue", "=", "late")])
        self.assertEqual(dashboard.action_open_late_promise()["res_model"], PROMISE)
        self.env["logistics.reconcile.summary"]._cron_daily_summary()
        summary = self.env["logistics.reconcile.summary"].search(
            [("company_id", "=", self.company.id)], limit=1)
        self.assertEqual((summary.late_count, summary.late_promise_count),
                         (dashboard.late_count, dashboard.late_promise_count))
        note = str(summary.activity_ids.filtered(lambda a: a.user_id == self.manager).note)
        self.assertIn(f"{summary.late_promise_count} late against promise", note)
