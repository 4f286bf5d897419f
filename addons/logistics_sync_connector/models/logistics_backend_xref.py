# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# kind -> the field of the Odoo record it points to
KIND_FIELDS = {"product": "product_id", "location": "location_id", "carrier": "carrier_id"}


class LogisticsBackendXref(models.Model):
    """An external system's code for one of our products, locations or carriers.

    Every inbound event resolves codes with :meth:`_resolve`: the backend's cross-
    references first; without one, a product by its internal reference, a location by
    its warehouse's short name, then its barcode. Carriers have no fallback."""

    _name = "logistics.backend.xref"
    _inherit = ["logistics.company.guard"]
    _description = "Backend Cross-Reference"
    _order = "backend_id, kind, external_code"

    backend_id = fields.Many2one(
        "logistics.backend", required=True, ondelete="cascade", index=True, check_company=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    kind = fields.Selection(
        [("product", "Product"), ("location", "Location"), ("carrier", "Carrier")],
        required=True, default="product")
    external_code = fields.Char(
        required=True, help="The code as the external system sends it (SKU, warehouse or "
        "location code, carrier code).")
    product_id = fields.Many2one("product.product", check_company=True, ondelete="cascade")
    location_id = fields.Many2one("stock.location", check_company=True, ondelete="cascade")
    carrier_id = fields.Many2one("delivery.carrier", check_company=True, ondelete="cascade")

    _sql_constraints = [
        ("code_uniq", "unique(backend_id, kind, external_code)",
         "Each external code of a kind is cross-referenced once per backend."),
    ]

    @api.constrains("kind", "product_id", "location_id", "carrier_id")
    def _check_target(self):
        for rec in self:
            targets = {kind for kind, name in KIND_FIELDS.items() if rec[name]}
            if targets != {rec.kind}:
                raise ValidationError(self.env._(
                    "Cross-reference %(code)s: set the %(kind)s it stands for, and only that.",
                    code=rec.external_code, kind=rec.kind))

    @api.onchange("kind")
    def _onchange_kind(self):
        for kind, name in KIND_FIELDS.items():
            if kind != self.kind:
                self[name] = False

    @api.model
    def _resolve(self, backend, kind, codes):
        """``{external code: record}`` of the ``codes`` known for ``backend`` (codes with
        no record are left out): its cross-references, then the fallback of the kind.
        One query per kind and fallback, whatever the number of codes."""
        codes = {c for c in codes if c}
        name = KIND_FIELDS[kind]
        found = {x.external_code: x[name] for x in self.search([
            ("backend_id", "=", backend.id), ("kind", "=", kind), ("external_code", "in", list(codes))])}
        missing = codes - set(found)
        if missing and kind in _FALLBACKS:
            found.update(_FALLBACKS[kind](self.env, backend, missing))
        return found


def _products_by_reference(env, backend, codes):
    company = [("company_id", "in", [False, backend.company_id.id])]
    by_code = {}
    # The backend's company's own product first, then a shared one.
    products = env["product.product"].search([("default_code", "in", list(codes)), *company], order="id")
    for product in sorted(products, key=lambda p: not p.company_id):
        by_code.setdefault(product.default_code, product)
    return by_code


def _locations_by_warehouse_or_barcode(env, backend, codes):
    found = {w.code: w.lot_stock_id for w in env["stock.warehouse"].search(
        [("code", "in", list(codes)), ("company_id", "=", backend.company_id.id)])}
    rest = set(codes) - set(found)
    if rest:
        found.update({loc.barcode: loc for loc in env["stock.location"].search(
            [("barcode", "in", list(rest)), ("company_id", "in", [False, backend.company_id.id])])})
    return found


_FALLBACKS = {"product": _products_by_reference, "location": _locations_by_warehouse_or_barcode}
