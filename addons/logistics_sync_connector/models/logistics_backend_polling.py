# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .logistics_sync_message import is_concurrency_error

_logger = logging.getLogger(__name__)


class LogisticsBackendPolling(models.AbstractModel):
    """Polling: a backend whose adapter can pull asks its provider, on a cron, about the
    open shipments it is responsible for that have been silent too long, and stores the
    answers in its inbox like webhook deliveries (logistics.shipment.poll does the
    asking); logistics.backend inherits it."""

    _name = "logistics.backend.polling"
    _description = "Backend Polling"

    poll_supported = fields.Boolean(compute="_compute_poll_supported")
    poll_enabled = fields.Boolean(
        "Poll Silent Shipments", tracking=True,
        help="Ask this system, every few minutes (within its rate limit and circuit breaker), "
        "about its open shipments that have been silent too long: for systems without "
        "webhooks, or to catch up after an outage. The answers go through the inbox like "
        "webhook deliveries (same deduplication, authority and replay).")
    poll_silent_hours = fields.Integer(
        "Silent For (h)", default=12, tracking=True,
        help="A shipment is asked about once nothing was received about it for this many "
        "hours, and then at most once per this many hours.")
    poll_max_per_run = fields.Integer(
        "Shipments per Run", default=50, tracking=True,
        help="At most this many shipments are asked about per run, the longest silent first.")
    poll_last_at = fields.Datetime("Last Poll", compute="_compute_poll_last_at")

    # No @api.depends("adapter"): the field is not this mixin's (computed on each read).
    def _compute_poll_supported(self):
        for rec in self:
            try:
                rec.poll_supported = bool(rec.adapter) and rec._adapter().supports_pull()
            except KeyError:  # the adapter's addon is being uninstalled
                rec.poll_supported = False

    def _compute_poll_last_at(self):
        last = dict(self.env["logistics.shipment.poll"]._read_group(
            [("backend_id", "in", self.ids)], ["backend_id"], ["polled_at:max"]))
        for rec in self:
            rec.poll_last_at = last.get(rec, False)

    @api.constrains("poll_enabled", "poll_silent_hours", "poll_max_per_run")
    def _check_polling(self):
        for rec in self.filtered("poll_enabled"):
            if not rec.poll_supported:
                raise ValidationError(self.env._(
                    "The adapter of %s cannot poll: disable polling or choose another adapter.",
                    rec.name))
            if rec.poll_silent_hours < 1 or rec.poll_max_per_run < 1:
                raise ValidationError(self.env._(
                    "Polling of %s needs at least 1 hour of silence and 1 shipment per run.",
                    rec.name))

    # ------------------------------------------------------------------ entry points
    @api.model
    def _cron_poll(self):
        """Cron: each active, running backend with polling enabled asks about its silent
        shipments, as its integration user."""
        backends = self.search([("poll_enabled", "=", True), ("paused", "=", False)])
        for backend in backends.filtered("poll_supported"):
            try:
                with self.env.cr.savepoint():
                    backend._poll_run()
            except Exception as exc:  # one backend's fault does not stop the others
                if is_concurrency_error(exc):
                    raise
                _logger.exception("backend %s: polling failed", backend.code)

    def action_poll_now(self):
        """Button: the same run now (managers), as the backend's integration user."""
        self.ensure_one()
        if not self.env.user.has_group("logistics_sync.group_logistics_manager"):
            raise AccessError(self.env._("Only logistics managers may poll a backend."))
        self.check_access("read")
        if not self.poll_enabled or self.paused:
            raise UserError(self.env._("Polling is off for %s, or the backend is paused.", self.name))
        counts = self._poll_run()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if not counts["stopped"] else "warning",
                "message": self.env._(
                    "%(asked)s shipments asked, %(stored)s new answers stored. %(stopped)s",
                    asked=counts["asked"], stored=counts["stored"],
                    stopped=counts["stopped"] or ""),
            },
        }

    def _poll_run(self):
        """One run of this backend's polling, as its integration user in its company."""
        self.ensure_one()
        Poll = self.env["logistics.shipment.poll"].with_user(self.integration_user_id).with_context(
            allowed_company_ids=[self.company_id.id], tracking_disable=True)
        return Poll._run(self.with_env(Poll.env))
