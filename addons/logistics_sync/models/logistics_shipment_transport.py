# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import Command, api, fields, models

from ..lib import lateness


class LogisticsShipmentTransport(models.AbstractModel):
    """What a TMS or carrier says about how a shipment travels (carrier service,
    tracking URL, promised delivery, planned pickup, packages) and its lateness against
    the promise; logistics.shipment inherits it."""

    _name = "logistics.shipment.transport"
    _description = "Shipment Transport Details"

    carrier_service = fields.Char(tracking=True, help="The carrier's service level, as the TMS or carrier names it.")
    tracking_url = fields.Char("Tracking URL")
    date_promised = fields.Datetime(
        "Promised Delivery", tracking=True,
        help="The delivery the carrier or TMS promised. A later estimated delivery makes the "
        "shipment late against its promise (without one, against the planned delivery).")
    date_pickup_planned = fields.Datetime("Planned Pickup")
    package_ids = fields.One2many("logistics.shipment.package", "shipment_id")
    transport_updated_at = fields.Datetime(
        readonly=True, copy=False,
        help="Event time of the latest transport update applied: an older one arriving later "
        "changes nothing.")
    late_against_promise = fields.Boolean(
        compute="_compute_late_against_promise", store=True,
        help="The estimated delivery is later than the promised delivery (or, without one, "
        "the planned delivery).")

    @api.depends("date_estimated", "date_promised", "date_planned")
    def _compute_late_against_promise(self):
        for rec in self:
            rec.late_against_promise = lateness.late_against_promise(
                rec.date_estimated, rec.date_promised, rec.date_planned)

    def _logistics_apply_transport(self, values, packages=None, occurred_at=None):
        """Entry point of transport updates (shipment.updated): write ``values`` (carrier_id,
        carrier_service, tracking_number, tracking_url, date_promised, date_estimated,
        date_pickup_planned) and replace the packages with ``packages`` (a list of package
        values) unless None, unless ``occurred_at`` is older than the latest update applied.
        Only what differs is written: the same update again (a replay) changes nothing.
        Returns whether it was applied."""
        self.ensure_one()
        self.check_access("write")
        self._logistics_lock(touch=False)  # one update at a time per shipment
        if occurred_at and self.transport_updated_at and occurred_at < self.transport_updated_at:
            return False
        vals = {k: v for k, v in values.items()
                if k in _TRANSPORT_FIELDS and v != (self[k].id if k == "carrier_id" else self[k])}
        if occurred_at and occurred_at != self.transport_updated_at:
            vals["transport_updated_at"] = occurred_at
        if packages is not None and not self._logistics_same_packages(packages):
            vals["package_ids"] = [Command.clear()] + [Command.create(p) for p in packages]
        if vals:
            self.write(vals)
        return True

    def _logistics_same_packages(self, packages):
        """Whether the packages are already these (package values, in order)."""
        return len(packages) == len(self.package_ids) and all(
            (package[k] or False) == (v or False)
            for package, values in zip(self.package_ids, packages, strict=True)
            for k, v in values.items())


_TRANSPORT_FIELDS = frozenset({
    "carrier_id", "carrier_service", "tracking_number", "tracking_url",
    "date_promised", "date_estimated", "date_pickup_planned",
})
