# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""X12 214 files into the inbox: import_file over real RPC, the wizard, dedup, invalid
and unmapped files, and what they apply to which shipment."""

import base64
from pathlib import Path

from odoo.addons.logistics_sync_connector.tests import provider_lib
from odoo.tests import tagged
from odoo.tests.common import HttpCase, JsonRpcException

from ..lib import x12_214
from .common import X12Mixin, b64, fixture


@tagged("post_install", "-at_install")
class TestX12Import(X12Mixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_x12()

    def call(self, method, *args):
        return self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": "logistics.backend", "method": method, "args": list(args), "kwargs": {}})

    def import_rpc(self, login, name, content):
        self.authenticate(login, login)
        return self.call("import_file", [self.backend.id], name, b64(content))

    def test_default_status_map(self):
        mapped = {m.external_code: m.milestone_code_id.code for m in self.backend.status_map_ids}
        self.assertEqual(mapped, {k: v[0] for k, v in x12_214.AT7_STATUS_MAP.items()})
        a7 = self.backend.status_map_ids.filtered(lambda m: m.external_code == "A7")
        self.assertEqual(a7.reason_id.code, "refused")

    def test_demo_backend(self):
        backend = self.env.ref("logistics_sync_x12_214.demo_backend_x12_214", raise_if_not_found=False)
        if not backend:
            self.skipTest("a database without demo data")
        self.assertEqual((backend.adapter, backend.paused, backend.code),
                         ("x12_214", True, "demo-x12-214"))
        self.assertIn("demo-x12-214", (Path(__file__).parents[1] / "readme" / "CONFIGURE.md").read_text())

    def test_reference_column(self):
        provider_lib.check_reference_column(self, "x12_code", x12_214.AT7_STATUS_MAP)

    def test_import_over_rpc_applies_to_the_shipment(self):
        ids = self.import_rpc("x12-manager", "status.edi", fixture("214_single_4010.edi"))
        message = self.messages()
        self.assertEqual(ids, message.ids)
        self.assertEqual((message.state, message.event_id),
                         ("pending", "x12:CARRIERSCAC:000000905:905:0001"))
        self.assertEqual(message.create_uid, self.integration_user)  # stored as the webhook would
        self.assertIn("x-filename", message.headers)
        self.assertIn("AK5*A~", self.ack_of(message))
        self.process()
        self.assertEqual(message.state, "done", message.error)
        shipment = self.shipments[0]
        milestones = shipment.milestone_ids.sorted("occurred_at")
        self.assertEqual(milestones.mapped("external_code"), ["X3", "AF", "X1", "D1"])
        self.assertEqual(milestones.mapped("code_id.code"),
                         ["in_transit", "picked_up", "out_for_delivery", "delivered"])
        self.assertEqual(milestones[-1].location, "ATLANTA, GA, US")
        self.assertEqual(str(milestones[-1].occurred_at), "2026-11-27 20:45:00")
        self.assertEqual(shipment.state, "delivered")
        self.assertFalse(self.shipments[1:].milestone_ids)

    def test_import_refused_to_users_and_integration(self):
        for login in ("x12-user", "x12-integration"):
            with self.assertRaisesRegex(JsonRpcException, "AccessError"):
                self.import_rpc(login, "status.edi", fixture("214_single_4010.edi"))
        self.assertFalse(self.messages())
        self.authenticate("x12-manager", "x12-manager")
        with self.assertRaisesRegex(JsonRpcException, "UserError"):
            self.call("import_file", [self.backend.id], "status.edi", "ISA*not base64!")
        # MIME-wrapped base64 is read.
        wrapped = base64.encodebytes(fixture("214_single_4010.edi")).decode()
        self.assertEqual(self.call("import_file", [self.backend.id], "status.edi", wrapped),
                         self.messages().ids)

    def test_reimport_is_deduplicated(self):
        first = self.import_rpc("x12-manager", "a.edi", fixture("214_multi_odd_separators.edi"))
        again = self.import_rpc("x12-manager", "b.edi", fixture("214_multi_odd_separators.edi"))
        self.assertEqual(len(first), 3)
        self.assertEqual(first, again)
        self.assertEqual(len(self.messages()), 3)
        # The same control numbers with another content: the first is kept, the other audited.
        changed = fixture("214_multi_odd_separators.edi").replace(b"1200|UT", b"1300|UT")
        self.assertEqual(self.import_rpc("x12-manager", "c.edi", changed), first)
        audit = self.env["logistics.webhook.audit"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual((audit.reason, audit.remote_addr, audit.message_id.id),
                         ("conflict", "file:c.edi", first[0]))
        self.process()
        self.assertEqual(self.messages().mapped("state"), ["done"] * 3)
        self.assertEqual([s.state for s in self.shipments], ["in_transit", "picked_up", "delivered"])

    def test_faulty_interchange_is_one_invalid_message(self):
        # Two sets; the second's SE02 disagrees: nothing of the interchange is stored.
        text = fixture("214_multi_odd_separators.edi").decode("utf-8-sig")
        bad = text.replace("SE|6|0002", "SE|6|0009").encode()
        ids = self.import_rpc("x12-manager", "bad.edi", bad)
        message = self.messages()
        self.assertEqual(ids, message.ids)
        self.assertEqual(message.state, "invalid")
        self.assertIn("bad.edi: segment 14 (SE) at character", message.error)
        self.assertIn("SE02 '0009' does not match ST02 '0002'", message.error)
        ack = self.ack_of(message)
        self.assertIn("AK5|R|3!", ack)
        self.assertIn("AK9|R|2|2|0!", ack)
        # The same bad file again: the same message.
        self.assertEqual(self.import_rpc("x12-manager", "bad.edi", bad), ids)
        self.process()
        self.assertFalse(self.shipments.milestone_ids)

    def test_not_x12_is_invalid(self):
        ids = self.import_rpc("x12-manager", "notes.txt", b"hello, this is not EDI")
        message = self.messages()
        self.assertEqual((ids, message.state), (message.ids, "invalid"))
        self.assertIn("not an X12 interchange", message.error)
        self.assertFalse(self.ack_of(message))

    def test_unknown_status_is_unmapped_then_replayed(self):
        self.import_rpc("x12-manager", "nl.edi", fixture("214_newline_terminated.edi"))
        message = self.messages()
        self.process()
        self.assertEqual(message.state, "unmapped")
        self.assertIn("ZZ", message.error)
        shipment = self.shipments[0]
        self.assertEqual(shipment.milestone_ids.mapped("reason_id.code"), ["damaged"])
        self.env["logistics.backend.status.map"].create({
            "backend_id": self.backend.id, "external_code": "ZZ",
            "milestone_code_id": self.env.ref("logistics_sync.milestone_code_in_transit").id})
        message.with_user(self.manager).action_replay()
        self.process()
        self.assertEqual(message.state, "done", message.error)
        self.assertEqual(sorted(shipment.milestone_ids.mapped("external_code")), ["A9", "ZZ"])

    def test_wizard(self):
        wizard = self.env["logistics.x12.import.wizard"].with_user(self.manager).create({
            "backend_id": self.backend.id, "file": b64(fixture("214_single_4010.edi")),
            "filename": "from-ui.edi"})
        action = wizard.action_import()
        self.assertEqual(action["res_id"], wizard.id)
        self.assertEqual(wizard.state, "done")
        self.assertEqual(wizard.message_ids, self.messages())
        self.assertEqual(wizard.ack_filename, "from-ui.edi.997")
        self.assertTrue(wizard.ack_file)
        self.assertEqual(wizard.action_view_messages()["domain"], [("id", "in", self.messages().ids)])

    def test_no_webhook(self):
        response = self.url_open("/logistics/webhook/test-x12", data=b"ISA", timeout=30)
        self.assertEqual(response.status_code, 401)
