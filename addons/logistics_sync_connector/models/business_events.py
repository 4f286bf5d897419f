"""Odoo business events that become outbound messages (thin hooks + payload builders)."""

from odoo import fields, models


def _address(partner):
    return {
        "name": partner.name, "street": partner.street, "street2": partner.street2,
        "zip": partner.zip, "city": partner.city, "state": partner.state_id.code,
        "country": partner.country_id.code, "phone": partner.phone, "email": partner.email,
    }


def _queue(env, flow, company, event_type, event_key, data, ordering_key, record):
    """Queue a business event for every backend of the company running this flow.

    The user who confirms an order or posts an invoice has no access to backends:
    finding them is a configuration read done with sudo(); the message itself is
    created, and later sent, as the backend's integration user.
    """
    for backend in env["logistics.backend"].sudo()._backends_for_flow(flow, company):
        if not backend.base_url:
            continue
        user = backend.integration_user_id
        env["logistics.sync.message"].with_user(user).with_company(company)._create_outbound(
            backend.with_user(user), flow, event_type, event_key, data,
            ordering_key=ordering_key, record=record)


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def action_confirm(self):
        res = super().action_confirm()
        for order in self:
            _queue(self.env, "outbound_fulfillment", order.company_id, "fulfillment.request",
                   f"fulfillment:{order.id}", order._logistics_fulfillment_data(),
                   f"sale.order:{order.id}", order)
        return res

    def _logistics_fulfillment_data(self):
        self.ensure_one()
        return {
            "order": self.name,
            "customer_reference": self.client_order_ref,
            "customer": _address(self.partner_id),
            "ship_to": _address(self.partner_shipping_id),
            "warehouse": self.warehouse_id.code,
            "carrier": self.carrier_id.name,
            "commitment_date": fields.Datetime.to_string(self.commitment_date) or None,
            "lines": [
                {"sku": line.product_id.default_code or str(line.product_id.id),
                 "name": line.product_id.display_name, "quantity": line.product_uom_qty,
                 "uom": line.product_uom.name}
                for line in self.order_line if line.product_id.type == "consu"
            ],
        }


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_assign(self, force_qty=False):
        res = super()._action_assign(force_qty=force_qty)
        self.picking_id.filtered(lambda p: p.state == "assigned")._logistics_shipment_event("ready")
        return res


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        res = super()._action_done()
        self.filtered(lambda p: p.state == "done")._logistics_shipment_event("done")
        return res

    def _logistics_shipment_event(self, stage):
        for picking in self.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.logistics_shipment_id
        ):
            shipment = picking.logistics_shipment_id
            event_type = "shipment.booking" if stage == "ready" else "shipment.update"
            _queue(self.env, "outbound_shipment", picking.company_id, event_type,
                   f"shipment-{stage}:{picking.id}", picking._logistics_shipment_data(stage),
                   f"logistics.shipment:{shipment.id}", shipment)

    def _logistics_shipment_data(self, stage):
        self.ensure_one()
        shipment = self.logistics_shipment_id
        return {
            "stage": stage,
            "shipment": {"reference": shipment.name, "tracking_number": shipment.tracking_number,
                         "carrier": shipment.carrier_id.name},
            "picking": self.name,
            "origin": self.origin,
            "scheduled_date": fields.Datetime.to_string(self.scheduled_date),
            "date_done": fields.Datetime.to_string(self.date_done) or None,
            "ship_to": _address(self.partner_id),
            "weight": self.shipping_weight if "shipping_weight" in self._fields else None,
            "lines": [
                {"sku": move.product_id.default_code or str(move.product_id.id),
                 "quantity": move.quantity if stage == "done" else move.product_uom_qty,
                 "uom": move.product_uom.name}
                for move in self.move_ids
            ],
        }


class LogisticsShipment(models.Model):
    _inherit = "logistics.shipment"

    def _create_from_pickings(self, pickings):
        shipments = super()._create_from_pickings(pickings)
        # Deliveries reserved while being confirmed were ready before their shipment existed.
        pickings.filtered(lambda p: p.state == "assigned")._logistics_shipment_event("ready")
        return shipments


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        for move in posted.filtered(lambda m: m.move_type in ("out_invoice", "out_refund")):
            _queue(self.env, "outbound_finance", move.company_id, "invoice.posted",
                   f"invoice:{move.id}", move._logistics_finance_data(),
                   f"account.move:{move.id}", move)
        return posted

    def _logistics_finance_data(self):
        self.ensure_one()
        freight = self.invoice_line_ids.filtered(
            lambda l: any(l.sale_line_ids.mapped("is_delivery")))
        return {
            "invoice": self.name,
            "type": self.move_type,
            "partner": _address(self.partner_id),
            "date": fields.Date.to_string(self.invoice_date),
            "currency": self.currency_id.name,
            "amount_untaxed": self.amount_untaxed,
            "amount_total": self.amount_total,
            "origin": self.invoice_origin,
            "freight_charges": [
                {"description": l.name, "amount": l.price_subtotal} for l in freight
            ],
        }
