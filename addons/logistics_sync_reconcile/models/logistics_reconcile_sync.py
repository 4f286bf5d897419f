# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models
from odoo.addons.logistics_sync.lib.states import MESSAGE_ATTENTION, sql_in
from odoo.exceptions import UserError


class LogisticsReconcileSync(models.Model):
    _name = "logistics.reconcile.sync"
    _inherit = "logistics.reconcile.mixin"
    _auto = False
    _description = "Sync issues per backend"
    _depends = {
        "logistics.sync.message": ["state", "backend_id", "received_at"],
        "logistics.shipment.milestone.duplicate": ["source", "received_at"],
    }
    _order = "backend_id, issue"

    backend_id = fields.Many2one("logistics.backend", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    issue = fields.Selection(
        [
            ("failed", "Failed"),
            ("dead", "Dead"),
            ("unmapped", "Unmapped code"),
            ("unmatched", "Unmatched shipment"),
            ("unauthorized", "Outside the backend's authority"),
            ("invalid", "Invalid payload"),
            ("duplicate", "Duplicate milestone reports"),
        ],
        readonly=True,
    )
    message_count = fields.Integer("Count", readonly=True, aggregator="sum")
    oldest = fields.Datetime(readonly=True)
    age_days = fields.Float("Age (days)", readonly=True, aggregator="max")

    def _view_query(self):
        return f"""
            SELECT row_number() OVER () AS id, q.* FROM (
                SELECT m.backend_id, m.company_id, m.state AS issue, count(*) AS message_count,
                       min(m.received_at) AS oldest,
                       EXTRACT(EPOCH FROM (now() AT TIME ZONE 'utc' - min(m.received_at))) / 86400.0
                           AS age_days
                  FROM logistics_sync_message m
                 WHERE m.state IN {sql_in(MESSAGE_ATTENTION)}
                 GROUP BY m.backend_id, m.company_id, m.state
                UNION ALL
                SELECT b.id, b.company_id, 'duplicate', count(*), min(d.received_at),
                       EXTRACT(EPOCH FROM (now() AT TIME ZONE 'utc' - min(d.received_at))) / 86400.0
                  FROM logistics_shipment_milestone_duplicate d
                  JOIN logistics_backend b ON b.code = d.source
                 GROUP BY b.id, b.company_id
            ) q
        """

    def _messages(self):
        domain = [
            ("state", "in", list(set(self.mapped("issue")) - {"duplicate"})),
            ("backend_id", "in", self.backend_id.ids),
        ]
        return self.env["logistics.sync.message"].search(domain)

    def action_open_messages(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync_connector.logistics_sync_message_action"
        )
        action["domain"] = [("id", "in", self._messages().ids)]
        action["context"] = {}
        return action

    def action_replay_messages(self):
        messages = self._messages()
        if not messages:
            raise UserError(self.env._("Nothing to replay here."))
        messages.action_replay()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("%s message(s) queued again.", len(messages)),
            },
        }
