"""Outbound delivery through an outage, against a real server and its job runner."""

import time
from collections import Counter

import pytest

from .fake_receiver import FakeReceiver
from .test_e2e_webhooks import wait_for

pytestmark = pytest.mark.e2e


def test_updates_queued_during_an_outage_are_delivered_once_and_in_order(odoo_server):
    s = odoo_server
    uid = s.login()["uid"]
    company_id = s.call("res.users", "read", [uid], ["company_id"])[0]["company_id"][0]
    with FakeReceiver() as receiver:
        receiver.mode = "down"
        backend = s.call("logistics.backend", "create", {
            "name": "Fake TMS", "code": "fake-tms", "backend_type": "tms", "company_id": company_id,
            "base_url": receiver.url, "allow_private_network": True, "retry_base_delay": 1,
            "retry_max_delay": 2, "max_attempts": 50, "circuit_threshold": 1000, "rate_limit": 0})
        flows = s.call("logistics.backend", "read", [backend], ["flow_ids"])[0]["flow_ids"]
        assert flows
        product = s.call("product.product", "create", {"name": "Outage Widget", "type": "consu"})
        partner = s.call("res.partner", "create", {"name": "Outage Customer"})
        pickings = []
        for _i in range(3):
            order = s.call("sale.order", "create", {"partner_id": partner, "order_line": [
                [0, 0, {"product_id": product, "product_uom_qty": 1}]]})
            s.call("sale.order", "action_confirm", [order])
            pickings += s.call("sale.order", "read", [order], ["picking_ids"])[0]["picking_ids"]
        for picking in pickings:  # ready (booking) then done (update): 2 messages per shipment
            moves = s.call("stock.picking", "read", [picking], ["move_ids"])[0]["move_ids"]
            s.call("stock.move", "write", moves, {"quantity": 1, "picked": True})
            s.call("stock.picking", "button_validate", [picking])
        messages = s.call("logistics.sync.message", "search_read",
                          [["backend_id", "=", backend], ["direction", "=", "out"]],
                          fields=["uuid", "ordering_key", "event_type"], order="id")
        assert len(messages) == 6
        wait_for(lambda: len(receiver.calls) >= 3, timeout=60)  # it tried during the outage
        receiver.mode = "throttle"
        time.sleep(3)
        receiver.mode = "reset"
        time.sleep(2)
        receiver.mode = "ok"

        def all_sent():
            states = [m["state"] for m in s.call("logistics.sync.message", "read",
                                                 [m["id"] for m in messages], ["state"])]
            return all(state == "sent" for state in states)

        wait_for(all_sent, timeout=120)
        delivered = receiver.delivered()
        keys = Counter(key for key, _body in delivered)
        assert set(keys) == {m["uuid"] for m in messages}
        assert all(count == 1 for count in keys.values()), keys
        assert len(receiver.calls) > len(messages), "the outage was real"
        by_key = {m["uuid"]: m for m in messages}
        seen = {}
        for key, body in delivered:
            shipment_key = by_key[key]["ordering_key"]
            seen.setdefault(shipment_key, []).append(body["type"])
        assert all(types == ["shipment.booking", "shipment.update"] for types in seen.values()), seen
