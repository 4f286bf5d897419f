# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The user journeys in a real browser (tours under static/tests/tours/).

Each tour saves a screenshot of its key screen to docs/img/ (see tour_browser.py).
"""

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

    def tour(self, url, name, login):
        with screenshot_browser():
            self.start_tour(url, name, login=login, timeout=TOUR_TIMEOUT)


@tagged("post_install", "-at_install")
class TestBackendSetupTour(TourCase):
    def test_backend_setup_tour(self):
        new_test_user(self.env, "tour-integration", name="Tour Integration",
                      groups="base.group_user,logistics_sync_connector.group_logistics_integration")
        admin = new_test_user(self.env, "tour-admin", name="Ada Admin",
                              groups="base.group_system,logistics_sync.group_logistics_admin")
        self.tour("/odoo/settings", "logistics_backend_setup_tour", login=admin.login)
        backend = self.env["logistics.backend"].search([("code", "=", "tour-tms")])
        self.assertEqual((backend.name, backend.adapter), ("Tour TMS", "easypost"))
        secrets = backend.sudo().secret_ids.with_context(active_test=False)
        self.assertEqual(len(secrets), 2, "the first secret and the rotated one")
        self.assertEqual(len(secrets.filtered("expires_at")), 1, "the first one expires")
