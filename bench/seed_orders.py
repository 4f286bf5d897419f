"""Orders, deliveries and invoices behind the seeded BENCH- shipments (reconcile benchmark).

One order of 10 units is made through the ORM (confirmed, its delivery, its draft invoice);
its rows are then copied with SQL once per shipment, so every table is filled the way
Odoo fills it, without knowing each table's required columns. Proportions, by the
shipment's number g (g % 100):

* shipment delivered 0-79 (POD 0-74), in transit or exception 80-99 (from bench/seed.sql);
* invoice posted 0-66 (released, POD) and 75-77 (invoiced without POD: 3 %), draft 67-74;
* invoiced quantity one short of the delivered quantity on 0-1 (quantity mismatches: 2 %).
"""

QTY = 10.0


def _case(g, cases, default):
    """A SQL CASE over ``g % 100`` ranges: cases = [((lo, hi), sql), ...] (hi inclusive)."""
    whens = " ".join(f"WHEN ({g}) % 100 BETWEEN {lo} AND {hi} THEN {sql}" for (lo, hi), sql in cases)
    return f"CASE {whens} ELSE {default} END"


def _columns(cr, table):
    cr.execute("""SELECT column_name FROM information_schema.columns
                   WHERE table_name = %s AND column_name != 'id' ORDER BY ordinal_position""", [table])
    return [r[0] for r in cr.fetchall()]


def _clone(cr, table, template_ids, copies, overrides):
    """Insert ``copies`` copies of rows ``template_ids`` of ``table``: copy k (1-based) of
    the j-th template row (1-based, by id) gets id base + (k - 1) * len(template_ids) + j.
    ``overrides`` maps a column to a SQL expression of ``k`` and ``t`` (the template row).
    Returns base."""
    cr.execute(f"SELECT COALESCE(max(id), 0) FROM {table}")
    base = cr.fetchone()[0]
    rows = len(template_ids)
    columns = _columns(cr, table)
    values = [overrides.get(c, f't."{c}"') for c in columns]
    cr.execute(f"""
        INSERT INTO {table} (id, {", ".join(f'"{c}"' for c in columns)})
        SELECT {base} + (k - 1) * {rows} + t.rn, {", ".join(values)}
          FROM generate_series(1, {copies}) k
         CROSS JOIN (SELECT *, row_number() OVER (ORDER BY id) AS rn
                       FROM {table} WHERE id IN ({", ".join(map(str, template_ids))})) t""")
    cr.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    # Fresh statistics before the next table's foreign keys look rows up here: planned on
    # the small template table, each check would scan the whole table.
    cr.execute(f"ANALYZE {table}")
    return base


def _template(env, partner):
    """One confirmed order of QTY units, its delivery done and its draft invoice."""
    product = env["product.product"].create({
        "name": "Bench Widget", "is_storable": True, "invoice_policy": "delivery",
        "list_price": 25.0, "default_code": "BENCH-WIDGET"})
    order = env["sale.order"].create({
        "partner_id": partner.id, "logistics_invoice_policy": "on_pod",
        "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": QTY})]})
    order.action_confirm()
    picking = order.picking_ids
    picking.move_ids.quantity = QTY
    picking.move_ids.picked = True
    picking._action_done()
    invoice = order._create_invoices()
    env.flush_all()
    return order, picking, invoice


