# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from collections import defaultdict

from odoo import fields, models

from .logistics_sync_message_trace import TRACEPARENT_KEY, TRACEPARENTS_KEY


class LogisticsShipment(models.Model):
    _inherit = "logistics.shipment"

    # The Sync tab: for those who may read sync messages (stock users open shipments too).
    logistics_message_ids = fields.Many2many(
        "logistics.sync.message", string="Sync Messages", compute="_compute_logistics_message_ids",
        groups="logistics_sync.group_logistics_user",
        help="Every inbound and outbound message that touched this shipment, oldest first.")

    def _compute_logistics_message_ids(self):
        # In the time they reached (inbound) or entered (outbound) Odoo's queue, then id.
        messages = self.env["logistics.sync.message"].search(
            [("shipment_ids", "in", self.ids)], order="received_at, id") if self.ids else ()
        by_shipment = defaultdict(list)
        for message in messages:
            for shipment_id in message.shipment_ids.ids:
                by_shipment[shipment_id].append(message.id)
        for shipment in self:
            shipment.logistics_message_ids = by_shipment.get(shipment.id, [])

    def _create_from_pickings(self, pickings):
        shipments = super()._create_from_pickings(pickings)
        self.env["logistics.sync.message"]._link_order_messages(shipments)
        # Deliveries reserved while being confirmed were ready before their shipment existed.
        pickings.filtered(lambda p: p.state == "assigned")._logistics_shipment_event("ready")
        return shipments

    def _job_prepare_context_before_enqueue_keys(self):
        return (*super()._job_prepare_context_before_enqueue_keys(), TRACEPARENT_KEY)

    def _job_prepare_context_before_enqueue(self):
        """A job of a shipment enqueued while an inbound message is applied to it (the
        release of its invoice) continues that message's trace."""
        context = super()._job_prepare_context_before_enqueue()
        traceparents = self.env.context.get(TRACEPARENTS_KEY) or {}
        traceparent = next((traceparents[i] for i in self.ids if i in traceparents), None)
        if traceparent:
            context[TRACEPARENT_KEY] = traceparent
        return context
