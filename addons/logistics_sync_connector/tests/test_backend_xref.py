# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import ConnectorCase, new_carrier


@tagged("post_install", "-at_install")
class TestBackendXref(ConnectorCase):
    """Cross-references: the backend's codes first, then the fallback of the kind."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        cls.widget = Product.create({"name": "Widget", "default_code": "W-1", "is_storable": True})
        cls.gadget = Product.create({"name": "Gadget", "default_code": "G-1"})
        cls.other_company = cls.env["res.company"].create({"name": "Xref Other Co"})
        cls.foreign = Product.create({"name": "Foreign", "default_code": "F-1",
                                      "company_id": cls.other_company.id})
        cls.carrier = new_carrier(cls.env, "Road")
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.backend.company_id.id)], limit=1)
        cls.shelf = cls.env["stock.location"].create({
            "name": "Shelf 9", "location_id": cls.warehouse.lot_stock_id.id, "barcode": "SHELF-9"})

    def xref(self, kind, code, record):
        return self.env["logistics.backend.xref"].create({
            "backend_id": self.backend.id, "kind": kind, "external_code": code,
            f"{kind}_id": record.id})

    def resolve(self, kind, *codes):
        # As the inbox resolves them: its integration user.
        Xref = self.env["logistics.backend.xref"].with_user(self.integration_user)
        return Xref._resolve(self.backend.with_user(self.integration_user), kind, codes)

    def test_products_by_xref_then_internal_reference(self):
        self.xref("product", "ACME-77", self.gadget)
        self.xref("product", "W-1", self.gadget)  # the backend's code wins over a reference
        found = self.resolve("product", "ACME-77", "W-1", "G-1", "F-1", "nope", None)
        self.assertEqual(found, {"ACME-77": self.gadget, "W-1": self.gadget, "G-1": self.gadget})

    def test_a_product_of_the_company_goes_before_a_shared_one(self):
        own = self.env["product.product"].create({
            "name": "Own widget", "default_code": "W-1", "company_id": self.backend.company_id.id})
        self.assertEqual(self.resolve("product", "W-1"), {"W-1": own})

    def test_locations_by_xref_then_warehouse_then_barcode(self):
        self.xref("location", "DOCK-A", self.shelf)
        found = self.resolve("location", "DOCK-A", self.warehouse.code, "SHELF-9", "nope")
        self.assertEqual(found, {"DOCK-A": self.shelf, self.warehouse.code: self.warehouse.lot_stock_id,
                                 "SHELF-9": self.shelf})

    def test_carriers_only_by_xref(self):
        self.xref("carrier", "RD", self.carrier)
        self.assertEqual(self.resolve("carrier", "RD", "Road"), {"RD": self.carrier})

    def test_a_cross_reference_points_to_one_record_of_its_kind(self):
        with self.assertRaises(ValidationError):
            self.env["logistics.backend.xref"].create({
                "backend_id": self.backend.id, "kind": "product", "external_code": "X",
                "carrier_id": self.carrier.id})
        with self.assertRaises(ValidationError):
            self.env["logistics.backend.xref"].create({
                "backend_id": self.backend.id, "kind": "product", "external_code": "X"})
