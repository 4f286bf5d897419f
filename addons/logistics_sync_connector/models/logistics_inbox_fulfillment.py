# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, models

from .logistics_inbox_typed import Outcome


class LogisticsInboxFulfillment(models.AbstractModel):
    """fulfillment.acknowledged / rejected / shipped (the apply methods of
    logistics_inbox_typed.APPLY_METHODS): each gets ``(backend, [((message, index),
    TypedEvent)])`` and returns ``{(message, index): Outcome}``."""

    _inherit = "logistics.inbox.typed"

    @api.model
    def _apply_fulfillment_acknowledged(self, backend, items):
        return self._not_applied_yet(items)

    @api.model
    def _apply_fulfillment_rejected(self, backend, items):
        return self._not_applied_yet(items)

    @api.model
    def _apply_fulfillment_shipped(self, backend, items):
        return self._not_applied_yet(items)

    @api.model
    def _not_applied_yet(self, items):
        return {key: Outcome("failed", f"{event.event_id}: {event.type} is not applied yet")
                for key, event in items}
