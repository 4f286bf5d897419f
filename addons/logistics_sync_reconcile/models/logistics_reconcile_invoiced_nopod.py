# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models

from .logistics_reconcile_mixin import SHIPMENT_COLUMNS


class LogisticsReconcileInvoicedWithoutPod(models.Model):
    _name = "logistics.reconcile.invoiced.nopod"
    _inherit = "logistics.reconcile.shipment.mixin"
    _auto = False
    _description = "Invoiced without POD"
    _depends = {
        "logistics.shipment": SHIPMENT_COLUMNS,
        "account.move": [
            "state",
            "move_type",
            "amount_untaxed",
            "logistics_pod_override",
            "logistics_pod_override_reason",
        ],
        "sale.order": ["logistics_invoice_policy"],
        "account.move.line": ["sale_line_ids"],
    }
    _order = "invoice_date desc"

    invoice_id = fields.Many2one("account.move", readonly=True)
    sale_id = fields.Many2one("sale.order", readonly=True)
    invoice_date = fields.Date(readonly=True)
    age_days = fields.Float("Age (days)", readonly=True, aggregator="max")
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount = fields.Monetary(readonly=True, currency_field="currency_id")
    override = fields.Boolean("Overridden", readonly=True)
    override_reason = fields.Char(readonly=True)
    override_user_id = fields.Many2one("res.users", "Overridden By", readonly=True)

    def _view_query(self):
        return """
            SELECT am.id, am.id AS invoice_id, io.order_id AS sale_id,
                   (SELECT s.id FROM logistics_shipment s WHERE s.sale_id = io.order_id
                     ORDER BY s.id LIMIT 1) AS shipment_id,
                   am.company_id, am.partner_id, io.carrier_id, am.invoice_date,
                   (CURRENT_DATE - am.invoice_date)::float AS age_days,
                   am.currency_id, am.amount_untaxed AS amount,
                   COALESCE(am.logistics_pod_override, FALSE) AS override,
                   am.logistics_pod_override_reason AS override_reason,
                   am.logistics_pod_override_user_id AS override_user_id
              FROM account_move am
              -- From the few orders still without POD to their invoices: the other way
              -- round, every invoice line of every order is joined and sorted first.
              JOIN (SELECT DISTINCT aml.move_id, so.id AS order_id, so.carrier_id
                      FROM sale_order so
                      JOIN sale_order_line sol ON sol.order_id = so.id
                      JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = sol.id
                      JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                     WHERE so.logistics_invoice_policy = 'on_pod'
                       AND NOT EXISTS (SELECT 1 FROM logistics_shipment s
                                        WHERE s.sale_id = so.id AND s.pod_received)) io
                ON io.move_id = am.id
             WHERE am.state = 'posted' AND am.move_type = 'out_invoice'
        """

    def action_open_invoice(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.invoice_id.id,
            "view_mode": "form",
        }
