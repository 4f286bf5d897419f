# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class LogisticsX12ImportWizard(models.TransientModel):
    """Import File: one X12 214 file into a backend's inbox (logistics.backend.import_file)."""

    _name = "logistics.x12.import.wizard"
    _description = "Import an X12 214 File"

    backend_id = fields.Many2one("logistics.backend", required=True, ondelete="cascade")
    file = fields.Binary(required=True, attachment=False)
    filename = fields.Char()
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft")
    message_ids = fields.Many2many("logistics.sync.message", string="Messages")
    ack_file = fields.Binary("997 Acknowledgment", readonly=True, attachment=False)
    ack_filename = fields.Char()

    def action_import(self):
        self.ensure_one()
        filename = (self.filename or "upload.edi").replace("/", "_")
        ids = self.backend_id.import_file(filename, self.file)
        ack = self.env["ir.attachment"].search([
            ("res_model", "=", "logistics.sync.message"), ("res_id", "in", ids),
            ("name", "=", f"{filename}.997")], order="id desc", limit=1)
        self.write({
            "state": "done",
            "message_ids": [fields.Command.set(ids)],
            "ack_file": ack.datas if ack else False,
            "ack_filename": ack.name if ack else False,
        })
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_view_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync_connector.logistics_sync_message_action")
        action["domain"] = [("id", "in", self.message_ids.ids)]
        action["context"] = {}
        return action
