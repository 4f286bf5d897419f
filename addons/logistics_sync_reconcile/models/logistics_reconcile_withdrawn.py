# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models

from .logistics_reconcile_mixin import SHIPMENT_COLUMNS


class LogisticsReconcileProofWithdrawn(models.Model):
    """Released invoices whose proof was withdrawn or whose goods came back: the invoices
    the compensation flagged (logistics_sync_invoice decides which), until a posted
    credit note reverses them."""

    _name = "logistics.reconcile.withdrawn"
    _inherit = "logistics.reconcile.shipment.mixin"
    _auto = False
    _description = "Released, Proof Withdrawn"
    _depends = {
        "logistics.shipment": SHIPMENT_COLUMNS,
        "account.move": [
            "state", "move_type", "amount_untaxed", "reversed_entry_id",
            "logistics_proof_withdrawn", "logistics_proof_withdrawn_reason",
            "logistics_proof_withdrawn_date",
        ],
    }
    _order = "withdrawn_date desc"

    invoice_id = fields.Many2one("account.move", readonly=True)
    sale_id = fields.Many2one("sale.order", readonly=True)
    state = fields.Selection(related="shipment_id.state", string="Shipment Status")
    reason = fields.Char(readonly=True)
    withdrawn_date = fields.Datetime("Withdrawn On", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount = fields.Monetary(readonly=True, currency_field="currency_id")
    credit_note_id = fields.Many2one("account.move", "Draft Credit Note", readonly=True)

    def _view_query(self):
        return """
            SELECT am.id, am.id AS invoice_id, s.id AS shipment_id, s.sale_id,
                   am.company_id, am.partner_id, s.carrier_id,
                   am.logistics_proof_withdrawn_reason AS reason,
                   am.logistics_proof_withdrawn_date AS withdrawn_date,
                   am.currency_id, am.amount_untaxed AS amount,
                   (SELECT r.id FROM account_move r WHERE r.reversed_entry_id = am.id
                       AND r.state = 'draft' ORDER BY r.id LIMIT 1) AS credit_note_id
              FROM account_move am
              LEFT JOIN LATERAL (
                    SELECT s.* FROM logistics_shipment_invoice_rel rel
                      JOIN logistics_shipment s ON s.id = rel.shipment_id
                     WHERE rel.move_id = am.id ORDER BY s.id LIMIT 1) s ON TRUE
             WHERE am.logistics_proof_withdrawn
               AND am.state = 'posted' AND am.move_type = 'out_invoice'
               AND NOT EXISTS (SELECT 1 FROM account_move r WHERE r.reversed_entry_id = am.id
                                  AND r.state = 'posted')
        """

    def action_create_credit_notes(self):
        """Server action: draft the credit notes of these invoices (billing reviews them)."""
        notes = self.invoice_id._logistics_credit_note_draft()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_refund_type")
        action["domain"] = [("id", "in", notes.ids)]
        if len(notes) == 1:
            action.update(views=[(False, "form")], res_id=notes.id)
        return action

    def action_open_invoice(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "account.move",
                "res_id": self.invoice_id.id, "view_mode": "form"}
