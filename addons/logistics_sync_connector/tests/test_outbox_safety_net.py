# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The outbox's safety net: the cron gives a job to every due message that has none."""

from odoo import Command
from odoo.tests import tagged

from .common import ConnectorCase


@tagged("post_install", "-at_install")
class TestOutboxSafetyNet(ConnectorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A public address literal: the SSRF guard needs no DNS for it.
        # One job per message: the net re-queues those (a batch backend's job: test_outbound_batch).
        cls.backend.write({"base_url": "https://93.184.216.34/odoo-events", "rate_limit": 0,
                           "outbound_delivery": "message"})
        cls.Message = cls.env["logistics.sync.message"]
        cls.Outbox = cls.env["logistics.outbox"]

    def test_one_misconfigured_backend_does_not_stop_the_safety_net_of_the_others(self):
        other = self.backend.copy({"code": "other-tms", "name": "Other TMS"})
        messages = [self.Outbox.with_user(self.integration_user)._create(
            backend.with_user(self.integration_user), "outbound_shipment", "shipment.update",
            f"net-{backend.code}", {"n": 1}) for backend in (self.backend, other)]
        Job = self.env["queue.job"]
        Job.search([]).unlink()  # as after a crash: no job left
        broken = self.integration_user.copy({"login": "broken-outbound"})
        broken.groups_id = [Command.unlink(self.env.ref("logistics_sync_connector.group_logistics_integration").id)]
        self.env.cr.execute("UPDATE logistics_backend SET integration_user_id = %s WHERE id = %s",
                            [broken.id, self.backend.id])
        self.env.invalidate_all()
        with self.assertLogs("odoo.addons.logistics_sync_connector.models.logistics_outbox", "WARNING"):
            self.Message._cron_requeue()
        self.assertEqual(Job.search([]).mapped("uuid"), [messages[1].job_uuid])

    def test_safety_net_requeues_only_messages_without_a_live_job(self):
        Job = self.env["queue.job"]
        message = self.Outbox.with_user(self.integration_user)._create(
            self.backend.with_user(self.integration_user), "outbound_shipment",
            "shipment.update", "safety-net", {"n": 1})
        job = Job.search([("uuid", "=", message.job_uuid)])
        self.assertEqual((job.state, job.method_name), ("pending", "_send"))
        jobs = Job.search_count([])
        # Queued, handed to a worker, running (or its worker died: queue_job re-queues
        # it): the cron adds no second job and does not touch the message.
        for state in ("pending", "enqueued", "started"):
            job.state = state
            self.Message._cron_requeue()
            self.assertEqual(Job.search_count([]), jobs, state)
            self.assertEqual(message.job_uuid, job.uuid, state)
        # The job is gone for good (cancelled by hand) while the message waits: a new one.
        job.state = "cancelled"
        self.Message._cron_requeue()
        self.assertEqual(Job.search_count([]), jobs + 1)
        new_job = Job.search([("uuid", "=", message.job_uuid)])
        self.assertEqual((new_job.state, new_job.method_name), ("pending", "_send"))
        self.assertNotEqual(new_job, job)
        self.Message._cron_requeue()
        self.assertEqual(Job.search_count([]), jobs + 1, "and only once")
