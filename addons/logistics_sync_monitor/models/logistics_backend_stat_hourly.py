# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.logistics_sync_connector.models.logistics_sync_message import STATES

RETENTION_DAYS = 90
REFRESH_HOURS = 2  # a message's state changes little after its first two hours
BACKFILL_DAYS = 7  # at the first run, or after the cron stood still: the default graph


def hour_of(when):
    return when.replace(minute=0, second=0, microsecond=0)


class LogisticsBackendStatHourly(models.Model):
    """Messages per backend, hour of reception, direction and state: the graph of the
    backend form. Written by the monitoring cron with one UPSERT of the last hours
    (states as of then); kept 90 days."""

    _name = "logistics.backend.stat.hourly"
    _description = "Backend Messages per Hour"
    _order = "hour desc, backend_id, direction, state"
    _check_company_auto = True

    backend_id = fields.Many2one(
        "logistics.backend", required=True, readonly=True, ondelete="cascade", check_company=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    hour = fields.Datetime(required=True, readonly=True, index=True, help="Start of the hour (UTC).")
    direction = fields.Selection([("in", "Inbound"), ("out", "Outbound")], required=True, readonly=True)
    state = fields.Selection(STATES, required=True, readonly=True)
    count = fields.Integer("Messages", readonly=True, aggregator="sum")
    last_received_at = fields.Datetime("Last Received", readonly=True, aggregator="max")

    _sql_constraints = [
        ("key_uniq", "unique(backend_id, hour, direction, state)",
         "One row per backend, hour, direction and state."),
    ]

    @api.model
    def _refresh(self, now):
        """UPSERT the counts of the hours since the last refreshed one (at least the last
        REFRESH_HOURS, at most BACKFILL_DAYS), delete the keys of those hours that no
        longer have messages (all moved to another state), and the rows past retention."""
        self.env["logistics.sync.message"].flush_model()
        self.flush_model()
        self.env.cr.execute("SELECT max(hour) FROM logistics_backend_stat_hourly WHERE hour <= %s", [now])
        last = self.env.cr.fetchone()[0]
        since = now - timedelta(hours=REFRESH_HOURS)
        since = hour_of(max(min(since, last) if last else now - timedelta(days=BACKFILL_DAYS),
                            now - timedelta(days=BACKFILL_DAYS)))
        # The DELETE does not see the rows the INSERT writes (one snapshot): it removes
        # exactly the keys of the window that the INSERT did not produce again.
        self.env.cr.execute(
            """WITH fresh AS (
                   INSERT INTO logistics_backend_stat_hourly AS s
                          (backend_id, company_id, hour, direction, state, count, last_received_at,
                           create_uid, create_date, write_uid, write_date)
                   SELECT backend_id, company_id, date_trunc('hour', received_at), direction, state,
                          count(*), max(received_at), %(uid)s, %(now)s, %(uid)s, %(now)s
                     FROM logistics_sync_message
                    WHERE received_at >= %(since)s AND received_at <= %(now)s
                    GROUP BY backend_id, company_id, date_trunc('hour', received_at), direction, state
                   ON CONFLICT (backend_id, hour, direction, state) DO UPDATE
                      SET count = EXCLUDED.count, last_received_at = EXCLUDED.last_received_at,
                          company_id = EXCLUDED.company_id, write_uid = EXCLUDED.write_uid,
                          write_date = EXCLUDED.write_date
                   RETURNING s.id)
               DELETE FROM logistics_backend_stat_hourly
                WHERE hour >= %(since)s AND hour <= %(now)s AND id NOT IN (SELECT id FROM fresh)""",
            {"uid": self.env.uid, "now": now, "since": since})
        self.env.cr.execute("DELETE FROM logistics_backend_stat_hourly WHERE hour < %s",
                            [now - timedelta(days=RETENTION_DAYS)])
        self.invalidate_model()
        return since
