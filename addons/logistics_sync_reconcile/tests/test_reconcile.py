# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo import fields
from odoo.addons.logistics_sync.lib.states import MESSAGE_ATTENTION
from odoo.addons.logistics_sync_invoice.tests.common import InvoiceReleaseCase
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged


@tagged("post_install", "-at_install")
class TestReconciliation(InvoiceReleaseCase):
    def rows(self, model, **domain):
        self.env.flush_all()
        return self.env[model].search([(k, "=", v) for k, v in domain.items()])

    def test_delivered_not_invoiced_then_released(self):
        order = self.order(qty=10)
        shipment = order.logistics_shipment_ids
        self.deliver(order.picking_ids)
        self.assertFalse(self.rows("logistics.reconcile.uninvoiced", shipment_id=shipment.id),
                         "not delivered per the carrier yet")
        self.pod(shipment, when=datetime(2030, 1, 1))
        row = self.rows("logistics.reconcile.uninvoiced", shipment_id=shipment.id)
        self.assertEqual(len(row), 1)
        self.assertEqual(row.amount_at_stake, 1000.0)
        self.assertEqual(row.currency_id, order.currency_id)
        self.assertEqual(row.source, "test")
        self.assertTrue(row.pod_received)
        row.with_user(self.manager).action_release_invoices()
        self.assertFalse(self.rows("logistics.reconcile.uninvoiced", shipment_id=shipment.id))

    def test_invoiced_without_pod_with_override_reason(self):
        order = self.order()
        self.deliver(order.picking_ids)
        invoice = order._create_invoices()
        invoice.with_user(self.manager)._logistics_override_and_post("urgent billing")
        row = self.rows("logistics.reconcile.invoiced.nopod", invoice_id=invoice.id)
        self.assertEqual(len(row), 1)
        self.assertEqual((row.override, row.override_reason), (True, "urgent billing"))
        self.assertEqual(row.amount, invoice.amount_untaxed)
        self.assertEqual(row.shipment_id, order.logistics_shipment_ids)
        # Once the POD arrives, it is no longer "without POD".
        self.pod(order.logistics_shipment_ids)
        self.assertFalse(self.rows("logistics.reconcile.invoiced.nopod", invoice_id=invoice.id))

    def test_stale_and_exception(self):
        carrier_product = self.env["product.product"].create({"name": "Ship", "type": "service"})
        carrier = self.env["delivery.carrier"].create({
            "name": "Slow Co", "product_id": carrier_product.id, "logistics_sla_hours": 24})
        Shipment = self.env["logistics.shipment"]
        stale = Shipment.create({"carrier_id": carrier.id})
        fresh = Shipment.create({"carrier_id": carrier.id})
        broken = Shipment.create({"carrier_id": carrier.id})
        now = fields.Datetime.now()
        stale._apply_milestones([{"shipment_id": stale.id, "code": "in_transit",
                                  "occurred_at": now - timedelta(hours=30)}])
        fresh._apply_milestones([{"shipment_id": fresh.id, "code": "in_transit",
                                  "occurred_at": now - timedelta(hours=2)}])
        broken._apply_milestones([{"shipment_id": broken.id, "code": "exception", "reason": "lost",
                                   "occurred_at": now - timedelta(hours=1)}])
        issues = {r.shipment_id: r.issue for r in self.rows("logistics.reconcile.stale")
                  if r.shipment_id in (stale | fresh | broken)}
        self.assertEqual(issues, {stale: "stale", broken: "exception"})
        row = self.rows("logistics.reconcile.stale", shipment_id=stale.id)
        self.assertGreaterEqual(row.hours_silent, 29.9)
        self.assertEqual(row.sla_hours, 24)
        self.assertEqual(row.action_open_shipment()["res_id"], stale.id)

    def test_sync_issues_per_backend_and_replay(self):
        user = new_test_user(self.env, "rec-integration",
                             groups="base.group_user,logistics_sync_connector.group_logistics_integration")
        backend = self.env["logistics.backend"].create({
            "name": "Rec", "code": "rec-tms", "integration_user_id": user.id})
        base = {"backend_id": backend.id, "company_id": self.company.id, "direction": "in",
                "payload": "{}"}
        self.env["logistics.sync.message"].create([
            dict(base, event_id="1", state="dead"), dict(base, event_id="2", state="dead"),
            dict(base, event_id="3", state="unmapped"), dict(base, event_id="4", state="done")])
        shipment = self.env["logistics.shipment"].create({})
        shipment._apply_milestones([
            {"shipment_id": shipment.id, "code": "picked_up", "occurred_at": datetime(2026, 1, 1), "source": "rec-tms"},
            {"shipment_id": shipment.id, "code": "picked_up", "occurred_at": datetime(2026, 1, 1), "source": "rec-tms"}])
        rows = self.rows("logistics.reconcile.sync", backend_id=backend.id)
        self.assertEqual({r.issue: r.message_count for r in rows},
                         {"dead": 2, "unmapped": 1, "duplicate": 1})
        dead = rows.filtered(lambda r: r.issue == "dead")
        self.assertEqual(len(self.env["logistics.sync.message"].search(dead.action_open_messages()["domain"])), 2)
        with trap_jobs():
            dead.with_user(self.manager).action_replay_messages()
        self.assertFalse(self.rows("logistics.reconcile.sync", backend_id=backend.id, issue="dead"))

    def test_messages_outside_a_backends_authority_are_sync_issues(self):
        user = new_test_user(self.env, "rec-integration-2",
                             groups="base.group_user,logistics_sync_connector.group_logistics_integration")
        backend = self.env["logistics.backend"].create({
            "name": "Rec 2", "code": "rec-carrier", "backend_type": "carrier",
            "integration_user_id": user.id})
        base = {"backend_id": backend.id, "company_id": self.company.id, "direction": "in",
                "payload": "{}"}
        self.env["logistics.sync.message"].create([
            dict(base, event_id="1", state="unauthorized"), dict(base, event_id="2", state="skipped")])
        rows = self.rows("logistics.reconcile.sync", backend_id=backend.id)
        self.assertEqual({r.issue: r.message_count for r in rows}, {"unauthorized": 1},
                         "a skipped message waits for its flow, it is no sync issue")
        self.assertEqual(backend.message_attention_count, 1)

    def test_quantity_mismatch(self):
        order = self.order(qty=10)
        self.deliver(order.picking_ids)
        self.env.flush_all()
        row = self.rows("logistics.reconcile.quantity", sale_id=order.id)
        self.assertEqual((row.qty_delivered, row.qty_invoiced, row.qty_difference), (10, 0, 10))
        self.assertEqual(row.amount_difference, 1000.0)
        self.pod(order.logistics_shipment_ids)
        order.logistics_shipment_ids.with_user(self.manager).action_release_invoices()
        self.assertFalse(self.rows("logistics.reconcile.quantity", sale_id=order.id))

    def test_dashboard_and_daily_summary(self):
        order = self.order()
        self.deliver(order.picking_ids)
        self.pod(order.logistics_shipment_ids)
        action = self.env["logistics.reconcile.dashboard"].with_user(self.manager).action_open()
        dashboard = self.env["logistics.reconcile.dashboard"].browse(action["res_id"])
        self.assertGreaterEqual(dashboard.uninvoiced_count, 1)
        self.assertGreaterEqual(dashboard.uninvoiced_amount, 1000.0)
        self.assertEqual(dashboard.action_open_uninvoiced()["res_model"], "logistics.reconcile.uninvoiced")
        self.env["logistics.reconcile.summary"]._cron_daily_summary()
        summary = self.env["logistics.reconcile.summary"].search(
            [("company_id", "=", self.company.id)], limit=1)
        self.assertGreaterEqual(summary.uninvoiced_count, 1)
        self.assertIn(self.manager, summary.activity_ids.user_id)

    def test_daily_summary_lists_the_oldest_unresolved_messages_of_its_company(self):
        Message = self.env["logistics.sync.message"]
        other = self.env["res.company"].create({"name": "Rec Summary B"})
        manager_b = new_test_user(self.env, "rec_manager_b", groups="logistics_sync.group_logistics_manager",
                                  company_id=other.id, company_ids=[other.id])
        messages = {}
        for company, key in ((self.company, "a"), (other, "b")):
            user = new_test_user(self.env, f"rec-sum-integration-{key}", company_id=company.id,
                                 company_ids=[company.id],
                                 groups="base.group_user,logistics_sync_connector.group_logistics_integration")
            backend = self.env["logistics.backend"].create({
                "name": f"Summary TMS {key}", "code": f"rec-sum-{key}", "company_id": company.id,
                "integration_user_id": user.id})
            base = {"backend_id": backend.id, "company_id": company.id, "direction": "in", "payload": "{}"}
            messages[key] = Message.create([
                dict(base, event_id=f"sum-dead-{key}", state="dead", error=f"WMS {key} timed out",
                     received_at=datetime(2020, 1, 1)),
                dict(base, event_id=f"sum-done-{key}", state="done", received_at=datetime(2019, 1, 1))])
        dead_a, done_a = messages["a"]
        dead_b = messages["b"][0]
        self.env["logistics.reconcile.summary"]._cron_daily_summary()
        Summary = self.env["logistics.reconcile.summary"]
        summary_a = Summary.search([("company_id", "=", self.company.id)], limit=1)
        summary_b = Summary.search([("company_id", "=", other.id)], limit=1)

        self.assertEqual(summary_a.oldest_message_ids.sorted("received_at")[:1], dead_a, "the oldest unresolved first")
        self.assertNotIn(done_a, summary_a.oldest_message_ids, "a processed message is resolved")
        self.assertNotIn(dead_b, summary_a.oldest_message_ids)
        self.assertEqual(summary_b.oldest_message_ids, dead_b)
        # The counts are the company's own too (the cron runs as the superuser).
        self.assertEqual(summary_b.sync_count, 1)
        self.assertEqual(summary_a.sync_count, Message.search_count(
            [("company_id", "=", self.company.id), ("state", "in", MESSAGE_ATTENTION)]))

        note_a = str(summary_a.activity_ids.filtered(lambda a: a.user_id == self.manager).note)
        self.assertIn(f"/odoo/logistics.sync.message/{dead_a.id}", note_a)
        self.assertIn("WMS a timed out", note_a)
        self.assertIn("Summary TMS a", note_a, "the per backend and state counts")
        self.assertNotIn(done_a.name, note_a)
        self.assertNotIn(dead_b.name, note_a)
        self.assertNotIn("Summary TMS b", note_a)
        self.assertEqual(summary_b.activity_ids.user_id, manager_b, "B's to-do goes to B's managers only")
        self.assertNotIn(manager_b, summary_a.activity_ids.user_id)
        self.assertIn(dead_b.name, str(summary_b.activity_ids.note))
        # A Logistics User of company A reads A's summary and its messages.
        self.assertEqual(summary_a.with_user(self.user).oldest_message_ids.mapped("state")[:1], ["dead"])

    def test_access_and_companies(self):
        other = self.env["res.company"].create({"name": "Rec Other"})
        outsider = new_test_user(self.env, "rec_outsider", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.env["logistics.reconcile.uninvoiced"].with_user(outsider).search([])
        order = self.order()
        self.deliver(order.picking_ids)
        self.pod(order.logistics_shipment_ids)
        self.env.flush_all()
        other_user = new_test_user(self.env, "rec_other", groups="logistics_sync.group_logistics_user",
                                   company_id=other.id, company_ids=[other.id])
        self.assertFalse(self.env["logistics.reconcile.uninvoiced"].with_user(other_user).search(
            [("shipment_id", "=", order.logistics_shipment_ids.id)]))
        self.assertTrue(self.env["logistics.reconcile.uninvoiced"].with_user(self.user).search(
            [("shipment_id", "=", order.logistics_shipment_ids.id)]))
