# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json
from datetime import datetime
from pathlib import Path

from odoo import Command
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import BaseCase, tagged

from ..lib import ownership
from .common import WebhookCase, new_carrier

SAMPLE = json.loads((Path(__file__).parent / "fixtures" / "events" / "shipment.updated.1.json").read_text())


def update(event_id, occurred_at="2026-11-19T09:00:00Z", **groups):
    event = dict(SAMPLE, id=event_id, occurred_at=occurred_at, shipment={"reference": "TEST-SHP-1"})
    event.update(groups)
    return event


@tagged("post_install", "-at_install")
class TestShipmentUpdated(WebhookCase):
    """shipment.updated through the real webhook: carrier by cross-reference, tracking,
    dates, packages; out-of-order updates; fields Odoo owns left as they are."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dhl = new_carrier(cls.env, "DHL Express")
        cls.env["logistics.backend.xref"].create({
            "backend_id": cls.backend.id, "kind": "carrier", "external_code": "DHL",
            "carrier_id": cls.dhl.id})

    def post(self, event):
        response = self.post_signed(event)
        self.assertEqual(response.status_code, 202, response.text)
        self.process()
        return self.messages()[-1]

    def test_an_update_sets_carrier_tracking_dates_and_packages(self):
        message = self.post(update("u1"))
        self.assertEqual(message.state, "done", message.error)
        s = self.shipment
        self.assertEqual((s.carrier_id, s.carrier_service, s.tracking_number, s.tracking_url),
                         (self.dhl, "EXPRESS_WORLDWIDE", "1Z999", "https://track.example.com/1Z999"))
        self.assertEqual((s.date_promised, s.date_estimated, s.date_pickup_planned),
                         (datetime(2026, 11, 21, 18), datetime(2026, 11, 22, 11), datetime(2026, 11, 19, 15)))
        self.assertTrue(s.late_against_promise, "ETA 22 Nov after the promised 21 Nov")
        self.assertEqual(s.package_ids.mapped("reference"), ["PKG-1"])
        self.assertEqual((s.package_ids.weight, s.package_ids.size_length, s.package_ids.dimension_uom),
                         (12.5, 60, "cm"))
        self.assertEqual(message.shipment_ids, s)
        # A newer update: only what it gives changes; packages are replaced.
        self.post(update("u2", "2026-11-20T09:00:00Z", carrier=None, tracking=None,
                         dates={"estimated_delivery": "2026-11-21T10:00:00Z"},
                         packages=[{"reference": "PKG-2"}, {"reference": "PKG-3"}]))
        self.assertEqual((s.carrier_id, s.tracking_number, s.date_promised),
                         (self.dhl, "1Z999", datetime(2026, 11, 21, 18)))
        self.assertEqual(s.date_estimated, datetime(2026, 11, 21, 10))
        self.assertFalse(s.late_against_promise)
        self.assertEqual(s.package_ids.mapped("reference"), ["PKG-2", "PKG-3"])
        # An older one arriving late changes nothing, and says so.
        message = self.post(update("u0", "2026-11-18T09:00:00Z"))
        self.assertEqual(message.state, "done")
        self.assertIn("u0: older than the last update applied", message.result)
        self.assertEqual(s.date_estimated, datetime(2026, 11, 21, 10))
        # The Late filter uses the ETA.
        self.assertEqual(s._late_deadline(), datetime(2026, 11, 21, 10))

    def test_the_same_update_again_changes_nothing(self):
        self.post(update("u1"))
        packages = self.shipment.package_ids
        # The same event under a new webhook id (a replay, a resend): nothing is rewritten.
        message = self.post(update("u1"))
        self.assertEqual(message.state, "done", message.error)
        self.assertEqual(self.shipment.package_ids, packages, "the packages are not recreated")
        self.post(update("u2", "2026-11-20T09:00:00Z", packages=[{"reference": "PKG-1", "weight": {
            "value": 13, "unit": "kg"}}]))
        self.assertNotEqual(self.shipment.package_ids, packages, "changed packages are replaced")
        self.assertEqual(self.shipment.package_ids.weight, 13)

    def test_an_unknown_carrier_code_is_noted_and_the_rest_applied(self):
        message = self.post(update("u1", carrier={"code": "UPS", "name": "UPS"}))
        self.assertEqual(message.state, "done")
        self.assertIn("carrier 'UPS' has no cross-reference", message.result)
        self.assertFalse(self.shipment.carrier_id)
        self.assertEqual(self.shipment.tracking_number, "1Z999")

    def test_an_unknown_shipment_is_unmatched_and_replayable(self):
        message = self.post(dict(update("u1"), shipment={"reference": "NOPE"}))
        self.assertEqual(message.state, "unmatched")
        self.assertIn("NOPE", message.error)

    def test_groups_odoo_owns_are_not_applied_and_noted(self):
        flow = self.env["logistics.backend.flow"]._inbound_of(self.backend)
        self.assertEqual((flow.owner_transport, flow.owner_dates), ("external", "external"),
                         "by default what comes in is applied")
        flow.owner_dates = "odoo"
        message = self.post(update("u1"))
        self.assertEqual(message.state, "done")
        self.assertIn("u1: not applied, owned by Odoo: Dates and ETA.", message.result)
        self.assertFalse(self.shipment.date_estimated)
        self.assertEqual(self.shipment.tracking_number, "1Z999")
        flow.owner_transport = "odoo"
        # Nothing of it may be applied: kept, skipped, until the owner changes.
        message = self.post(update("u2", "2026-11-20T09:00:00Z", tracking={"number": "NEW"}))
        self.assertEqual(message.state, "skipped")
        self.assertIn("u2: not applied, owned by Odoo: Carrier and tracking, Dates and ETA. "
                      "Change the owner", message.error)
        self.assertEqual(self.shipment.tracking_number, "1Z999")
        self.assertEqual(self.shipment.package_ids.mapped("reference"), ["PKG-1"])
        flow.owner_transport = "external"
        message.action_replay()
        self.process()
        self.assertEqual(message.state, "done", message.error)
        self.assertIn("u2: not applied, owned by Odoo: Dates and ETA.", message.result)
        self.assertEqual(self.shipment.tracking_number, "NEW")
        self.assertFalse(self.shipment.date_estimated)

    def test_outbound_does_not_send_the_groups_the_receiver_owns(self):
        flow = self.backend.flow_ids.filtered(lambda f: f.flow == "outbound_shipment")  # a TMS has one
        self.assertEqual((flow.owner_transport, flow.owner_dates, flow.owner_shipped), ("odoo",) * 3,
                         "by default everything is sent")
        data = {"shipment": {"reference": "S1", "carrier": "DHL", "tracking_number": "1Z"},
                "scheduled_date": "x", "lines": [{"sku": "A", "quantity": 1}]}
        Outbox = self.env["logistics.outbox"]
        with trap_jobs():
            sent = Outbox._create(self.backend, "outbound_shipment", "shipment.update", "k1", data)
            flow.write({"owner_transport": "external", "owner_shipped": "external"})
            stripped = Outbox._create(self.backend, "outbound_shipment", "shipment.update", "k2", data)
        self.assertEqual(json.loads(sent.payload)["data"], data)
        self.assertEqual(json.loads(stripped.payload)["data"],
                         {"shipment": {"reference": "S1"}, "scheduled_date": "x"})


    def test_the_outbound_paths_name_what_the_payload_builders_send(self):
        """lib/ownership.py's OUTBOUND_PATHS against the real payloads: a renamed key
        would otherwise be sent whoever owns it."""
        product = self.env["product.product"].create({"name": "Crate", "type": "consu"})
        order = self.env["sale.order"].create({
            "partner_id": self.env["res.partner"].create({"name": "Paths Customer"}).id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 2})]})
        order.action_confirm()
        picking = order.picking_ids
        built = {"shipment.booking": picking._logistics_shipment_data("ready"),
                 "shipment.update": picking._logistics_shipment_data("done"),
                 "fulfillment.request": order._logistics_fulfillment_data()}
        for event_type, groups in ownership.OUTBOUND_PATHS.items():
            for path in (p for paths in groups.values() for p in paths):
                node = built[event_type]
                for key in path.split("."):
                    with self.subTest(event_type=event_type, path=path):
                        self.assertIn(key, node)
                    node = node.get(key) or {}

class TestOwnershipLib(BaseCase):
    def test_outbound_data_drops_the_groups_the_receiver_owns(self):
        data = {"stage": "done", "shipment": {"reference": "S1", "carrier": "DHL", "tracking_number": "1Z"},
                "scheduled_date": "x", "date_done": "y", "lines": [1], "weight": 2}
        self.assertIs(ownership.outbound_data("shipment.update", data, set()), data)
        out = ownership.outbound_data("shipment.update", data, {ownership.TRANSPORT, ownership.SHIPPED})
        self.assertEqual(out, {"stage": "done", "shipment": {"reference": "S1"},
                               "scheduled_date": "x", "date_done": "y"})
        self.assertIn("carrier", data["shipment"], "the caller's data is left alone")
        self.assertEqual(ownership.outbound_data("fulfillment.request", {"carrier": "D", "commitment_date": 1,
                                                                         "lines": []}, {ownership.DATES}),
                         {"carrier": "D", "lines": []})

    def test_inbound_values_leave_out_the_groups_odoo_owns(self):
        T, D, S = ownership.TRANSPORT, ownership.DATES, ownership.SHIPPED
        update = {"tracking_number": "1Z", "date_estimated": "x"}
        self.assertEqual(ownership.inbound_values("shipment.updated", update, set()), (update, set()))
        self.assertEqual(ownership.inbound_values("shipment.updated", update, {D, S}),
                         ({"tracking_number": "1Z"}, {D}), "only groups the event gives are reported")
        self.assertEqual(ownership.inbound_values("shipment.updated", update, {T, D}), (None, {T, D}))
        shipped = {"lines": [{"sku": "A", "quantity": 1}], "tracking_number": "1Z"}
        self.assertEqual(ownership.inbound_values("fulfillment.shipped", shipped, {T}),
                         ({"lines": shipped["lines"]}, {T}))
        self.assertEqual(ownership.inbound_values("fulfillment.shipped", shipped, {S}), (None, {S}),
                         "without its lines a shipped event means nothing")
        self.assertEqual(ownership.labels({S, T}), "Carrier and tracking, Shipped quantities and lots")
