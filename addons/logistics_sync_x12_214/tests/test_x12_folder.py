# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The pickup folder: files stored by the cron, moved to done/ or error/ once
committed, 997 acknowledgments in ack/, folders confined under the configured root."""

import os
import tempfile

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, tagged

from ..models.logistics_backend import ROOT_PARAM
from .common import X12Mixin, fixture


@tagged("post_install", "-at_install")
class TestX12Folder(X12Mixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_x12()

    def setUp(self):
        super().setUp()
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.root = os.path.realpath(tmp.name)
        self.folder = os.path.join(self.root, "acme")
        os.makedirs(self.folder)
        self.env["ir.config_parameter"].set_param(ROOT_PARAM, self.root)
        self.backend.x12_folder = self.folder

    def put(self, name, content):
        with open(os.path.join(self.folder, name), "wb") as handle:
            handle.write(content)

    def listing(self, sub=""):
        path = os.path.join(self.folder, sub)
        return sorted(e.name for e in os.scandir(path) if e.is_file()) if os.path.isdir(path) else []

    def commit(self):
        """What happens once the cron's transaction commits (tests never commit)."""
        self.env.cr.postcommit.run()

    def test_pickup(self):
        text = fixture("214_single_4010.edi").decode()
        self.put("a-good.edi", fixture("214_multi_odd_separators.edi"))
        self.put("b-bad.edi", text.replace("IEA*1*000000905", "IEA*1*000000999").encode())
        self.put(".partial", b"ISA")  # hidden: still being written
        os.makedirs(os.path.join(self.folder, "subdir"))
        self.env["logistics.backend"]._cron_x12_pickup()
        messages = self.messages()
        self.assertEqual(messages.mapped("state"), ["pending"] * 3 + ["invalid"])
        self.assertIn("segment 22 (IEA)", messages[-1].error)
        # Nothing moves before the commit.
        self.assertEqual(self.listing(), [".partial", "a-good.edi", "b-bad.edi"])
        self.commit()
        self.assertEqual(self.listing(), [".partial"])
        self.assertEqual(self.listing("done"), ["a-good.edi"])
        self.assertEqual(self.listing("error"), ["b-bad.edi"])
        self.assertEqual(self.listing("ack"), ["a-good.edi.997", "b-bad.edi.997"])
        with open(os.path.join(self.folder, "ack", "a-good.edi.997"), encoding="utf-8") as handle:
            ack = handle.read()
        self.assertIn("GS|FA|ODOOLOGISTICS|CARRIERSCAC|", ack)
        self.assertIn("AK9|A|2|2|2!", ack)
        with open(os.path.join(self.folder, "ack", "b-bad.edi.997"), encoding="utf-8") as handle:
            self.assertIn("AK9*R*1*1*0~", handle.read())
        # The same file dropped again: stored once.
        self.put("c-again.edi", fixture("214_multi_odd_separators.edi"))
        self.env["logistics.backend"]._cron_x12_pickup()
        self.commit()
        self.assertEqual(len(self.messages()), 4)
        self.assertEqual(self.listing("done"), ["a-good.edi", "c-again.edi"])
        self.process()
        self.assertEqual([s.state for s in self.shipments], ["in_transit", "picked_up", "delivered"])

    def test_failure_leaves_the_file_for_the_next_run(self):
        self.put("a.edi", fixture("214_single_4010.edi"))
        self.backend.integration_user_id.active = False  # e.g. a misconfigured user
        self.patch(type(self.env["logistics.inbox"]), "_receive_x12",
                   lambda *a, **k: (_ for _ in ()).throw(RuntimeError("database went away")))
        with self.assertLogs("odoo.addons.logistics_sync_x12_214.models.logistics_backend", "ERROR"):
            self.env["logistics.backend"]._cron_x12_pickup()
        self.commit()
        self.assertEqual(self.listing(), ["a.edi"])
        self.assertFalse(self.messages())

    def test_folder_confined_to_root(self):
        with self.assertRaisesRegex(ValidationError, "is not under"):
            self.backend.x12_folder = "/etc"
        link = os.path.join(self.root, "escape")
        os.symlink("/etc", link)
        with self.assertRaisesRegex(ValidationError, "is not under"):
            self.backend.x12_folder = link
        self.env["ir.config_parameter"].set_param(ROOT_PARAM, "")
        with self.assertRaisesRegex(ValidationError, "system parameter"):
            self.backend.x12_folder = self.folder

    def test_folder_is_for_admins(self):
        with self.assertRaises(AccessError):
            self.backend.with_user(self.manager).write({"x12_folder": self.folder})
        with self.assertRaises(AccessError):
            self.backend.with_user(self.manager).read(["x12_folder"])
        self.backend.with_user(self.admin).write({"x12_folder": os.path.join(self.root, "other")})
