# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime

from odoo.addons.queue_job.jobrunner.channels import PENDING, ChannelManager
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import new_test_user

from .common import ConnectorCase


class TestJobChannels(ConnectorCase):
    """Each backend's jobs run in a sub-channel of its own, which the [queue_job]
    configuration may give a capacity (else it shares its direction's channel)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Channel = cls.env["queue.job.channel"]

    def _channel_names(self, code):
        return set(self.Channel.search([("complete_name", "=like", f"root.logistics.%.{code}")])
                   .mapped("complete_name"))

    def test_a_new_backend_gets_its_channels_as_queue_job_records(self):
        admin = new_test_user(self.env, "channel_admin", groups="logistics_sync.group_logistics_admin")
        self.assertFalse(admin.has_group("queue_job.group_queue_job_manager"))
        backend = self.env["logistics.backend"].with_user(admin).create(
            {"name": "Acme WMS", "code": "acme-wms", "backend_type": "wms"})
        self.assertEqual(backend.inbound_channel, "root.logistics.inbound.acme-wms")
        self.assertEqual(backend.outbound_channel, "root.logistics.outbound.acme-wms")
        # queue_job's autovacuum deletes done jobs per channel record: one per channel.
        channels = self.Channel.search([("complete_name", "in", [backend.inbound_channel,
                                                                 backend.outbound_channel])])
        self.assertEqual(sorted(channels.mapped("parent_id.complete_name")),
                         ["root.logistics.inbound", "root.logistics.outbound"])
        # A new code gets new channels; the old ones stay for the jobs made under them.
        backend.with_user(admin).code = "acme-wms-2"
        self.assertEqual(self._channel_names("acme-wms-2"),
                         {"root.logistics.inbound.acme-wms-2", "root.logistics.outbound.acme-wms-2"})
        self.assertEqual(len(self._channel_names("acme-wms")), 2)
        # Upgrades create what is missing, once.
        self.Channel.search([("complete_name", "=", "root.logistics.inbound.acme-wms-2")]).unlink()
        self.env["logistics.backend"]._ensure_all_job_channels()
        self.env["logistics.backend"]._ensure_all_job_channels()
        self.assertEqual(len(self._channel_names("acme-wms-2")), 2)

    def test_jobs_are_made_in_the_backend_channels(self):
        with trap_jobs() as trap:
            self.backend._enqueue_inbox()
            message = self.env["logistics.outbox"]._create(
                self.backend, "outbound_shipment", "shipment.update", "k-channel", {"n": 1})
        self.assertEqual(sorted(job.channel for job in trap.enqueued_jobs),
                         ["root.logistics.inbound.test-tms", "root.logistics.outbound.test-tms"])
        self.assertEqual(message.state, "pending")

    def test_job_functions_are_declared_as_data(self):
        """Channel, retry pattern and related action of our jobs come from
        queue.job.function records (data/queue_job_data.xml), as OCA addons declare them."""
        Function = self.env["queue.job.function"]
        for method, model, channel in (
                ("_process_inbox", "logistics.backend", "root.logistics.inbound"),
                ("_send", "logistics.sync.message", "root.logistics.outbound")):
            config = Function.job_config(Function.job_function_name(model, method))
            self.assertEqual(config.channel, channel)
            self.assertTrue(config.retry_pattern)
            self.assertEqual(config.related_action_func_name, "related_action_open_record")
            self.assertTrue(config.job_function_id)
        # The related action of an inbox job opens its backend.
        self.backend._enqueue_inbox()
        job = self.env["queue.job"].search([("model_name", "=", "logistics.backend"),
                                            ("method_name", "=", "_process_inbox")], limit=1)
        action = job.open_related_action()
        self.assertEqual((action["res_model"], action["res_id"]),
                         ("logistics.backend", self.backend.id))

    def test_the_runner_gives_configured_backend_channels_a_slot_each(self):
        """What the README's configuration does in queue_job's runner: with
        root.logistics.inbound:2 and two backends listed at 1, each of them runs one job
        at a time, side by side; an unlisted backend waits in root.logistics.inbound."""
        names = {"a": self.backend._job_channel("in"), "b": "root.logistics.inbound.acme_wms",
                 "c": "root.logistics.inbound.unlisted"}
        cm = ChannelManager()
        cm.simple_configure(f"root:4,root.logistics:4,root.logistics.inbound:2,{names['a']}:1,"
                            f"{names['b']}:1,root.logistics.outbound:1")
        now = datetime(2026, 1, 1)
        for seq, key in enumerate("aabbcc", start=1):
            cm.notify("db", names[key], f"{key}{seq}", seq, now, 10, None, PENDING)
        self.assertEqual([job.uuid for job in cm.get_jobs_to_run(now)], ["a1", "b3"])
        # The shipped configuration (one inbound slot): one job of all backends at a time.
        cm = ChannelManager()
        cm.simple_configure("root:2,root.logistics:2,root.logistics.inbound:1,root.logistics.outbound:1")
        for seq, key in enumerate("aabbcc", start=1):
            cm.notify("db", names[key], f"{key}{seq}", seq, now, 10, None, PENDING)
        running = list(cm.get_jobs_to_run(now))
        self.assertEqual([job.uuid for job in running], ["a1"])
        # An unlisted channel is filed under its closest listed parent, whose capacity applies.
        ancestors, channel = [], running[0].channel
        while channel:
            ancestors.append(channel.fullname)
            channel = channel.parent
        self.assertIn("root.logistics.inbound", ancestors)
