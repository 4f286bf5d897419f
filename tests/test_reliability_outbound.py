"""Outbound delivery through an outage, against a real server and its job runner."""

import json
import os
from collections import Counter

import pytest

from .conftest import live_jobs, start_server, stop_server, wait_until
from .fake_receiver import FakeReceiver

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
        wait_until(lambda: len(receiver.calls) >= 3, timeout=60,  # it tried during the outage
                   message="3 attempts while the receiver is down")

        def answered(status, count):
            """Until the receiver gave ``count`` more answers ``status`` (0: reset)."""
            with receiver.lock:
                before = sum(1 for _key, st, _body in receiver.calls if st == status)

            def enough():
                with receiver.lock:
                    return sum(1 for _key, st, _body in receiver.calls if st == status) - before >= count

            return enough

        receiver.mode = "throttle"
        wait_until(answered(429, 2), timeout=60, message="2 attempts throttled (429)")
        receiver.mode = "reset"
        wait_until(answered(0, 2), timeout=60, message="2 attempts reset")
        receiver.mode = "ok"

        def all_sent():
            states = [m["state"] for m in s.call("logistics.sync.message", "read",
                                                 [m["id"] for m in messages], ["state"])]
            return all(state == "sent" for state in states)

        wait_until(all_sent, timeout=120, message="the 6 messages sent")
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


def test_a_receiver_slower_than_the_timeout_gets_the_same_key_until_it_answers_in_time(odoo_server):
    """The receiver answers after the backend's read timeout: the attempt counts as a
    transient failure, is retried with the same Idempotency-Key and body, and the
    message ends sent once the receiver is fast again (it processed every copy: with
    the key it applies the event once)."""
    s = odoo_server
    uid = s.login()["uid"]
    company_id = s.call("res.users", "read", [uid], ["company_id"])[0]["company_id"][0]
    others = s.call("logistics.backend.flow", "search", [
        ["flow", "=", "outbound_shipment"], ["enabled", "=", True], ["backend_id.company_id", "=", company_id]])
    s.call("logistics.backend.flow", "write", others, {"enabled": False})  # only our backend gets the booking
    try:
        with FakeReceiver() as receiver:
            receiver.delay = 2.5
            backend = s.call("logistics.backend", "create", {
                "name": "Slow TMS", "code": "slow-tms", "backend_type": "tms", "company_id": company_id,
                "base_url": receiver.url, "allow_private_network": True, "timeout_connect": 1,
                "timeout_read": 1, "retry_base_delay": 1, "retry_max_delay": 2, "max_attempts": 50,
                "circuit_threshold": 1000, "rate_limit": 0})
            product = s.call("product.product", "create", {"name": "Slow Widget", "type": "consu"})
            partner = s.call("res.partner", "create", {"name": "Slow Customer"})
            order = s.call("sale.order", "create", {"partner_id": partner, "order_line": [
                [0, 0, {"product_id": product, "product_uom_qty": 1}]]})
            s.call("sale.order", "action_confirm", [order])
            (message,) = s.call("logistics.sync.message", "search_read",
                                [["backend_id", "=", backend], ["direction", "=", "out"]],
                                fields=["uuid", "event_type"])
            assert message["event_type"] == "shipment.booking"

            def read():
                return s.call("logistics.sync.message", "read", [message["id"]],
                              ["state", "attempts", "error", "http_status"])[0]

            timed_out = wait_until(lambda: (lambda m: m["attempts"] >= 2 and "timeout" in (m["error"] or "") and m)(
                read()), timeout=60, message="2 attempts timed out")
            assert timed_out["state"] == "pending", timed_out
            receiver.delay = 0
            sent = wait_until(lambda: (lambda m: m["state"] == "sent" and m)(read()), timeout=60,
                              message="the message sent")

            # The slow attempts' requests are still being answered (the receiver records
            # a request once it answered it): until every attempt made is recorded, and
            # no delivery job of the message is left that could make another one.
            def settled():
                with receiver.lock:
                    recorded = len(receiver.calls)
                return recorded >= sent["attempts"] and not live_jobs(
                    s, [["identity_key", "=like", f"logistics-send-{message['id']}-%"]])

            wait_until(settled, timeout=30, message=f"{sent['attempts']} attempts recorded by the receiver")
            calls = list(receiver.calls)
        assert sent["http_status"] == 200 and not sent["error"], sent
        assert len(calls) >= 3, "two timed-out attempts, then one in time"
        assert {key for key, _status, _body in calls} == {message["uuid"]}, "one Idempotency-Key throughout"
        assert len({body for _key, _status, body in calls}) == 1, "the same body every time"
        assert sent["attempts"] == len(calls), (sent, len(calls))
        assert len({key for key, status, _body in calls if status == 200}) == 1, "applied once by key"
        assert s.call("logistics.sync.message", "read", [message["id"]], ["state"])[0]["state"] == "sent"
    finally:
        s.call("logistics.backend.flow", "write", others, {"enabled": True})


