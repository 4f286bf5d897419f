import json
import logging
import re
import uuid
from datetime import datetime, timedelta

import psycopg2.errors

from odoo import _, api, fields, models, tools
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.exceptions import UserError, ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..lib import adapters, outbound

_logger = logging.getLogger(__name__)

BACKEND_TYPES = [
    ("tms", "TMS"),
    ("wms", "WMS"),
    ("carrier", "Carrier tracking"),
    ("finance", "Finance"),
    ("generic", "Generic"),
]
AUTH_TYPES = [
    ("none", "None"),
    ("api_key", "API key header"),
    ("bearer", "Bearer token"),
    ("basic", "Basic authentication"),
]
FLOWS = [
    ("inbound_milestones", "Inbound: shipment milestones (webhooks)"),
    ("outbound_fulfillment", "Outbound: fulfillment request on sale confirmation"),
    ("outbound_shipment", "Outbound: shipment booking / update on delivery ready or done"),
    ("outbound_finance", "Outbound: posted invoices and freight charges"),
]
# queue_job channels (data/queue_job_data.xml); capacities in the [queue_job] config.
# Each backend's jobs run in a sub-channel named after its code (_job_channel).
INBOUND_CHANNEL = "root.logistics.inbound"
OUTBOUND_CHANNEL = "root.logistics.outbound"
INBOX_LOCK = 0x4C53  # advisory lock namespace: (INBOX_LOCK, backend id) while its inbox is processed
CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{1,62}$"
CODE_RE = re.compile(r"[a-z0-9][a-z0-9_-]{1,62}")  # fullmatch: "$" would accept a final newline


def _hurry_inbox_job(registry, identity_key, eta=None):
    """Make a postponed inbox job due now, or by ``eta`` at the latest (queue_job's own
    row; its trigger notifies the job runner). Best effort: if the job changes
    meanwhile, it keeps its eta."""
    try:
        with registry.cursor() as cr:
            cr.execute(
                """UPDATE queue_job SET eta = CASE WHEN %s::timestamp IS NULL THEN NULL
                                                  ELSE LEAST(eta, %s::timestamp) END
                    WHERE identity_key = %s AND state = 'pending' AND eta IS NOT NULL
                      AND (%s::timestamp IS NULL OR eta > %s::timestamp)""",
                [eta, eta, identity_key, eta, eta],
            )
    except psycopg2.Error as exc:
        _logger.info("inbox job %s not hurried: %s", identity_key, exc)


