# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, models

from ..lib import events as lib_events


class LogisticsInbox(models.AbstractModel):
    _inherit = "logistics.inbox"

    @api.model
    def _keep(self, config, adapter, signed_id, body, headers, note):
        """Keep an authentic delivery whose handling raised (the webhook answered 500 or
        503), with ``note`` (what went wrong, with the request id) for the operators.

        Called as the superuser on a transaction without what the handling did: the
        failure may be the integration user's own rights or companies (a misconfigured
        user must not lose what a system sent). Stored as the handling would have stored
        it: pending under its event id, to be processed once the cause is fixed (the
        re-enqueue cron makes a job for it), or quarantined when it has no usable id.
        Returns the message id."""
        try:
            event_id, error = adapter.message_id(headers, body, signed_id), None
        except Exception as exc:  # noqa: BLE001 - the adapter may be what failed
            event_id, error = None, str(exc)
        if not lib_events.is_event_id(event_id):
            return self._quarantine(config, signed_id, body, headers, f"{error or ''}\n{note}".strip())
        message_id, is_new = self._store(config, event_id, body, headers)
        if is_new:
            self.env["logistics.sync.message"].browse(message_id).write({"error": note})
        return message_id
