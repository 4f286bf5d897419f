# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The connector's 18.0.1.1.0 migration: databases with EasyPost backends get this addon."""

import importlib.util
from pathlib import Path

from odoo.addons import logistics_sync_connector
from odoo.tests import TransactionCase, tagged

SCRIPT = Path(logistics_sync_connector.__file__).parent / "migrations/18.0.1.1.0/pre-migration.py"


def load_migration():
    spec = importlib.util.spec_from_file_location("connector_pre_migration_18_0_1_1_0", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestEasyPostMigration(TransactionCase):
    """Run on this database as if it were a connector 18.0.1.0.0 without the addon."""

    def setUp(self):
        super().setUp()
        self.migrate = load_migration().migrate
        self.backend = self.env["logistics.backend"].with_context(logistics_new_secret=False).create({
            "name": "Old EasyPost", "code": "old-easypost", "backend_type": "carrier",
            "adapter": "easypost"})
        self.env.flush_all()
        # The state of a database before the upgrade: the addon known but not installed,
        # the demo backend's external ids still the connector's.
        self.env.cr.execute(
            "UPDATE ir_module_module SET state = 'uninstalled' WHERE name = 'logistics_sync_easypost'")
        self.env.cr.execute(
            """UPDATE ir_model_data SET module = 'logistics_sync_connector'
                WHERE module = 'logistics_sync_easypost' AND name = 'demo_backend_easypost'""")

    def state(self):
        self.env.cr.execute(
            "SELECT state FROM ir_module_module WHERE name = 'logistics_sync_easypost'")
        return self.env.cr.fetchone()[0]

    def test_easypost_backends_get_the_addon_installed_and_are_kept(self):
        self.migrate(self.env.cr, "18.0.1.0.0")
        self.assertEqual(self.state(), "to install")
        self.env.cr.execute("SELECT adapter FROM logistics_backend WHERE id = %s", [self.backend.id])
        self.assertEqual(self.env.cr.fetchone()[0], "easypost", "the row is untouched")
        self.env.cr.execute(
            """SELECT module FROM ir_model_data WHERE name = 'demo_backend_easypost'
                AND model = 'logistics.backend'""")
        self.assertIn(self.env.cr.fetchone(), (None, ("logistics_sync_easypost",)))

    def test_without_easypost_backends_nothing_is_installed(self):
        self.env.cr.execute("UPDATE logistics_backend SET adapter = 'generic' WHERE adapter = 'easypost'")
        self.migrate(self.env.cr, "18.0.1.0.0")
        self.assertEqual(self.state(), "uninstalled")

    def test_a_new_install_is_left_alone(self):
        self.migrate(self.env.cr, None)
        self.assertEqual(self.state(), "uninstalled")

    def test_the_selection_value_belongs_to_this_addon(self):
        """After the upgrade the value is the addon's: uninstalling it later keeps the
        backends (adapters.ondelete), never deletes them."""
        field = self.env["logistics.backend"]._fields["adapter"]
        self.assertIn("easypost", dict(field.selection))
        self.assertIn("easypost", field.ondelete)
        self.assertTrue(callable(field.ondelete["easypost"]))
        self.env.cr.execute(
            """SELECT d.module FROM ir_model_data d
                 JOIN ir_model_fields_selection s ON s.id = d.res_id
                 JOIN ir_model_fields f ON f.id = s.field_id
                WHERE d.model = 'ir.model.fields.selection' AND f.model = 'logistics.backend'
                  AND f.name = 'adapter' AND s.value = 'easypost'""")
        self.assertEqual({m for (m,) in self.env.cr.fetchall()}, {"logistics_sync_easypost"})
