# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging
import re

from odoo import Command, api, fields, models
from odoo.addons.logistics_sync.tools import jobs
from odoo.exceptions import UserError, ValidationError

from ..lib import adapters, authority

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
CODE_RE = re.compile(r"[a-z0-9][a-z0-9_-]{1,62}")  # fullmatch: "$" would accept a final newline
# The connector's own adapters; a provider addon adds its key (lib/adapters.ondelete).
ADAPTERS = [("generic", "Generic (canonical JSON, Standard Webhooks)")]


class LogisticsBackend(models.Model):
    _name = "logistics.backend"
    _description = "Logistics Backend"
    _inherit = ["mail.thread", "logistics.company.guard", "logistics.backend.inbound",
                "logistics.backend.polling"]
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
        ADAPTERS, required=True, default="generic",
        help="The payload format and signature scheme this system speaks.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True, tracking=True)
    paused = fields.Boolean(
        tracking=True,
        help="Paused backends still receive webhooks (verified, stored, acknowledged) but "
        "process and send nothing until resumed; queued messages wait.",
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
        "shipment chatter (one tracking message per shipment and batch, which slows "
        "large batches down). Off by default: the milestone timeline of the shipment "
        "already records every event with its source.",
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
    timeout_total = fields.Float(
        "Request Deadline (s)", default=60.0,
        help="Longest a whole request may take (connect, send, answer), however the "
        "receiver trickles its answer; at most 64 KB of an answer are read.",
    )
    allow_private_network = fields.Boolean(
        "Allow private addresses",
        groups="logistics_sync.group_logistics_admin",
        help="Outbound URLs resolving to loopback, private or link-local addresses are "
        "refused unless this is set (SSRF guard). For test setups: it allows plain HTTP too.",
    )
    allow_plain_http = fields.Boolean(
        "Allow plain HTTP",
        groups="logistics_sync.group_logistics_admin",
        help="For testing only: http:// base URLs are refused unless this (or Allow "
        "private addresses) is set; credentials and payloads would travel in clear.",
    )
    outbound_delivery = fields.Selection(
        [("message", "One job per message"), ("batch", "One job per backend, in batches")],
        default="batch", required=True,
        help="Batches: one job sends the backend's due messages over kept-alive connections "
        "(arrays where a flow accepts them), in order per shipment, under the same rate "
        "limit, circuit breaker and backoff.",
    )
    rate_limit = fields.Integer(
        "Rate Limit (requests/min)", default=600, help="0 means unlimited."
    )
    max_attempts = fields.Integer(
        default=8, help="Delivery attempts before a message is dead."
    )
    retry_base_delay = fields.Integer("Retry Base Delay (s)", default=10)
    retry_max_delay = fields.Integer("Retry Max Delay (s)", default=3600)
    circuit_threshold = fields.Integer(
        default=5,
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
    # Inbound: what this system may assert (lib/authority.py)
    allowed_milestone_code_ids = fields.Many2many(
        "logistics.milestone.code", "logistics_backend_milestone_code_rel", "backend_id", "code_id",
        string="May Assert", tracking=True,
        help="The canonical milestones this system may report. An event with another code is "
        "kept unapplied, as unauthorized, until an admin widens this and replays it.",
    )
    may_assert_pod = fields.Boolean(
        "May Assert Proof of Delivery", tracking=True,
        help="Whether this system may report proof of delivery (an evidence milestone, or a "
        "delivery with a signer or a document), which releases invoices.",
    )
    shipment_scope = fields.Selection(
        [(authority.SCOPE_BOUND, "Shipments bound to it"),
         (authority.SCOPE_COMPANY, "Every shipment of its company")],
        required=True, default=authority.SCOPE_BOUND, tracking=True,
        help="Bound: shipments booked through this backend, linked to it by an admin "
        "(bindings), or carried by one of its carriers. Every shipment: for a single "
        "trusted TMS.",
    )
    # Event times it may report (lib/dates.py: before 2000 is never plausible)
    event_future_hours = fields.Integer(
        "Future Tolerance (h)", default=24,
        help="An event dated more than this after its reception is kept unapplied, as invalid. "
        "0: no limit.")
    event_max_age_days = fields.Integer(
        "Max Age Before Shipment (days)", default=365,
        help="An event dated more than this before its shipment was created is kept unapplied, "
        "as invalid. 0: no limit.")
    carrier_ids = fields.Many2many(
        "delivery.carrier", "logistics_backend_delivery_carrier_rel", "backend_id", "carrier_id",
        string="Carriers", check_company=True,
        help="Shipments of these carriers are bound to this backend.",
    )
    secret_ids = fields.One2many(
        "logistics.backend.secret", "backend_id", "Webhook Secrets",
        domain=[("purpose", "=", "inbound")], groups="logistics_sync.group_logistics_admin",
    )
    signing_secret_ids = fields.One2many(
        "logistics.backend.secret", "backend_id", "Outbound Signing Secrets",
        domain=[("purpose", "=", "outbound")], groups="logistics_sync.group_logistics_admin",
    )
    integration_user_id = fields.Many2one(
        "res.users",
        required=True,
        default=lambda self: self.env.ref(
            "logistics_sync_connector.user_logistics_integration", raise_if_not_found=False),
        tracking=True,
        check_company=True,  # inbound events run as this user, in the backend's company
        help="Inbound events are processed, and outbound messages sent, as this user: its "
        "access rights and record rules apply. Give it the Logistics Integration "
        "(technical) group and this backend's company, and nothing else.",
    )
    flow_ids = fields.One2many("logistics.backend.flow", "backend_id", "Flows", copy=True)
    status_map_ids = fields.One2many(
        "logistics.backend.status.map", "backend_id", copy=True
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

    @api.model
    def _default_codes(self, backend_type):
        return self.env["logistics.milestone.code"].search(
            [("code", "in", authority.DEFAULT_CODES.get(backend_type or "generic", ()))])

    @api.onchange("backend_type")
    def _onchange_backend_type(self):
        self.allowed_milestone_code_ids = self._default_codes(self.backend_type)
        self.update(self._default_event_types(self.backend_type))

    def _authority(self):
        """What this backend may assert, for lib/authority.py."""
        self.ensure_one()
        return authority.Authority(
            backend=self.code, codes=frozenset(self.allowed_milestone_code_ids.mapped("code")),
            may_assert_pod=self.may_assert_pod, scope=self.shipment_scope,
            event_types=self._event_types())

    @api.constrains("code")
    def _check_code(self):
        for rec in self:
            if not CODE_RE.fullmatch(rec.code or ""):
                raise ValidationError(
                    self.env._("The code must be a URL slug: lowercase letters, digits, - and _.")
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

        Unlisted in the [queue_job] channels configuration, a channel runs under the
        closest listed parent: by default all backends share root.logistics.inbound and
        root.logistics.outbound; listing ``root.logistics.inbound.<code>:1`` gives a
        backend a slot of its own, so that busy backends do not wait for each other.
        """
        self.ensure_one()
        return jobs.backend_channel(direction, self.code)

    def _ensure_job_channels(self):
        """A queue.job.channel record for each channel of these backends."""
        jobs.ensure_channels(self.env, {
            rec._job_channel(d): parent
            for rec in self.filtered("code")
            for d, parent in (("in", jobs.INBOUND_CHANNEL), ("out", jobs.OUTBOUND_CHANNEL))
        })

    @api.model
    def _ensure_all_job_channels(self):
        """At install and upgrade (data/queue_job_data.xml): channels of existing backends."""
        self.with_context(active_test=False).search([])._ensure_job_channels()

    def _compute_counters(self):
        counters = self.env["logistics.sync.message"]._backend_counters(self)
        for rec in self:
            rec.update(counters[rec.id])

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if "allowed_milestone_code_ids" not in vals:
                vals["allowed_milestone_code_ids"] = [
                    Command.set(self._default_codes(vals.get("backend_type")).ids)]
            for key, value in self._default_event_types(vals.get("backend_type")).items():
                vals.setdefault(key, value)
        records = super().create(vals_list)
        for rec in records:
            if not rec.sudo().secret_ids and rec.env.context.get("logistics_new_secret", True):
                rec._create_secret()
                rec._create_secret(purpose="outbound")
            if not rec.flow_ids:
                self.env["logistics.backend.flow"]._create_defaults(rec)
            if not rec.status_map_ids:
                self.env["logistics.backend.status.map"]._load_defaults(rec)
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

    def _create_secret(self, value=None, expires_at=False, purpose="inbound"):
        return self.env["logistics.backend.secret"]._create_for(
            self, value=value, expires_at=expires_at, purpose=purpose)

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

    def _send_outbox(self):
        """Job: deliver this backend's due outbound messages (logistics.outbox)."""
        return self.env["logistics.outbox"]._send_due(self)

    # ------------------------------------------------------------------ buttons
    def action_pause(self):
        self.write({"paused": True})

    def action_resume(self):
        self.write({"paused": False})
        for backend in self:
            backend._enqueue_inbox()
            self.env["logistics.outbox"]._enqueue_for(backend)
        self.env["logistics.inbox"]._enqueue_after_commit(self)

    # ------------------------------------------------------------------ inbox
    def _enqueue_inbox(self):
        """Make sure one processing job waits for this backend's inbox."""
        self.env["logistics.inbox"]._enqueue(self)

    def _process_inbox(self, limit=None):
        """Job: process this backend's pending inbound messages (logistics.inbox)."""
        return self.env["logistics.inbox"]._process(self, limit=limit)

    def action_test_connection(self):
        self.ensure_one()
        result = self._adapter().test_connection(self.env["logistics.outbox"]._settings(self))
        if result.outcome != "ok":
            raise UserError(
                self.env._("Connection to %(url)s failed: %(reason)s", url=self.base_url,
                  reason=result.reason or result.status_code)
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("Connection OK (HTTP %s).", result.status_code),
            },
        }

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
            self.env["logistics.backend.status.map"]._load_defaults(backend)
