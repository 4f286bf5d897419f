# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The rows of /logistics/metrics: two aggregate queries and a tiny one per scrape.

Plain SQL on the cursor: the endpoint authenticates with its own bearer token and reads
no record through the ORM, so it needs neither a user nor sudo(). The business gauges
read the reconciliation views and the shipments' Late rule where they are defined.
"""

from odoo import api, models
from odoo.addons.logistics_sync.lib.states import MESSAGE_PENDING
from odoo.tools import SQL

from ..lib import metrics as lib_metrics

TOKEN_PARAM = "logistics_sync_monitor.metrics_token"
# Audit reason of a request from outside the backend's IP allowlist (answered 403).
FORBIDDEN = "address_not_allowed"
# Outbound results: the states a delivery ends in, and retrying (pending after an attempt).
OUTBOUND_RESULTS = ("sent", "failed", "dead", "cancelled")


def _le_counts(prefix, expression, condition, bounds):
    """One cumulative bucket count per upper bound of ``expression`` where ``condition``,
    as columns <prefix>_le_<i>."""
    return SQL(", ").join(
        SQL("count(*) FILTER (WHERE %s AND %s <= %s) AS %s", condition, expression, float(bound),
            SQL.identifier(f"{prefix}_le_{i}"))
        for i, bound in enumerate(bounds))


class LogisticsMetrics(models.AbstractModel):
    _name = "logistics.metrics"
    _description = "Logistics Prometheus Metrics"

    @api.model
    def _token(self):
        """The configured bearer token, or None (read as SQL: no user runs the endpoint)."""
        self.env.cr.execute("SELECT value FROM ir_config_parameter WHERE key = %s", [TOKEN_PARAM])
        row = self.env.cr.fetchone()
        return (row[0] or "").strip() or None if row else None

    @api.model
    def _render(self):
        return lib_metrics.render(self._snapshot())

    @api.model
    def _snapshot(self):
        # Compiling these short aggregates would cost more than running them.
        self.env.cr.execute("SET LOCAL jit = off")
        backends = self._backend_rows()
        by_id = {b["id"]: b for b in backends}
        snapshot = {"backends": backends, "messages": [], "webhook_requests": [],
                    "outbound_deliveries": [], "business": self._business_rows()}
        for b in backends:
            snapshot["webhook_requests"] += [(b["code"], 401, b.pop("rejected")),
                                             (b["code"], 403, b.pop("forbidden")),
                                             (b["code"], 409, b.pop("conflicts"))]
        accepted, invalid, results = {}, {}, {}
        for row in self._message_rows():
            backend = by_id.get(row["backend_id"])
            if not backend:
                continue  # an archived backend
            code = backend["code"]
            snapshot["messages"].append((code, row["direction"], row["state"], row["total"]))
            self._add_window(backend, row)
            if row["direction"] == "in":
                accepted[code] = accepted.get(code, 0) + row["total"] - row["quarantined"]
                invalid[code] = invalid.get(code, 0) + row["quarantined"]
                if row["state"] == MESSAGE_PENDING:
                    backend["backlog"] = row["total"]
                    backend["oldest_pending_age"] = row["oldest_age"]
                backend["last_event_at"] = max(backend["last_event_at"] or 0, row["last_epoch"] or 0) or None
            else:
                result = row["state"] if row["state"] in OUTBOUND_RESULTS else (
                    "retrying" if row["state"] == MESSAGE_PENDING else None)
                if result:
                    key = (code, result)
                    results[key] = results.get(key, 0) + (
                        row["retrying"] if result == "retrying" else row["total"])
        for b in backends:
            code = b["code"]
            snapshot["webhook_requests"] += [(code, 202, accepted.get(code, 0)),
                                             (code, 400, invalid.get(code, 0))]
            for result in (*OUTBOUND_RESULTS, "retrying"):
                snapshot["outbound_deliveries"].append((code, result, results.get((code, result), 0)))
        return snapshot

    @staticmethod
    def _add_window(backend, row):
        for key, prefix in (("lag", "lag"), ("latency", "lat")):
            cumulative, count, total = backend[key]
            le = [row[f"{prefix}_le_{i}"] for i in range(len(cumulative))]
            backend[key] = ([a + b for a, b in zip(cumulative, le, strict=True)],
                            count + row[f"{prefix}_count"], total + (row[f"{prefix}_sum"] or 0.0))
        backend["sent_last_minute"] += row["sent_last_minute"]

    @api.model
    def _backend_rows(self):
        """Active backends with their circuit and webhook audit counts (the tiny query)."""
        self.env.cr.execute("""
            SELECT b.id, b.code, b.rate_limit, c.state AS circuit_state,
                   COALESCE(a.rejected, 0) AS rejected, COALESCE(a.forbidden, 0) AS forbidden,
                   COALESCE(a.conflicts, 0) AS conflicts
              FROM logistics_backend b
              LEFT JOIN logistics_backend_circuit c ON c.backend_id = b.id
              LEFT JOIN LATERAL (
                   SELECT count(*) FILTER (WHERE minute IS NULL AND reason NOT IN %(not_401)s)
                          + COALESCE(sum(dropped_count) FILTER (WHERE reason NOT IN %(not_401)s), 0)
                              AS rejected,
                          count(*) FILTER (WHERE minute IS NULL AND reason = %(forbidden)s)
                          + COALESCE(sum(dropped_count) FILTER (WHERE reason = %(forbidden)s), 0)
                              AS forbidden,
                          count(*) FILTER (WHERE reason = 'conflict') AS conflicts
                     FROM logistics_webhook_audit WHERE backend_id = b.id) a ON TRUE
             WHERE b.active
             ORDER BY b.code""", {"not_401": ("conflict", FORBIDDEN), "forbidden": FORBIDDEN})
        rows = self.env.cr.dictfetchall()
        for row in rows:
            row.update(backlog=0, oldest_pending_age=0.0, last_event_at=None, sent_last_minute=0,
                       lag=([0] * len(lib_metrics.LAG_BUCKETS), 0, 0.0),
                       latency=([0] * len(lib_metrics.LATENCY_BUCKETS), 0, 0.0))
        return rows

    @api.model
    def _message_rows(self):
        """One pass over the messages: counts per backend, direction and state, and the
        histograms of the recent window (messages received in it)."""
        now = SQL("(now() AT TIME ZONE 'utc')")
        recent = SQL("m.received_at >= %s - make_interval(secs => %s)", now, lib_metrics.WINDOW)
        lag = SQL("EXTRACT(EPOCH FROM m.processed_at - m.received_at)")
        applied = SQL("(m.direction = 'in' AND m.state <> 'pending' AND m.processed_at IS NOT NULL "
                      "AND %s)", recent)
        latency = SQL("(m.duration_ms / 1000.0)")
        attempted = SQL("(m.direction = 'out' AND m.duration_ms IS NOT NULL AND %s)", recent)
        self.env.cr.execute(SQL("""
            SELECT m.backend_id, m.direction, m.state, count(*) AS total,
                   count(*) FILTER (WHERE m.direction = 'in' AND m.state = 'invalid'
                                      AND m.processed_at IS NULL) AS quarantined,
                   count(*) FILTER (WHERE m.attempts > 0) AS retrying,
                   COALESCE(EXTRACT(EPOCH FROM %(now)s - min(m.received_at)), 0) AS oldest_age,
                   EXTRACT(EPOCH FROM max(m.received_at)) AS last_epoch,
                   count(*) FILTER (WHERE m.direction = 'out' AND %(recent)s
                                      AND m.processed_at > %(now)s - interval '60 seconds')
                       AS sent_last_minute,
                   %(lag_le)s, count(*) FILTER (WHERE %(applied)s) AS lag_count,
                   sum(%(lag)s) FILTER (WHERE %(applied)s) AS lag_sum,
                   %(lat_le)s, count(*) FILTER (WHERE %(attempted)s) AS lat_count,
                   sum(%(latency)s) FILTER (WHERE %(attempted)s) AS lat_sum
              FROM logistics_sync_message m
             GROUP BY m.backend_id, m.direction, m.state""",
            now=now, recent=recent, applied=applied, lag=lag, attempted=attempted,
            latency=latency,
            lag_le=_le_counts("lag", lag, applied, lib_metrics.LAG_BUCKETS),
            lat_le=_le_counts("lat", latency, attempted, lib_metrics.LATENCY_BUCKETS)))
        return self.env.cr.dictfetchall()

    @api.model
    def _business_rows(self):
        """The business gauges per company, from the reconciliation views and the
        shipments' Late rule (its search method, as the Late filter uses it)."""
        late = self.env["logistics.shipment"]._where_calc([("is_late", "=", True)])
        # Grouped by ids, named afterwards; the on-POD shipments are a hashed subquery
        # rather than a second join of every reported shipment.
        self.env.cr.execute(SQL("""
            WITH late AS (%(late)s),
            rows AS (
                SELECT 'uninvoiced' AS kind, u.company_id, u.currency_id, count(*) AS total,
                       sum(u.amount_at_stake) AS amount,
                       count(*) FILTER (WHERE NOT u.pod_received AND u.shipment_id IN (
                           SELECT id FROM logistics_shipment WHERE invoice_policy = 'on_pod'))
                           AS held
                  FROM logistics_reconcile_uninvoiced u
                 GROUP BY u.company_id, u.currency_id
                UNION ALL
                SELECT 'sla', st.company_id, NULL, count(*), NULL, NULL
                  FROM logistics_reconcile_stale st
                 WHERE st.past_sla AND st.issue != 'exception' GROUP BY st.company_id
                UNION ALL
                SELECT 'eta', late.company_id, NULL, count(*), NULL, NULL FROM late
                 GROUP BY late.company_id
                UNION ALL
                SELECT 'company', co.id, NULL, 0, NULL, 0 FROM res_company co WHERE co.active)
            SELECT r.kind, co.name AS company, cur.name AS currency, r.total, r.amount, r.held
              FROM rows r
              JOIN res_company co ON co.id = r.company_id
              LEFT JOIN res_currency cur ON cur.id = r.currency_id""",
            late=late.select(SQL.identifier("logistics_shipment", "company_id"))))
        business = {"uninvoiced": [], "uninvoiced_amount": [], "held": [], "late": []}
        uninvoiced, held, late_counts = {}, {}, {}
        for row in self.env.cr.dictfetchall():
            company = row["company"]
            if row["kind"] == "company":
                uninvoiced.setdefault(company, 0)
                held.setdefault(company, 0)
                late_counts.setdefault((company, "eta"), 0)
                late_counts.setdefault((company, "sla"), 0)
            elif row["kind"] == "uninvoiced":
                uninvoiced[company] = uninvoiced.get(company, 0) + row["total"]
                held[company] = held.get(company, 0) + row["held"]
                business["uninvoiced_amount"].append((company, row["currency"] or "", row["amount"] or 0.0))
            else:
                late_counts[company, row["kind"]] = row["total"]
        business["late"] = [(*key, count) for key, count in sorted(late_counts.items())]
        business["uninvoiced"] = sorted(uninvoiced.items())
        business["held"] = sorted(held.items())
        return business