def seed(env, shipments):
    """Give the first ``shipments`` BENCH- shipments an order, a delivery and an invoice."""
    cr = env.cr
    partner = env["res.partner"].search([("is_company", "=", True)], limit=1)
    order, picking, invoice = _template(env, partner)
    cr.execute("SELECT count(*) FROM logistics_shipment WHERE name LIKE 'BENCH-%'")
    n = min(shipments, cr.fetchone()[0])
    line = order.order_line
    moves = picking.move_ids
    move_lines = picking.move_line_ids
    amls = invoice.line_ids
    product_aml = invoice.invoice_line_ids
    delivered = "(k % 100) < 80"
    posted = "((k % 100) < 67 OR (k % 100) BETWEEN 75 AND 77)"
    invoiced = "(k % 100) < 78"  # posted or draft
    qty_invoiced = f"CASE WHEN {invoiced} THEN (CASE WHEN (k % 100) < 2 THEN {QTY - 1} ELSE {QTY} END) ELSE 0 END"
    so = _clone(cr, "sale_order", order.ids, n, {
        "name": "'BSO' || lpad(k::text, 6, '0')",
        "invoice_status": f"CASE WHEN {invoiced} THEN 'invoiced' WHEN {delivered} THEN 'to invoice' ELSE 'no' END",
    })
    sol = _clone(cr, "sale_order_line", line.ids, n, {
        "order_id": f"{so} + k",
        "qty_delivered": f"CASE WHEN {delivered} THEN {QTY} ELSE 0 END",
        "qty_invoiced": qty_invoiced,
        "qty_to_invoice": f"CASE WHEN {delivered} THEN {QTY} ELSE 0 END - ({qty_invoiced})",
        "invoice_status": f"CASE WHEN {invoiced} THEN 'invoiced' WHEN {delivered} THEN 'to invoice' ELSE 'no' END",
    })
    state = f"CASE WHEN {delivered} THEN 'done' ELSE 'assigned' END"
    sp = _clone(cr, "stock_picking", picking.ids, n, {
        "name": "'BENCH/OUT/' || lpad(k::text, 6, '0')", "sale_id": f"{so} + k", "state": state,
        "date_done": f"CASE WHEN {delivered} THEN t.date_done END",
        "logistics_shipment_id": "NULL",
    })
    sm = _clone(cr, "stock_move", moves.ids, n, {
        "picking_id": f"{sp} + k", "sale_line_id": f"{sol} + k", "state": state,
        "quantity": f"CASE WHEN {delivered} THEN {QTY} ELSE 0 END",
    })
    _clone(cr, "stock_move_line", move_lines.ids, n, {
        "picking_id": f"{sp} + k", "move_id": f"{sm} + k", "state": state,
    })
    move_state = f"CASE WHEN {posted} THEN 'posted' ELSE 'draft' END"
    am = _clone(cr, "account_move", invoice.ids, n, {
        "name": f"CASE WHEN {posted} THEN 'BINV/' || lpad(k::text, 6, '0') ELSE '/' END",
        "state": move_state, "sequence_number": "k", "sequence_prefix": "'BINV/'",
        "invoice_date": f"CASE WHEN {posted} THEN CURRENT_DATE END",
        "invoice_origin": "'BSO' || lpad(k::text, 6, '0')",
    })
    aml = _clone(cr, "account_move_line", amls.ids, n, {
        "move_id": f"{am} + k", "parent_state": move_state,
        "move_name": f"CASE WHEN {posted} THEN 'BINV/' || lpad(k::text, 6, '0') ELSE '/' END",
    })
    # Invoiced orders only: the others' invoices exist but are not linked to their line.
    position = sorted(amls.ids).index(product_aml.id) + 1
    cr.execute(f"""
        INSERT INTO sale_order_line_invoice_rel (invoice_line_id, order_line_id)
        SELECT {aml} + (k - 1) * {len(amls)} + {position}, {sol} + k
          FROM generate_series(1, {n}) k WHERE {invoiced}""")
    # Shipment g gets copy g: its order, its delivery; released when its invoice is posted with POD.
    cr.execute(f"""
        UPDATE logistics_shipment s
           SET sale_id = {so} + g.k, invoice_released = (g.k % 100) < 67
          FROM (SELECT id, split_part(name, '-', 2)::int AS k FROM logistics_shipment
                 WHERE name LIKE 'BENCH-%') g
         WHERE s.id = g.id AND g.k <= {n}""")
    cr.execute(f"""
        UPDATE stock_picking p SET logistics_shipment_id = s.id
          FROM logistics_shipment s
         WHERE s.name LIKE 'BENCH-%' AND split_part(s.name, '-', 2)::int <= {n}
           AND p.id = {sp} + split_part(s.name, '-', 2)::int""")
    # 1 % of the released invoices had their proof withdrawn (a voided POD or a return)
    # after release: flagged, linked to their shipment, no credit note yet.
    withdrawn = "(k % 100) = 10"
    cr.execute(f"""
        UPDATE account_move SET logistics_proof_withdrawn = TRUE,
               logistics_proof_withdrawn_reason = 'Proof of delivery voided (bench)',
               logistics_proof_withdrawn_date = now() AT TIME ZONE 'utc'
          FROM generate_series(1, {n}) k WHERE {withdrawn} AND account_move.id = {am} + k""")
    cr.execute(f"""
        INSERT INTO logistics_shipment_invoice_rel (shipment_id, move_id)
        SELECT s.id, {am} + split_part(s.name, '-', 2)::int FROM logistics_shipment s
         WHERE s.name LIKE 'BENCH-%' AND split_part(s.name, '-', 2)::int <= {n}
           AND split_part(s.name, '-', 2)::int % 100 = 10""")
    cr.execute("ANALYZE sale_order_line_invoice_rel")
    cr.execute("ANALYZE logistics_shipment")
    return n
