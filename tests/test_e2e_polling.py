"""Polling on a real server: the poll cron asks a local fake EasyPost (tests/fake_receiver.py)
about a silent shipment, the job runner applies the answer; an unchanged answer changes
nothing; a failing provider counts against the circuit breaker."""

import base64
import json
import subprocess
from pathlib import Path

import pytest

from .conftest import wait_until
from .fake_receiver import FakeReceiver

pytestmark = pytest.mark.e2e
FIXTURE = (Path(__file__).resolve().parent.parent / "addons" / "logistics_sync_easypost" / "tests"
           / "fixtures" / "easypost_tracker_retrieved.json")


def sql(server, query):
    """Time passing, on the server's database (a shipment cannot be made older over RPC)."""
    subprocess.run(["psql", "-d", server.db, "-qAtc", query], check=True, capture_output=True)


def test_the_poll_cron_asks_about_a_silent_shipment_and_applies_the_answer(odoo_server):
    s = odoo_server
    uid = s.login()["uid"]
    company_id = s.call("res.users", "read", [uid], ["company_id"])[0]["company_id"][0]
    cron = s.call("ir.model.data", "search_read", [["module", "=", "logistics_sync_connector"],
                                                   ["name", "=", "ir_cron_poll"]], fields=["res_id"])[0]["res_id"]
    # The cron's code, run now (not through the cron lock, which the cron worker may hold).
    action = s.call("ir.cron", "read", [cron], ["ir_actions_server_id"])[0]["ir_actions_server_id"][0]
    s.call("ir.cron", "write", [cron], {"active": False})  # only this test's runs ask
    try:
        _scenario(s, company_id, action)
    finally:
        s.call("ir.cron", "write", [cron], {"active": True})


def _scenario(s, company_id, action):
    tracker = json.loads(FIXTURE.read_text())
    open_tracker = dict(tracker, status="out_for_delivery", signed_by=None,
                        updated_at="2026-11-20T08:00:00Z",
                        tracking_details=[d for d in tracker["tracking_details"]
                                          if d["status"] != "delivered"])
    path = f"/v2/trackers/{tracker['id']}"
    with FakeReceiver() as receiver:
        receiver.answers[path] = open_tracker
        backend = s.call("logistics.backend", "create", {
            "name": "Fake EasyPost", "code": "e2e-easypost-poll", "backend_type": "carrier",
            "adapter": "easypost", "company_id": company_id, "may_assert_pod": True,
            "base_url": f"http://127.0.0.1:{receiver.port}/v2", "allow_private_network": True,
            "auth_type": "basic", "auth_username": "EZTK_e2e", "rate_limit": 0,
            "circuit_threshold": 2, "circuit_cooldown": 3600,
            "poll_enabled": True, "poll_silent_hours": 1, "poll_max_per_run": 5})
        shipment = s.call("logistics.shipment", "create", {
            "name": "E2E-POLL-1", "tracking_number": tracker["tracking_code"], "company_id": company_id})
        s.call("logistics.shipment.binding", "create", {
            "backend_id": backend, "shipment_id": shipment, "external_id": tracker["id"]})
        sql(s, f"UPDATE logistics_shipment SET create_date = create_date - interval '3 hours' WHERE id = {shipment}")

        def state():
            return s.call("logistics.shipment", "read", [shipment], ["state"])[0]["state"]

        def messages():
            return s.call("logistics.sync.message", "search_read", [["backend_id", "=", backend]],
                          fields=["state", "event_id"], order="id")

        # Silent for 3 hours: asked, answered, applied by the job runner.
        s.call("ir.actions.server", "run", [action])
        wait_until(lambda: state() == "out_for_delivery", timeout=60, message="the polled milestones applied")
        assert [(p, st) for p, st, _h in receiver.gets] == [(path, 200)]
        token = base64.b64encode(b"EZTK_e2e:").decode()
        assert receiver.gets[0][2]["Authorization"] == f"Basic {token}"
        assert [m["state"] for m in messages()] == ["done"]

        # Asked within the silent hours: not again.
        s.call("ir.actions.server", "run", [action])
        assert len(receiver.gets) == 1

        # Silent again: asked, and the unchanged answer is a duplicate (no new message).
        def later():
            sql(s, "UPDATE logistics_shipment_poll SET polled_at = polled_at - interval '2 hours'")
            sql(s, "UPDATE logistics_shipment_milestone SET received_at = received_at - interval '2 hours' "
                   f"WHERE shipment_id = {shipment}")

        later()
        s.call("ir.actions.server", "run", [action])
        assert len(receiver.gets) == 2
        assert len(messages()) == 1

        # The provider fails: the run stops at the first error and the circuit counts it.
        later()
        receiver.mode = "down"
        s.call("ir.actions.server", "run", [action])
        s.call("ir.actions.server", "run", [action])
        assert [st for _p, st, _h in receiver.gets[2:]] == [503, 503]
        circuit = s.call("logistics.backend", "read", [backend], ["circuit_state"])[0]["circuit_state"]
        assert circuit == "open"
        s.call("ir.actions.server", "run", [action])
        assert len(receiver.gets) == 4, "an open circuit asks nothing"

        # Back, with the delivery (the circuit closes after its cool-down; shortened here).
        receiver.mode = "ok"
        receiver.answers[path] = tracker
        sql(s, "UPDATE logistics_backend_circuit SET opened_at = opened_at - interval '2 hours'")
        s.call("ir.actions.server", "run", [action])
        wait_until(lambda: state() == "delivered", timeout=60, message="the delivery applied")
        assert [m["state"] for m in messages()] == ["done", "done"]
