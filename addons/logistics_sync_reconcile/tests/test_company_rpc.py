# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Companies stay apart in the reconciliation reports, over the real RPC layer: a
Logistics User of company A reads none of company B's rows, whatever the context."""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

PROMISE = "logistics.reconcile.late.promise"
WITHDRAWN = "logistics.reconcile.withdrawn"
ACCESS_ERROR = "odoo.exceptions.AccessError"


@tagged("post_install", "-at_install")
class TestReconcileCompanyRpc(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        # B is the company with accounting (invoices); A a new one.
        cls.company_b = cls.env.company
        cls.company_a = cls.env["res.company"].create({"name": "Promise Co A"})
        cls.users = {}
        for key, company in (("a", cls.company_a), ("b", cls.company_b)):
            cls.users[key] = new_test_user(
                cls.env, f"rc_user_{key}", password=f"rc_user_{key}_pw",
                groups="logistics_sync.group_logistics_user",
                company_id=company.id, company_ids=[Command.set([company.id])])
        now = fields.Datetime.now()
        cls.late = {
            key: cls.env["logistics.shipment"].create({
                "name": f"RC-LATE-{key}", "company_id": company.id,
                "date_promised": now + timedelta(days=1), "date_estimated": now + timedelta(days=2)})
            for key, company in (("a", cls.company_a), ("b", cls.company_b))}
        customer = cls.env["res.partner"].create({"name": "RC Customer"})
        cls.invoice_b = cls.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": customer.id, "company_id": cls.company_b.id,
            "invoice_line_ids": [Command.create({"name": "Freight", "quantity": 1, "price_unit": 50.0})]})
        cls.invoice_b.action_post()
        cls.invoice_b._logistics_flag_proof_withdrawn("goods returned", cls.late["b"])

    def rpc(self, key, model, method, *args, context=None, **kwargs):
        self.authenticate(f"rc_user_{key}", f"rc_user_{key}_pw")
        return self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": model, "method": method, "args": list(args),
            "kwargs": dict(kwargs, context=dict(context or {}))})

    def assertRefused(self, key, model, method, *args, **kwargs):
        with self.assertRaises(JsonRpcException) as refused:
            self.rpc(key, model, method, *args, **kwargs)
        self.assertEqual(refused.exception.args[0], ACCESS_ERROR, f"{model}.{method}{args}")

    def ids(self, key, model, **kwargs):
        return {row["id"] for row in self.rpc(key, model, "search_read", [], ["company_id"], **kwargs)}

    def test_late_against_promise_rows_stay_in_their_company(self):
        own, other = self.late["a"].id, self.late["b"].id  # a row's id is its shipment's
        ids = self.ids("a", PROMISE)
        self.assertIn(own, ids)
        self.assertNotIn(other, ids)
        self.assertFalse(self.rpc("a", PROMISE, "search", [("shipment_id", "=", other)]))
        self.assertEqual(self.rpc("a", PROMISE, "search_count", [("id", "in", [own, other])]), 1)
        self.assertRefused("a", PROMISE, "read", [other], ["date_estimated"])
        groups = self.rpc("a", PROMISE, "read_group", [], ["delay_hours:max"], ["company_id"])
        self.assertEqual([g["company_id"][0] for g in groups], [self.company_a.id])
        # The other way round: B's user sees B's row, not A's.
        ids = self.ids("b", PROMISE)
        self.assertIn(other, ids)
        self.assertNotIn(own, ids)

    def test_withdrawn_rows_stay_in_their_company(self):
        row = self.invoice_b.id  # a row's id is its invoice's
        self.assertIn(row, self.ids("b", WITHDRAWN))
        self.assertNotIn(row, self.ids("a", WITHDRAWN))
        self.assertFalse(self.rpc("a", WITHDRAWN, "search", [("invoice_id", "=", row)]))
        self.assertRefused("a", WITHDRAWN, "read", [row], ["amount", "reason"])

    def test_context_grants_no_other_company(self):
        context = {"allowed_company_ids": [self.company_a.id, self.company_b.id]}
        for model, row in ((PROMISE, self.late["b"].id), (WITHDRAWN, self.invoice_b.id)):
            with self.subTest(model=model):
                try:
                    ids = self.ids("a", model, context=context)
                except JsonRpcException as refused:
                    self.assertEqual(refused.args[0], ACCESS_ERROR)
                else:
                    self.assertNotIn(row, ids)

    def test_every_logistics_model_of_a_company_has_a_company_rule(self):
        """Reports included: a new one without its rule shows every company's rows."""
        missing = []
        for name, model in self.env.registry.items():
            field = model._fields.get("company_id")
            if (not name.startswith("logistics.") or model._abstract or model._transient
                    or not field or field.type != "many2one"):
                continue
            rules = self.env["ir.rule"].search([("model_id.model", "=", name)])
            if not any("company_id" in (rule.domain_force or "") for rule in rules):
                missing.append(name)
        self.assertFalse(missing, "models of a company without a record rule on it")
