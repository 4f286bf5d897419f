# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import base64
import binascii
import logging
import os

from odoo import api, fields, models
from odoo.addons.logistics_sync_connector.lib import adapters
from odoo.exceptions import AccessError, UserError, ValidationError

from ..lib import x12_214

_logger = logging.getLogger(__name__)

ROOT_PARAM = "logistics_sync_x12_214.folder_root"
MAX_FILE_BYTES = 20 << 20
DONE, ERROR, ACK = "done", "error", "ack"


class LogisticsBackend(models.Model):
    _inherit = "logistics.backend"

    adapter = fields.Selection(
        selection_add=[(x12_214.X12214Adapter.key, x12_214.X12214Adapter.label)],
        ondelete=adapters.ondelete(x12_214.X12214Adapter.key),
    )
    x12_folder = fields.Char(
        "X12 Pickup Folder", groups="logistics_sync.group_logistics_admin",
        help="A directory on the Odoo server polled for X12 214 files: each file is moved "
        "to done/ once stored (error/ when rejected) and its 997 acknowledgment is written "
        "to ack/. It must lie under the root that a system administrator sets in the "
        "system parameter logistics_sync_x12_214.folder_root.",
    )

    @api.constrains("x12_folder")
    def _check_x12_folder(self):
        for rec in self:
            if rec.x12_folder:
                rec._x12_folder_path()

    def _x12_folder_path(self):
        """The pickup folder, resolved, once checked to lie under the configured root."""
        self.ensure_one()
        root = self.env["ir.config_parameter"].sudo().get_param(ROOT_PARAM)
        if not root:
            raise ValidationError(self.env._(
                "Folder pickup is off: a system administrator must first set the system "
                "parameter %s to the directory that pickup folders must lie under.", ROOT_PARAM))
        folder = os.path.realpath(self.x12_folder)
        root = os.path.realpath(root)
        if os.path.commonpath([folder, root]) != root:
            raise ValidationError(self.env._("The pickup folder %(folder)s is not under %(root)s.",
                                             folder=folder, root=root))
        return folder

    # ------------------------------------------------------------------ import
    def import_file(self, filename, content_base64):
        """Store an X12 214 file (base64) on this backend; returns the ids of the stored
        messages (one per 214 transaction set, or the one invalid message of a rejected
        file). For people (the Import File wizard) and scripts (RPC).

        Who may: logistics managers (they handle the inbox). The file is then stored
        as the backend's integration user, as a webhook delivery would be."""
        self.ensure_one()
        if not self.env.user.has_group("logistics_sync.group_logistics_manager"):
            raise AccessError(self.env._("Only logistics managers may import files."))
        self.check_access("read")
        if self.adapter != x12_214.X12214Adapter.key:
            raise UserError(self.env._("Backend %s does not receive X12 214 files.", self.name))
        if not isinstance(filename, str) or not filename.strip() or "/" in filename:
            raise UserError(self.env._("A file name (without a directory) is required."))
        try:
            if isinstance(content_base64, str):  # line-wrapped base64 (MIME) is fine
                content_base64 = "".join(content_base64.split())
            content = base64.b64decode(content_base64 or b"", validate=True)
        except (binascii.Error, TypeError, ValueError) as exc:
            raise UserError(self.env._("The content is not valid base64.")) from exc
        if len(content) > MAX_FILE_BYTES:
            raise UserError(self.env._("The file is larger than %s bytes.", MAX_FILE_BYTES))
        ids, _ack, _ok = self._x12_receive(filename.strip(), content)
        return ids

    def _x12_receive(self, filename, content):
        """Store a file as the integration user, in the backend's company."""
        user = self.integration_user_id
        inbox = self.env["logistics.inbox"].with_user(user).with_context(
            allowed_company_ids=[self.company_id.id], tracking_disable=True)
        return inbox._receive_x12(self.with_env(inbox.env), filename, content)

    def action_x12_import(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "logistics.x12.import.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_backend_id": self.id},
        }

    # ------------------------------------------------------------------ folder pickup
    @api.model
    def _cron_x12_pickup(self, limit=200):
        """Cron: store the files waiting in the pickup folders, then (once committed)
        move each to done/ or error/ and write its 997 to ack/. A file whose handling
        fails unexpectedly stays where it is for the next run (duplicates are dropped)."""
        backends = self.search([("adapter", "=", x12_214.X12214Adapter.key),
                                       ("x12_folder", "!=", False)])
        for backend in backends:
            try:
                folder = backend._x12_folder_path()
            except ValidationError as exc:
                _logger.warning("backend %s: pickup skipped: %s", backend.code, exc)
                continue
            for name in backend._x12_waiting(folder)[:limit]:
                backend._x12_pickup_file(folder, name)

    def _x12_waiting(self, folder):
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            _logger.warning("backend %s: cannot list %s: %s", self.code, folder, exc)
            return []
        return [e.name for e in entries
                if not e.name.startswith(".") and e.is_file(follow_symlinks=False)]

    def _x12_pickup_file(self, folder, name):
        path = os.path.join(folder, name)
        try:
            with open(path, "rb") as handle:
                content = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            _logger.warning("backend %s: cannot read %s: %s", self.code, path, exc)
            return
        if len(content) > MAX_FILE_BYTES:
            _logger.warning("backend %s: %s is larger than %s bytes", self.code, path, MAX_FILE_BYTES)
            self.env.cr.postcommit.add(lambda: _move(folder, name, ERROR))
            return
        try:
            with self.env.cr.savepoint():
                _ids, ack, ok = self._x12_receive(name, content)
        except Exception:  # noqa: BLE001 - left in place for the next run
            _logger.exception("backend %s: %s could not be stored", self.code, path)
            return

        def finish():
            if ack:
                _write(folder, ACK, f"{name}.997", ack)
            _move(folder, name, DONE if ok else ERROR)

        self.env.cr.postcommit.add(finish)


def _write(folder, sub, name, text):
    target = os.path.join(folder, sub)
    try:
        os.makedirs(target, exist_ok=True)
        with open(os.path.join(target, name), "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        _logger.warning("cannot write %s/%s: %s", target, name, exc)


def _move(folder, name, sub):
    target = os.path.join(folder, sub)
    try:
        os.makedirs(target, exist_ok=True)
        os.replace(os.path.join(folder, name), os.path.join(target, name))
    except OSError as exc:
        _logger.warning("cannot move %s to %s: %s", name, target, exc)
