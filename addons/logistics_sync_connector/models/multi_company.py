# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Companies stay apart: a backend and every record that belongs to one (secrets,
flows, status maps, circuits, bindings, sync messages, rejected webhooks) carry the
backend's company, which record rules and company checks keep within their users'
companies (docs/security-model.md).

Here, after the models it extends, so that the whole boundary reads in one place.
"""

from odoo import fields, models


class LogisticsCompanyGuard(models.AbstractModel):
    """Record rules apply to a create with its new values, but to a write only with the
    old ones: moving a record to another company's backend (or shipment), or a backend
    to another company, must pass them with the new values too."""

    _name = "logistics.company.guard"
    _description = "Logistics Company Boundary"
    _check_company_auto = True
    # The fields that decide which company a record belongs to.
    _logistics_company_fields = frozenset({"backend_id", "shipment_id", "company_id"})

    def write(self, vals):
        res = super().write(vals)
        if not self.env.su and not self._logistics_company_fields.isdisjoint(vals):
            self.check_access("write")
        return res


class LogisticsBackend(models.Model):
    _name = "logistics.backend"
    _inherit = ["logistics.backend", "logistics.company.guard"]

    # Inbound events run as this user in the backend's company: it must belong to it.
    integration_user_id = fields.Many2one(
        check_company=True,
        help="Inbound events are processed, and outbound messages sent, as this user: its "
        "access rights and record rules apply. Give it the Logistics Integration "
        "(technical) group and this backend's company, and nothing else.",
    )

    def _create_secret(self, value=None, expires_at=False):
        # The secret is created with sudo (nobody below admin may even read it): the
        # caller must still be allowed to change this backend, hence in its company.
        self.check_access("write")
        return super()._create_secret(value=value, expires_at=expires_at)

    def _rotate_secret(self, grace_hours=24):
        self.check_access("write")  # before the previous secrets are expired (sudo)
        return super()._rotate_secret(grace_hours=grace_hours)


class LogisticsSyncMessage(models.Model):
    _name = "logistics.sync.message"
    _inherit = ["logistics.sync.message", "logistics.company.guard"]

    # Its company is a column of its own (written by the webhook's INSERT): it must be
    # the backend's, or a message of company A would be processed by B's inbox.
    backend_id = fields.Many2one(check_company=True)


class LogisticsBackendSecret(models.Model):
    _name = "logistics.backend.secret"
    _inherit = ["logistics.backend.secret", "logistics.company.guard"]


class LogisticsBackendFlow(models.Model):
    _name = "logistics.backend.flow"
    _inherit = ["logistics.backend.flow", "logistics.company.guard"]


class LogisticsBackendStatusMap(models.Model):
    _name = "logistics.backend.status.map"
    _inherit = ["logistics.backend.status.map", "logistics.company.guard"]


class LogisticsBackendCircuit(models.Model):
    _name = "logistics.backend.circuit"
    _inherit = ["logistics.backend.circuit", "logistics.company.guard"]


class LogisticsShipmentBinding(models.Model):
    _name = "logistics.shipment.binding"
    _inherit = ["logistics.shipment.binding", "logistics.company.guard"]


class LogisticsWebhookAudit(models.Model):
    _name = "logistics.webhook.audit"
    _inherit = ["logistics.webhook.audit", "logistics.company.guard"]
