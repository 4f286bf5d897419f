# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import base64
from pathlib import Path

from odoo import Command
from odoo.tests import new_test_user

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name):
    return (FIXTURES / name).read_bytes()


def b64(content):
    return base64.b64encode(content).decode()


class X12Mixin:
    @classmethod
    def _setup_x12(cls):
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.integration_user = new_test_user(
            cls.env, "x12-integration",
            groups="base.group_user,logistics_sync_connector.group_logistics_integration")
        cls.manager = new_test_user(cls.env, "x12-manager",
                                    groups="logistics_sync.group_logistics_manager")
        cls.admin = new_test_user(cls.env, "x12-admin", groups="logistics_sync.group_logistics_admin")
        cls.user = new_test_user(cls.env, "x12-user", groups="logistics_sync.group_logistics_user")
        cls.backend = cls.env["logistics.backend"].with_context(logistics_new_secret=False).create({
            "name": "Test X12 Carrier",
            "code": "test-x12",
            "backend_type": "carrier",
            "adapter": "x12_214",
            "integration_user_id": cls.integration_user.id,
            "shipment_scope": "company",
            "event_max_age_days": 0,  # the fixtures' dates are fixed
            "allowed_milestone_code_ids": [Command.set(
                cls.env["logistics.milestone.code"].search([]).ids)],
        })
        Shipment = cls.env["logistics.shipment"]
        cls.shipments = Shipment.create([{"name": f"SHP-000{n}"} for n in (1, 2, 3)])

    def messages(self):
        return self.env["logistics.sync.message"].search(
            [("backend_id", "=", self.backend.id)], order="id")

    def process(self):
        return self.backend.with_user(self.integration_user)._process_inbox()

    def ack_of(self, message):
        attachment = self.env["ir.attachment"].search([
            ("res_model", "=", "logistics.sync.message"), ("res_id", "=", message.id)])
        return base64.b64decode(attachment.datas).decode() if attachment else ""
