# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.tests import new_test_user, tagged

from ..lib import adapters
from ..models.logistics_backend import ADAPTERS
from .common import ConnectorCase


@tagged("post_install", "-at_install")
class TestAdapterAddons(ConnectorCase):
    """Provider addons add their adapter key to the backend's selection (docs/adapters.md)."""

    def test_the_connector_lists_only_its_own_adapters(self):
        self.assertEqual([key for key, _label in ADAPTERS][0], "generic")
        field = self.env["logistics.backend"]._fields["adapter"]
        keys = [key for key, _label in field.selection]
        self.assertEqual(keys[0], "generic")
        self.assertEqual(field.default(self.env["logistics.backend"]), "generic")

    def test_uninstalling_a_provider_keeps_its_backends_paused(self):
        """The ondelete policy of an adapter key, run the way the uninstall runs it (by a
        system administrator without logistics groups): nothing is deleted."""
        self.backend.write({"paused": False})
        messages_before = self.backend.message_ids
        sysadmin = new_test_user(self.env, "sysadmin-no-logistics", groups="base.group_system")
        policy = adapters.ondelete("generic")["generic"]
        policy(self.backend.with_user(sysadmin))
        self.assertTrue(self.backend.exists())
        self.assertTrue(self.backend.active)
        self.assertEqual((self.backend.adapter, self.backend.paused), ("generic", True))
        note = self.backend.message_ids - messages_before
        self.assertEqual(len(note), 1)
        self.assertIn("was uninstalled", note.body)
        self.assertTrue(self.backend.status_map_ids or self.backend.flow_ids)
