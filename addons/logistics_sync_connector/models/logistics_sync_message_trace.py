# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import Command, api, models

from ..lib import trace as lib_trace

# Context key: the traceparent of the inbound message whose processing is under way (a
# trace id to continue; it grants and skips nothing).
TRACEPARENT_KEY = "logistics_traceparent"
# Context key of the inbox while it applies milestones: {shipment id: traceparent}.
TRACEPARENTS_KEY = "logistics_traceparents"


class LogisticsSyncMessageTrace(models.Model):
    """Tracing: the traceparent of outbound messages, and their link to the shipments
    of the record they are about (the shipment's Sync tab lists them)."""

    _inherit = "logistics.sync.message"

    @api.model
    def _outbound_trace_values(self, record):
        """Values of a new outbound message about ``record``: its traceparent (continuing
        the trace of the inbound message that caused it, else a new trace) and its
        shipments."""
        vals = {"traceparent": lib_trace.child(self.env.context.get(TRACEPARENT_KEY))}
        if record:
            shipments = self._shipments_of(record)
            if shipments:
                vals["shipment_ids"] = [Command.set(shipments.ids)]
        return vals

    @api.model
    def _shipments_of(self, record):
        """The shipments ``record`` (a shipment, order, delivery or invoice) is or belongs to.

        Read as superuser, ids only: the integration user that creates outbound messages
        has no access to sale lines, stock moves or deliveries, and needs none but this
        link."""
        record = record.sudo()
        Shipment = self.env["logistics.shipment"]
        if record._name == "logistics.shipment":
            shipments = record
        elif record._name == "sale.order":
            shipments = record.logistics_shipment_ids
        elif record._name == "stock.picking":
            shipments = record.logistics_shipment_id
        elif record._name == "account.move":
            shipments = record.invoice_line_ids.sale_line_ids.move_ids.filtered(
                lambda m: m.state != "cancel").picking_id.logistics_shipment_id
        else:
            return Shipment
        return Shipment.browse(shipments.ids)

    @api.model
    def _link_order_messages(self, shipments):
        """Link the outbound messages about the orders of new shipments to them (an order's
        fulfillment request was queued before its shipments existed).

        One INSERT, whoever creates the shipments (a stock user confirming an order may
        not read sync messages): the link is the outbox's bookkeeping."""
        pairs = [(s.id, s.sale_id.id) for s in shipments if s.sale_id]
        if not pairs:
            return
        self.flush_model(["res_model", "res_id", "direction"])
        shipment_ids, order_ids = zip(*pairs, strict=True)
        self.env.cr.execute(
            """INSERT INTO logistics_sync_message_shipment_rel (message_id, shipment_id)
               SELECT m.id, p.shipment_id
                 FROM unnest(%s::int[], %s::int[]) AS p(shipment_id, order_id)
                 JOIN logistics_sync_message m
                   ON m.res_model = 'sale.order' AND m.res_id = p.order_id AND m.direction = 'out'
               ON CONFLICT DO NOTHING""",
            [list(shipment_ids), list(order_ids)],
        )
        self.invalidate_model(["shipment_ids"])
        shipments.invalidate_model(["logistics_message_ids"])

    @api.model_create_multi
    def create(self, vals_list):
        messages = super().create(vals_list)
        if messages.shipment_ids:
            # The Sync tab is computed without dependencies: never stale in this transaction.
            self.env["logistics.shipment"].invalidate_model(["logistics_message_ids"])
        return messages

    def _write_inbound_outcomes(self, rows, links):
        res = super()._write_inbound_outcomes(rows, links)
        if links:
            self.env["logistics.shipment"].invalidate_model(["logistics_message_ids"])
        return res
