# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import uuid
from datetime import timedelta

from odoo import fields
from odoo.addons.logistics_sync_connector.tests.common import ConnectorCase
from odoo.tests import new_test_user


class MonitorCase(ConnectorCase):
    """The connector's test backend, with a responsible user, and helpers to create its
    messages at given times and run the monitoring cron at a given time."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.responsible = new_test_user(
            cls.env, "monitor-responsible", groups="logistics_sync.group_logistics_user")
        cls.backend.alert_user_id = cls.responsible
        cls.Alert = cls.env["logistics.backend.alert"]
        cls.now = fields.Datetime.now().replace(microsecond=0)

    def message(self, state="done", received=None, direction="in", processed=None, backend=None, **values):
        backend = backend or self.backend
        return self.env["logistics.sync.message"].create(dict({
            "backend_id": backend.id, "company_id": backend.company_id.id,
            "direction": direction, "event_id": f"evt-{uuid.uuid4().hex}", "state": state,
            "received_at": received or self.now - timedelta(minutes=1),
            "processed_at": processed,
        }, **values))

    def run_cron(self, now=None):
        self.Alert._cron_monitor(now=now or self.now)

    def alerts(self, kind, backend=None, open_only=True):
        domain = [("backend_id", "=", (backend or self.backend).id), ("kind", "=", kind)]
        if open_only:
            domain.append(("closed_at", "=", False))
        return self.Alert.search(domain)

    def activities(self, backend=None):
        backend = backend or self.backend
        return self.env["mail.activity"].search(
            [("res_model", "=", "logistics.backend"), ("res_id", "=", backend.id)])

    def bodies(self, backend=None):
        backend = backend or self.backend
        return self.env["mail.message"].search(
            [("model", "=", "logistics.backend"), ("res_id", "=", backend.id)]).mapped("body")

    def assertOpened(self, kind, backend=None):
        """One open alert of ``kind``, its to-do for the responsible, a chatter post."""
        alert = self.alerts(kind, backend)
        self.assertEqual(len(alert), 1, f"one open {kind} alert")
        self.assertTrue(alert.activity_id, "the alert opened a to-do")
        self.assertEqual(alert.activity_id.user_id, self.responsible)
        self.assertEqual(alert.activity_id.activity_type_id, self.env.ref("mail.mail_activity_data_todo"))
        self.assertIn(alert.activity_id, self.activities(backend))
        self.assertTrue([b for b in self.bodies(backend) if "Alert opened" in b], "posted in the chatter")
        return alert

    def assertOpenOnce(self, kind, now=None):
        """Run the cron again while the condition holds: still one alert and one to-do."""
        before = self.activities()
        alert = self.assertOpened(kind)
        self.run_cron(now)
        self.assertEqual(self.alerts(kind), alert)
        self.assertEqual(self.activities(), before, "no second to-do while the alert is open")
        return alert

    def assertCleared(self, alert, now=None):
        self.run_cron(now)
        self.assertTrue(alert.closed_at, "the alert closed itself")
        self.assertFalse(alert.activity_id.exists() and alert.activity_id.active, "its to-do is done")
        self.assertFalse(self.alerts(alert.kind))
        self.assertTrue([b for b in self.bodies() if "Alert cleared" in b], "the chatter says it cleared")