@pytest.fixture(scope="module")
def concurrent_outbound_server():
    """A server whose outbound channel runs 4 jobs at once (the default configuration: 1)."""
    previous = os.environ.get("ODOO_QUEUE_JOB_CHANNELS")
    os.environ["ODOO_QUEUE_JOB_CHANNELS"] = (
        "root:6,root.logistics:6,root.logistics.inbound:2,root.logistics.outbound:4")
    try:
        server = start_server("outbound4")
    finally:
        if previous is None:
            os.environ.pop("ODOO_QUEUE_JOB_CHANNELS")
        else:
            os.environ["ODOO_QUEUE_JOB_CHANNELS"] = previous
    yield server
    stop_server(server)


def test_concurrent_deliveries_through_an_outage_are_delivered_once(concurrent_outbound_server):
    """Four delivery jobs of one backend at once while its receiver is down, the circuit
    opens, then the receiver comes back: every message is sent, each key gets one 2xx,
    no job fails. Found by bench/bench_outbound.py: concurrent jobs created the circuit
    row twice (unique violation: job failed, message pending for good) or updated it at
    once (serialization failure: job retried, message delivered twice)."""
    s = concurrent_outbound_server
    uid = s.login()["uid"]
    company_id = s.call("res.users", "read", [uid], ["company_id"])[0]["company_id"][0]
    with FakeReceiver() as receiver:
        receiver.mode = "down"
        backend = s.call("logistics.backend", "create", {
            "name": "Busy TMS", "code": "busy-tms", "backend_type": "tms", "company_id": company_id,
            "base_url": receiver.url, "allow_private_network": True, "retry_base_delay": 1,
            "retry_max_delay": 2, "max_attempts": 100, "circuit_threshold": 3, "circuit_cooldown": 2,
            "rate_limit": 0})
        ids = s.call("logistics.sync.message", "create", [
            {"backend_id": backend, "company_id": company_id, "direction": "out", "flow": "outbound_shipment",
             "event_type": "shipment.update", "event_id": f"busy:{i}", "payload": json.dumps({"n": i})}
            for i in range(40)])
        s.call("logistics.sync.message", "action_replay", ids)  # queues one delivery job each
        wait_until(lambda: s.call("logistics.backend", "read", [backend], ["circuit_state"])[0]["circuit_state"]
                   == "open" and len(receiver.calls) >= 10, timeout=60, message="the circuit open after 10 attempts")
        receiver.mode = "ok"

        def states():
            return Counter(m["state"] for m in s.call("logistics.sync.message", "read", ids, ["state"]))

        wait_until(lambda: states() == {"sent": len(ids)}, timeout=120, message=f"the {len(ids)} messages sent")
        uuids = {m["uuid"] for m in s.call("logistics.sync.message", "read", ids, ["uuid"])}
        delivered = Counter(key for key, _body in receiver.delivered())
        refused = sum(1 for _key, status, _body in receiver.calls if status == 503)
    assert set(delivered) == uuids
    assert all(count == 1 for count in delivered.values()), delivered.most_common(3)
    assert refused >= 10, "the outage was real"
    failed = s.call("queue.job", "search_read", [["state", "=", "failed"]], fields=["name", "exc_info"])
    assert not failed, failed[0]["exc_info"][-1500:]
