# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models

from ..lib import ownership

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
    # Field ownership (lib/ownership.py). Defaults keep the behaviour from before: what
    # comes in is applied, what goes out is sent.
    owner_transport = fields.Selection(
        ownership.OWNERS, "Carrier and Tracking", compute="_compute_owners", store=True,
        readonly=False, help="Who owns carrier, service, tracking and packages: a change "
        "from the side that does not own them is not applied (inbound, noted on the "
        "message) or not sent (outbound).")
    owner_dates = fields.Selection(
        ownership.OWNERS, "Dates and ETA", compute="_compute_owners", store=True,
        readonly=False, help="Who owns promised / estimated delivery and planned pickup.")
    owner_shipped = fields.Selection(
        ownership.OWNERS, "Shipped Quantities and Lots", compute="_compute_owners", store=True,
        readonly=False, help="Who owns the quantities, lots and serial numbers shipped.")

    _sql_constraints = [
        ("flow_uniq", "unique(backend_id, flow)", "Each flow appears once per backend."),
    ]

    @api.depends("flow")
    def _compute_owners(self):
        for rec in self:
            # Inbound: the external system's changes are applied; outbound: all is sent.
            owner = ownership.EXTERNAL if rec.flow == "inbound_milestones" else ownership.ODOO
            for name in ("owner_transport", "owner_dates", "owner_shipped"):
                if not rec[name]:
                    rec[name] = owner

    def _groups_owned_by(self, owner):
        """The field groups of this flow (none or one) that ``owner`` owns."""
        return {group for group, _label in ownership.FIELD_GROUPS
                for rec in self if rec[f"owner_{group}"] == owner}

    def _odoo_owned_groups(self):
        return self._groups_owned_by(ownership.ODOO)

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
