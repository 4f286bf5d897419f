# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""GET /logistics/metrics over real HTTP: the token, and values that match the data."""

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from odoo import fields
from odoo.addons.logistics_sync_connector.tests.common import WebhookCase

from ..models.logistics_metrics import TOKEN_PARAM

URL = "/logistics/metrics"
TOKEN = "s3cret-metrics-token"


class TestMetricsEndpoint(WebhookCase):
    def get(self, token=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.url_open(URL, headers=headers, timeout=30)

    def scrape(self):
        response = self.get(TOKEN)
        self.assertEqual(response.status_code, 200, response.text)
        values = {}
        for family in text_string_to_metric_families(response.text):
            for s in family.samples:
                values[s.name, tuple(sorted(s.labels.items()))] = s.value
        return response, values

    def set_token(self, token=TOKEN):
        self.env["ir.config_parameter"].sudo().set_param(TOKEN_PARAM, token)

    def message(self, **values):
        return self.env["logistics.sync.message"].create({
            "backend_id": self.backend.id, "company_id": self.backend.company_id.id,
            "direction": "in", "event_id": f"evt-{self.env['logistics.sync.message'].search_count([])}",
            **values})

    def test_no_token_configured_is_404(self):
        response = self.get(TOKEN)
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        self.assertNotIn("logistics_", response.text)

    def test_missing_or_wrong_token_is_401(self):
        self.set_token()
        for token in (None, "wrong", TOKEN + "x"):
            response = self.get(token)
            self.assertEqual(response.status_code, 401, token)
            self.assertTrue(response.headers["WWW-Authenticate"].startswith("Bearer"))
            self.assertNotIn("logistics_", response.text)
        response = self.url_open(URL, headers={"Authorization": f"Basic {TOKEN}"}, timeout=30)
        self.assertEqual(response.status_code, 401, "only the Bearer scheme")

    def test_values_match_the_data(self):
        self.set_token()
        label = (("backend", "test-tms"),)
        # The endpoint's now() is the transaction's start, which can be seconds before
        # this test on a loaded machine: ages are measured from the same instant.
        self.env.cr.execute("SELECT now() AT TIME ZONE 'UTC'")
        now = self.env.cr.fetchone()[0]
        self.message(state="pending", received_at=now - timedelta(seconds=120))
        self.message(state="done", received_at=now - timedelta(seconds=10),
                     processed_at=now - timedelta(seconds=7))
        self.message(state="invalid", error="malformed")  # quarantined: answered 400
        self.message(direction="out", state="sent", duration_ms=300, processed_at=now)
        Audit = self.env["logistics.webhook.audit"]
        Audit.create({"backend_id": self.backend.id, "reason": "no_valid_signature"})
        Audit.create({"backend_id": self.backend.id, "reason": "no_valid_signature",
                      "minute": now, "remote_addr": "10.0.0.1", "dropped_count": 4})
        Audit.create({"backend_id": self.backend.id, "reason": "conflict"})
        Audit.create({"backend_id": self.backend.id, "reason": "address_not_allowed",
                      "minute": now, "remote_addr": "10.0.0.2", "dropped_count": 2})
        self.env["logistics.backend.circuit"].create({"backend_id": self.backend.id, "state": "open"})
        self.env.flush_all()

        response, values = self.scrape()
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        self.assertTrue(response.headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        self.assertEqual(values["logistics_inbox_backlog", label], 1)
        self.assertGreaterEqual(values["logistics_inbox_oldest_pending_age_seconds", label], 119)
        status = lambda code: values["logistics_webhook_requests_total", label + (("status", code),)]  # noqa: E731
        self.assertEqual(status("401"), 5, "one recorded row and four counted")
        self.assertEqual(status("409"), 1)
        self.assertEqual(status("403"), 2, "outside the IP allowlist")
        self.assertEqual(status("400"), 1)
        self.assertEqual(status("202"), 2)
        self.assertEqual(values["logistics_messages", (("backend", "test-tms"), ("direction", "in"),
                                                       ("state", "pending"))], 1)
        self.assertEqual(values["logistics_backend_circuit_state", label + (("state", "open"),)], 1)
        self.assertEqual(values["logistics_outbound_deliveries_total", label + (("result", "sent"),)], 1)
        lag = "logistics_inbound_lag_seconds"
        self.assertEqual(values[f"{lag}_count", label], 1)
        self.assertEqual(values[f"{lag}_bucket", label + (("le", "2.0"),)], 0)
        self.assertEqual(values[f"{lag}_bucket", label + (("le", "5.0"),)], 1)
        self.assertAlmostEqual(values[f"{lag}_sum", label], 3.0, delta=0.01)
        latency = "logistics_outbound_delivery_duration_seconds"
        self.assertEqual(values[f"{latency}_bucket", label + (("le", "0.25"),)], 0)
        self.assertEqual(values[f"{latency}_bucket", label + (("le", "0.5"),)], 1)
        self.assertGreater(values["logistics_backend_last_event_timestamp_seconds", label], 0)

    def test_business_gauges(self):
        """Late = the shipments' Late filter; the report gauges per company are there."""
        self.set_token()
        company = (("company", self.env.company.name),)
        before = self.scrape()[1]
        late_before = before["logistics_shipments_late", company + (("reason", "eta"),)]
        self.shipment.write({"date_planned": fields.Datetime.now() - timedelta(days=1)})
        self.env.flush_all()
        values = self.scrape()[1]
        self.assertEqual(values["logistics_shipments_late", company + (("reason", "eta"),)],
                         late_before + 1)
        self.assertEqual(
            values["logistics_shipments_late", company + (("reason", "eta"),)],
            self.env["logistics.shipment"].search_count(
                [("is_late", "=", True), ("company_id", "=", self.env.company.id)]))
        self.assertIn(("logistics_shipments_delivered_not_invoiced", company), values)
        self.assertIn(("logistics_invoices_held_for_pod", company), values)

    def test_sla_gauge_counts_silent_shipments_that_are_also_late(self):
        """reason sla: no news past the SLA, whether or not the Stale report lists the
        shipment as late (its issue takes precedence there)."""
        self.set_token()
        company = (("company", self.env.company.name),)
        before = self.scrape()[1]
        shipment = self.env["logistics.shipment"].create(
            {"date_planned": fields.Datetime.now() - timedelta(days=1)})
        shipment._apply_milestones([{"shipment_id": shipment.id, "code": "in_transit",
                                     "occurred_at": fields.Datetime.now() - timedelta(days=3)}])
        self.env.flush_all()
        values = self.scrape()[1]
        for reason in ("sla", "eta"):
            key = ("logistics_shipments_late", company + (("reason", reason),))
            self.assertEqual(values[key], before[key] + 1, reason)
