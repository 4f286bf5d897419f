# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Alerts that reach a person: each kind opens one to-do on the backend for its
responsible user and a chatter post, opens nothing more while its condition holds,
and closes itself when it clears."""

from datetime import datetime, timedelta
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import MonitorCase


@tagged("post_install", "-at_install")
class TestAlerts(MonitorCase):
    def test_circuit_alert_opens_once_and_closes(self):
        circuit = self.backend._circuit()
        circuit.write({"state": "open", "failures": 5, "opened_at": self.now})
        # The cron of the data file, as it is configured.
        self.env.ref("logistics_sync_monitor.ir_cron_monitor").ir_actions_server_id.run()
        alert = self.assertOpenOnce("circuit")
        self.assertIn("5 consecutive failed deliveries", alert.detail)
        circuit.state = "half_open"  # probing: not healthy yet
        self.run_cron()
        self.assertEqual(self.alerts("circuit"), alert)
        circuit.write({"state": "closed", "failures": 0})
        self.assertCleared(alert)
        # A new outage is a new alert with a new to-do.
        circuit.state = "open"
        self.run_cron()
        self.assertNotEqual(self.assertOpened("circuit"), alert)

    def test_errors_alert_counts_messages_and_rejected_webhooks(self):
        processed = self.now - timedelta(minutes=5)
        # Rejected webhooks are dated by the (test) cursor's clock, seconds after self.now.
        later = self.now + timedelta(minutes=1)
        for _i in range(9):
            self.message("dead", processed=processed)
        self.message("failed", received=self.now - timedelta(days=2))  # failed long ago
        self.message("invalid", processed=processed)  # not one of the alert's states
        self.run_cron(now=later)
        self.assertFalse(self.alerts("errors"), "9 errors: under the threshold")
        Audit = self.env["logistics.webhook.audit"]
        Audit.create({"backend_id": self.backend.id, "code": self.backend.code, "reason": "bad_signature"})
        Audit.create({"backend_id": self.backend.id, "code": self.backend.code, "reason": "conflict"})
        self.run_cron(now=later)
        self.assertFalse(self.alerts("errors"), "10 errors (a 409 conflict is no error): not more than 10")
        # A counting row stands for the rejected requests it counted.
        Audit.create({"backend_id": self.backend.id, "code": self.backend.code, "reason": "bad_signature",
                      "minute": self.now.replace(second=0), "dropped_count": 1})
        self.run_cron(now=later)
        alert = self.assertOpenOnce("errors", now=later)
        self.assertIn("11 dead, failed or unauthorized", alert.detail)
        self.backend.alert_error_threshold = 0  # disabled
        self.assertCleared(alert, now=later)

    def test_errors_alert_clears_after_the_hour(self):
        for _i in range(11):
            self.message("unauthorized", processed=self.now - timedelta(minutes=50))
        self.run_cron()
        alert = self.assertOpenOnce("errors")
        self.assertCleared(alert, now=self.now + timedelta(minutes=15))

    def test_pending_alert(self):
        waiting = self.message("pending", received=self.now - timedelta(minutes=4))
        self.run_cron()
        self.assertFalse(self.alerts("pending"), "4 minutes: not late yet")
        self.run_cron(now=self.now + timedelta(minutes=2))
        alert = self.assertOpenOnce("pending", now=self.now + timedelta(minutes=3))
        waiting.state = "done"
        self.assertCleared(alert, now=self.now + timedelta(minutes=4))

    def test_pending_alert_not_for_scheduled_retries_batches_or_paused(self):
        later = self.now + timedelta(minutes=30)
        retry = self.message("pending", received=self.now - timedelta(hours=1), next_attempt_at=later)
        batch_flow = self.backend.flow_ids.filtered(lambda f: f.flow != "inbound_milestones")[:1]
        batch_flow.write({"mode": "batch", "interval_minutes": 15})
        batched = self.message("pending", direction="out", flow=batch_flow.flow,
                               received=self.now - timedelta(minutes=10))
        self.run_cron()
        self.assertFalse(self.alerts("pending"), "a retry or a batch waiting for its time is not late")
        self.run_cron(now=self.now + timedelta(minutes=15))
        self.assertEqual(len(self.alerts("pending")), 1, "the batch is 10 minutes late")
        (retry | batched).state = "done"
        self.run_cron()
        self.message("pending", received=self.now - timedelta(hours=1))
        self.backend.paused = True
        self.run_cron()
        self.assertFalse(self.alerts("pending"), "a paused backend's messages wait on purpose")
        self.backend.paused = False
        self.run_cron()
        self.assertOpened("pending")

    def test_silence_respects_active_hours(self):
        calendar = self.env["resource.calendar"].create({"name": "Carrier hours", "tz": "UTC"})
        # Mon-Fri 8-12 and 13-17 (the default attendances): 2026-11-20 is a Friday.
        self.assertEqual(calendar.hours_per_day, 8.0)
        friday, sunday, monday = datetime(2026, 11, 20, 16), datetime(2026, 11, 22, 20), datetime(2026, 11, 23, 15)
        self.message("done", received=friday, processed=friday)
        self.backend.alert_silence_hours = 6
        self.run_cron(now=sunday)
        alert = self.assertOpenOnce("silence", now=sunday + timedelta(minutes=5))
        self.assertIn("52.0 active hours", alert.detail)
        self.backend.alert_calendar_id = calendar
        self.assertCleared(alert, now=sunday + timedelta(minutes=10))  # 1 active hour
        self.run_cron(now=monday)  # Friday 16-17, Monday 8-12 and 13-15: 7 active hours
        self.assertIn("7.0 active hours", self.assertOpened("silence").detail)
        # An event clears it.
        self.message("done", received=monday, processed=monday)
        self.run_cron(now=monday + timedelta(minutes=5))
        self.assertFalse(self.alerts("silence"))

    def test_silence_only_for_backends_receiving_events(self):
        self.message("done", received=self.now - timedelta(hours=7))
        self.run_cron()
        alert = self.assertOpened("silence")
        self.backend.flow_ids.filtered(lambda f: f.flow == "inbound_milestones").enabled = False
        self.assertCleared(alert)

    def test_responsible_fallback(self):
        admin = new_test_user(self.env, "monitor-admin", groups="logistics_sync.group_logistics_admin")
        backend = self.env["logistics.backend"].with_user(admin).with_context(logistics_new_secret=False).create({
            "name": "Other TMS", "code": "other-tms", "integration_user_id": self.integration_user.id})
        self.assertEqual(backend._alert_responsible(), admin, "its creator")
        # Created by the system (a data file): the administrator.
        self.env.cr.execute("UPDATE logistics_backend SET create_uid = 1 WHERE id = %s", [backend.id])
        backend.invalidate_recordset(["create_uid"])
        self.assertEqual(backend._alert_responsible(), self.env.ref("base.user_admin"))
        self.assertEqual(self.backend._alert_responsible(), self.responsible)

    def test_alert_settings_for_admins_only(self):
        manager = new_test_user(self.env, "monitor-manager", groups="logistics_sync.group_logistics_manager")
        with self.assertRaises(AccessError):
            self.backend.with_user(manager).write({"alert_error_threshold": 0})
        with self.assertRaises(AccessError):
            self.backend.with_user(manager).write({"alert_user_id": manager.id})
        admin = new_test_user(self.env, "monitor-admin2", groups="logistics_sync.group_logistics_admin")
        self.backend.with_user(admin).write({"alert_error_threshold": 3, "alert_user_id": admin.id})
        self.assertEqual(self.backend._alert_responsible(), admin)

    def test_one_broken_backend_does_not_stop_the_others(self):
        other = self.env["logistics.backend"].with_context(logistics_new_secret=False).create({
            "name": "Other TMS", "code": "other-tms", "integration_user_id": self.integration_user.id,
            "alert_user_id": self.responsible.id})
        for backend in (self.backend, other):
            backend._circuit().state = "open"
        Alert = type(self.Alert)
        original = Alert._open

        def broken_for_test_backend(model, backend, kind, detail, now):
            if backend == self.backend:
                raise UserError(self.env._("misconfigured"))
            return original(model, backend, kind, detail, now)

        with patch.object(Alert, "_open", broken_for_test_backend):
            self.run_cron()
        self.assertFalse(self.alerts("circuit"))
        self.assertOpened("circuit", other)
        self.run_cron()  # repaired: opened at the next run
        self.assertOpened("circuit")
