# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import timedelta

from odoo import SUPERUSER_ID, fields, models

from .logistics_backend_alert import ERROR_STATES

HEALTH_STATES = [
    ("active", "Active"),
    ("paused", "Paused"),
    ("circuit", "Circuit open"),
    ("archived", "Archived"),
]


class LogisticsBackend(models.Model):
    # mail.thread comes from the connector; activities are what reach a person.
    _name = "logistics.backend"
    _inherit = ["logistics.backend", "mail.activity.mixin"]

    # Alert settings: like every backend setting, written by Logistics Administrators
    # only (the access rights of logistics.backend).
    alert_user_id = fields.Many2one(
        "res.users", "Alert Responsible", check_company=True, tracking=True,
        domain=lambda self: [("groups_id", "in", self.env.ref("logistics_sync.group_logistics_user").id)],
        help="Who gets the to-do of this backend's alerts. Empty: whoever created the "
        "backend, or the administrator if that was the system. Followers of the backend "
        "(a team) are notified of every alert in its chatter.")
    alert_error_threshold = fields.Integer(
        "Errors per Hour", default=10,
        help="Alert when more than this many messages became dead, failed or unauthorized, "
        "plus rejected (401) webhooks, within the last hour. 0 disables.")
    alert_pending_minutes = fields.Integer(
        "Pending Age (min)", default=5,
        help="Alert when a pending message has been due for longer than this (not for "
        "paused backends). 0 disables.")
    alert_silence_hours = fields.Integer(
        "Silence (h)", default=6,
        help="Alert when no event was received for this many active hours, for a backend "
        "whose inbound flow is enabled. 0 disables.")
    alert_calendar_id = fields.Many2one(
        "resource.calendar", "Active Hours", check_company=True,
        help="The working hours during which this system is expected to send events "
        "(its time zone applies): only they count towards silence. Empty: around the clock.")
    # For Logistics users: the integration user reads backends, not their alerts.
    alert_ids = fields.One2many(
        "logistics.backend.alert", "backend_id", "Open Alerts", domain=[("closed_at", "=", False)],
        groups="logistics_sync.group_logistics_user")
    alert_open_count = fields.Integer(
        "Open Alerts Count", compute="_compute_alert_open_count", groups="logistics_sync.group_logistics_user")
    # Health: computed on display from the messages (a few aggregate queries).
    health_state = fields.Selection(HEALTH_STATES, "Health", compute="_compute_health")
    health_lag_seconds = fields.Float(
        "Lag p95 (s)", compute="_compute_health",
        help="95th percentile of the time from reception to processing of the inbound "
        "messages received in the last hour.")
    health_error_rate = fields.Float(
        "Error Rate 24 h (%)", compute="_compute_health",
        help="Share of the messages received in the last 24 hours that are dead, failed or "
        "unauthorized.")
    health_message_24h_count = fields.Integer("Messages 24 h", compute="_compute_health")

    def _compute_alert_open_count(self):
        counts = dict(self.env["logistics.backend.alert"]._read_group(
            [("backend_id", "in", self.ids), ("closed_at", "=", False)], ["backend_id"], ["__count"]))
        for rec in self:
            rec.alert_open_count = counts.get(rec, 0)

    def _compute_health(self):
        stats = self._health_stats(fields.Datetime.now())
        for rec in self:
            if not rec.active:
                rec.health_state = "archived"
            elif rec.paused:
                rec.health_state = "paused"
            elif rec.circuit_state in ("open", "half_open"):
                rec.health_state = "circuit"
            else:
                rec.health_state = "active"
            lag, total, errors = stats.get(rec.id, (0.0, 0, 0))
            rec.health_lag_seconds = lag
            rec.health_message_24h_count = total
            rec.health_error_rate = 100.0 * errors / total if total else 0.0

    def _health_stats(self, now):
        """{backend id: (p95 lag in seconds, messages of the last 24 h, in error)}, with
        one query over the rows received in the last 24 hours (received_at is indexed)."""
        ids = [i for i in self.ids if i]
        if not ids:
            return {}
        self.env["logistics.sync.message"].flush_model()
        self.env.cr.execute(
            """SELECT backend_id,
                      percentile_cont(0.95) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM processed_at - received_at))
                          FILTER (WHERE direction = 'in' AND received_at >= %(hour)s AND processed_at IS NOT NULL),
                      count(*),
                      count(*) FILTER (WHERE state = ANY(%(errors)s))
                 FROM logistics_sync_message
                WHERE backend_id = ANY(%(ids)s) AND received_at >= %(day)s AND received_at <= %(now)s
                GROUP BY backend_id""",
            {"ids": ids, "now": now, "hour": now - timedelta(hours=1), "day": now - timedelta(days=1),
             "errors": list(ERROR_STATES)})
        return {bid: (lag or 0.0, total, errors) for bid, lag, total, errors in self.env.cr.fetchall()}

    def _alert_responsible(self):
        """The user an alert's activity is for: the responsible, else the backend's
        creator unless that was the system (data files, crons), else the administrator."""
        self.ensure_one()
        for user in (self.alert_user_id, self.create_uid):
            if user and user.active and not user.share and user.id != SUPERUSER_ID:
                return user
        return self.env.ref("base.user_admin")

    # ------------------------------------------------------------------ buttons
    def action_view_stats(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync_monitor.logistics_backend_stat_hourly_action")
        action["domain"] = [("backend_id", "=", self.id)]
        action["context"] = {"search_default_filter_last_7_days": 1}
        return action

    def action_view_alerts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync_monitor.logistics_backend_alert_action")
        action["domain"] = [("backend_id", "=", self.id)]
        action["context"] = {"search_default_filter_open": 1}
        return action
