# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging
from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.addons.logistics_sync.lib.states import DELIVERED, RETURNED, SHIPMENT_NOT_INVOICED
from odoo.addons.logistics_sync.tools import guard, jobs
from odoo.tools import float_compare, float_is_zero

_logger = logging.getLogger(__name__)


class LogisticsShipment(models.Model):
    _inherit = "logistics.shipment"

    invoice_ids = fields.Many2many(
        "account.move", "logistics_shipment_invoice_rel", "shipment_id", "move_id",
        "Invoices", readonly=True, copy=False)
    invoice_release_ids = fields.One2many(
        "logistics.invoice.release", "shipment_id", "Releases", readonly=True)
    invoice_released = fields.Boolean(compute="_compute_invoice_released", store=True, index=True)
    # Stored: the release decision is taken by whoever applies milestones (an
    # integration user), who needs no access to sale orders for it.
    # Indexed for the metrics' count of on-POD shipments held (few are on POD).
    invoice_policy = fields.Selection(
        related="sale_id.logistics_invoice_policy", string="Invoice Release", store=True,
        index="btree_not_null")

    # What the release path alone writes (a released shipment is no longer due).
    _LOGISTICS_RELEASE_FIELDS = ("invoice_ids", "invoice_released", "invoice_release_ids")

    def _logistics_check_facts(self, vals_list):
        res = super()._logistics_check_facts(vals_list)
        written = {fname for vals in vals_list for fname in vals}
        if not written.isdisjoint(self._LOGISTICS_RELEASE_FIELDS):
            guard.check(self.env, guard.RELEASE, written, self._LOGISTICS_RELEASE_FIELDS,
                        self.env._("Shipment"), records=self)
        return res

    @api.depends("invoice_release_ids")
    def _compute_invoice_released(self):
        for shipment in self:
            shipment.invoice_released = bool(shipment.invoice_release_ids)

    # ------------------------------------------------------------------ automatic release
    def _logistics_after_derived_change(self, before):
        res = super()._logistics_after_derived_change(before)
        due = self.filtered(lambda s: s._logistics_release_due(*before[s.id]))
        if due:
            due._logistics_enqueue_release()
        for shipment in self.filtered("invoice_released"):
            reason = shipment._logistics_proof_withdrawn(*before[shipment.id])
            if reason:
                shipment._logistics_enqueue_compensation(reason)
        return res

    # ------------------------------------------------------------------ compensation
    @api.model
    def _apply_milestones(self, values_list):
        results = super()._apply_milestones(values_list)
        # A return after a delivery leaves the state delivered (terminal): the milestone
        # itself, not the state, tells that released goods came back.
        returned = self.env.ref("logistics_sync.milestone_code_returned", raise_if_not_found=False)
        if returned and any(v.get("code") == RETURNED or v.get("code_id") == returned.id
                            for v in values_list):
            new = self.env["logistics.shipment.milestone"].browse(
                [r["milestone_id"] for r in results if r["status"] == "created"])
            for shipment in new.filtered(lambda m: m.code_id == returned).shipment_id:
                reason = shipment._logistics_proof_withdrawn(
                    shipment.pod_received, shipment.state, returned=True)
                if reason and shipment.invoice_released:
                    shipment._logistics_enqueue_compensation(reason)
        return results

    def _logistics_proof_withdrawn(self, was_pod, was_state, returned=False):
        """Why a change takes back what a released invoice rests on, else False: its
        proof of delivery voided, or its goods returned (a ``returned`` milestone
        recorded, or the state become returned). The one rule of the compensation."""
        self.ensure_one()
        if was_pod and not self.pod_received:
            return self.env._("proof of delivery of %s withdrawn", self.name)
        if returned or (self.state == RETURNED and was_state != RETURNED):
            return self.env._("goods of %s returned", self.name)
        return False

    def _logistics_enqueue_compensation(self, reason):
        """A job flags the released invoices, as the release user (the milestones may be
        applied by an integration user without access to invoices)."""
        self.ensure_one()
        user = self.company_id.logistics_release_user_id or self.env.user
        if not user.has_group("account.group_account_invoice"):
            self.message_post(body=self.env._(
                "Released invoices not flagged (%(reason)s): %(user)s has no invoicing rights. "
                "Set a Release User in Settings > Logistics.", reason=reason, user=user.name))
            return
        self.with_user(user).with_company(self.company_id).with_delay(
            channel=jobs.ROOT_CHANNEL, identity_key=f"{jobs.release_key(self.id)}-compensation",
            description=f"Flag released invoices of {self.name}",
        )._logistics_compensation_job(reason)

    def _logistics_compensation_job(self, reason):
        """Job: flag this shipment's released invoices; never changes them otherwise."""
        invoices = self.invoice_release_ids.invoice_id
        flagged = invoices._logistics_flag_proof_withdrawn(reason, self)
        if flagged:
            self.message_post(body=self.env._(
                "Released invoice(s) %(invoices)s flagged for billing: %(reason)s.",
                invoices=", ".join(flagged.mapped("name")), reason=reason))
        return f"{len(flagged)} invoice(s) flagged"

    def _logistics_release_due(self, was_pod, was_state):
        """Did this change just make the shipment releasable automatically?"""
        self.ensure_one()
        if not self.company_id.logistics_auto_release or not self.invoice_policy or (
                self.invoice_released):
            return False
        policy = self.invoice_policy
        if policy == "on_pod":
            return self.pod_received and not was_pod
        if policy == "on_delivery":
            return (self.state == DELIVERED and was_state != DELIVERED) or (
                self.pod_received and not was_pod)
        return False

    def _logistics_enqueue_release(self):
        for shipment in self:
            user = shipment.company_id.logistics_release_user_id or self.env.user
            if not user.has_group("account.group_account_invoice"):
                shipment.message_post(body=self.env._(
                    "Automatic invoice release skipped: %s has no invoicing rights. Set a "
                    "Release User in Settings > Logistics, or release the invoice by hand.",
                    user.name))
                continue
            milestone = shipment._logistics_release_milestone()
            shipment.with_user(user).with_company(shipment.company_id).with_delay(
                channel=jobs.ROOT_CHANNEL,
                identity_key=jobs.release_key(shipment.id),
                description=f"Release invoice of {shipment.name}",
            )._logistics_release_job(milestone.id)

    def _logistics_release_milestone(self):
        """The milestone a release rests on: the first proof of delivery, else the
        delivery that decides the state (as the state machine derives them)."""
        self.ensure_one()
        derivation = self._logistics_derivations()[self.id]
        key = derivation.pod_key or (
            derivation.current if derivation.state == DELIVERED else None)
        return self.env["logistics.shipment.milestone"].browse(key or [])

    def _logistics_release_job(self, milestone_id=False):
        """Job: release this shipment's invoice (a no-op when already released)."""
        result = self._release_invoices(
            trigger="auto", milestone=self.env["logistics.shipment.milestone"].browse(milestone_id))
        return "; ".join(f"{self.browse(k).name}: {v[0]} {v[1] or ''}" for k, v in result.items())

    # ------------------------------------------------------------------ release
    def action_release_invoices(self):
        """Server action / button (Logistics Managers)."""
        self.check_access("write")
        if not self.env.user.has_group("logistics_sync.group_logistics_manager"):
            raise self.env["res.users"]._logistics_access_error()
        results = self._release_invoices(trigger="manual")
        released = [k for k, v in results.items() if v[0] == "released"]
        lines = [f"{self.browse(k).name}: {v[1]}" for k, v in results.items() if v[0] != "released"]
        message = self.env._("%s invoice(s) released.", len(released))
        if lines:
            message += "\n" + "\n".join(lines)
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": "success" if released else "warning", "message": message, "sticky": bool(lines),
            "next": {"type": "ir.actions.act_window_close"}}}

    def _release_invoices(self, trigger="manual", milestone=None):
        """Create (or take the held draft) and post each shipment's invoice, exactly once.

        Returns ``{shipment id: (status, detail)}`` with status in released / already /
        skipped. Concurrent releases of one shipment serialise on its row lock (the
        loser retries and finds the release); the unique release row is the last guard.
        """
        results = {}
        for shipment in self:
            shipment._logistics_lock()
            shipment.invalidate_recordset(["invoice_release_ids", "invoice_released"])
            if shipment.invoice_release_ids:
                results[shipment.id] = ("already", shipment.invoice_release_ids[0].invoice_id.name)
                continue
            blocker = shipment._logistics_release_blocker(trigger)
            if blocker:
                results[shipment.id] = ("skipped", blocker)
                continue
            invoice = shipment._logistics_release_invoice()
            if not invoice:
                results[shipment.id] = ("skipped", self.env._("nothing to invoice"))
                continue
            milestone = milestone or shipment._logistics_release_milestone()
            # The release is the entry point that may post a held invoice and record it.
            with guard.trusted(guard.RELEASE):
                if invoice.state == "draft":
                    invoice.action_post()
                self.env["logistics.invoice.release"].create({
                    "shipment_id": shipment.id,
                    "invoice_id": invoice.id,
                    "trigger": trigger,
                    "milestone_id": milestone.id if milestone else False,
                    "origin": f"{milestone.source} / {milestone.external_event_id or milestone.id}"
                    if milestone else False,
                })
                shipment.invoice_ids = [Command.link(invoice.id)]
            body = self.env._("Invoice %(invoice)s released (%(trigger)s) by %(user)s from milestone %(ms)s.",
                     invoice=invoice.name, trigger=trigger, user=self.env.user.name,
                     ms=milestone.display_name if milestone else "-")
            shipment.message_post(body=body)
            invoice.message_post(body=self.env._("Released on proof of delivery of shipment %s.", shipment.name))
            results[shipment.id] = ("released", invoice.name)
        return results

    def _logistics_release_blocker(self, trigger):
        """Why this shipment cannot be released now (False when it can)."""
        self.ensure_one()
        company = self.company_id
        if self.state in SHIPMENT_NOT_INVOICED:
            return self.env._("shipment %s: nothing is released", self.state)
        if not self.sale_id:
            return self.env._("no sale order")
        policy = self.sale_id.logistics_invoice_policy
        if trigger == "auto" and policy == "manual":
            return self.env._("the customer's policy is manual")
        if trigger == "auto" and policy == "on_delivery":
            if self.state != DELIVERED:
                return self.env._("not delivered")
        elif not self.pod_received:
            return self.env._("no proof of delivery recorded")
        if self.pod_received or policy == "on_pod":
            if company.logistics_pod_require_signer and not self.pod_signed_by:
                return self.env._("the proof of delivery has no signer")
            if company.logistics_pod_require_document and not (
                    self.pod_attachment_id or self.pod_document_url):
                return self.env._("the proof of delivery has no document")
        if company.logistics_release_require_done:
            pickings = self.picking_ids.filtered(lambda p: p.state != "cancel")
            if not pickings or any(p.state != "done" for p in pickings):
                return self.env._("the delivery is not validated in Odoo")
        return False

    def _logistics_delivered_quantities(self):
        """{sale line: quantity delivered by this shipment's validated moves} (line UoM)."""
        self.ensure_one()
        quantities = defaultdict(float)
        for move in self.picking_ids.move_ids.filtered(
                lambda m: m.state == "done" and m.sale_line_id):
            line = move.sale_line_id
            qty = move.product_uom._compute_quantity(move.quantity, line.product_uom)
            if move.location_dest_id.usage == "customer":
                quantities[line] += qty
            elif move.location_id.usage == "customer":
                quantities[line] -= qty
        return quantities

    def _logistics_release_invoice(self):
        """The held draft that this shipment proves, or a new invoice of its quantities."""
        self.ensure_one()
        order = self.sale_id
        delivered = self._logistics_delivered_quantities()
        drafts = order.invoice_ids.filtered(
            lambda m: m.state == "draft" and m.move_type == "out_invoice")
        for draft in drafts:
            lines = draft.invoice_line_ids.filtered(lambda l: l.sale_line_ids)
            if lines and all(
                float_compare(l.quantity, delivered.get(l.sale_line_ids[:1], 0.0),
                              precision_rounding=l.product_uom_id.rounding or 0.01) <= 0
                or l.sale_line_ids[:1].is_delivery
                for l in lines
            ):
                return draft
        line_vals = []
        for line, qty in delivered.items():
            remaining = line.product_uom_qty - line.qty_invoiced
            qty = min(qty, remaining)
            if float_is_zero(qty, precision_rounding=line.product_uom.rounding) or qty < 0:
                continue
            line_vals.append(Command.create(line._prepare_invoice_line(quantity=qty)))
        if not line_vals:
            return self.env["account.move"]
        for line in order.order_line.filtered(lambda l: l.is_delivery and l.qty_to_invoice > 0):
            line_vals.append(Command.create(line._prepare_invoice_line()))
        vals = order._prepare_invoice()
        vals["invoice_line_ids"] = line_vals
        return self.env["account.move"].with_company(order.company_id).create(vals)
