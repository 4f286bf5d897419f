# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""EasyPost moved out of the connector into logistics_sync_easypost (issue 16).

A database with EasyPost backends gets that addon installed in the same upgrade, so
that the backends, their adapter value and its selection record stay as they are
(the connector's upgrade keeps unknown selection values; the addon's selection_add
takes the value over before the end of the update). The demo EasyPost backend's
external ids move with it."""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)
ADDON = "logistics_sync_easypost"
MOVED_XMLIDS = ("demo_backend_easypost", "demo_backend_easypost_secret")


def migrate(cr, version):
    if not version:
        return
    cr.execute("SELECT count(*) FROM logistics_backend WHERE adapter = 'easypost'")
    backends = cr.fetchone()[0]
    cr.execute(
        """UPDATE ir_model_data SET module = %s
            WHERE module = 'logistics_sync_connector' AND name IN %s""",
        [ADDON, MOVED_XMLIDS])
    if not backends:
        return
    cr.execute("SELECT state FROM ir_module_module WHERE name = %s", [ADDON])
    row = cr.fetchone()
    if not row:
        api.Environment(cr, SUPERUSER_ID, {})["ir.module.module"].update_list()
        cr.execute("SELECT state FROM ir_module_module WHERE name = %s", [ADDON])
        row = cr.fetchone()
    if not row:
        _logger.error("%d EasyPost backends, but the addon %s is not in the addons path: "
                      "they are kept but unusable until it is installed.", backends, ADDON)
        return
    if row[0] == "uninstalled":
        cr.execute("UPDATE ir_module_module SET state = 'to install' WHERE name = %s", [ADDON])
        _logger.info("%d EasyPost backends: %s will be installed.", backends, ADDON)
