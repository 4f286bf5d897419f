# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""A shipment's packages stay in its company, over the real RPC layer: a Logistics User
of company A neither reads nor adds to company B's."""

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

PACKAGE = "logistics.shipment.package"
ACCESS_ERROR = "odoo.exceptions.AccessError"


@tagged("post_install", "-at_install")
class TestPackageCompanyRpc(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.shipments, cls.packages = {}, {}
        for key in ("a", "b"):
            company = cls.env["res.company"].create({"name": f"Package Co {key.upper()}"})
            new_test_user(cls.env, f"pk_user_{key}", password=f"pk_user_{key}_pw",
                          groups="logistics_sync.group_logistics_user",
                          company_id=company.id, company_ids=[Command.set([company.id])])
            cls.shipments[key] = cls.env["logistics.shipment"].create(
                {"name": f"PK-{key}", "company_id": company.id})
            cls.packages[key] = cls.env[PACKAGE].create(
                {"shipment_id": cls.shipments[key].id, "reference": f"PKG-{key}", "weight": 2.5})

    def rpc(self, model, method, *args, **kwargs):
        self.authenticate("pk_user_a", "pk_user_a_pw")
        return self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs})

    def assertRefused(self, model, method, *args, **kwargs):
        with self.assertRaises(JsonRpcException) as refused:
            self.rpc(model, method, *args, **kwargs)
        self.assertEqual(refused.exception.args[0], ACCESS_ERROR, f"{model}.{method}{args}")

    def test_user_of_a_reads_only_a_packages(self):
        own, other = self.packages["a"], self.packages["b"]
        rows = self.rpc(PACKAGE, "search_read", [], ["reference", "shipment_id"])
        self.assertIn(own.id, [r["id"] for r in rows])
        self.assertNotIn(other.id, [r["id"] for r in rows])
        self.assertFalse(self.rpc(PACKAGE, "search", [("reference", "=", "PKG-b")]))
        self.assertRefused(PACKAGE, "read", [other.id], ["reference", "weight"])
        # Through the shipment neither: B's shipment is out of reach.
        self.assertRefused("logistics.shipment", "read", [self.shipments["b"].id], ["package_ids"])
        context = {"allowed_company_ids": [own.company_id.id, other.company_id.id]}
        try:
            ids = self.rpc(PACKAGE, "search", [], context=context)
        except JsonRpcException as refused:
            self.assertEqual(refused.args[0], ACCESS_ERROR)
        else:
            self.assertNotIn(other.id, ids)

    def test_user_of_a_changes_no_b_package(self):
        other = self.packages["b"]
        self.assertRefused(PACKAGE, "write", [other.id], {"weight": 9.0})
        self.assertRefused(PACKAGE, "unlink", [other.id])
        self.assertRefused(PACKAGE, "create", {"shipment_id": self.shipments["b"].id, "reference": "X"})
        self.env.invalidate_all()
        self.assertEqual((other.exists().weight, len(self.shipments["b"].package_ids)), (2.5, 1))
        # Their own, they may.
        self.assertTrue(self.rpc(PACKAGE, "create", {"shipment_id": self.shipments["a"].id,
                                                     "reference": "PKG-a2"}))
