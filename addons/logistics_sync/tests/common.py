# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase

T0 = datetime(2026, 11, 20, 8, 0, 0)


def at(hours):
    """Event time T0 + hours."""
    return T0 + timedelta(hours=hours)


class LogisticsCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.partner = cls.env["res.partner"].create({"name": "Test Customer"})
        cls.Shipment = cls.env["logistics.shipment"]
        cls.user = new_test_user(
            cls.env, "logistics_user", groups="logistics_sync.group_logistics_user"
        )
        cls.manager = new_test_user(
            cls.env, "logistics_manager", groups="logistics_sync.group_logistics_manager"
        )

    def new_shipment(self, **vals):
        return self.Shipment.create(dict({"partner_id": self.partner.id}, **vals))

    def apply(self, shipment, *events, source="test"):
        """apply(shipment, ("picked_up", 1), ("delivered", 5, {"pod_signed_by": "X"}))"""
        values = []
        for event in events:
            code, hours, *extra = event
            vals = {"shipment_id": shipment.id, "code": code, "occurred_at": at(hours),
                    "source": source}
            if extra:
                vals.update(extra[0])
            values.append(vals)
        return shipment._apply_milestones(values)
