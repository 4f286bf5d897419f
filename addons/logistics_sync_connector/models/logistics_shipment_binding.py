# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging

from psycopg2 import errors as pg_errors

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

# A shipment (alias ``s``) bound to the backend ``%(backend)s``: by a binding, or carried
# by one of its carriers (lib/authority.py, scope "bound"). Ids compared in SQL: the
# integration user needs no access to carriers for it.
BOUND_SQL = """(EXISTS (SELECT 1 FROM logistics_shipment_binding b
                         WHERE b.backend_id = %(backend)s AND b.shipment_id = s.id)
                OR s.carrier_id IN (SELECT r.carrier_id FROM logistics_backend_delivery_carrier_rel r
                                     WHERE r.backend_id = %(backend)s))"""


class LogisticsShipmentBinding(models.Model):
    """The id a backend uses for one of our shipments."""

    _name = "logistics.shipment.binding"
    _inherit = ["logistics.company.guard"]
    _description = "Shipment Binding"
    _order = "id desc"

    backend_id = fields.Many2one(
        "logistics.backend", required=True, ondelete="cascade", index=True, check_company=True)
    shipment_id = fields.Many2one(
        "logistics.shipment", required=True, ondelete="cascade", index=True, check_company=True)
    company_id = fields.Many2one(related="shipment_id.company_id", store=True, index=True)
    # Empty for a shipment bound without an id of the backend's (booked through it,
    # linked by an admin): it still puts the shipment in the backend's scope.
    external_id = fields.Char("External ID")

    _sql_constraints = [
        ("external_uniq", "unique(backend_id, external_id)",
         "An external id is bound to one shipment per backend."),
    ]

    @api.model
    def _match_shipments(self, backend, parsed):
        """``({event key: shipment}, {external id: shipment})``: each event's shipment, by
        binding (external id), reference or tracking number, and the external ids seen
        for the first time, which the caller binds once it knows the backend may speak
        of that shipment."""
        Shipment = self.env["logistics.shipment"]
        ext_ids = {e.shipment_external_id for _m, e in parsed if e.shipment_external_id}
        refs = {e.shipment_reference for _m, e in parsed if e.shipment_reference}
        trackings = {e.tracking_number for _m, e in parsed if e.tracking_number}
        by_ext = {
            b.external_id: b.shipment_id
            for b in self.search([("backend_id", "=", backend.id), ("external_id", "in", list(ext_ids))])
        } if ext_ids else {}
        by_ref = {s.name: s for s in Shipment._search_references(refs)}
        by_tracking = {}
        if trackings:
            for s in Shipment.search([("tracking_number", "in", list(trackings))], order="id desc"):
                by_tracking.setdefault(s.tracking_number, s)
        new_bindings = {}
        result = {}
        for key, event in parsed:
            shipment = (
                by_ext.get(event.shipment_external_id)
                or by_ref.get(event.shipment_reference)
                or by_tracking.get(event.tracking_number)
            )
            if shipment:
                result[key] = shipment
                if event.shipment_external_id and event.shipment_external_id not in by_ext:
                    new_bindings[event.shipment_external_id] = shipment
                    by_ext[event.shipment_external_id] = shipment
        return result, new_bindings

    @api.model
    def _create_bindings(self, backend, new_bindings):
        """Bind external ids; one bound meanwhile by another transaction is kept as it is
        instead of failing the whole batch on the unique constraint."""
        # Only shipments of the backend's company: the company check refuses the others,
        # and the whole inbox job with them.
        values = [{"backend_id": backend.id, "external_id": ext, "shipment_id": s.id}
                  for ext, s in new_bindings.items() if s.company_id == backend.company_id]
        if not values:
            return
        try:
            with self.env.cr.savepoint():
                self.create(values)
            return
        except pg_errors.UniqueViolation:
            _logger.info("backend %s: external ids bound concurrently, binding one by one", backend.code)
        for vals in values:
            try:
                with self.env.cr.savepoint():
                    self.create(vals)
            except pg_errors.UniqueViolation:
                _logger.debug("backend %s: %s bound concurrently", backend.code, vals["external_id"])

    @api.model
    def _bound_ids(self, backend, shipments):
        """The ids of ``shipments`` bound to ``backend``: by a binding, or carried by one
        of its carriers (lib/authority.py, scope "bound")."""
        if not shipments:
            return set()
        self.flush_model(["backend_id", "shipment_id"])
        shipments.flush_recordset(["carrier_id"])
        self.env.cr.execute(
            f"SELECT s.id FROM logistics_shipment s WHERE s.id = ANY(%(ids)s) AND {BOUND_SQL}",  # noqa: S608
            {"backend": backend.id, "ids": shipments.ids},
        )
        return {row[0] for row in self.env.cr.fetchall()}

    @api.model
    def _bind(self, backend, shipment):
        """Bind a shipment to a backend without an external id (booked through it)."""
        if not self.search_count([("backend_id", "=", backend.id),
                                  ("shipment_id", "=", shipment.id)], limit=1):
            self.create({"backend_id": backend.id, "shipment_id": shipment.id})
