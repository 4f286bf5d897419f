# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import hashlib
from datetime import timedelta

from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED

from odoo import api, fields, models, tools

from ..lib.events import storable_text

KEPT = ("user-agent", "webhook-id", "webhook-timestamp", "content-type", "x-forwarded-for")
HEADER_BYTES = 256  # of each header value kept
CAP_PARAM = "logistics_sync_connector.webhook_audit_per_minute"
DEFAULT_CAP = 60
# Counting rows (one per reason and source address) of a backend and minute: beyond this
# many, the other addresses are counted together under OTHER_ADDRESSES.
COUNTING_ROWS = 100
OTHER_ADDRESSES = "(other addresses)"
MINUTE = "date_trunc('minute', now() AT TIME ZONE 'UTC')"


def cut(value, size=HEADER_BYTES):
    """``value`` as PostgreSQL can store it (no NUL) and at most ``size`` UTF-8 bytes."""
    if not isinstance(value, str):
        return value
    value = value.replace("\x00", "\ufffd")
    data = value.encode("utf-8", errors="replace")
    return value if len(data) <= size else data[:size].decode("utf-8", errors="ignore")


class LogisticsWebhookAudit(models.Model):
    """Rejected webhooks (401, 403): one row each, at most N a minute per backend (setting
    *Rejected webhooks recorded per minute*); beyond that, counted per minute, reason and
    source address in one row each (``dropped_count``)."""

    _name = "logistics.webhook.audit"
    _inherit = ["logistics.company.guard"]
    _description = "Rejected Webhook"
    _order = "id desc"

    backend_id = fields.Many2one(
        "logistics.backend", index=True, ondelete="cascade", readonly=True, check_company=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    code = fields.Char("Requested Code", readonly=True)
    remote_addr = fields.Char("Remote Address", readonly=True)
    reason = fields.Char(readonly=True, index=True)
    detail = fields.Char(readonly=True)
    headers = fields.Text(readonly=True)
    # reason "conflict": an authentic delivery under the event id of this message, with
    # another body (kept here: the message keeps the first one)
    message_id = fields.Many2one(
        "logistics.sync.message", "Original Message", readonly=True, ondelete="set null",
        index="btree_not_null", check_company=True)
    payload = fields.Text(readonly=True)
    payload_hash = fields.Char(readonly=True)
    minute = fields.Datetime(
        readonly=True, help="Counting rows only: the minute (UTC) whose requests they count.")
    dropped_count = fields.Integer(
        "Not Recorded", readonly=True, default=0,
        help="Counting rows only: rejected requests of this minute, reason and source address "
        "that were counted here instead of being recorded one by one (over the cap per minute).")

    def init(self):
        # One counting row per (backend, minute, reason, address): the key of their UPSERT.
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS logistics_webhook_audit_counting_uniq
                   ON logistics_webhook_audit (backend_id, minute, reason, remote_addr)
                WHERE minute IS NOT NULL""")
        # The rows recorded (and counting rows opened) per backend and minute, shared by
        # every worker; UNLOGGED: a counter lost in a crash only lets one more minute's rows in.
        self.env.cr.execute(
            """CREATE UNLOGGED TABLE IF NOT EXISTS logistics_webhook_audit_minute (
                   backend_id integer NOT NULL REFERENCES logistics_backend(id) ON DELETE CASCADE,
                   minute timestamp NOT NULL,
                   recorded integer NOT NULL DEFAULT 0,
                   counting integer NOT NULL DEFAULT 0,
                   PRIMARY KEY (backend_id, minute))""")

    @api.model
    @tools.ormcache()
    def _audit_cap(self):
        self.env.cr.execute("SELECT value FROM ir_config_parameter WHERE key = %s", [CAP_PARAM])
        row = self.env.cr.fetchone()
        try:
            return max(0, int(row[0])) if row and row[0] else DEFAULT_CAP
        except ValueError:
            return DEFAULT_CAP

    @api.model
    def _record(self, config, code, remote_addr, reason, detail, headers):
        """Record a rejected webhook of a backend, within the cap.

        With SQL, in a transaction of its own at READ COMMITTED, committed at once: the
        counters are shared by every worker and updated by each rejected request; under
        the request's REPEATABLE READ snapshot, concurrent increments would fail with
        serialization errors (and Odoo would retry the requests). Written for the system,
        not as the integration user: a misconfigured user must not hide the attempts.
        """
        if not config:
            return  # never a row without a backend: it would be visible to every company
        values = {
            "backend": config["backend_id"], "company": config["company_id"], "uid": config["uid"],
            "code": cut(code), "addr": cut(remote_addr or "", 64), "reason": cut(reason, 64),
            "detail": cut(detail or "", 500),
            "headers": "\n".join(f"{k}: {cut(v)}" for k, v in headers.items() if k.lower() in KEPT),
            "cap": self._audit_cap(), "counting_rows": COUNTING_ROWS,
        }
        registry = self.env.registry
        with registry.cursor() as cr:
            if not registry.in_test_mode():  # a test cursor is a savepoint in the test's transaction
                cr.connection.set_isolation_level(ISOLATION_LEVEL_READ_COMMITTED)  # the next cursor resets it
            if not self._record_one(cr, values):
                self._count_one(cr, values)

    @api.model
    def _record_one(self, cr, values):
        """One row, when this minute's cap of the backend leaves room; returns whether."""
        if not values["cap"]:
            return False
        cr.execute(f"""SELECT recorded FROM logistics_webhook_audit_minute
                        WHERE backend_id = %(backend)s AND minute = {MINUTE}""", values)
        row = cr.fetchone()
        if row and row[0] >= values["cap"]:
            return False  # full: no lock taken on the counter
        # The counter row is locked from its increment to the commit: the cap holds
        # whatever the number of workers.
        cr.execute(f"""
            WITH slot AS (
                INSERT INTO logistics_webhook_audit_minute AS m (backend_id, minute, recorded)
                VALUES (%(backend)s, {MINUTE}, 1)
                ON CONFLICT (backend_id, minute) DO UPDATE SET recorded = m.recorded + 1
                 WHERE m.recorded < %(cap)s
                RETURNING 1)
            INSERT INTO logistics_webhook_audit
                   (backend_id, company_id, code, remote_addr, reason, detail, headers,
                    dropped_count, create_uid, write_uid, create_date, write_date)
            SELECT %(backend)s, %(company)s, %(code)s, %(addr)s, %(reason)s, %(detail)s,
                   %(headers)s, 0, %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC',
                   now() AT TIME ZONE 'UTC'
              FROM slot
            RETURNING id""", values)
        return bool(cr.fetchone())

    @api.model
    def _count_one(self, cr, values):
        """Over the cap: one more in this minute's counting row of its reason and address."""
        cr.execute(f"""UPDATE logistics_webhook_audit
                          SET dropped_count = dropped_count + 1, write_date = now() AT TIME ZONE 'UTC'
                        WHERE backend_id = %(backend)s AND minute = {MINUTE}
                          AND reason = %(reason)s AND remote_addr = %(addr)s""", values)
        if cr.rowcount:
            return
        # A new counting row: within COUNTING_ROWS for this backend and minute, or the
        # row of the other addresses (many addresses must not bring the flood back).
        cr.execute(f"""
            INSERT INTO logistics_webhook_audit_minute AS m (backend_id, minute, counting)
            VALUES (%(backend)s, {MINUTE}, 1)
            ON CONFLICT (backend_id, minute) DO UPDATE SET counting = m.counting + 1
             WHERE m.counting < %(counting_rows)s
            RETURNING 1""", values)
        addr = values["addr"] if cr.fetchone() else OTHER_ADDRESSES
        cr.execute(f"""
            INSERT INTO logistics_webhook_audit AS a
                   (backend_id, company_id, code, remote_addr, reason, minute,
                    dropped_count, create_uid, write_uid, create_date, write_date)
            VALUES (%(backend)s, %(company)s, %(code)s, %(other)s, %(reason)s,
                    {MINUTE}, 1, %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
            ON CONFLICT (backend_id, minute, reason, remote_addr) WHERE minute IS NOT NULL
            DO UPDATE SET dropped_count = a.dropped_count + 1, write_date = EXCLUDED.write_date""",
            dict(values, other=addr))  # narrow: it is rewritten by every request counted

    @api.model
    def _record_conflict(self, config, code, remote_addr, message_id, body, headers):
        """Keep the body of a delivery whose event id is stored with another body, once
        per (message, body): a sender that retries a 409 adds no row."""
        payload_hash = hashlib.sha256(body).hexdigest()
        # The integration user may create audit rows, not read them: an existence check.
        self.env.cr.execute(
            "SELECT 1 FROM logistics_webhook_audit WHERE message_id = %s AND payload_hash = %s",
            [message_id, payload_hash])
        if self.env.cr.fetchone():
            return
        self.create({
            "backend_id": config["backend_id"],
            "code": code,
            "remote_addr": remote_addr,
            "reason": "conflict",
            "detail": self.env._("Event id already received (message %s) with another body.",
                                 message_id),
            "headers": "\n".join(f"{k}: {cut(v)}" for k, v in headers.items() if k.lower() in KEPT),
            "message_id": message_id,
            "payload": storable_text(body),
            "payload_hash": payload_hash,
        })

    @api.model
    def _cron_purge(self, days=90):
        self.search([("create_date", "<", fields.Datetime.now() - timedelta(days=days))]).unlink()
        self.env.cr.execute(
            "DELETE FROM logistics_webhook_audit_minute WHERE minute < (now() AT TIME ZONE 'UTC') - interval '1 day'")
