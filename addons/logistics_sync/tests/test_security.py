# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import LogisticsCase, at


@tagged("post_install", "-at_install")
class TestSecurity(LogisticsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.company
        cls.company_b = cls.env["res.company"].create({"name": "Company B Logistics"})
        cls.user_a = new_test_user(
            cls.env, "user_company_a", groups="logistics_sync.group_logistics_user",
            company_id=cls.company_a.id, company_ids=[cls.company_a.id],
        )
        cls.user_b = new_test_user(
            cls.env, "user_company_b", groups="logistics_sync.group_logistics_user",
            company_id=cls.company_b.id, company_ids=[cls.company_b.id],
        )
        cls.shipment_a = cls.env["logistics.shipment"].create({"company_id": cls.company_a.id})
        cls.shipment_b = cls.env["logistics.shipment"].create({"company_id": cls.company_b.id})
        for shipment in cls.shipment_a | cls.shipment_b:
            shipment._apply_milestones([{"shipment_id": shipment.id, "code": "in_transit",
                                         "occurred_at": at(1)}])

    def test_user_of_company_a_cannot_see_company_b(self):
        Shipment = self.env["logistics.shipment"].with_user(self.user_a)
        visible = Shipment.search([("id", "in", (self.shipment_a | self.shipment_b).ids)])
        self.assertEqual(visible, self.shipment_a)
        with self.assertRaises(AccessError):
            self.shipment_b.with_user(self.user_a).read(["name"])
        Milestone = self.env["logistics.shipment.milestone"].with_user(self.user_a)
        self.assertEqual(
            Milestone.search([("shipment_id", "in", (self.shipment_a | self.shipment_b).ids)]),
            self.shipment_a.milestone_ids,
        )
        with self.assertRaises(AccessError):
            self.shipment_b.with_user(self.user_a)._apply_milestones(
                [{"shipment_id": self.shipment_b.id, "code": "delivered", "occurred_at": at(2)}]
            )
        self.assertEqual(self.shipment_b.state, "in_transit")
        # and the other way round
        self.assertEqual(
            self.env["logistics.shipment"].with_user(self.user_b).search(
                [("id", "in", (self.shipment_a | self.shipment_b).ids)]),
            self.shipment_b,
        )

    def test_user_rights(self):
        shipment = self.shipment_a.with_user(self.user_a)
        shipment._apply_milestones([{"shipment_id": shipment.id, "code": "delivered",
                                     "occurred_at": at(3)}])
        self.assertEqual(shipment.state, "delivered")
        with self.assertRaises(AccessError):
            shipment.unlink()
        with self.assertRaises(AccessError):
            shipment.milestone_ids.unlink()
        code = self.env.ref("logistics_sync.milestone_code_exception").with_user(self.user_a)
        self.assertTrue(code.name)  # readable
        with self.assertRaises(AccessError):
            code.description = "changed"
        with self.assertRaises(AccessError):
            self.env["logistics.milestone.reason"].with_user(self.user_a).create(
                {"code_id": code.id, "code": "x", "name": "X"})

    def test_manager_and_admin_rights(self):
        admin = new_test_user(self.env, "logistics_admin", groups="logistics_sync.group_logistics_admin")
        self.env["logistics.milestone.reason"].with_user(admin).create(
            {"code_id": self.env.ref("logistics_sync.milestone_code_exception").id,
             "code": "strike", "name": "Strike"})
        self.assertTrue(admin.has_group("logistics_sync.group_logistics_manager"))
        self.assertTrue(admin.has_group("logistics_sync.group_logistics_user"))
        # Milestones are facts: a manager voids them (Correct), never deletes them.
        with self.assertRaises(AccessError):
            self.shipment_a.with_user(self.manager).milestone_ids.unlink()

    def test_no_access_without_logistics_group(self):
        outsider = new_test_user(self.env, "outsider", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.env["logistics.shipment"].with_user(outsider).search([])
