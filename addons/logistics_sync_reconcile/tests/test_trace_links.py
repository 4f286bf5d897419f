# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""A proof of delivery received with a traceparent releases an invoice: the invoice's
outbound message continues the trace, and both messages link the invoice."""

import json

from odoo.addons.logistics_sync.tools import jobs
from odoo.addons.logistics_sync_connector.tests.common import ConnectorMixin, generic_event
from odoo.addons.logistics_sync_invoice.tests.common import InvoiceReleaseCase
from odoo.addons.queue_job.job import Job
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

URL = "https://93.184.216.34/odoo-events"
VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@tagged("post_install", "-at_install")
class TestTraceLinks(ConnectorMixin, InvoiceReleaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_connector()
        cls.backend.base_url = URL
        cls.env["logistics.backend.flow"].create(
            {"backend_id": cls.backend.id, "flow": "outbound_finance"})
        cls.company.write({"logistics_auto_release": True,
                           "logistics_release_user_id": cls.manager.id})

    def receive_pod(self, shipment, traceparent):
        event = generic_event(shipment.name, "pod_received", "2026-11-20T14:00:00Z",
                              pod={"signed_by": "R. Ceiver"})
        message = self.env["logistics.sync.message"].create({
            "backend_id": self.backend.id, "company_id": self.company.id, "direction": "in",
            "flow": "inbound_milestones", "event_id": event["id"], "payload": json.dumps(event),
            "traceparent": traceparent})
        self.backend.with_user(self.integration_user)._process_inbox()
        self.assertEqual(message.state, "done", message.error)
        return message

    def test_the_release_of_a_traced_pod_continues_the_trace_and_links_the_invoice(self):
        order = self.order()
        shipment = order.logistics_shipment_ids
        self.deliver(order.picking_ids)
        inbound = self.receive_pod(shipment, VALID)
        self.assertEqual(inbound.shipment_ids, shipment)
        # The release is a job of its own, run from what queue_job stored.
        stored = self.env["queue.job"].search([("identity_key", "=", jobs.release_key(shipment.id))])
        self.assertEqual(len(stored), 1)
        with trap_jobs():
            Job.load(self.env, stored.uuid).perform()
        invoice = shipment.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        outbound = self.env["logistics.sync.message"].search(
            [("direction", "=", "out"), ("res_model", "=", "account.move"), ("res_id", "=", invoice.id)])
        self.assertEqual(len(outbound), 1)
        _v, trace_id, span, _f = outbound.traceparent.split("-")
        self.assertEqual(trace_id, VALID.split("-")[1], "the trace of the proof of delivery")
        self.assertNotEqual(span, VALID.split("-")[2])
        self.assertEqual(outbound.shipment_ids, shipment)
        # After the booking and update of the delivery sent to the TMS.
        self.assertEqual(shipment.logistics_message_ids.mapped("event_type"), [
            "shipment.booking", "shipment.update", False, "invoice.posted"])
        self.assertEqual(shipment.logistics_message_ids[2:].ids, [inbound.id, outbound.id])
        # Message -> invoice, for whoever may read both.
        for message in (inbound, outbound):
            self.assertEqual(message.with_user(self.user).read(["logistics_invoice_ids"])[0][
                "logistics_invoice_ids"], invoice.ids, message.direction)
        logistics_only = new_test_user(self.env, "no-billing",
                                       groups="logistics_sync.group_logistics_user")
        with self.assertRaises(AccessError):
            inbound.with_user(logistics_only).read(["logistics_invoice_ids"])
        arch = inbound.with_user(logistics_only).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn("logistics_invoice_ids", arch)
        self.assertIn("logistics_invoice_ids",
                      inbound.with_user(self.user).get_views([(False, "form")])["views"]["form"]["arch"])

    def test_an_untraced_pod_releases_under_a_new_trace(self):
        order = self.order()
        shipment = order.logistics_shipment_ids
        self.deliver(order.picking_ids)
        inbound = self.receive_pod(shipment, False)
        stored = self.env["queue.job"].search([("identity_key", "=", jobs.release_key(shipment.id))])
        with trap_jobs():
            Job.load(self.env, stored.uuid).perform()
        outbound = self.env["logistics.sync.message"].search(
            [("direction", "=", "out"), ("res_model", "=", "account.move")])
        self.assertEqual(len(outbound.traceparent), 55)
        self.assertNotEqual(outbound.traceparent.split("-")[1], VALID.split("-")[1])
        self.assertFalse(inbound.traceparent)