class LogisticsBackend(models.Model):
    _name = "logistics.backend"
    _description = "Logistics Backend"
    _inherit = ["mail.thread"]
    _order = "name"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(
        required=True,
        tracking=True,
        help="URL slug of the webhook endpoint: /logistics/webhook/<code>.",
    )
    backend_type = fields.Selection(BACKEND_TYPES, "Type", required=True, default="generic")
    adapter = fields.Selection(
        adapters.selection(), required=True, default="generic",
        help="The payload format and signature scheme this system speaks.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True, tracking=True)
    paused = fields.Boolean(
        tracking=True,
        help="Paused backends answer webhooks with 503 (the sender retries later) "
        "and send nothing; queued messages wait.",
    )
    inbound_channel = fields.Char(
        "Inbound Job Channel", compute="_compute_job_channels",
        help="queue_job channel of this backend's inbox jobs. Give it a capacity of its own "
        "in the [queue_job] channels configuration (e.g. root.logistics.inbound.<code>:1); "
        "unlisted, it shares root.logistics.inbound with the other backends.",
    )
    outbound_channel = fields.Char(
        "Outbound Job Channel", compute="_compute_job_channels",
        help="queue_job channel of this backend's deliveries; unlisted in the [queue_job] "
        "channels configuration, it shares root.logistics.outbound with the other backends.",
    )
    track_state_changes = fields.Boolean(
        "Log State Changes in Chatter",
        help="Post the shipment state changes that this backend's events cause in the "
        "shipment chatter (one tracking message per shipment and batch: about 2 ms each, "
        "a third of the processing time of a large batch). Off by default: the milestone "
        "timeline of the shipment already records every event with its source.",
    )
    # Outbound
    base_url = fields.Char("Outbound Base URL", tracking=True)
    auth_type = fields.Selection(AUTH_TYPES, "Authentication", default="none", required=True)
    api_key_header = fields.Char("API Key Header", default="X-API-Key")
    auth_username = fields.Char("Username", groups="logistics_sync.group_logistics_admin")
    auth_secret = fields.Char(
        "API Key / Token / Password",
        groups="logistics_sync.group_logistics_admin",
        copy=False,
    )
    timeout_connect = fields.Float("Connect Timeout (s)", default=5.0)
    timeout_read = fields.Float("Read Timeout (s)", default=30.0)
    allow_private_network = fields.Boolean(
        "Allow private addresses",
        groups="logistics_sync.group_logistics_admin",
        help="Outbound URLs resolving to loopback, private or link-local addresses are "
        "refused unless this is set (SSRF guard).",
    )
    rate_limit = fields.Integer(
        "Rate Limit (requests/min)", default=600, help="0 means unlimited."
    )
    max_attempts = fields.Integer(
        "Max Attempts", default=8, help="Delivery attempts before a message is dead."
    )
    retry_base_delay = fields.Integer("Retry Base Delay (s)", default=10)
    retry_max_delay = fields.Integer("Retry Max Delay (s)", default=3600)
    circuit_threshold = fields.Integer(
        "Circuit Threshold", default=5,
        help="Consecutive failed deliveries that open the circuit.",
    )
    circuit_cooldown = fields.Integer(
        "Circuit Cool-down (s)", default=60,
        help="How long an open circuit postpones deliveries before one probe is tried.",
    )
    circuit_id = fields.Many2one("logistics.backend.circuit", compute="_compute_circuit_id")
    circuit_state = fields.Selection(
        [("closed", "Closed"), ("open", "Open"), ("half_open", "Half-open")],
        compute="_compute_circuit_id",
    )
    circuit_failures = fields.Integer(compute="_compute_circuit_id")
    circuit_opened_at = fields.Datetime(compute="_compute_circuit_id")
    # Inbound
    secret_ids = fields.One2many(
        "logistics.backend.secret", "backend_id", "Webhook Secrets",
        groups="logistics_sync.group_logistics_admin",
    )
    integration_user_id = fields.Many2one(
        "res.users",
        "Integration User",
        required=True,
        default=lambda self: self.env.ref(
            "logistics_sync_connector.user_logistics_integration", raise_if_not_found=False),
        tracking=True,
        help="Inbound events are processed as this user: its access rights and record "
        "rules apply. Give it the Logistics User group and this backend's company.",
    )
    webhook_url = fields.Char(compute="_compute_webhook_url")
    flow_ids = fields.One2many("logistics.backend.flow", "backend_id", "Flows", copy=True)
    status_map_ids = fields.One2many(
        "logistics.backend.status.map", "backend_id", "Status Map", copy=True
    )
    binding_ids = fields.One2many("logistics.shipment.binding", "backend_id", "Bindings")
    # Counters
    message_in_count = fields.Integer("Received", compute="_compute_counters")
    message_done_count = fields.Integer("Processed", compute="_compute_counters")
    message_failed_count = fields.Integer("Failed", compute="_compute_counters")
    message_dead_count = fields.Integer("Dead", compute="_compute_counters")
    message_attention_count = fields.Integer("Need Attention", compute="_compute_counters")
    message_out_count = fields.Integer("Sent", compute="_compute_counters")
    last_event_at = fields.Datetime("Last Event", compute="_compute_counters")
    lag_seconds = fields.Float(
        "Lag (s)", compute="_compute_counters",
        help="Age of the oldest inbound message still waiting to be processed.",
    )

    _sql_constraints = [
        ("code_uniq", "unique(code)", "The backend code must be unique."),
    ]

    @api.constrains("code")
    def _check_code(self):
        for rec in self:
            if not CODE_RE.fullmatch(rec.code or ""):
                raise ValidationError(
                    _("The code must be a URL slug: lowercase letters, digits, - and _.")
                )

    def _compute_circuit_id(self):
        circuits = self.env["logistics.backend.circuit"].search([("backend_id", "in", self.ids)])
        by_backend = {c.backend_id.id: c for c in circuits}
        for rec in self:
            rec.circuit_id = by_backend.get(rec.id, False)
            rec.circuit_state = rec.circuit_id.state or "closed"
            rec.circuit_failures = rec.circuit_id.failures
            rec.circuit_opened_at = rec.circuit_id.opened_at

    def _circuit(self):
        """The backend's circuit record (operational state, writable by its jobs)."""
        self.ensure_one()
        Circuit = self.env["logistics.backend.circuit"]
        return Circuit.search([("backend_id", "=", self.id)], limit=1) or Circuit.create(
            {"backend_id": self.id})

    @api.depends("code")
    def _compute_job_channels(self):
        for rec in self:
            rec.inbound_channel = rec.code and rec._job_channel("in")
            rec.outbound_channel = rec.code and rec._job_channel("out")

    def _job_channel(self, direction):
        """The queue_job channel of this backend's jobs of ``direction`` ("in"/"out"):
        ``root.logistics.inbound.<code>`` or ``root.logistics.outbound.<code>``.

        The runner takes capacities from the [queue_job] channels configuration, and runs
        a job of a channel it does not list in the closest listed parent (queue_job's
        parent fallback). So by default all backends share root.logistics.inbound and
        root.logistics.outbound; listing ``root.logistics.inbound.<code>:1`` gives a
        backend a slot of its own, so that busy backends do not wait for each other.
        """
        self.ensure_one()
        return f"{INBOUND_CHANNEL if direction == 'in' else OUTBOUND_CHANNEL}.{self.code}"

    def _ensure_job_channels(self):
        """A queue.job.channel record for each channel of these backends.

        queue_job's autovacuum deletes done jobs channel record by channel record (by
        complete name): without one, the jobs of a backend channel would be kept
        forever. Channels are queue_job's technical records, writable by queue_job
        managers only; the admin who creates a backend gets its channels, hence sudo().
        """
        Channel = self.env["queue.job.channel"].sudo()
        parents = {d: Channel.search([("complete_name", "=", name)], limit=1)
                   for d, name in (("in", INBOUND_CHANNEL), ("out", OUTBOUND_CHANNEL))}
        wanted = {rec._job_channel(d): (parents[d], rec.code)
                  for rec in self.filtered("code") for d in ("in", "out") if parents[d]}
        existing = set(Channel.search([("complete_name", "in", list(wanted))]).mapped("complete_name"))
        Channel.create([{"name": code, "parent_id": parent.id}
                        for name, (parent, code) in wanted.items() if name not in existing])

    @api.model
    def _ensure_all_job_channels(self):
        """At install and upgrade (data/queue_job_data.xml): channels of existing backends."""
        self.with_context(active_test=False).search([])._ensure_job_channels()

    @api.depends("code")
    def _compute_webhook_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for rec in self:
            rec.webhook_url = f"{base}/logistics/webhook/{rec.code}" if rec.code else False

    def _compute_counters(self):
        Message = self.env["logistics.sync.message"]
        stats = {rec.id: {} for rec in self}
        for backend, direction, state, count in Message._read_group(
            [("backend_id", "in", self.ids)], ["backend_id", "direction", "state"], ["__count"]
        ):
            stats[backend.id][(direction, state)] = count
        last = dict(
            Message._read_group(
                [("backend_id", "in", self.ids), ("direction", "=", "in")],
                ["backend_id"], ["received_at:max"],
            )
        )
        oldest = dict(
            Message._read_group(
                [("backend_id", "in", self.ids), ("direction", "=", "in"),
                 ("state", "=", "pending")],
                ["backend_id"], ["received_at:min"],
            )
        )
        now = fields.Datetime.now()
        for rec in self:
            s = stats[rec.id]
            rec.message_in_count = sum(v for (d, _s), v in s.items() if d == "in")
            rec.message_done_count = s.get(("in", "done"), 0)
            rec.message_failed_count = sum(
                v for (_d, st), v in s.items() if st in ("failed", "invalid")
            )
            rec.message_dead_count = sum(v for (_d, st), v in s.items() if st == "dead")
            rec.message_attention_count = sum(
                v for (_d, st), v in s.items()
                if st in ("failed", "invalid", "dead", "unmapped", "unmatched")
            )
            rec.message_out_count = s.get(("out", "sent"), 0)
            rec.last_event_at = last.get(rec)
            rec.lag_seconds = (now - oldest[rec]).total_seconds() if oldest.get(rec) else 0.0

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        for rec in records:
            if not rec.sudo().secret_ids and rec.env.context.get("logistics_new_secret", True):
                rec._create_secret()
            if not rec.flow_ids:
                rec._create_default_flows()
            if not rec.status_map_ids:
                rec._load_default_status_map()
        records._ensure_job_channels()
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        res = super().write(vals)
        if "code" in vals:
            self._ensure_job_channels()
        self.env.registry.clear_cache()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()
        return res

    def _create_secret(self, value=None, expires_at=False):
        self.ensure_one()
        return self.env["logistics.backend.secret"].sudo().create({
            "backend_id": self.id,
            "secret": value or self._adapter().new_secret(),
            "expires_at": expires_at,
        })

    def _create_default_flows(self):
        self.ensure_one()
        defaults = self._adapter().default_flows(self.backend_type)
        self.env["logistics.backend.flow"].create(
            [dict(values, backend_id=self.id) for values in defaults]
        )

    def _load_default_status_map(self):
        """Seed the editable status map with the adapter's documented codes."""
        self.ensure_one()
        codes = self.env["logistics.milestone.code"]._code_map()
        existing = set(self.status_map_ids.mapped("external_code"))
        values = []
        for external, (canonical, reason) in self._adapter().default_status_map().items():
            if external in existing or canonical not in codes:
                continue
            code = codes[canonical]
            reason_rec = code.reason_ids.filtered(lambda r, reason=reason: r.code == reason)[:1]
            values.append({
                "backend_id": self.id, "external_code": external,
                "milestone_code_id": code.id, "reason_id": reason_rec.id,
            })
        self.env["logistics.backend.status.map"].create(values)

    # ------------------------------------------------------------------ adapters
    def _adapter(self):
        self.ensure_one()
        return adapters.get(self.adapter)

    def _flow(self, flow):
        """The enabled flow record of this kind, or an empty recordset."""
        self.ensure_one()
        return self.flow_ids.filtered(lambda f: f.flow == flow and f.enabled)[:1]

    @api.model
    def _backends_for_flow(self, flow, company):
        return self.search([
            ("company_id", "=", company.id),
            ("flow_ids.flow", "=", flow),
            ("flow_ids.enabled", "=", True),
        ]).filtered(lambda b: b._flow(flow))

    # ------------------------------------------------------------------ webhook config
    @api.model
    @tools.ormcache("code")
    def _webhook_config(self, code):
        """What the webhook controller needs before any ORM work, cached per worker.

        Read with SQL: the caller is not authenticated yet (auth='none'), so there
        is no user whose rights could apply; the result is cleared whenever a
        backend or secret changes. Secrets are returned with their expiry and
        checked for it on every request.
        """
        self.env.cr.execute(
            """SELECT id, adapter, paused, integration_user_id, company_id
                 FROM logistics_backend WHERE code = %s AND active""",
            [code],
        )
        row = self.env.cr.fetchone()
        if not row:
            return None
        backend_id, adapter, paused, uid, company_id = row
        self.env.cr.execute(
            """SELECT secret, expires_at FROM logistics_backend_secret
                WHERE backend_id = %s AND active ORDER BY id DESC""",
            [backend_id],
        )
        secrets = tuple(self.env.cr.fetchall())
        return {
            "backend_id": backend_id, "adapter": adapter, "paused": bool(paused),
            "uid": uid, "company_id": company_id, "secrets": secrets,
        }

    @api.model
    @tools.ormcache()
    def _webhook_max_body(self):
        self.env.cr.execute(
            "SELECT value FROM ir_config_parameter WHERE key = %s",
            ["logistics_sync_connector.webhook_max_body"],
        )
        row = self.env.cr.fetchone()
        return int(row[0]) if row and row[0] else 262144

    @api.model
    def _active_secrets(self, config, now=None):
        now = now or fields.Datetime.now()
        return [s for s, expires in config["secrets"] if not expires or expires > now]

    # ------------------------------------------------------------------ buttons
    def action_pause(self):
        self.write({"paused": True})

    def action_resume(self):
        self.write({"paused": False})
        for backend in self:
            backend._enqueue_inbox()
            backend.env["logistics.sync.message"]._enqueue_outbound_for(backend)
        self._enqueue_inbox_after_commit()

    def _enqueue_inbox_after_commit(self):
        """Check again, after this transaction commits and on a fresh snapshot, that an
        inbox job waits for each of these backends.

        For a resume: an inbox job dispatched while it ran can read the backend as
        paused from a snapshot taken before the resume committed, and end without
        processing or chaining, while the resume saw that job as still waiting and
        added none. The inbox then waited for the next webhook or the safety-net cron
        (5 minutes); the bench's drain, which pauses a backend while its server starts,
        hung on it. After the commit, that job is seen as started or done."""
        registry, uid, context, ids = self.env.registry, self.env.uid, self.env.context, self.ids

        def enqueue():
            with registry.cursor() as cr:
                env = api.Environment(cr, uid, context)
                for backend in env["logistics.backend"].browse(ids).exists():
                    if backend.active and not backend.paused:
                        backend._enqueue_inbox()

        self.env.cr.postcommit.add(enqueue)

    def action_show_webhook_url(self):
        self.ensure_one()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Webhook URL of %s", self.name),
                "message": self.webhook_url,
                "sticky": True,
                "type": "info",
            },
        }

    def action_rotate_secret(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "logistics.secret.rotate.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_backend_id": self.id},
        }

    def _rotate_secret(self, grace_hours=24):
        """New secret now; the previous ones stay valid for ``grace_hours``."""
        self.ensure_one()
        if not self.env.user.has_group("logistics_sync.group_logistics_admin"):
            raise UserError(_("Only Logistics Administrators can rotate secrets."))
        expiry = fields.Datetime.now() + timedelta(hours=grace_hours)
        for secret in self.sudo().secret_ids.filtered(
            lambda s: s.active and (not s.expires_at or s.expires_at > expiry)
        ):
            secret.expires_at = expiry
        new = self._create_secret()
        self.message_post(
            body=_("Webhook secret rotated; previous secrets expire on %s (UTC).", expiry)
        )
        return new

    def action_test_connection(self):
        self.ensure_one()
        result = self._adapter().test_connection(self._outbound_settings())
        if result.outcome != "ok":
            raise UserError(
                _("Connection to %(url)s failed: %(reason)s", url=self.base_url,
                  reason=result.reason or result.status_code)
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("Connection OK (HTTP %s).", result.status_code),
            },
        }

    def _outbound_settings(self):
        """Everything the HTTP client needs, secrets included (never job arguments)."""
        self.ensure_one()
        backend = self.sudo()
        signing = backend.secret_ids.filtered(
            lambda s: s.active and (not s.expires_at or s.expires_at > fields.Datetime.now())
        )[:1]
        return adapters.OutboundSettings(
            base_url=backend.base_url or "",
            auth_type=backend.auth_type,
            api_key_header=backend.api_key_header,
            username=backend.auth_username,
            secret=backend.auth_secret,
            signing_secret=signing.secret if signing else None,
            timeout=(backend.timeout_connect or 5.0, backend.timeout_read or 30.0),
            allow_private=backend.allow_private_network,
        )

    def action_view_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync_connector.logistics_sync_message_action"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        action["context"] = {"search_default_filter_attention": 0}
        return action

    def action_load_default_map(self):
        for backend in self:
            backend._load_default_status_map()

    # ------------------------------------------------------------------ inbox
    def _enqueue_inbox(self, eta=None):
        """Make sure one processing job is waiting for this backend's inbox.

        Called by every accepted webhook: with no job of the backend waiting, it makes
        one, due at once when none runs either (the first event after a quiet spell is
        processed straight away), else due after the *linger* (system parameter
        ``logistics_sync_connector.inbox_linger_ms``, 250 by default; 0 turns it off):
        events that arrive while the inbox is being processed gather for the next job
        instead of each starting a job of a few events. At 100 webhooks/s that was 10
        jobs a second of ~9 events each, about 70 ms of CPU apiece (queue_job's
        bookkeeping and ours), on a 2-core machine that also serves the webhooks.
        """
        self.ensure_one()
        identity_key = f"logistics-inbox-{self.id}"
        if not eta:
            # Every accepted webhook comes here, and a job nearly always waits already:
            # the lookup with_delay() makes for its identity key, without building a job
            # first (that was a quarter of a one-event webhook request, py-spy).
            self.env["queue.job"].flush_model(["identity_key", "state"])
            self.env.cr.execute(
                """SELECT bool_or(state <> 'started'), bool_or(state = 'started') FROM queue_job
                    WHERE identity_key = %s
                      AND state IN ('wait_dependencies', 'pending', 'enqueued', 'started')""",
                [identity_key],
            )
            waiting, running = self.env.cr.fetchone()
            if waiting:
                return
            if running:
                eta = self._inbox_linger() or None
        self._delay_inbox(eta)

    def _delay_inbox(self, eta):
        """The inbox job itself (``eta``: a datetime, or seconds from now)."""
        if isinstance(eta, float | int):
            eta = timedelta(seconds=eta)  # queue_job takes whole seconds only as a number
        self.with_delay(
            channel=self._job_channel("in"),
            identity_key=f"logistics-inbox-{self.id}",
            description=f"Process inbound messages of {self.code}",
            eta=eta,
            max_retries=0,
        )._process_inbox()

    def _chain_inbox(self, backlog):
        """The job that ends after a non-empty batch chains the next one: due at once
        with a ``backlog`` (due messages it did not claim), else after the linger. It
        runs on a fresh snapshot, so messages committed meanwhile never wait.

        After this job's commit, a waiting job's eta is brought forward to that: one
        enqueued while the inbox lock was taken was postponed by a second. In a
        transaction of its own: the waiting job's row is written by the runner and by
        that job itself while this one runs, and from this job's (older) snapshot the
        UPDATE would fail on a serialization error and take the whole batch with it.
        """
        self.ensure_one()
        identity_key = f"logistics-inbox-{self.id}"
        linger = 0 if backlog else self._inbox_linger()
        self._delay_inbox(linger or None)
        registry = self.env.registry
        due = datetime.now() + timedelta(seconds=linger) if linger else None
        self.env.cr.postcommit.add(lambda: _hurry_inbox_job(registry, identity_key, due))

    def _inbox_linger(self):
        """Seconds the next inbox job waits for more events when the inbox is caught up."""
        value = self.env["ir.config_parameter"].sudo().get_param(
            "logistics_sync_connector.inbox_linger_ms", "250")
        try:
            return max(0.0, float(value)) / 1000.0
        except ValueError:
            return 0.25

    def _process_inbox(self, limit=None):
        """Job: process this backend's pending inbound messages, oldest first.

        One job at a time per backend: a second one (the inbound channel may run
        several jobs) would race for the same rows and fail on a serialization error,
        which queue_job retries only 5 s later; it is postponed by a second instead.
        A non-empty batch always chains one more job: it runs on a fresh snapshot,
        so messages committed while this one ran are never left waiting.
        """
        self.ensure_one()
        if self.paused:
            return _("Backend paused: messages stay queued.")
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [INBOX_LOCK, self.id])
        if not self.env.cr.fetchone()[0]:
            raise RetryableJobError(_("Another job is processing this inbox."), seconds=1,
                                    ignore_retry=True)
        env = self.env if self.track_state_changes else self.env(
            context=dict(self.env.context, tracking_disable=True))
        Message = env["logistics.sync.message"]
        params = self.env["ir.config_parameter"].sudo()
        limit = limit or int(params.get_param("logistics_sync_connector.inbox_batch", 2000))
        max_bytes = int(params.get_param("logistics_sync_connector.inbox_batch_bytes", 2 << 20))
        messages = Message._claim_inbound(self, limit, max_bytes)
        if not messages:
            retry_at = Message._next_inbound_retry(self)
            if retry_at:
                self._enqueue_inbox(eta=retry_at)
            return _("Nothing to process.")
        summary = messages._process_inbound()
        # Due messages this job's snapshot sees but did not claim: a backlog, the next
        # batch starts at once; else the next job lingers for what arrives meanwhile.
        self._chain_inbox(backlog=Message._has_due_inbound(self))
        return summary

    # ------------------------------------------------------------------ outbound guards
    def _circuit_allows(self, now):
        """(allowed, is_probe): an open circuit postpones until its cool-down ends."""
        self.ensure_one()
        circuit = self.circuit_id
        if not circuit or circuit.state == "closed":
            return True, False
        if circuit.state == "open":
            if self._circuit_wait(now) > 0:
                return False, False
            circuit.state = "half_open"
            self.invalidate_recordset(["circuit_state", "circuit_failures", "circuit_opened_at"])
        return True, True

    def _circuit_wait(self, now):
        self.ensure_one()
        circuit = self.circuit_id
        if not circuit or circuit.state != "open" or not circuit.opened_at:
            return 0
        reopen = circuit.opened_at + timedelta(seconds=self.circuit_cooldown or 60)
        return max(0, int((reopen - now).total_seconds()) + 1) if reopen > now else 0

    def _circuit_record(self, success, now):
        """Count a delivery result; written only when the circuit changes."""
        self.ensure_one()
        circuit = self.circuit_id
        if success:
            if circuit and (circuit.state != "closed" or circuit.failures):
                if circuit.state != "closed":
                    _logger.info("backend %s: circuit closed", self.code)
                circuit.write({"state": "closed", "failures": 0, "opened_at": False})
                self.invalidate_recordset(["circuit_state", "circuit_failures", "circuit_opened_at"])
            return
        circuit = circuit or self._circuit()
        failures = circuit.failures + 1
        vals = {"failures": failures}
        if circuit.state == "half_open" or failures >= (self.circuit_threshold or 1):
            if circuit.state != "open":
                _logger.warning("backend %s: circuit opened after %s failures", self.code, failures)
            vals.update(state="open", opened_at=now)
        circuit.write(vals)
        self.invalidate_recordset(["circuit_id", "circuit_state", "circuit_failures", "circuit_opened_at"])

    def _circuit_record_after_delivery(self, success, now):
        """``_circuit_record`` once the request went out: best effort.

        Jobs of one backend run concurrently when its channel capacity is above 1: two
        of them may create the circuit row at once (unique violation) or update it at
        once (serialization failure). Failing the job then would deliver its message
        again (or leave it pending for good); losing one count of the circuit is the
        lesser harm. Found by bench/bench_outbound.py with capacity 4.
        """
        self.ensure_one()
        self.env.flush_all()  # the savepoint flushes on entry: nothing of ours may fail there
        try:
            with self.env.cr.savepoint():
                self._circuit_record(success, now)
        except (*PG_CONCURRENCY_EXCEPTIONS_TO_RETRY, psycopg2.errors.UniqueViolation) as exc:
            _logger.info("backend %s: circuit updated concurrently, count skipped (%s)",
                         self.code, type(exc).__name__)
            self.invalidate_recordset(["circuit_id", "circuit_state", "circuit_failures", "circuit_opened_at"])

    def _rate_limit_wait(self, now):
        """Seconds to wait before the next request under the per-minute limit."""
        self.ensure_one()
        if not self.rate_limit:
            return 0
        self.env.cr.execute(
            """SELECT count(*), min(processed_at) FROM logistics_sync_message
                WHERE backend_id = %s AND direction = 'out' AND processed_at > %s""",
            [self.id, now - timedelta(seconds=60)],
        )
        count, oldest = self.env.cr.fetchone()
        if count < self.rate_limit:
            return 0
        return max(1, int((oldest + timedelta(seconds=60) - now).total_seconds()) + 1)

    def _send_batch(self, flow):
        """Send due batch-mode messages of a flow in one request (retrying a failed
        batch under its own idempotency key)."""
        self.ensure_one()
        Message = self.env["logistics.sync.message"]
        now = fields.Datetime.now()
        allowed, _probe = self._circuit_allows(now)
        if not allowed or self._rate_limit_wait(now):
            return False
        base = [("backend_id", "=", self.id), ("direction", "=", "out"), ("flow", "=", flow),
                ("state", "=", "pending"), "|", ("next_attempt_at", "=", False),
                ("next_attempt_at", "<=", now)]
        retry = Message.search(base + [("batch_key", "!=", False)], order="id", limit=1)
        if retry:
            messages = Message.search([("batch_key", "=", retry.batch_key),
                                       ("state", "=", "pending")], order="id")
            key = retry.batch_key
        else:
            messages = Message.search(base + [("batch_key", "=", False)], order="id", limit=500)
            if not messages:
                return False
            key = str(uuid.uuid4())
            messages.write({"batch_key": key})
        payload = {"type": "batch", "id": key,
                   "events": [json.loads(m.payload) for m in messages]}
        settings = self._outbound_settings()
        self.env.flush_all()  # fail before sending, not after (see _send)
        result = self._adapter().send(settings, "batch", key, payload)
        messages._record_result(result)
        return result

    def _check_outbound_url(self):
        self.ensure_one()
        settings = self._outbound_settings()
        outbound.check_url(settings.base_url, allow_private=settings.allow_private)


