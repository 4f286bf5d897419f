# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The user journeys in a real browser (tours under static/tests/tours/).

Each tour saves a screenshot of its key screen to docs/img/ (see tour_browser.py).
"""

import json
import os
import time
from unittest.mock import patch

from odoo import Command
from odoo.addons.logistics_sync_connector.lib import signatures
from odoo.addons.logistics_sync_connector.tests.common import generic_event
from odoo.addons.logistics_sync_invoice.tests.common import InvoiceReleaseMixin
from odoo.tests import HttpCase, new_test_user, tagged

from .tour_browser import screenshot_browser

# Tours are slow on a loaded machine: one step waits up to 10 s by default.
TOUR_TIMEOUT = 240


class TourCase(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        # Stable URLs on the pages (and the screenshots), whatever port the test serves on.
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("web.base.url", "https://odoo.example.com")
        params.set_param("web.base.url.freeze", "1")

    def tour_user(self, login, name, groups):
        user = new_test_user(self.env, login, name=name, groups=groups)
        # The placeholder avatar's colour derives from the creation time: keep the
        # screenshots from changing on every run.
        for record in (user, user.partner_id):
            self.env.cr.execute(f"UPDATE {record._table} SET create_date = '2026-01-01' "
                                "WHERE id = %s", [record.id])
            record.invalidate_recordset(["create_date"])
        return user

    def tour(self, url, name, login):
        with screenshot_browser():
            self.start_tour(url, name, login=login, timeout=TOUR_TIMEOUT)


@tagged("post_install", "-at_install")
class TestBackendSetupTour(TourCase):
    def test_backend_setup_tour(self):
        new_test_user(self.env, "tour-integration", name="Tour Integration",
                      groups="base.group_user,logistics_sync_connector.group_logistics_integration")
        admin = self.tour_user("tour-admin", "Ada Admin",
                               "base.group_system,logistics_sync.group_logistics_admin")
        self.tour("/odoo/settings", "logistics_backend_setup_tour", login=admin.login)
        backend = self.env["logistics.backend"].search([("code", "=", "tour-tms")])
        self.assertEqual((backend.name, backend.adapter), ("Tour TMS", "easypost"))
        secrets = backend.sudo().secret_ids.with_context(active_test=False)
        self.assertEqual(len(secrets), 2, "the first secret and the rotated one")
        self.assertEqual(len(secrets.filtered("expires_at")), 1, "the first one expires")


@tagged("post_install", "-at_install")
class TestSyncIssueTour(TourCase):
    def test_sync_issue_tour(self):
        integration = new_test_user(
            self.env, "acme-integration", name="Acme Integration",
            groups="base.group_user,logistics_sync_connector.group_logistics_integration")
        backend = self.env["logistics.backend"].with_context(logistics_new_secret=False).create({
            "name": "Acme TMS", "code": "acme-tms", "adapter": "generic",
            "integration_user_id": integration.id, "shipment_scope": "company",
            "allowed_milestone_code_ids": [
                Command.set(self.env["logistics.milestone.code"].search([]).ids)]})
        backend._create_secret("whsec_dG91ci1zZWNyZXQtZm9yLXRoZS1zeW5jLXRvdXI=")
        shipment = self.env["logistics.shipment"].create({"name": "TOUR-SHP-2"})
        # A real webhook with a status code of the TMS that nobody mapped yet.
        body = json.dumps(generic_event("TOUR-SHP-2", "DEP_HUB", "2026-11-30T08:00:00Z",
                                        event_id="evt_tour_1")).encode()
        headers = signatures.standard_headers(
            "whsec_dG91ci1zZWNyZXQtZm9yLXRoZS1zeW5jLXRvdXI=", "msg_tour_1", body,
            timestamp=int(time.time()))
        # Jobs run at once (queue_job's documented test mode): there is no job runner
        # here, and a job left waiting would hold the replay of the tour back.
        no_delay = patch.dict(os.environ, {"QUEUE_JOB__NO_DELAY": "1"})
        with no_delay:
            response = self.url_open("/logistics/webhook/acme-tms", data=body,
                                     headers=dict(headers, **{"Content-Type": "application/json"}))
        self.assertEqual(response.status_code, 202, response.text)
        message = self.env["logistics.sync.message"].search([("backend_id", "=", backend.id)])
        self.assertEqual(message.state, "unmapped")
        # Status maps are edited by Logistics Administrators only (docs/security-model.md);
        # a Manager could replay, not map: the operations lead here is one, without Settings.
        ops = self.tour_user("tour-ops", "Olga Operations", "logistics_sync.group_logistics_admin")
        with no_delay:
            self.tour("/odoo/action-logistics_sync_reconcile.logistics_reconcile_sync_action",
                      "logistics_sync_issue_tour", login=ops.login)
        self.assertEqual(message.state, "done")
        self.assertEqual(shipment.state, "in_transit")


@tagged("post_install", "-at_install")
class TestBillingReleaseTour(InvoiceReleaseMixin, TourCase):
    def setUp(self):
        super().setUp()
        blue, red = self.env["res.partner"].create([
            {"name": "Blue Harbor Ltd", "logistics_invoice_policy": "on_pod"},
            {"name": "Red Quay Ltd", "logistics_invoice_policy": "on_pod"}])
        # Delivered with POD, not invoiced yet; delivered without POD, a held draft.
        self.released = self.order(qty=10, partner=blue)
        self.deliver(self.released.picking_ids)
        self.pod(self.released.logistics_shipment_ids)
        held = self.order(qty=4, partner=red)
        self.deliver(held.picking_ids)
        self.held_invoice = held._create_invoices()
        self.assertTrue(self.held_invoice.logistics_pod_hold)

    def test_billing_release_tour(self):
        released, held_invoice = self.released, self.held_invoice
        billing = self.tour_user("tour-billing", "Bella Billing",
                            "account.group_account_invoice,logistics_sync.group_logistics_manager")
        self.tour("/odoo/action-logistics_sync_reconcile.logistics_reconcile_uninvoiced_action",
                  "logistics_billing_release_tour", login=billing.login)
        invoice = released.logistics_shipment_ids.invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.logistics_shipment_ids, released.logistics_shipment_ids)
        self.assertEqual(held_invoice.state, "posted")
        self.assertEqual((held_invoice.logistics_pod_override_reason,
                          held_invoice.logistics_pod_override_user_id.login),
                         ("Customer confirmed receipt by phone", "tour-billing"))

    def test_billing_hold_tour(self):
        clerk = self.tour_user("tour-clerk", "Carl Clerk", "account.group_account_invoice")
        self.tour(f"/odoo/action-account.action_move_out_invoice_type/{self.held_invoice.id}",
                  "logistics_billing_hold_tour", login=clerk.login)
        self.assertEqual(self.held_invoice.state, "draft")
