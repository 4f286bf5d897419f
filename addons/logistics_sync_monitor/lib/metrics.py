# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The Prometheus exposition of /logistics/metrics, from plain rows (no database here).

Every value comes from the database at scrape time (models/logistics_metrics.py), never
from a process's memory: counters survive restarts and agree across prefork workers. A
fresh registry per scrape holds one collector that turns the rows into metric families.
"""

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# The recent window of the histograms: messages received in the last WINDOW seconds.
WINDOW = 900
# Upper bounds (seconds) of the histogram buckets.
LAG_BUCKETS = (0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900)
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
CIRCUIT_STATES = ("closed", "open", "half_open")

HELP = {
    "webhook_requests": (
        "Webhook requests per backend and HTTP status, derived from stored rows: 202 = inbound "
        "messages stored (less the quarantined ones), 400 = authentic deliveries quarantined as "
        "invalid, 401 = rejected signatures or URL tokens (audit rows plus their not-recorded "
        "counts), 403 = source addresses outside the backend's IP allowlist (the same), 409 = "
        "distinct conflicting bodies under a known event id. 200 (duplicate), 404, 413 and 5xx "
        "leave no row and are not counted. Purged rows leave the count (a counter reset)."),
    "messages": "Sync messages per backend, direction and state.",
    "inbox_backlog": "Inbound messages waiting to be processed (state pending).",
    "inbox_oldest_pending_age_seconds": "Age of the oldest pending inbound message (0 when none).",
    "inbound_lag_seconds": (
        f"End-to-end lag (received -> applied) of inbound messages received in the last "
        f"{WINDOW} s and processed since."),
    "outbound_deliveries": (
        "Outbound messages per result of their delivery (sent, failed, dead, cancelled, retrying: "
        "pending after a failed attempt). A replay moves a message to another result."),
    "outbound_delivery_duration_seconds": (
        f"Duration of the last delivery attempt of outbound messages received in the last "
        f"{WINDOW} s."),
    "backend_circuit_state": "Circuit breaker of the backend: 1 for its current state.",
    "backend_rate_limit_per_minute": "Outbound rate limit of the backend (0: unlimited).",
    "outbound_sent_last_minute": (
        "Outbound deliveries in the last 60 s (among messages of the window): when it reaches "
        "the rate limit, deliveries wait."),
    "backend_rate_limited": "1 when outbound deliveries wait for the backend's rate limit now.",
    "backend_last_event_timestamp_seconds": "Time the backend's last inbound message was received.",
    "shipments_delivered_not_invoiced": (
        "Shipments delivered (or with POD) and not invoiced: the Delivered, not invoiced report."),
    "shipments_delivered_not_invoiced_amount": "Amount at stake of those shipments, per currency.",
    "invoices_held_for_pod": (
        "Shipments of 'on POD' orders in the Delivered, not invoiced report whose invoice waits "
        "for the proof of delivery."),
    "shipments_late": (
        "Shipments late: reason eta = the shipment list's Late filter (estimated, else planned, "
        "date passed and not finished); reason sla = the Stale report (no news past the "
        "carrier's SLA)."),
}


def _histogram(name, rows, bounds):
    """rows: (labels, cumulative counts per bound, count, sum)."""
    family = HistogramMetricFamily(f"logistics_{name}", HELP[name], labels=["backend"])
    for labels, cumulative, count, total in rows:
        buckets = [(_bound(b), c) for b, c in zip(bounds, cumulative, strict=True)]
        buckets.append(("+Inf", count))
        family.add_metric(labels, buckets, total)
    return family


def _bound(value):
    return repr(float(value))


class LogisticsCollector:
    """Metric families from a snapshot (the dict that logistics.metrics._snapshot returns):

    - backends: [{code, circuit_state, rate_limit, sent_last_minute, last_event_at (epoch
      seconds or None), backlog, oldest_pending_age, lag: (cumulative, count, sum),
      latency: (cumulative, count, sum)}]
    - messages: [(code, direction, state, count)]
    - webhook_requests: [(code, status, count)]
    - outbound_deliveries: [(code, result, count)]
    - business: {uninvoiced: [(company, count)], uninvoiced_amount: [(company, currency,
      amount)], held: [(company, count)], late: [(company, reason, count)]}
    """

    def __init__(self, snapshot):
        self.snapshot = snapshot

    def collect(self):
        snap = self.snapshot
        backends = snap.get("backends", [])
        requests = CounterMetricFamily("logistics_webhook_requests", HELP["webhook_requests"],
                                       labels=["backend", "status"])
        for code, status, count in snap.get("webhook_requests", []):
            requests.add_metric([code, str(status)], count)
        yield requests
        messages = GaugeMetricFamily("logistics_messages", HELP["messages"],
                                     labels=["backend", "direction", "state"])
        for code, direction, state, count in snap.get("messages", []):
            messages.add_metric([code, direction, state], count)
        yield messages
        deliveries = CounterMetricFamily("logistics_outbound_deliveries",
                                         HELP["outbound_deliveries"], labels=["backend", "result"])
        for code, result, count in snap.get("outbound_deliveries", []):
            deliveries.add_metric([code, result], count)
        yield deliveries
        yield from self._per_backend(backends)
        yield _histogram("inbound_lag_seconds",
                         [([b["code"]], *b["lag"]) for b in backends], LAG_BUCKETS)
        yield _histogram("outbound_delivery_duration_seconds",
                         [([b["code"]], *b["latency"]) for b in backends], LATENCY_BUCKETS)
        yield from self._business(snap.get("business", {}))

    def _per_backend(self, backends):
        def gauge(name, key, transform=lambda v: v):
            family = GaugeMetricFamily(f"logistics_{name}", HELP[name], labels=["backend"])
            for b in backends:
                if b.get(key) is not None:
                    family.add_metric([b["code"]], transform(b[key]))
            return family

        yield gauge("inbox_backlog", "backlog")
        yield gauge("inbox_oldest_pending_age_seconds", "oldest_pending_age")
        yield gauge("backend_rate_limit_per_minute", "rate_limit")
        yield gauge("outbound_sent_last_minute", "sent_last_minute")
        limited = GaugeMetricFamily("logistics_backend_rate_limited", HELP["backend_rate_limited"],
                                    labels=["backend"])
        circuit = GaugeMetricFamily("logistics_backend_circuit_state",
                                    HELP["backend_circuit_state"], labels=["backend", "state"])
        for b in backends:
            limit = b.get("rate_limit") or 0
            limited.add_metric([b["code"]], int(bool(limit) and b.get("sent_last_minute", 0) >= limit))
            for state in CIRCUIT_STATES:
                circuit.add_metric([b["code"], state], int((b.get("circuit_state") or "closed") == state))
        yield limited
        yield circuit
        yield gauge("backend_last_event_timestamp_seconds", "last_event_at")

    def _business(self, business):
        def family(name, labels, rows):
            metric = GaugeMetricFamily(f"logistics_{name}", HELP[name], labels=labels)
            for *values, number in rows:
                metric.add_metric([str(v) for v in values], number)
            return metric

        yield family("shipments_delivered_not_invoiced", ["company"], business.get("uninvoiced", []))
        yield family("shipments_delivered_not_invoiced_amount", ["company", "currency"],
                     business.get("uninvoiced_amount", []))
        yield family("invoices_held_for_pod", ["company"], business.get("held", []))
        yield family("shipments_late", ["company", "reason"], business.get("late", []))


def render(snapshot):
    """(body, content type) of the exposition of ``snapshot``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LogisticsCollector(snapshot))
    return generate_latest(registry), CONTENT_TYPE_LATEST
