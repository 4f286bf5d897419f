# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models

FLOWS = [
    ("inbound_milestones", "Inbound: shipment milestones (webhooks)"),
    ("outbound_fulfillment", "Outbound: fulfillment request on sale confirmation"),
    ("outbound_shipment", "Outbound: shipment booking / update on delivery ready or done"),
    ("outbound_finance", "Outbound: posted invoices and freight charges"),
]


class LogisticsBackendFlow(models.Model):
    _name = "logistics.backend.flow"
    _inherit = ["logistics.company.guard"]
    _description = "Backend Flow"
    _order = "backend_id, flow"

    backend_id = fields.Many2one(
        "logistics.backend", required=True, ondelete="cascade", index=True, check_company=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    flow = fields.Selection(FLOWS, required=True)
    enabled = fields.Boolean(default=True)
    mode = fields.Selection(
        [("realtime", "Real-time"), ("batch", "Batch")], default="realtime", required=True
    )
    interval_minutes = fields.Integer("Batch Interval (min)", default=15)
    accepts_arrays = fields.Boolean(
        help="Outbound, real time, with the backend delivering in batches: the receiver takes "
        "several events in one request (the batch body: type \"batch\", id, events), one "
        "request per group of messages under one Idempotency-Key.",
    )
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

    @api.model
    def _create_defaults(self, backend):
        """The flows a new backend starts with, as its adapter proposes them."""
        defaults = backend._adapter().default_flows(backend.backend_type)
        return self.create([dict(values, backend_id=backend.id) for values in defaults])

    @api.model
    def _inbound_of(self, backend):
        """The backend's inbound flow, enabled or not; a backend without one receives in
        real time."""
        return backend.flow_ids.filtered(lambda f: f.flow == "inbound_milestones")[:1]

    def _hold_seconds(self):
        """Seconds a new inbox job waits in batch mode (the interval), else 0."""
        return (self.interval_minutes or 1) * 60.0 if self.enabled and self.mode == "batch" else 0