class LogisticsBackendCircuit(models.Model):
    """Circuit breaker state of a backend: written by its delivery jobs, which run as
    the integration user and may not modify the backend's configuration."""

    _name = "logistics.backend.circuit"
    _description = "Backend Circuit Breaker"

    backend_id = fields.Many2one("logistics.backend", required=True, ondelete="cascade", index=True)
    state = fields.Selection(
        [("closed", "Closed"), ("open", "Open"), ("half_open", "Half-open")],
        default="closed", required=True,
    )
    failures = fields.Integer()
    opened_at = fields.Datetime()

    _sql_constraints = [("backend_uniq", "unique(backend_id)", "One circuit per backend.")]


class LogisticsBackendSecret(models.Model):
    _name = "logistics.backend.secret"
    _description = "Webhook Secret"
    _order = "id desc"

    backend_id = fields.Many2one("logistics.backend", required=True, ondelete="cascade", index=True)
    secret = fields.Char(required=True, copy=False)
    expires_at = fields.Datetime(help="After this time (UTC) the secret no longer verifies.")
    active = fields.Boolean(default=True)
    preview = fields.Char(compute="_compute_preview")

    @api.depends("secret")
    def _compute_preview(self):
        for rec in self:
            rec.preview = (rec.secret or "")[:10] + "…" if rec.secret else ""

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()


