# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Backend health at a glance: the health fields, the hourly statistics, the cards of
the dashboard, and companies kept apart."""

from collections import Counter
from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import MonitorCase


def hour_of(when):
    return when.replace(minute=0, second=0, microsecond=0)


@tagged("post_install", "-at_install")
class TestHealth(MonitorCase):
    def stats(self):
        rows = self.env["logistics.backend.stat.hourly"].search([("backend_id", "=", self.backend.id)])
        return {(r.hour, r.direction, r.state): r.count for r in rows}

    def test_hourly_stats_match_messages(self):
        times = [self.now - timedelta(minutes=m) for m in (1, 1, 1, 70, 70, 130, 60 * 24 * 3)]
        states = ["done", "dead", "done", "done", "failed", "done", "done"]
        for when, state in zip(times, states, strict=True):
            self.message(state, received=when)
        self.message("sent", direction="out", received=times[0])
        pending = self.message("pending", received=times[0])
        self.run_cron()
        expected = Counter((hour_of(w), "in", s) for w, s in zip(times, states, strict=True))
        expected[hour_of(times[0]), "out", "sent"] += 1
        expected[hour_of(times[0]), "in", "pending"] += 1
        self.assertEqual(self.stats(), dict(expected), "the first run fills the last 7 days")
        # A message changes state: the next run moves it to its new state's row.
        pending.state = "done"
        self.message("done", received=self.now)
        self.run_cron(now=self.now + timedelta(minutes=5))
        expected[hour_of(times[0]), "in", "pending"] -= 1
        expected[hour_of(times[0]), "in", "done"] += 1
        expected[hour_of(self.now), "in", "done"] += 1
        self.assertEqual(self.stats(), {k: v for k, v in expected.items() if v})
        # Older hours are kept as they were counted; past retention they go.
        self.run_cron(now=self.now + timedelta(days=91))
        self.assertFalse(self.stats())

    def test_stats_action_is_a_graph_of_the_backend(self):
        action = self.backend.action_view_stats()
        self.assertEqual(action["res_model"], "logistics.backend.stat.hourly")
        self.assertTrue(action["view_mode"].startswith("graph"))
        self.assertEqual(action["domain"], [("backend_id", "=", self.backend.id)])

    def test_health_fields(self):
        received = self.now - timedelta(minutes=30)
        for i in range(1, 11):  # lags 10 s to 100 s
            self.message("dead" if i <= 2 else "done", received=received,
                         processed=received + timedelta(seconds=10 * i))
        self.message("failed", direction="out", received=self.now - timedelta(hours=2))
        self.message("done", received=self.now - timedelta(hours=30))  # older than 24 h
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.health_state, "active")
        self.assertAlmostEqual(self.backend.health_lag_seconds, 95.5)  # p95 of 10..100
        self.assertEqual(self.backend.health_message_24h_count, 11)
        self.assertAlmostEqual(self.backend.health_error_rate, 100.0 * 3 / 11)
        self.assertEqual(self.backend.last_event_at, received)
        self.backend.paused = True
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.health_state, "paused")
        self.backend.paused = False
        self.backend._circuit().state = "open"
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.health_state, "circuit")
        self.run_cron()
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.alert_open_count, 1)
        self.assertEqual(self.backend.alert_ids.kind, "circuit")

    def test_dashboard_shows_one_card_per_backend(self):
        Dashboard = self.env["logistics.reconcile.dashboard"].with_user(self.responsible)
        dashboard = Dashboard.create(Dashboard._collect())
        dashboard.invalidate_recordset()  # as the web client reads it: in a request of its own
        self.assertIn(self.backend, dashboard.backend_ids)
        arch = self.env["logistics.reconcile.dashboard"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="backend_ids"', arch)
        action = dashboard.action_open_backend_health()
        self.assertTrue(action["view_mode"].startswith("kanban"))
        views = self.env["logistics.backend"].with_user(self.responsible).get_views(
            [(False, "kanban"), (False, "form")])["views"]
        self.assertIn('name="health_error_rate"', views["kanban"]["arch"])
        self.assertIn('name="alert_user_id"', views["form"]["arch"])

    def test_company_rule_on_alerts_and_stats(self):
        company_b = self.env["res.company"].create({"name": "Monitor Co B"})
        user_b = new_test_user(self.env, "monitor-user-b", groups="logistics_sync.group_logistics_user",
                               company_id=company_b.id, company_ids=[Command.set([company_b.id])])
        self.backend._circuit().state = "open"
        self.message("done")
        self.run_cron()
        alert = self.alerts("circuit")
        self.assertTrue(alert)
        Alert, Stat = self.env["logistics.backend.alert"], self.env["logistics.backend.stat.hourly"]
        self.assertEqual(Alert.with_user(self.responsible).search([("id", "=", alert.id)]), alert)
        self.assertTrue(Stat.with_user(self.responsible).search([("backend_id", "=", self.backend.id)]))
        self.assertFalse(Alert.with_user(user_b).search([("backend_id", "=", self.backend.id)]))
        self.assertFalse(Stat.with_user(user_b).search([("backend_id", "=", self.backend.id)]))
        with self.assertRaises(AccessError):
            alert.with_user(user_b).read(["kind"])
