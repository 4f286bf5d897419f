# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime

from odoo.addons.logistics_sync_invoice.tests.common import InvoiceReleaseCase
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

REPORT = "logistics.reconcile.withdrawn"


@tagged("post_install", "-at_install")
class TestProofWithdrawn(InvoiceReleaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing = new_test_user(
            cls.env, "billing_clerk",
            groups="account.group_account_invoice,logistics_sync.group_logistics_user")
        cls.company.logistics_release_user_id = cls.billing

    def rows(self, **domain):
        self.env.flush_all()
        return self.env[REPORT].search([(k, "=", v) for k, v in domain.items()])

    def released(self, code="pod_received"):
        order = self.order()
        shipment = order.logistics_shipment_ids
        self.deliver(order.picking_ids)
        self.pod(shipment, code=code)
        shipment.with_user(self.manager).action_release_invoices()
        self.assertEqual(order.invoice_ids.state, "posted")
        return shipment, order.invoice_ids

    def test_voided_pod_flags_the_invoice_and_lists_it(self):
        shipment, invoice = self.released()
        with trap_jobs() as trap:
            shipment.milestone_ids.filtered(lambda m: m.code == "pod_received").with_user(
                self.manager)._void("wrong consignee")
        self.assertFalse(shipment.pod_received)
        self.assertEqual(len(trap.enqueued_jobs), 1)
        job = trap.enqueued_jobs[0]
        self.assertEqual(job.recordset.env.user, self.billing, "runs as the release user")
        trap.perform_enqueued_jobs()
        job.perform()  # a replayed job changes nothing
        self.assertTrue(invoice.logistics_proof_withdrawn)
        self.assertIn("withdrawn", invoice.logistics_proof_withdrawn_reason)
        self.assertEqual(invoice.state, "posted", "the invoice itself is left alone")
        self.assertFalse(invoice.reversal_move_ids)
        self.assertEqual(invoice.activity_ids.user_id, self.billing)
        self.assertEqual(len(invoice.activity_ids), 1)
        row = self.rows(invoice_id=invoice.id)
        self.assertEqual(len(row), 1)
        self.assertEqual((row.shipment_id, row.sale_id), (shipment, shipment.sale_id))
        self.assertEqual(row.amount, invoice.amount_untaxed)
        # The server action drafts one credit note, once.
        row = row.with_user(self.billing)
        action = row.action_create_credit_notes()
        note = self.env["account.move"].browse(action["res_id"])
        self.assertEqual((note.move_type, note.state), ("out_refund", "draft"))
        self.assertEqual(note.reversed_entry_id, invoice)
        self.assertEqual(self.rows(invoice_id=invoice.id).credit_note_id, note)
        self.assertEqual(row.action_create_credit_notes()["res_id"], note.id)
        note.action_post()
        self.assertFalse(self.rows(invoice_id=invoice.id), "credited: off the list")

    def test_returned_after_release(self):
        shipment, invoice = self.released(code="delivered")
        trap = self.pod(shipment, code="returned", when=datetime(2026, 11, 22))
        # The state stays delivered (terminal); the return is what counts.
        self.assertEqual(shipment.state, "delivered")
        self.assertEqual(len(trap.enqueued_jobs), 1)
        trap.perform_enqueued_jobs()
        self.assertIn("returned", invoice.logistics_proof_withdrawn_reason)
        self.assertTrue(self.rows(invoice_id=invoice.id))
        # The same return reported again: a duplicate, nothing enqueued.
        trap = self.pod(shipment, code="returned", when=datetime(2026, 11, 22))
        self.assertFalse(trap.enqueued_jobs)

    def test_returned_state_after_release(self):
        shipment, invoice = self.released()  # POD evidence only: the return decides the state
        trap = self.pod(shipment, code="returned", when=datetime(2026, 11, 22))
        self.assertEqual(shipment.state, "returned")
        self.assertEqual(len(trap.enqueued_jobs), 1)
        trap.perform_enqueued_jobs()
        self.assertTrue(self.rows(invoice_id=invoice.id))

    def test_nothing_released_nothing_flagged(self):
        order = self.order()
        shipment = order.logistics_shipment_ids
        self.pod(shipment)
        with trap_jobs() as trap:
            shipment.milestone_ids.filtered(lambda m: m.code == "pod_received").with_user(
                self.manager)._void("typo")
        self.assertFalse(trap.enqueued_jobs)
        self.assertFalse(self.pod(shipment, code="returned", when=datetime(2026, 11, 22)).enqueued_jobs)

    def test_flag_is_a_fact_and_unflagged_invoices_get_no_credit_note(self):
        shipment, invoice = self.released()
        with self.assertRaises(AccessError):
            invoice.with_user(self.billing).write({"logistics_proof_withdrawn": True})
        with self.assertRaisesRegex(Exception, "is not flagged"):
            invoice.with_user(self.billing)._logistics_credit_note_draft()
