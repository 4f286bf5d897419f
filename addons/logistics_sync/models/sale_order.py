# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.tools import html_escape

from ..lib.dates import to_utc_naive
from ..tools import guard

FULFILLMENT_STATES = [
    ("acknowledged", "Acknowledged"),
    ("rejected", "Rejected"),
]
# Written by the fulfillment entry points only (guard.FULFILLMENT).
FULFILLMENT_FIELDS = ("logistics_fulfillment_state", "logistics_fulfillment_reason",
                      "logistics_fulfillment_date", "logistics_fulfillment_event")


class SaleOrder(models.Model):
    _inherit = "sale.order"

    logistics_shipment_ids = fields.One2many("logistics.shipment", "sale_id", "Shipments")
    logistics_shipment_count = fields.Integer(compute="_compute_logistics_shipment_count")
    logistics_fulfillment_state = fields.Selection(
        FULFILLMENT_STATES, "Warehouse Release", readonly=True, copy=False, tracking=True,
        help="What the warehouse answered to the order's release.")
    logistics_fulfillment_reason = fields.Char("Warehouse Reason", readonly=True, copy=False)
    logistics_fulfillment_date = fields.Datetime("Warehouse Answer On", readonly=True, copy=False)
    logistics_fulfillment_event = fields.Char(readonly=True, copy=False)

    @api.depends("logistics_shipment_ids")
    def _compute_logistics_shipment_count(self):
        for order in self:
            order.logistics_shipment_count = len(order.logistics_shipment_ids)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            guard.check(self.env, guard.FULFILLMENT, vals, FULFILLMENT_FIELDS, self.env._("Order"))
        return super().create(vals_list)

    def write(self, vals):
        guard.check(self.env, guard.FULFILLMENT, vals, FULFILLMENT_FIELDS, self.env._("Order"),
                    records=self)
        return super().write(vals)

    def _logistics_fulfillment_answer(self, state, answer):
        """Entry point of ``fulfillment.acknowledged`` / ``fulfillment.rejected``.

        ``answer``: ``event_key`` (source and event id), ``occurred_at``, ``source`` and,
        for a rejection, ``reason_code`` / ``reason``. Shown on the order and its open
        deliveries; a rejection gives the salesperson an activity. An event seen before,
        or older than the answer the order shows, changes nothing.
        Returns ``"applied"``, ``"duplicate"`` or ``"stale"``."""
        self.ensure_one()
        occurred_at = to_utc_naive(answer["occurred_at"])
        if self.logistics_fulfillment_event == answer["event_key"]:
            return "duplicate"
        if self.logistics_fulfillment_date and occurred_at < self.logistics_fulfillment_date:
            return "stale"
        reason = " - ".join(filter(None, [answer.get("reason_code"), answer.get("reason")]))
        self.check_access("write")
        with guard.trusted(guard.FULFILLMENT):
            self.write({"logistics_fulfillment_state": state,
                        "logistics_fulfillment_reason": reason or False,
                        "logistics_fulfillment_date": occurred_at,
                        "logistics_fulfillment_event": answer["event_key"]})
        label = dict(FULFILLMENT_STATES)[state]
        body = self.env._("Warehouse %(backend)s: release %(state)s.",
                          backend=answer.get("source") or "-", state=label.lower())
        if reason:
            body += " " + self.env._("Reason: %s", reason)
        self.message_post(body=body)
        for picking in self.picking_ids._logistics_open_deliveries():
            picking.message_post(body=body)
        if state == "rejected":
            self.activity_schedule(
                "mail.mail_activity_data_todo", user_id=self.user_id.id or self.env.uid,
                summary=self.env._("Warehouse rejected the release"),
                note=html_escape(reason or self.env._("No reason given.")))
        return "applied"

    def action_view_logistics_shipments(self):
        self.ensure_one()
        return self.logistics_shipment_ids._logistics_open()

    @api.model
    def _logistics_demo_confirm(self, order_ids):
        """Demo data: confirm the demo orders that are still quotations."""
        orders = self.browse(order_ids)
        orders.filtered(lambda o: o.state in ("draft", "sent")).action_confirm()
