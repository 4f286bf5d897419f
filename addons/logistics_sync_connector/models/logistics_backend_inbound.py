# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models

from ..lib import authority, event_types


class LogisticsBackendInbound(models.AbstractModel):
    """What a backend may send besides milestones, and how many events it sent in a
    deprecated version (lib/event_types.py); logistics.backend inherits it."""

    _name = "logistics.backend.inbound"
    _description = "Backend Inbound Event Types"

    may_update_shipments = fields.Boolean(
        "May Send Shipment Updates", tracking=True,
        help="shipment.updated events (carrier, tracking, estimated delivery, packages) about "
        "the shipments in this backend's scope. Others are kept unapplied, as unauthorized.")
    may_report_fulfillment = fields.Boolean(
        tracking=True,
        help="fulfillment.acknowledged / rejected / shipped events about the order releases "
        "of this backend's company (a warehouse). Others are kept unapplied, as unauthorized.")
    xref_ids = fields.One2many(
        "logistics.backend.xref", "backend_id", "Cross-References", copy=True,
        help="This system's codes for products, locations and carriers. Without one, a product "
        "is found by its internal reference, a location by its warehouse's short name or barcode.")
    deprecated_event_count = fields.Integer(
        "Deprecated Events", readonly=True, copy=False,
        help="Events this system sent in a deprecated schema version: applied all the same; "
        "ask its owner to move to the current version before support ends.")
    deprecated_event_last = fields.Char("Last Deprecated Version", readonly=True, copy=False)
    deprecated_event_last_at = fields.Datetime("Last Deprecated Event", readonly=True, copy=False)

    @api.model
    def _default_event_types(self, backend_type):
        """The permissions a new backend of this type starts with (lib/authority.py);
        existing backends keep theirs: an admin widens them."""
        defaults = authority.DEFAULT_EVENT_TYPES.get(backend_type or "generic", ())
        return {"may_update_shipments": event_types.SHIPMENT_UPDATED in defaults,
                "may_report_fulfillment": event_types.FULFILLMENT_SHIPPED in defaults}

    def _event_types(self):
        """The event types other than milestones this backend may send."""
        types = set()
        if self.may_update_shipments:
            types.add(event_types.SHIPMENT_UPDATED)
        if self.may_report_fulfillment:
            types.update(event_types.FULFILLMENT_TYPES)
        return frozenset(types)

    def _count_deprecated(self, count, last):
        """Bookkeeping of the inbox job (SQL: the integration user may not write backends,
        and a backend write clears the webhook's cached configuration)."""
        self.ensure_one()
        self.env.cr.execute(
            """UPDATE logistics_backend
                  SET deprecated_event_count = coalesce(deprecated_event_count, 0) + %s,
                      deprecated_event_last = %s,
                      deprecated_event_last_at = now() at time zone 'utc'
                WHERE id = %s""",
            [count, last, self.id])
        self.invalidate_recordset(
            ["deprecated_event_count", "deprecated_event_last", "deprecated_event_last_at"])
