# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Companies stay apart (issue 13, part 5): a Logistics Administrator restricted to
company A, over the real RPC layer, neither sees nor changes company B's backends and
what belongs to them, and still manages A's."""

import json

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import HttpCase, JsonRpcException

SECRET_A = "whsec_company_a_0123456789abcdef"
SECRET_B = "whsec_company_b_0123456789abcdef"
INTEGRATION = "base.group_user,logistics_sync_connector.group_logistics_integration"
REFUSED = r"AccessError|UserError|ValidationError"


@tagged("post_install", "-at_install")
class TestMultiCompany(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company_a = cls.env["res.company"].create({"name": "Logistics Co A"})
        cls.company_b = cls.env["res.company"].create({"name": "Logistics Co B"})
        cls.admin_a = new_test_user(
            cls.env, "mc_admin_a", password="mc_admin_a_pw",
            groups="logistics_sync.group_logistics_admin",
            company_id=cls.company_a.id, company_ids=[Command.set([cls.company_a.id])])
        cls.a = cls._company_setup(cls.company_a, "a", SECRET_A)
        cls.b = cls._company_setup(cls.company_b, "b", SECRET_B)

    @classmethod
    def _company_setup(cls, company, key, secret):
        """A backend of ``company`` with a secret, flows, a status map, a circuit, a
        binding, a message and a rejected webhook."""
        user = new_test_user(cls.env, f"mc-integration-{key}", groups=INTEGRATION,
                             company_id=company.id, company_ids=[Command.set([company.id])])
        backend = cls.env["logistics.backend"].with_context(logistics_new_secret=False).create({
            "name": f"TMS {key}", "code": f"mc-tms-{key}", "backend_type": "tms",
            "company_id": company.id, "integration_user_id": user.id,
        })
        secret = cls.env["logistics.backend.secret"].create(
            {"backend_id": backend.id, "secret": secret})
        status_map = cls.env["logistics.backend.status.map"].create({
            "backend_id": backend.id, "external_code": f"MC-{key}",
            "milestone_code_id": cls.env.ref("logistics_sync.milestone_code_delivered").id})
        xref = cls.env["logistics.backend.xref"].create({
            "backend_id": backend.id, "kind": "product", "external_code": f"SKU-{key}",
            "product_id": cls.env["product.product"].create({"name": f"MC {key}"}).id})
        shipment = cls.env["logistics.shipment"].create(
            {"name": f"MC-SHP-{key}", "company_id": company.id})
        binding = cls.env["logistics.shipment.binding"].create(
            {"backend_id": backend.id, "shipment_id": shipment.id, "external_id": f"ext-{key}"})
        message = cls.env["logistics.sync.message"].create({
            "backend_id": backend.id, "company_id": company.id, "direction": "in",
            "event_id": f"evt-{key}", "state": "dead", "payload": "{}"})
        poll = cls.env["logistics.shipment.poll"].create({
            "backend_id": backend.id, "shipment_id": shipment.id,
            "polled_at": "2026-11-30 12:00:00", "outcome": "ok"})
        audit = cls.env["logistics.webhook.audit"].create(
            {"backend_id": backend.id, "code": backend.code, "reason": "bad_signature"})
        return {
            "company": company, "user": user, "backend": backend, "secret": secret,
            "shipment": shipment, "binding": binding, "message": message, "audit": audit,
            "circuit": backend._circuit(), "flow": backend.flow_ids[:1],
            "map": status_map, "xref": xref, "poll": poll,
        }

    def setUp(self):
        super().setUp()
        self.authenticate("mc_admin_a", "mc_admin_a_pw")

    def call(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs})

    def assertRefused(self, model, method, *args, **kwargs):
        with self.assertRaisesRegex(JsonRpcException, REFUSED, msg=f"{model}.{method}{args}"):
            self.call(model, method, *args, **kwargs)

    # ------------------------------------------------------------------ read
    def test_admin_a_reads_only_a_records(self):
        for model, key, fields in (
            ("logistics.backend.secret", "secret", ["secret", "backend_id"]),
            ("logistics.backend.flow", "flow", ["flow", "backend_id"]),
            ("logistics.backend.status.map", "map", ["external_code", "backend_id"]),
            ("logistics.backend.xref", "xref", ["external_code", "backend_id"]),
            ("logistics.backend.circuit", "circuit", ["state", "backend_id"]),
            ("logistics.shipment.binding", "binding", ["external_id", "backend_id"]),
            ("logistics.sync.message", "message", ["event_id", "backend_id"]),
            ("logistics.webhook.audit", "audit", ["reason", "backend_id"]),
            ("logistics.shipment.poll", "poll", ["outcome", "backend_id"]),
        ):
            with self.subTest(model=model):
                own, other = self.a[key], self.b[key]
                rows = self.call(model, "search_read", [], fields=fields)
                ids = {row["id"] for row in rows}
                self.assertIn(own.id, ids)
                self.assertNotIn(other.id, ids)
                self.assertEqual({row["backend_id"][0] for row in rows}, {self.a["backend"].id})
                self.assertFalse(self.call(model, "search", [("id", "=", other.id)]))
                self.assertRefused(model, "read", [other.id], ["backend_id"])
        response = self.url_open("/web/dataset/call_kw", data=json.dumps({
            "jsonrpc": "2.0", "method": "call", "params": {
                "model": "logistics.backend.secret", "method": "search_read", "args": [[]],
                "kwargs": {"fields": ["secret"]}}}),
            headers={"Content-Type": "application/json"})
        self.assertRefused("logistics.backend", "action_poll_now", [self.b["backend"].id])
        self.assertIn(SECRET_A, response.text)
        self.assertNotIn(SECRET_B, response.text)
        self.assertEqual(
            [row["id"] for row in self.call("logistics.backend", "search_read", [], fields=["code"])
             if row["code"].startswith("mc-tms-")], [self.a["backend"].id])

    # ------------------------------------------------------------------ create
    def test_admin_a_creates_children_only_for_a_backends(self):
        a, b = self.a["backend"].id, self.b["backend"].id
        children = (
            ("logistics.backend.secret", {"secret": "whsec_created_by_admin_a_0123456"}),
            ("logistics.backend.flow", {"flow": "outbound_finance"}),
            ("logistics.backend.status.map",
             {"external_code": "MC-X", "milestone_code_id": self.a["map"].milestone_code_id.id}),
            ("logistics.backend.xref",
             {"kind": "product", "external_code": "MC-X", "product_id": self.a["xref"].product_id.id}),
        )
        for model, values in children:
            with self.subTest(model=model):
                self.assertRefused(model, "create", dict(values, backend_id=b))
                self.assertTrue(self.call(model, "create", dict(values, backend_id=a)))
        self.b["backend"].invalidate_recordset()
        self.assertEqual(self.b["backend"].secret_ids.mapped("secret"), [SECRET_B])
        self.assertNotIn("outbound_finance", self.b["backend"].flow_ids.mapped("flow"))
        self.assertNotIn("MC-X", self.b["backend"].status_map_ids.mapped("external_code"))
        # A binding or message of A pointing to B's backend (or shipment) would have B's
        # inbox process it, or bind B's shipment to A's backend.
        self.assertRefused("logistics.shipment.binding", "create", {
            "backend_id": b, "shipment_id": self.a["shipment"].id, "external_id": "x-1"})
        self.assertRefused("logistics.shipment.binding", "create", {
            "backend_id": a, "shipment_id": self.b["shipment"].id, "external_id": "x-2"})
        self.assertRefused("logistics.sync.message", "create", {
            "backend_id": b, "company_id": self.company_a.id, "direction": "in",
            "event_id": "x-3", "payload": "{}"})
        self.assertTrue(self.call("logistics.sync.message", "create", {
            "backend_id": a, "company_id": self.company_a.id, "direction": "in",
            "event_id": "x-4", "payload": "{}"}))

    # ------------------------------------------------------------------ write
    def test_admin_a_cannot_move_records_to_b(self):
        b = self.b["backend"].id
        for model, key in (("logistics.backend.secret", "secret"), ("logistics.backend.flow", "flow"),
                           ("logistics.backend.status.map", "map"),
                           ("logistics.backend.circuit", "circuit"),
                           ("logistics.shipment.binding", "binding"),
                           ("logistics.sync.message", "message")):
            with self.subTest(model=model):
                vals = {"backend_id": b}
                if model == "logistics.sync.message":
                    vals["company_id"] = self.company_b.id
                self.assertRefused(model, "write", [self.a[key].id], vals)
                self.assertEqual(self.a[key].backend_id, self.a["backend"])
        self.assertRefused("logistics.shipment.binding", "write", [self.a["binding"].id],
                           {"shipment_id": self.b["shipment"].id})
        self.assertEqual(self.a["secret"].company_id, self.company_a)

    def test_admin_a_changes_only_a_backends(self):
        a, b = self.a["backend"], self.b["backend"]
        self.assertRefused("logistics.backend", "write", [b.id], {"base_url": "https://evil.example"})
        self.assertRefused("logistics.backend.flow", "write", [self.b["flow"].id], {"enabled": False})
        self.assertRefused("logistics.backend.secret", "write", [self.b["secret"].id],
                           {"secret": "whsec_chosen_by_admin_a_012345678"})
        # Through A's backend: B's flow linked, or A's backend (and its known secret)
        # moved to B, or run as B's integration user.
        self.assertRefused("logistics.backend", "write", [a.id],
                           {"flow_ids": [Command.link(self.b["flow"].id)]})
        self.assertRefused("logistics.backend", "write", [a.id], {"company_id": self.company_b.id})
        self.assertRefused("logistics.backend", "write", [a.id],
                           {"integration_user_id": self.b["user"].id})
        self.assertEqual((a.company_id, self.b["flow"].backend_id, b.base_url, self.b["secret"].secret),
                         (self.company_a, b, False, SECRET_B))
        self.assertTrue(self.b["flow"].enabled)
        self.call("logistics.backend", "write", [a.id], {"base_url": "https://tms-a.example"})
        self.call("logistics.backend.flow", "write", [self.a["flow"].id], {"enabled": False})
        self.assertEqual((a.base_url, self.a["flow"].enabled), ("https://tms-a.example", False))

    def test_admin_a_rotates_only_a_secrets(self):
        Wizard = "logistics.secret.rotate.wizard"
        wizard_b = self.call(Wizard, "create", {"backend_id": self.b["backend"].id})
        self.assertRefused(Wizard, "action_rotate", [wizard_b])
        self.assertEqual(self.b["backend"].secret_ids.mapped("secret"), [SECRET_B])
        self.assertFalse(self.b["secret"].expires_at)
        wizard_a = self.call(Wizard, "create", {"backend_id": self.a["backend"].id})
        self.call(Wizard, "action_rotate", [wizard_a])
        self.assertEqual(len(self.a["backend"].secret_ids), 2)
        self.assertTrue(self.a["secret"].expires_at)
        # The helpers behind it create secrets with sudo: they refuse B's backend too,
        # also when given the value (no field of B's backend is read then).
        backend_b = self.b["backend"].with_user(self.admin_a)
        with self.assertRaises(AccessError):
            backend_b._create_secret("whsec_chosen_by_admin_a_012345678")
        with self.assertRaises(AccessError):
            backend_b._rotate_secret()
        self.b["backend"].invalidate_recordset()
        self.assertEqual(self.b["backend"].secret_ids.mapped("secret"), [SECRET_B])
        self.assertFalse(self.b["secret"].expires_at)
