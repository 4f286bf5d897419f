# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""lib/metrics.py: the exposition of plain rows, no database (a plain ``BaseCase``)."""

import json
import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from odoo.tests import common

from ..lib import metrics


def backend(code, **values):
    row = {"code": code, "circuit_state": "closed", "rate_limit": 600, "sent_last_minute": 0,
           "last_event_at": None, "backlog": 0, "oldest_pending_age": 0.0,
           "lag": ([0] * len(metrics.LAG_BUCKETS), 0, 0.0),
           "latency": ([0] * len(metrics.LATENCY_BUCKETS), 0, 0.0)}
    row.update(values)
    return row


def parse(snapshot):
    body, content_type = metrics.render(snapshot)
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    return families, content_type


def samples(family, name=None, **labels):
    return {tuple(sorted(s.labels.items())): s.value for s in family.samples
            if (name is None or s.name == name)
            and all(s.labels.get(k) == v for k, v in labels.items())}


class TestMetricsLib(common.BaseCase):
    def test_counters_gauges_and_content_type(self):
        families, content_type = parse({
            "backends": [backend("tms", backlog=3, oldest_pending_age=42.5,
                                 last_event_at=1_790_000_000.0, circuit_state="open",
                                 rate_limit=10, sent_last_minute=10)],
            "messages": [("tms", "in", "pending", 3), ("tms", "in", "done", 7)],
            "webhook_requests": [("tms", 202, 10), ("tms", 401, 5)],
            "outbound_deliveries": [("tms", "sent", 4)],
        })
        self.assertTrue(content_type.startswith("text/plain; version=0.0.4"))
        requests = families["logistics_webhook_requests"]
        self.assertEqual(requests.type, "counter")
        self.assertEqual(samples(requests, status="401"),
                         {(("backend", "tms"), ("status", "401")): 5.0})
        self.assertEqual(samples(families["logistics_messages"], state="done"),
                         {(("backend", "tms"), ("direction", "in"), ("state", "done")): 7.0})
        self.assertEqual(families["logistics_inbox_backlog"].samples[0].value, 3)
        self.assertEqual(families["logistics_inbox_oldest_pending_age_seconds"].samples[0].value, 42.5)
        self.assertEqual(families["logistics_backend_last_event_timestamp_seconds"].samples[0].value,
                         1_790_000_000.0)
        self.assertEqual(samples(families["logistics_backend_circuit_state"]), {
            (("backend", "tms"), ("state", "closed")): 0.0,
            (("backend", "tms"), ("state", "open")): 1.0,
            (("backend", "tms"), ("state", "half_open")): 0.0})
        self.assertEqual(families["logistics_backend_rate_limited"].samples[0].value, 1.0)
        self.assertEqual(families["logistics_outbound_deliveries"].samples[0].value, 4.0)

    def test_histograms(self):
        lag = [0] * len(metrics.LAG_BUCKETS)
        lag[metrics.LAG_BUCKETS.index(1):] = [2] * (len(lag) - metrics.LAG_BUCKETS.index(1))
        families, _ct = parse({"backends": [backend("tms", lag=(lag, 3, 1.5 + 1000))]})
        family = families["logistics_inbound_lag_seconds"]
        self.assertEqual(family.type, "histogram")
        buckets = samples(family, "logistics_inbound_lag_seconds_bucket")
        self.assertEqual(buckets[(("backend", "tms"), ("le", "0.5"))], 0)
        self.assertEqual(buckets[(("backend", "tms"), ("le", "1.0"))], 2)
        self.assertEqual(buckets[(("backend", "tms"), ("le", "+Inf"))], 3)
        self.assertEqual(samples(family, "logistics_inbound_lag_seconds_count"),
                         {(("backend", "tms"),): 3})
        self.assertEqual(samples(family, "logistics_inbound_lag_seconds_sum"),
                         {(("backend", "tms"),): 1001.5})
        self.assertIn("logistics_outbound_delivery_duration_seconds", families)

    def test_business_gauges_and_no_rate_limit(self):
        families, _ct = parse({
            "backends": [backend("carrier-x", rate_limit=0, sent_last_minute=50)],
            "business": {"uninvoiced": [("ACME", 2)],
                         "uninvoiced_amount": [("ACME", "EUR", 150.25)],
                         "held": [("ACME", 1)], "late": [("ACME", "eta", 4), ("ACME", "sla", 0)]},
        })
        self.assertEqual(families["logistics_backend_rate_limited"].samples[0].value, 0.0,
                         "no limit: never waiting")
        self.assertEqual(samples(families["logistics_shipments_delivered_not_invoiced_amount"]),
                         {(("company", "ACME"), ("currency", "EUR")): 150.25})
        self.assertEqual(families["logistics_invoices_held_for_pod"].samples[0].value, 1)
        self.assertEqual(samples(families["logistics_shipments_late"], reason="eta"),
                         {(("company", "ACME"), ("reason", "eta")): 4})

    def test_a_fresh_registry_per_scrape(self):
        """Two renders do not accumulate (no process-global registry)."""
        snapshot = {"webhook_requests": [("tms", 202, 1)]}
        first, _ct = metrics.render(snapshot)
        second, _ct = metrics.render(snapshot)
        self.assertEqual(first, second)
        self.assertNotIn(b"python_gc", first, "no default process collectors")


class TestDashboard(common.BaseCase):
    def test_the_grafana_dashboard_uses_metrics_that_exist(self):
        """Every metric the shipped dashboard queries is in the exposition."""
        dashboard = Path(__file__).resolve().parents[3] / "deploy/grafana/logistics-sync-dashboard.json"
        used = set(re.findall(r"logistics_[a-z_]+", json.dumps(json.loads(dashboard.read_text()))))
        body, _ct = metrics.render({
            "backends": [backend("tms", last_event_at=1.0)],
            "messages": [("tms", "in", "pending", 1)], "webhook_requests": [("tms", 202, 1)],
            "outbound_deliveries": [("tms", "sent", 1)],
            "business": {"uninvoiced": [("A", 1)], "uninvoiced_amount": [("A", "EUR", 1.0)],
                         "held": [("A", 0)], "late": [("A", "eta", 0)]}})
        exposed = {s.name for f in text_string_to_metric_families(body.decode()) for s in f.samples}
        self.assertTrue(used)
        self.assertEqual(used - exposed, set())