class LogisticsBackendFlow(models.Model):
    _name = "logistics.backend.flow"
    _description = "Backend Flow"
    _order = "backend_id, flow"

    backend_id = fields.Many2one("logistics.backend", required=True, ondelete="cascade", index=True)
    flow = fields.Selection(FLOWS, required=True)
    enabled = fields.Boolean(default=True)
    mode = fields.Selection(
        [("realtime", "Real-time"), ("batch", "Batch")], default="realtime", required=True
    )
    interval_minutes = fields.Integer("Batch Interval (min)", default=15)
    owner = fields.Selection(
        [("odoo", "Odoo"), ("external", "External system")],
        "Data Owner",
        default="odoo",
        required=True,
        help="Which side is the source of truth for the data of this flow.",
    )
    last_batch_at = fields.Datetime(readonly=True)

    _sql_constraints = [
        ("flow_uniq", "unique(backend_id, flow)", "Each flow appears once per backend."),
    ]


class LogisticsBackendStatusMap(models.Model):
    _name = "logistics.backend.status.map"
    _description = "Backend Status Code Map"
    _order = "backend_id, external_code"

    backend_id = fields.Many2one("logistics.backend", required=True, ondelete="cascade", index=True)
    external_code = fields.Char(required=True, help="The code as the external system sends it.")
    milestone_code_id = fields.Many2one("logistics.milestone.code", "Milestone", required=True)
    reason_id = fields.Many2one(
        "logistics.milestone.reason", domain="[('code_id', '=', milestone_code_id)]"
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_uniq", "unique(backend_id, external_code)", "Each external code is mapped once."),
    ]
