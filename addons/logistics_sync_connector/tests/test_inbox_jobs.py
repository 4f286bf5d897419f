# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo import fields, sql_db
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import tagged

from ..models.logistics_inbox import INBOX_LOCK
from .common import ConnectorCase, WebhookCase, generic_event


@tagged("post_install", "-at_install")
class TestInboxJobs(WebhookCase):
    """How the inbox job is scheduled: bounded batches, one job at a time per backend,
    the shared waiting job, the linger, resume."""

    def test_a_job_takes_a_bounded_share_of_the_inbox_and_chains_the_rest(self):
        """Claims stop at the byte budget (after at least one message); the job that
        leaves messages behind enqueues the next one."""
        for hour in range(3):
            self.post_signed(generic_event("TEST-SHP-1", "in_transit", f"2026-11-20T0{hour}:00:00Z"))
        self.env["ir.config_parameter"].sudo().set_param(
            "logistics_sync_connector.inbox_batch_bytes", 1)
        with trap_jobs() as trap:
            self.process()
            trap.assert_jobs_count(1, only=self.backend._process_inbox)
        self.assertEqual(self.messages().mapped("state"), ["done", "pending", "pending"])
        self.env["ir.config_parameter"].sudo().set_param(
            "logistics_sync_connector.inbox_batch_bytes", 10 << 20)
        with trap_jobs() as trap:
            self.process()
            trap.assert_jobs_count(1, only=self.backend._process_inbox)  # a fresh look
        self.assertEqual(self.messages().mapped("state"), ["done"] * 3)
        self.assertEqual(len(self.shipment.milestone_ids), 3)
        with trap_jobs() as trap:
            self.assertEqual(self.process(), "Nothing to process.")
            trap.assert_jobs_count(0)

    def test_one_job_at_a_time_per_backend(self):
        """A job that finds another one processing the same inbox is postponed by a
        second (no serialization failure, which queue_job would retry 5 s later)."""
        self.post_signed(generic_event("TEST-SHP-1", "in_transit", "2026-11-20T08:00:00Z"))
        with sql_db.db_connect(self.env.cr.dbname).cursor() as other:  # another connection
            other.execute("SELECT pg_advisory_xact_lock(%s, %s)", [INBOX_LOCK, self.backend.id])
            with self.assertRaises(RetryableJobError) as caught:
                self.process()
            self.assertEqual(caught.exception.seconds, 1)
            self.assertEqual(self.messages().state, "pending")
        self.process()  # the other job ended: its lock is gone
        self.assertEqual(self.messages().state, "done")

    def test_webhooks_share_the_waiting_inbox_job(self):
        key = f"logistics-inbox-{self.backend.id}"
        Job = self.env["queue.job"]
        for hour in range(3):
            self.post_signed(generic_event("TEST-SHP-1", "in_transit", f"2026-11-20T0{hour}:00:00Z"))
        jobs = Job.search([("identity_key", "=", key)])
        self.assertEqual(len(jobs), 1)
        self.assertFalse(jobs.eta, "nothing runs: due at once")
        jobs.state = "done"  # ran: the next webhook enqueues a new one
        self.post_signed(generic_event("TEST-SHP-1", "in_transit", "2026-11-20T05:00:00Z"))
        waiting = Job.search([("identity_key", "=", key), ("state", "=", "pending")])
        self.assertEqual(len(waiting), 1)
        self.assertFalse(waiting.eta)
        # While a job of the backend runs, the next one lingers for more events.
        waiting.state = "started"
        before = fields.Datetime.now()
        self.post_signed(generic_event("TEST-SHP-1", "in_transit", "2026-11-20T06:00:00Z"))
        lingering = Job.search([("identity_key", "=", key), ("state", "=", "pending")])
        self.assertEqual(len(lingering), 1)
        self.assertTrue(before < lingering.eta <= before + timedelta(seconds=2), lingering.eta)
        self.post_signed(generic_event("TEST-SHP-1", "in_transit", "2026-11-20T07:00:00Z"))
        self.assertEqual(Job.search([("identity_key", "=", key), ("state", "=", "pending")]), lingering)
        # The linger is a system parameter; 0 turns it off.
        lingering.state = "done"
        self.env["ir.config_parameter"].set_param("logistics_sync_connector.inbox_linger_ms", "0")
        self.post_signed(generic_event("TEST-SHP-1", "in_transit", "2026-11-20T08:00:00Z"))
        self.assertFalse(Job.search([("identity_key", "=", key), ("state", "=", "pending")]).eta)

    def test_resume_enqueues_again_after_its_commit(self):
        """A job dispatched before a resume commits may read the backend as paused (its
        snapshot) and end without processing; the resume checks again after its commit,
        so the inbox does not wait for the next webhook or the safety-net cron."""
        key = f"logistics-inbox-{self.backend.id}"
        Job = self.env["queue.job"]
        self.post_signed(generic_event("TEST-SHP-1", "in_transit", "2026-11-20T08:00:00Z"))
        job = Job.search([("identity_key", "=", key)])
        self.backend.action_pause()
        job.state = "enqueued"  # the runner dispatched it; it has not started yet
        self.backend.action_resume()
        self.assertEqual(Job.search([("identity_key", "=", key)]), job,
                         "in the resume's snapshot, that job still waits")
        job.state = "done"  # it ran, read the pause from its snapshot and ended
        self.env.flush_all()
        self.env.cr.postcommit.run()  # what the resume's commit runs
        waiting = Job.search([("identity_key", "=", key), ("state", "=", "pending")])
        self.assertEqual(len(waiting), 1)
        self.assertFalse(waiting.eta, "due at once")
        self.assertEqual(self.messages().state, "pending")

    def test_the_job_that_ends_sets_when_the_next_one_runs(self):
        """After a non-empty batch the job chains the next one, and after its commit
        brings a waiting job's eta forward: at once when it left a backlog, else within
        the linger. A job enqueued while the inbox lock was taken was postponed by 1 s."""
        key = f"logistics-inbox-{self.backend.id}"
        Job = self.env["queue.job"]
        self.env["ir.config_parameter"].set_param("logistics_sync_connector.inbox_linger_ms", "200")
        for hour in range(3):
            self.post_signed(generic_event("TEST-SHP-1", "in_transit", f"2026-11-20T0{hour}:00:00Z"))
        waiting = Job.search([("identity_key", "=", key), ("state", "=", "pending")])
        self.assertEqual(len(waiting), 1, "the webhooks enqueued the inbox job")
        later = fields.Datetime.now() + timedelta(seconds=5)

        def run(limit=None):
            waiting.eta = later  # as RetryableJobError leaves it
            summary = self.backend.with_user(self.integration_user)._process_inbox(limit=limit)
            waiting.invalidate_recordset(["eta"])
            self.assertEqual(waiting.eta, later, "not before that job commits")
            self.env.cr.postcommit.run()  # what its commit runs
            waiting.invalidate_recordset(["eta"])
            self.assertEqual(Job.search_count([("identity_key", "=", key), ("state", "=", "pending")]), 1)
            return summary

        run(limit=2)  # two of three messages: a backlog
        self.assertEqual(self.messages().mapped("state"), ["done", "done", "pending"])
        self.assertFalse(waiting.eta, "due at once")
        now = datetime.now()  # not fields.Datetime.now(): rounded down to the second
        run()  # the last one: caught up
        self.assertEqual(self.messages().mapped("state"), ["done"] * 3)
        self.assertTrue(waiting.eta <= now + timedelta(seconds=1.2), "within the linger")
        # An empty run neither creates nor hurries anything.
        self.assertEqual(run(), "Nothing to process.")
        self.assertEqual(waiting.eta, later)

    def test_state_changes_reach_the_chatter_only_when_the_backend_asks(self):
        Tracking = self.env["mail.tracking.value"]

        def process_and_count():
            self.backend.with_user(self.integration_user).with_context(
                tracking_disable=False)._process_inbox()
            self.env.flush_all()
            self.env.cr.precommit.run()
            return Tracking.search_count([("mail_message_id.model", "=", "logistics.shipment"),
                                          ("mail_message_id.res_id", "=", self.shipment.id)])

        self.post_signed(generic_event("TEST-SHP-1", "picked_up", "2026-11-20T08:00:00Z"))
        self.assertEqual(process_and_count(), 0)
        self.assertEqual(self.shipment.state, "picked_up")
        self.backend.track_state_changes = True
        self.post_signed(generic_event("TEST-SHP-1", "in_transit", "2026-11-20T09:00:00Z"))
        self.assertEqual(process_and_count(), 1)
        self.assertEqual(self.shipment.state, "in_transit")


