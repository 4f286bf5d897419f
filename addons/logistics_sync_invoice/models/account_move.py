# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.addons.logistics_sync.tools import guard
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_compare

# Written by the override wizard only (guard.OVERRIDE): they say who posted without POD.
OVERRIDE_FIELDS = ("logistics_pod_override", "logistics_pod_override_reason",
                   "logistics_pod_override_user_id", "logistics_pod_override_date")
# Written by the compensation job only (guard.COMPENSATION).
WITHDRAWN_FIELDS = ("logistics_proof_withdrawn", "logistics_proof_withdrawn_reason",
                    "logistics_proof_withdrawn_date")


class AccountMove(models.Model):
    _inherit = "account.move"

    logistics_shipment_ids = fields.Many2many(
        "logistics.shipment", "logistics_shipment_invoice_rel", "move_id", "shipment_id",
        "Shipments", readonly=True, copy=False)
    logistics_pod_override = fields.Boolean("Posted without POD", readonly=True, copy=False)
    logistics_pod_override_reason = fields.Char("Override Reason", readonly=True, copy=False)
    logistics_pod_override_user_id = fields.Many2one("res.users", "Overridden By", readonly=True,
                                                     copy=False)
    logistics_pod_override_date = fields.Datetime("Overridden On", readonly=True, copy=False)
    logistics_proof_withdrawn = fields.Boolean(
        "Proof Withdrawn", readonly=True, copy=False, index="btree_not_null",
        help="Released on proof of delivery that was since voided, or for goods returned: "
        "billing decides on a credit note.")
    logistics_proof_withdrawn_reason = fields.Char("Withdrawal Reason", readonly=True, copy=False)
    logistics_proof_withdrawn_date = fields.Datetime("Withdrawn On", readonly=True, copy=False)
    logistics_pod_hold = fields.Boolean(
        "Held until POD", compute="_compute_logistics_pod_hold",
        help="Goods on this draft invoice are not proven delivered for an 'on POD' customer.")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            guard.check(self.env, guard.OVERRIDE, vals, OVERRIDE_FIELDS, self.env._("Invoice"))
            guard.check(self.env, guard.COMPENSATION, vals, WITHDRAWN_FIELDS,
                        self.env._("Invoice"))
        return super().create(vals_list)

    def write(self, vals):
        guard.check(self.env, guard.OVERRIDE, vals, OVERRIDE_FIELDS, self.env._("Invoice"),
                    records=self)
        guard.check(self.env, guard.COMPENSATION, vals, WITHDRAWN_FIELDS, self.env._("Invoice"),
                    records=self)
        return super().write(vals)

    def _logistics_flag_proof_withdrawn(self, reason, shipment):
        """Entry point: flag these released invoices and give billing an activity; the
        invoices themselves are left as they are. Returns the newly flagged ones."""
        todo = self.filtered(lambda m: m.state == "posted" and not m.logistics_proof_withdrawn)
        with guard.trusted(guard.COMPENSATION):
            todo.write({"logistics_proof_withdrawn": True,
                        "logistics_proof_withdrawn_reason": reason,
                        "logistics_proof_withdrawn_date": fields.Datetime.now()})
        for move in todo:
            move.message_post(body=self.env._(
                "Released on proof of delivery, since withdrawn: %s. A credit note may be "
                "due.", reason))
            move.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=self.env.uid,
                summary=self.env._("Proof withdrawn: credit note?"),
                note=self.env._("Shipment %(shipment)s: %(reason)s.",
                                shipment=shipment.name, reason=reason))
        return todo

    def _logistics_credit_note_draft(self):
        """A draft credit note of each flagged invoice (the existing one if there is one)."""
        notes = self.env["account.move"]
        for move in self:
            if not move.logistics_proof_withdrawn:
                raise UserError(self.env._(
                    "Invoice %s is not flagged: its proof of delivery stands.", move.name))
            existing = move.reversal_move_ids.filtered(lambda r: r.state != "cancel")
            notes |= existing or move._reverse_moves([{
                "ref": self.env._("Reversal of %(invoice)s: %(reason)s", invoice=move.name,
                                  reason=move.logistics_proof_withdrawn_reason),
                "invoice_date": fields.Date.context_today(move),
            }])
        return notes

    def _compute_logistics_pod_hold(self):
        for move in self:
            move.logistics_pod_hold = move.state == "draft" and bool(move._logistics_unproven_lines())

    def _logistics_unproven_lines(self):
        """Invoice lines of 'on POD' orders whose quantities exceed what POD proves."""
        self.ensure_one()
        if self.move_type != "out_invoice":
            return self.env["account.move.line"]
        lines = self.invoice_line_ids.filtered(
            lambda l: l.sale_line_ids and l.product_id.type == "consu"
            and l.sale_line_ids[:1].order_id.logistics_invoice_policy == "on_pod"
            and not l.sale_line_ids[:1].is_delivery)
        if not lines:
            return lines
        # The proof is read as superuser: billing users have no access to shipments and
        # stock moves, yet their invoices must be held (or not) by the same facts.
        proven = defaultdict(float)
        for order in lines.sale_line_ids.order_id.sudo():
            shipments = order.logistics_shipment_ids.filtered(
                lambda s: s.pod_received and s.state not in ("cancelled", "returned"))
            for shipment in shipments:
                for line, qty in shipment._logistics_delivered_quantities().items():
                    proven[line] += qty
        unproven = self.env["account.move.line"]
        for line in lines:
            sale_line = line.sale_line_ids[:1]
            posted = sum(
                other.quantity * (1 if other.move_id.move_type == "out_invoice" else -1)
                for other in sale_line.invoice_lines
                if other.move_id.state == "posted" and other.move_id != self)
            if float_compare(posted + line.quantity, proven[sale_line],
                             precision_rounding=line.product_uom_id.rounding or 0.01) > 0:
                unproven |= line
        return unproven

    def _post(self, soft=True):
        # Only the release path and the override wizard post a held invoice: trusted
        # blocks, never a context key nor the override flag (an overridden invoice reset
        # to draft is held again: its lines may have changed since).
        if not (guard.is_trusted(guard.RELEASE) or guard.is_trusted(guard.OVERRIDE)):
            for move in self.filtered(lambda m: m.move_type == "out_invoice"):
                unproven = move._logistics_unproven_lines()
                if unproven:
                    raise move._logistics_hold_error(unproven)
        return super()._post(soft=soft)

    def _logistics_hold_error(self, unproven):
        """An attempt to post a held invoice: an access refusal below Settings administrator."""
        message = self.env._(
            "Invoice %(invoice)s is held until proof of delivery: %(products)s not proven "
            "delivered. Record the POD (the invoice is then released), or ask a Logistics "
            "Manager to override with a reason.",
            invoice=self.name or self.partner_id.name,
            products=", ".join(unproven.mapped("product_id.display_name")))
        if self.env.su or self.env.user.has_group("base.group_system"):
            return UserError(message)
        guard.note_refusal(self.env, self, message)
        return AccessError(message)

    def action_logistics_override_hold(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "logistics.invoice.override.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_invoice_id": self.id},
        }

    def _logistics_override_and_post(self, reason):
        if not self.env.user.has_group("logistics_sync.group_logistics_manager"):
            raise self.env["res.users"]._logistics_access_error()
        if not reason:
            raise UserError(self.env._("An override needs a reason."))
        # The wizard is the entry point that may write the override record and post.
        with guard.trusted(guard.OVERRIDE):
            for move in self:
                move.write({"logistics_pod_override": True,
                            "logistics_pod_override_reason": reason,
                            "logistics_pod_override_user_id": self.env.uid,
                            "logistics_pod_override_date": fields.Datetime.now()})
                body = self.env._(
                    "Posted without proof of delivery by %(user)s. Reason: %(reason)s",
                    user=self.env.user.name, reason=reason)
                move.message_post(body=body)
                shipments = move.invoice_line_ids.sale_line_ids.order_id.logistics_shipment_ids
                for shipment in shipments:
                    shipment.message_post(body=self.env._("Invoice %(invoice)s: %(body)s",
                                                          invoice=move.name, body=body))
                move.logistics_shipment_ids = [Command.link(s.id) for s in shipments]
            self.action_post()
