# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import InvoiceReleaseCase


@tagged("post_install", "-at_install")
class TestInvoiceRelease(InvoiceReleaseCase):
    def test_policy_inheritance(self):
        self.assertEqual(self.order().logistics_invoice_policy, "on_pod")
        other = self.env["res.partner"].create({"name": "Default Co"})
        self.company.logistics_invoice_policy = "on_delivery"
        order = self.order(partner=other)
        self.assertEqual(order.logistics_invoice_policy, "on_delivery")
        order.logistics_invoice_policy = "manual"
        self.assertEqual(order.logistics_invoice_policy, "manual")

    def test_invoice_held_until_pod_then_override_by_manager(self):
        order = self.order()
        self.deliver(order.picking_ids)
        invoice = order._create_invoices()
        self.assertTrue(invoice.logistics_pod_hold)
        with self.assertRaises(UserError):
            invoice.action_post()
        with self.assertRaises(UserError):
            invoice.with_user(self.user)._logistics_override_and_post("customer asked")
        wizard = self.env["logistics.invoice.override.wizard"].with_user(self.manager).create(
            {"invoice_id": invoice.id, "reason": "customer prepaid"})
        wizard.action_confirm()
        self.assertEqual(invoice.state, "posted")
        self.assertTrue(invoice.logistics_pod_override)
        self.assertEqual(invoice.logistics_pod_override_user_id, self.manager)
        self.assertIn("customer prepaid", invoice.message_ids[:3].mapped("body")[-1] + "".join(
            invoice.message_ids.mapped("body")))
        shipment = order.logistics_shipment_ids
        self.assertTrue(any("customer prepaid" in b for b in shipment.message_ids.mapped("body")))

    def test_manual_release_exactly_once(self):
        order = self.order()
        shipment = order.logistics_shipment_ids
        self.deliver(order.picking_ids)
        result = shipment.with_user(self.manager)._release_invoices()
        self.assertEqual(result[shipment.id][0], "skipped", "no POD yet")
        self.pod(shipment)
        self.assertTrue(shipment.pod_received)
        shipment.with_user(self.manager).action_release_invoices()
        invoice = shipment.invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.invoice_line_ids.quantity, 10)
        self.assertEqual(invoice.logistics_shipment_ids, shipment)
        release = shipment.invoice_release_ids
        self.assertEqual((release.user_id, release.trigger, release.milestone_id.code),
                         (self.manager, "manual", "pod_received"))
        self.assertEqual(release.origin.split(" / ")[0], "test")
        # Pressing the action twice, or a replayed POD, never invoices again.
        again = shipment.with_user(self.manager)._release_invoices()
        self.assertEqual(again[shipment.id][0], "already")
        self.pod(shipment)
        self.assertEqual(len(order.invoice_ids), 1)
        self.assertEqual(order.invoice_ids.state, "posted")

    def test_the_release_job_is_declared_as_data(self):
        Function = self.env["queue.job.function"]
        config = Function.job_config(
            Function.job_function_name("logistics.shipment", "_logistics_release_job"))
        self.assertTrue(config.job_function_id)
        self.assertTrue(config.retry_pattern)
        self.assertEqual(config.related_action_func_name, "related_action_open_record")

    def test_an_admin_added_evidence_code_is_the_proof_the_release_rests_on(self):
        """One rule for proof of delivery: a code an admin adds with kind evidence is a
        POD for the shipment and for the release, which records that milestone."""
        self.env["logistics.milestone.code"].create({
            "code": "pod_photo", "name": "Photo of the delivery", "kind": "evidence", "rank": 95})
        order = self.order()
        shipment = order.logistics_shipment_ids
        self.deliver(order.picking_ids)
        self.pod(shipment, code="pod_photo", signed_by="Neighbour")
        self.assertTrue(shipment.pod_received)
        self.assertEqual(shipment.state, "delivered")
        self.assertEqual(shipment.pod_signed_by, "Neighbour")
        shipment.with_user(self.manager).action_release_invoices()
        release = shipment.invoice_release_ids
        self.assertEqual(release.milestone_id.code, "pod_photo")
        self.assertEqual(release.origin.split(" / ")[0], "test")

    def test_auto_release_on_pod_is_one_job_and_one_invoice(self):
        self.company.logistics_auto_release = True
        order = self.order()
        shipment = order.logistics_shipment_ids
        self.deliver(order.picking_ids)
        trap = self.pod(shipment, code="delivered")
        self.assertEqual(len(trap.enqueued_jobs), 1, "delivered with a signer is a POD")
        job = trap.enqueued_jobs[0]
        self.assertEqual(job.args, (trap.enqueued_jobs[0].args[0],))
        replay = self.pod(shipment, code="delivered")  # same milestone again: duplicate
        self.assertFalse(replay.enqueued_jobs)
        job.perform()
        job.perform()  # a retried job
        self.assertEqual(len(order.invoice_ids), 1)
        self.assertEqual(order.invoice_ids.state, "posted")
        self.assertEqual(shipment.invoice_release_ids.trigger, "auto")

    def test_auto_release_on_delivery_policy(self):
        self.company.logistics_auto_release = True
        self.customer.logistics_invoice_policy = "on_delivery"
        order = self.order()
        self.deliver(order.picking_ids)
        trap = self.pod(order.logistics_shipment_ids, code="delivered", signed_by=False)
        self.assertEqual(len(trap.enqueued_jobs), 1)
        trap.perform_enqueued_jobs()
        self.assertEqual(order.invoice_ids.state, "posted")

    def test_manual_policy_never_auto_releases(self):
        self.company.logistics_auto_release = True
        self.customer.logistics_invoice_policy = "manual"
        order = self.order()
        self.deliver(order.picking_ids)
        trap = self.pod(order.logistics_shipment_ids)
        self.assertFalse(trap.enqueued_jobs)
        self.assertFalse(order.invoice_ids)

    def test_partial_delivery_releases_only_what_was_delivered(self):
        order = self.order(qty=10)
        first_picking = order.picking_ids
        for move in first_picking.move_ids:
            move.quantity = 4
            move.picked = True
        wizard_action = first_picking.button_validate()
        backorder_wizard = self.env[wizard_action["res_model"]].with_context(**wizard_action["context"]).create({})
        backorder_wizard.process()
        first = first_picking.logistics_shipment_id
        self.pod(first)
        first.with_user(self.manager).action_release_invoices()
        self.assertEqual(first.invoice_ids.invoice_line_ids.quantity, 4)
        backorder = order.picking_ids - first_picking
        self.assertEqual(len(backorder), 1)
        if not backorder.logistics_shipment_id:
            backorder.action_logistics_create_shipment()
        second = backorder.logistics_shipment_id
        self.assertNotEqual(first, second)
        self.deliver(backorder)
        self.pod(second)
        second.with_user(self.manager).action_release_invoices()
        self.assertEqual(second.invoice_ids.invoice_line_ids.quantity, 6)
        self.assertEqual(sum(order.invoice_ids.mapped("invoice_line_ids.quantity")), 10)

    def test_cancelled_and_returned_release_nothing(self):
        for code in ("cancelled", "returned"):
            order = self.order()
            shipment = order.logistics_shipment_ids
            self.deliver(order.picking_ids)
            self.pod(shipment, code=code, signed_by=False)
            self.pod(shipment, when=shipment.milestone_ids[0].occurred_at.replace(hour=20))
            result = shipment.with_user(self.manager)._release_invoices()
            self.assertEqual(result[shipment.id][0], "skipped", code)
            self.assertFalse(order.invoice_ids)

    def test_validation_rules(self):
        self.company.write({"logistics_pod_require_signer": True,
                            "logistics_pod_require_document": True})
        order = self.order()
        shipment = order.logistics_shipment_ids
        self.deliver(order.picking_ids)
        self.pod(shipment, signed_by=False)
        self.assertIn("signer", shipment._release_invoices()[shipment.id][1])
        shipment.pod_signed_by = "Late Signer"
        self.assertIn("document", shipment._release_invoices()[shipment.id][1])
        shipment.pod_document_url = "https://pod.example/1.pdf"
        self.assertEqual(shipment._release_invoices()[shipment.id][0], "released")

    def test_undelivered_picking_is_not_released(self):
        order = self.order()
        shipment = order.logistics_shipment_ids
        self.pod(shipment)
        self.assertIn("not validated", shipment._release_invoices()[shipment.id][1])
        self.assertFalse(order.invoice_ids)

    def test_validation_after_pod_releases(self):
        """A warehouse validating the delivery after the POD (fulfillment.shipped late):
        the release that waited for the validation runs then, once."""
        self.company.logistics_auto_release = True
        order = self.order()
        shipment = order.logistics_shipment_ids
        self.pod(shipment).perform_enqueued_jobs()
        self.assertFalse(order.invoice_ids, "not released before the delivery is validated")
        with trap_jobs() as trap:
            self.deliver(order.picking_ids)
        self.assertEqual(len(trap.enqueued_jobs), 1)
        trap.perform_enqueued_jobs()
        self.assertEqual(order.invoice_ids.state, "posted")
        with trap_jobs() as trap:
            order.picking_ids._action_done()
        self.assertFalse(trap.enqueued_jobs, "a released shipment is not released again")

    def test_held_draft_is_posted_by_the_release(self):
        order = self.order()
        shipment = order.logistics_shipment_ids
        self.deliver(order.picking_ids)
        draft = order._create_invoices()
        self.assertEqual(draft.state, "draft")
        self.pod(shipment)
        shipment.with_user(self.manager).action_release_invoices()
        self.assertEqual(draft.state, "posted")
        self.assertEqual(order.invoice_ids, draft)
        self.assertEqual(shipment.invoice_ids, draft)

    def test_only_managers_release(self):
        order = self.order()
        shipment = order.logistics_shipment_ids
        self.deliver(order.picking_ids)
        self.pod(shipment)
        with self.assertRaises(UserError):
            shipment.with_user(self.user).action_release_invoices()
        self.assertFalse(order.invoice_ids)
        with trap_jobs():
            order.with_user(self.manager).action_logistics_release_invoices()
        self.assertEqual(order.invoice_ids.state, "posted")