@tagged("post_install", "-at_install")
class TestMessageIndexes(ConnectorCase):
    def indexes(self):
        self.env.cr.execute("SELECT indexname, indexdef FROM pg_indexes "
                            "WHERE tablename = 'logistics_sync_message'")
        return dict(self.env.cr.fetchall())

    def test_ten_indexes_sparse_ones_partial(self):
        indexes = self.indexes()
        # res_id: outbound messages of an order, linked to its shipments once created.
        self.assertEqual(len(indexes), 10, sorted(indexes))
        for column in ("next_attempt_at", "ordering_key", "batch_key", "job_uuid", "res_id"):
            self.assertIn("WHERE", indexes[f"logistics_sync_message__{column}_index"])
        # An earlier version's full index is dropped by init() (Odoo recreates it partial).
        self.env.cr.execute("DROP INDEX logistics_sync_message__batch_key_index")
        self.env.cr.execute("CREATE INDEX logistics_sync_message__batch_key_index "
                            "ON logistics_sync_message (batch_key)")
        self.env.cr.execute("CREATE INDEX logistics_sync_message__flow_index "
                            "ON logistics_sync_message (flow)")
        self.env["logistics.sync.message"].init()
        indexes = self.indexes()
        self.assertNotIn("logistics_sync_message__batch_key_index", indexes)
        self.assertNotIn("logistics_sync_message__flow_index", indexes)
