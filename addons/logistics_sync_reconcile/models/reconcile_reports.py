"""SQL-backed reconciliation reports (read-only models over PostgreSQL views).

Each view reads only indexed columns of large tables and filters on them first, so
that it stays fast on hundreds of thousands of shipments (see bench/).
"""

from odoo import _, fields, models, tools
from odoo.exceptions import UserError

TERMINAL = "('delivered', 'returned', 'cancelled')"


class ReconcileReportMixin(models.AbstractModel):
    _name = "logistics.reconcile.mixin"
    _description = "Reconciliation report"
    _auto = False

    def _view_query(self):
        raise NotImplementedError

    def init(self):
        if self._abstract:
            return
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(f"CREATE OR REPLACE VIEW {self._table} AS ({self._view_query()})")

    def action_open_shipment(self):
        self.ensure_one()
        return self.shipment_id._logistics_open()


class LogisticsReconcileUninvoiced(models.Model):
    _name = "logistics.reconcile.uninvoiced"
    _inherit = "logistics.reconcile.mixin"
    _auto = False
    _description = "Delivered but not invoiced"
    _depends = {
        "logistics.shipment": [
            "state",
            "pod_received",
            "pod_date",
            "date_delivered",
            "last_event_at",
            "current_milestone_id",
            "invoice_released",
            "sale_id",
            "partner_id",
            "carrier_id",
            "company_id",
        ],
        "sale.order.line": [
            "qty_delivered",
            "qty_invoiced",
            "price_unit",
            "discount",
            "order_id",
            "product_id",
        ],
        "logistics.shipment.milestone": ["source"],
    }
    _order = "age_days desc"

    shipment_id = fields.Many2one("logistics.shipment", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    carrier_id = fields.Many2one("delivery.carrier", readonly=True)
    sale_id = fields.Many2one("sale.order", readonly=True)
    source = fields.Char("Backend", readonly=True)
    state = fields.Selection(related="shipment_id.state")
    pod_received = fields.Boolean("POD", readonly=True)
    date_delivered = fields.Datetime("Delivered On", readonly=True)
    age_days = fields.Float("Age (days)", readonly=True, aggregator="max")
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount_at_stake = fields.Monetary(readonly=True, currency_field="currency_id")

    def _view_query(self):
        return """
            SELECT s.id, s.id AS shipment_id, s.company_id, s.partner_id, s.carrier_id,
                   s.sale_id, s.pod_received,
                   cm.source,
                   COALESCE(s.date_delivered, s.pod_date) AS date_delivered,
                   EXTRACT(EPOCH FROM (now() AT TIME ZONE 'utc'
                       - COALESCE(s.date_delivered, s.pod_date, s.last_event_at))) / 86400.0
                       AS age_days,
                   so.currency_id,
                   COALESCE(stake.amount, 0.0) AS amount_at_stake
              FROM logistics_shipment s
              LEFT JOIN logistics_shipment_milestone cm ON cm.id = s.current_milestone_id
              LEFT JOIN sale_order so ON so.id = s.sale_id
              LEFT JOIN LATERAL (
                   SELECT SUM(GREATEST(sol.qty_delivered - sol.qty_invoiced, 0)
                              * sol.price_unit * (1 - COALESCE(sol.discount, 0) / 100.0)) AS amount
                     FROM sale_order_line sol WHERE sol.order_id = s.sale_id
              ) stake ON TRUE
             WHERE (s.state = 'delivered' OR s.pod_received)
               AND NOT s.invoice_released
               AND (s.sale_id IS NULL OR COALESCE(stake.amount, 0) > 0)
        """

    def action_release_invoices(self):
        return self.shipment_id.action_release_invoices()


class LogisticsReconcileInvoicedWithoutPod(models.Model):
    _name = "logistics.reconcile.invoiced.nopod"
    _inherit = "logistics.reconcile.mixin"
    _auto = False
    _description = "Invoiced without POD"
    _depends = {
        "logistics.shipment": [
            "state",
            "pod_received",
            "pod_date",
            "date_delivered",
            "last_event_at",
            "current_milestone_id",
            "invoice_released",
            "sale_id",
            "partner_id",
            "carrier_id",
            "company_id",
        ],
        "account.move": [
            "state",
            "move_type",
            "amount_untaxed",
            "logistics_pod_override",
            "logistics_pod_override_reason",
        ],
        "sale.order": ["logistics_invoice_policy"],
        "account.move.line": ["sale_line_ids"],
    }
    _order = "invoice_date desc"

    invoice_id = fields.Many2one("account.move", readonly=True)
    sale_id = fields.Many2one("sale.order", readonly=True)
    shipment_id = fields.Many2one("logistics.shipment", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    carrier_id = fields.Many2one("delivery.carrier", readonly=True)
    invoice_date = fields.Date(readonly=True)
    age_days = fields.Float("Age (days)", readonly=True, aggregator="max")
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount = fields.Monetary(readonly=True, currency_field="currency_id")
    override = fields.Boolean("Overridden", readonly=True)
    override_reason = fields.Char(readonly=True)
    override_user_id = fields.Many2one("res.users", "Overridden By", readonly=True)

    def _view_query(self):
        return """
            SELECT am.id, am.id AS invoice_id, io.order_id AS sale_id,
                   (SELECT s.id FROM logistics_shipment s WHERE s.sale_id = io.order_id
                     ORDER BY s.id LIMIT 1) AS shipment_id,
                   am.company_id, am.partner_id, so.carrier_id, am.invoice_date,
                   (CURRENT_DATE - am.invoice_date)::float AS age_days,
                   am.currency_id, am.amount_untaxed AS amount,
                   COALESCE(am.logistics_pod_override, FALSE) AS override,
                   am.logistics_pod_override_reason AS override_reason,
                   am.logistics_pod_override_user_id AS override_user_id
              FROM account_move am
              JOIN (SELECT DISTINCT aml.move_id, sol.order_id
                      FROM account_move_line aml
                      JOIN sale_order_line_invoice_rel rel ON rel.invoice_line_id = aml.id
                      JOIN sale_order_line sol ON sol.id = rel.order_line_id) io
                ON io.move_id = am.id
              JOIN sale_order so ON so.id = io.order_id
             WHERE am.state = 'posted' AND am.move_type = 'out_invoice'
               AND so.logistics_invoice_policy = 'on_pod'
               AND NOT EXISTS (SELECT 1 FROM logistics_shipment s
                                WHERE s.sale_id = so.id AND s.pod_received)
        """

    def action_open_invoice(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.invoice_id.id,
            "view_mode": "form",
        }


class LogisticsReconcileStale(models.Model):
    _name = "logistics.reconcile.stale"
    _inherit = "logistics.reconcile.mixin"
    _auto = False
    _description = "Stale and exception shipments"
    _depends = {
        "logistics.shipment": [
            "state",
            "pod_received",
            "pod_date",
            "date_delivered",
            "last_event_at",
            "current_milestone_id",
            "invoice_released",
            "sale_id",
            "partner_id",
            "carrier_id",
            "company_id",
        ],
        "delivery.carrier": ["logistics_sla_hours"],
        "logistics.shipment.milestone": ["source"],
    }
    _order = "hours_silent desc"

    shipment_id = fields.Many2one("logistics.shipment", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    carrier_id = fields.Many2one("delivery.carrier", readonly=True)
    source = fields.Char("Backend", readonly=True)
    state = fields.Selection(related="shipment_id.state")
    issue = fields.Selection(
        [("stale", "No news past the SLA"), ("exception", "Exception")], readonly=True
    )
    last_event_at = fields.Datetime(readonly=True)
    hours_silent = fields.Float("Hours without news", readonly=True, aggregator="max")
    sla_hours = fields.Integer("SLA (h)", readonly=True)

    def _view_query(self):
        return f"""
            SELECT s.id, s.id AS shipment_id, s.company_id, s.partner_id, s.carrier_id,
                   cm.source,
                   CASE WHEN s.state IN ('exception', 'delivery_failed', 'on_hold')
                        THEN 'exception' ELSE 'stale' END AS issue,
                   s.last_event_at,
                   EXTRACT(EPOCH FROM (now() AT TIME ZONE 'utc'
                       - COALESCE(s.last_event_at, s.create_date))) / 3600.0 AS hours_silent,
                   COALESCE(c.logistics_sla_hours, 48) AS sla_hours
              FROM logistics_shipment s
              LEFT JOIN logistics_shipment_milestone cm ON cm.id = s.current_milestone_id
              LEFT JOIN delivery_carrier c ON c.id = s.carrier_id
             WHERE s.state NOT IN {TERMINAL} AND s.state != 'draft'
               AND (s.state IN ('exception', 'delivery_failed', 'on_hold')
                    OR COALESCE(s.last_event_at, s.create_date) < (now() AT TIME ZONE 'utc')
                       - make_interval(hours => COALESCE(c.logistics_sla_hours, 48)))
        """


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
            ("invalid", "Invalid payload"),
            ("duplicate", "Duplicate milestone reports"),
        ],
        readonly=True,
    )
    message_count = fields.Integer("Count", readonly=True, aggregator="sum")
    oldest = fields.Datetime(readonly=True)
    age_days = fields.Float("Age (days)", readonly=True, aggregator="max")

    def _view_query(self):
        return """
            SELECT row_number() OVER () AS id, q.* FROM (
                SELECT m.backend_id, m.company_id, m.state AS issue, count(*) AS message_count,
                       min(m.received_at) AS oldest,
                       EXTRACT(EPOCH FROM (now() AT TIME ZONE 'utc' - min(m.received_at))) / 86400.0
                           AS age_days
                  FROM logistics_sync_message m
                 WHERE m.state IN ('failed', 'dead', 'unmapped', 'unmatched', 'invalid')
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
            raise UserError(_("Nothing to replay here."))
        messages.action_replay()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("%s message(s) queued again.", len(messages)),
            },
        }


class LogisticsReconcileQuantity(models.Model):
    _name = "logistics.reconcile.quantity"
    _inherit = "logistics.reconcile.mixin"
    _auto = False
    _description = "Delivered vs invoiced quantity"
    _depends = {
        "sale.order.line": [
            "qty_delivered",
            "qty_invoiced",
            "price_unit",
            "discount",
            "order_id",
            "product_id",
        ],
        "sale.order": ["state", "partner_id", "carrier_id"],
    }
    _order = "sale_id desc"

    sale_line_id = fields.Many2one("sale.order.line", readonly=True)
    sale_id = fields.Many2one("sale.order", readonly=True)
    shipment_id = fields.Many2one("logistics.shipment", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    carrier_id = fields.Many2one("delivery.carrier", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    qty_delivered = fields.Float(readonly=True)
    qty_invoiced = fields.Float(readonly=True)
    qty_difference = fields.Float("Delivered - Invoiced", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount_difference = fields.Monetary(readonly=True, currency_field="currency_id")

    def _view_query(self):
        return """
            SELECT sol.id, sol.id AS sale_line_id, sol.order_id AS sale_id,
                   (SELECT s.id FROM logistics_shipment s WHERE s.sale_id = sol.order_id
                     ORDER BY s.id LIMIT 1) AS shipment_id,
                   sol.company_id, so.partner_id, so.carrier_id, sol.product_id,
                   sol.qty_delivered, sol.qty_invoiced,
                   sol.qty_delivered - sol.qty_invoiced AS qty_difference,
                   so.currency_id,
                   (sol.qty_delivered - sol.qty_invoiced) * sol.price_unit
                       * (1 - COALESCE(sol.discount, 0) / 100.0) AS amount_difference
              FROM sale_order_line sol
              JOIN sale_order so ON so.id = sol.order_id
             WHERE so.state = 'sale' AND NOT COALESCE(sol.is_delivery, FALSE)
               AND sol.display_type IS NULL
               AND abs(sol.qty_delivered - sol.qty_invoiced) > 0.00001
               AND EXISTS (SELECT 1 FROM logistics_shipment s WHERE s.sale_id = sol.order_id)
        """
