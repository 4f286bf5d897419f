# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import contextlib
import logging
from datetime import timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

_logger = logging.getLogger(__name__)

KINDS = [
    ("circuit", "Circuit open"),
    ("errors", "Too many errors"),
    ("pending", "Messages waiting"),
    ("silence", "Silence"),
]
# Messages counted as errors by the alert and the health error rate; rejected (401)
# webhooks count too (logistics.webhook.audit, except 409 conflicts).
ERROR_STATES = ("dead", "failed", "unauthorized")


class LogisticsBackendAlert(models.Model):
    """An alert of a backend: at most one open per (backend, kind), with the one
    to-do it opened for the backend's responsible user. Opened and closed by the
    monitoring cron (_cron_monitor), which evaluates every backend in a few queries."""

    _name = "logistics.backend.alert"
    _inherit = ["logistics.company.guard"]
    _description = "Backend Alert"
    _order = "opened_at desc, id desc"
    _rec_name = "kind"

    backend_id = fields.Many2one(
        "logistics.backend", required=True, readonly=True, ondelete="cascade", index=True,
        check_company=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    kind = fields.Selection(KINDS, required=True, readonly=True)
    opened_at = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    closed_at = fields.Datetime(readonly=True)
    is_open = fields.Boolean("Open", compute="_compute_is_open", search="_search_is_open")
    user_id = fields.Many2one("res.users", "Responsible", readonly=True)
    activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")
    detail = fields.Char(readonly=True)

    def init(self):
        # One open alert per backend and kind, whatever runs the evaluation.
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS logistics_backend_alert_open_uniq
                   ON logistics_backend_alert (backend_id, kind) WHERE closed_at IS NULL""")

    @api.depends("closed_at")
    def _compute_is_open(self):
        for rec in self:
            rec.is_open = not rec.closed_at

    def _search_is_open(self, operator, value):
        if operator not in ("=", "!="):
            return NotImplemented
        return [("closed_at", "=" if (operator == "=") == bool(value) else "!=", False)]

    # ================================================================== the cron
    @api.model
    def _cron_monitor(self, now=None):
        """Every few minutes: the hourly statistics, then the alerts of every active
        backend. Runs as the cron's user, the superuser by default: every company's
        backends are evaluated, each alert is filed in its backend's company."""
        now = now or fields.Datetime.now()
        self.env["logistics.backend.stat.hourly"]._refresh(now)
        self._evaluate(now)

    @api.model
    def _evaluate(self, now):
        conditions = self._conditions(now)
        open_alerts = self.search([("closed_at", "=", False)])
        by_key = {(a.backend_id.id, a.kind): a for a in open_alerts}
        Backend = self.env["logistics.backend"]
        for key in sorted(conditions.keys() - by_key.keys()):
            # One backend's misconfiguration (e.g. its responsible) must not stop the others.
            with self._skipping(f"Backend {key[0]}: alert {key[1]}"):
                self._open(Backend.browse(key[0]), key[1], conditions[key], now)
        for key, alert in by_key.items():
            if key not in conditions:
                with self._skipping(f"Backend {key[0]}: closing alert {key[1]}"):
                    alert._close(now)

    @contextlib.contextmanager
    def _skipping(self, what):
        """In a savepoint: an access or user error is logged, and the next alert handled."""
        try:
            with self.env.cr.savepoint():
                yield
        except (AccessError, UserError) as exc:
            _logger.warning("%s not handled: %s", what, exc)

    @api.model
    def _conditions(self, now):
        """{(backend id, kind): detail} of every alert whose condition holds now."""
        rows = self._backend_rows()
        errors = self._error_counts(now)
        due = self._oldest_due()
        last = dict(self._last_events())
        Calendar = self.env["resource.calendar"]
        result = {}
        for row in rows:
            bid = row["id"]
            if row["circuit_state"] in ("open", "half_open"):
                result[bid, "circuit"] = self.env._(
                    "The circuit is open since %(since)s UTC after %(n)s consecutive failed deliveries.",
                    since=row["circuit_opened_at"] or "?", n=row["circuit_failures"])
            threshold = row["alert_error_threshold"]
            if threshold and errors.get(bid, 0) > threshold:
                result[bid, "errors"] = self.env._(
                    "%(n)s dead, failed or unauthorized messages and rejected webhooks in the last "
                    "hour (more than %(t)s).", n=errors[bid], t=threshold)
            minutes = row["alert_pending_minutes"]
            if minutes and not row["paused"] and bid in due:
                waited = (now - due[bid]).total_seconds() / 60
                if waited > minutes:
                    result[bid, "pending"] = self.env._(
                        "A pending message has been waiting for %(m)d minutes (more than %(t)s).",
                        m=waited, t=minutes)
            hours = row["alert_silence_hours"]
            if hours and row["inbound_enabled"]:
                since = last.get(bid) or row["create_date"]
                silent = self._active_hours(Calendar.browse(row["alert_calendar_id"]), since, now)
                if silent >= hours:
                    result[bid, "silence"] = self.env._(
                        "No event received since %(since)s UTC: %(h).1f active hours (at least %(t)s).",
                        since=fields.Datetime.to_string(since), h=silent, t=hours)
        return result

    @api.model
    def _active_hours(self, calendar, since, now):
        """Hours between ``since`` and ``now`` within ``calendar`` (its time zone and
        leaves), or all of them without one."""
        if since >= now:
            return 0.0
        if not calendar:
            return (now - since).total_seconds() / 3600
        return calendar.get_work_hours_count(
            pytz.utc.localize(since), pytz.utc.localize(now), compute_leaves=True)

    # ------------------------------------------------------------------ queries
    def _fetch(self, query, params=None):
        self.env.cr.execute(query, params or {})
        return self.env.cr.fetchall()

    @api.model
    def _backend_rows(self):
        """The active backends with their thresholds, circuit and inbound flow."""
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT b.id, b.paused, b.create_date, b.alert_error_threshold,
                      b.alert_pending_minutes, b.alert_silence_hours, b.alert_calendar_id,
                      COALESCE(c.state, 'closed') AS circuit_state, c.opened_at AS circuit_opened_at,
                      COALESCE(c.failures, 0) AS circuit_failures,
                      EXISTS (SELECT 1 FROM logistics_backend_flow f
                               WHERE f.backend_id = b.id AND f.flow = 'inbound_milestones'
                                 AND f.enabled) AS inbound_enabled
                 FROM logistics_backend b
                 LEFT JOIN logistics_backend_circuit c ON c.backend_id = b.id
                WHERE b.active
                ORDER BY b.id""")
        return self.env.cr.dictfetchall()

    @api.model
    def _error_counts(self, now):
        """{backend id: messages that became dead/failed/unauthorized in the last hour +
        rejected webhooks}: counting rows of the audit count their dropped requests."""
        params = {"since": now - timedelta(hours=1), "now": now, "states": list(ERROR_STATES)}
        counts = dict(self._fetch(
            """SELECT backend_id, count(*) FROM logistics_sync_message
                WHERE state = ANY(%(states)s)
                  AND COALESCE(processed_at, received_at) BETWEEN %(since)s AND %(now)s
                GROUP BY backend_id""", params))
        for bid, rejected in self._fetch(
            """SELECT backend_id, sum(CASE WHEN minute IS NULL THEN 1 ELSE dropped_count END)
                 FROM logistics_webhook_audit
                WHERE backend_id IS NOT NULL AND reason != 'conflict'
                  AND COALESCE(minute, create_date) BETWEEN %(since)s AND %(now)s
                GROUP BY backend_id""", params):
            counts[bid] = counts.get(bid, 0) + int(rejected)
        return counts

    @api.model
    def _oldest_due(self):
        """{backend id: when its longest-waiting pending message was due}: received, or
        its next attempt when a retry is scheduled (a retry waiting for its time is not
        late), or one batch interval later for a message of a batch flow."""
        return dict(self._fetch(
            """SELECT m.backend_id,
                      min(COALESCE(m.next_attempt_at,
                                   m.received_at + COALESCE(f.interval_minutes, 0) * interval '1 minute'))
                 FROM logistics_sync_message m
                 LEFT JOIN logistics_backend_flow f
                        ON f.backend_id = m.backend_id AND f.flow = m.flow AND f.mode = 'batch'
                WHERE m.state = 'pending'
                GROUP BY m.backend_id"""))

    @api.model
    def _last_events(self):
        """(backend id, last inbound message received) from the hourly statistics (kept
        90 days), which the cron has just refreshed: no scan of the messages."""
        return self._fetch(
            """SELECT backend_id, max(last_received_at) FROM logistics_backend_stat_hourly
                WHERE direction = 'in' GROUP BY backend_id""")

    # ------------------------------------------------------------------ open / close
    @api.model
    def _open(self, backend, kind, detail, now):
        user = backend._alert_responsible()
        label = dict(self._fields["kind"]._description_selection(self.env))[kind]
        summary = self.env._("Logistics alert: %(kind)s on %(backend)s", kind=label, backend=backend.name)
        # A to-do: Odoo 18 ships the "Exception" activity type archived.
        activity = backend.activity_schedule(
            "mail.mail_activity_data_todo", user_id=user.id, summary=summary, note=detail)
        # A comment, not a note: the backend's followers (its team) are notified.
        backend.message_post(
            body=self.env._("Alert opened: %(kind)s. %(detail)s", kind=label, detail=detail),
            subtype_xmlid="mail.mt_comment")
        _logger.info("Backend %s: alert %s opened (%s)", backend.code, kind, detail)
        return self.create({
            "backend_id": backend.id, "kind": kind, "opened_at": now, "user_id": user.id,
            "activity_id": activity.id, "detail": detail,
        })

    def _close(self, now):
        for alert in self:
            label = dict(self._fields["kind"]._description_selection(self.env))[alert.kind]
            text = self.env._("Alert cleared: %(kind)s.", kind=label)
            if alert.activity_id:
                # Marks the to-do done, with the message in the backend's chatter.
                alert.activity_id.action_feedback(feedback=text)
            else:  # already done or removed by someone: say it cleared all the same
                alert.backend_id.message_post(body=text, subtype_xmlid="mail.mt_comment")
            _logger.info("Backend %s: alert %s cleared", alert.backend_id.code, alert.kind)
        self.write({"closed_at": now})
