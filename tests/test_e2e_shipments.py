"""A real server over HTTP: the Logistics app serves shipments and applies milestones."""

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_server_serves_login_page(odoo_server):
    response = requests.get(f"{odoo_server.url}/web/login", timeout=30)
    assert response.status_code == 200
    assert "login" in response.text


def test_demo_shipments_and_manual_milestone(odoo_server):
    odoo_server.login()
    shipments = odoo_server.call(
        "logistics.shipment", "search_read", [["name", "=like", "DEMO-SHP-%"]],
        fields=["name", "state", "tracking_number"], order="name")
    states = {s["name"]: s["state"] for s in shipments}
    assert states["DEMO-SHP-0002"] == "in_transit"
    assert states["DEMO-SHP-0003"] == "delivered"
    shipment_id = next(s["id"] for s in shipments if s["name"] == "DEMO-SHP-0002")
    delivered = odoo_server.call("logistics.milestone.code", "search_read",
                                 [["code", "=", "delivered"]], fields=["id"])[0]["id"]
    wizard = odoo_server.call("logistics.milestone.add.wizard", "create", {
        "shipment_id": shipment_id, "code_id": delivered,
        "occurred_at": "2030-01-01 10:00:00", "pod_signed_by": "E2E Signer"})
    odoo_server.call("logistics.milestone.add.wizard", "action_apply", [wizard])
    after = odoo_server.call("logistics.shipment", "read", [shipment_id],
                             ["state", "pod_received", "pod_signed_by"])[0]
    assert after["state"] == "delivered"
    assert after["pod_received"] is True
    assert after["pod_signed_by"] == "E2E Signer"
