from odoo import fields, models


class LogisticsShipmentBinding(models.Model):
    """The id a backend uses for one of our shipments."""

    _name = "logistics.shipment.binding"
    _description = "Shipment Binding"
    _order = "id desc"

    backend_id = fields.Many2one("logistics.backend", required=True, ondelete="cascade", index=True)
    shipment_id = fields.Many2one("logistics.shipment", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="shipment_id.company_id", store=True, index=True)
    external_id = fields.Char("External ID", required=True)

    _sql_constraints = [
        ("external_uniq", "unique(backend_id, external_id)",
         "An external id is bound to one shipment per backend."),
    ]
