-- Synthetic volume for the reconciliation benchmark: :shipments shipments with 10
-- milestones each (80% delivered, POD on 75%, exceptions, stale ones, planned / estimated /
-- promised deliveries) and sync messages;
-- bench/seed_orders.py then gives each its order, delivery and invoice.
-- Run with psql -v shipments=100000 -v backend=<id> -v company=<id> -v partner=<id>.
\set ON_ERROR_STOP on
BEGIN;
CREATE TEMP TABLE _codes AS SELECT id, code FROM logistics_milestone_code;
INSERT INTO logistics_shipment (name, company_id, partner_id, state, last_event_at, date_delivered,
                                pod_received, pod_date, pod_signed_by, invoice_released,
                                date_planned, date_estimated, date_promised,
                                create_date, write_date, create_uid, write_uid)
SELECT 'BENCH-' || g, :company, :partner,
       CASE WHEN g % 100 < 80 THEN 'delivered' WHEN g % 100 < 85 THEN 'exception' ELSE 'in_transit' END,
       now() - (g % 500) * interval '1 hour',
       CASE WHEN g % 100 < 80 THEN now() - (g % 500) * interval '1 hour' END,
       g % 100 < 75, CASE WHEN g % 100 < 75 THEN now() - (g % 500) * interval '1 hour' END,
       CASE WHEN g % 100 < 75 THEN 'Bench Signer' END, g % 100 < 67,
       -- planned within ±5 days; an ETA on two thirds (-1 to +2 days from planned), a
       -- promise on half: late against promise and late shipments for the reports
       now() + ((g % 240) - 120) * interval '1 hour',
       CASE WHEN g % 3 != 0 THEN now() + ((g % 240) - 120 + (g % 72) - 24) * interval '1 hour' END,
       CASE WHEN g % 2 = 0 THEN now() + ((g % 240) - 108) * interval '1 hour' END,
       now(), now(), 1, 1
  FROM generate_series(1, :shipments) g;
INSERT INTO logistics_shipment_milestone (shipment_id, company_id, code_id, code, occurred_at,
                                          received_at, source, effect, create_date, write_date,
                                          create_uid, write_uid)
SELECT s.id, s.company_id, c.id, c.code, now() - (k * interval '3 hour') - (s.id % 500) * interval '1 hour',
       now(), 'bench', 'history', now(), now(), 1, 1
  FROM logistics_shipment s
  CROSS JOIN generate_series(1, 10) k
  JOIN _codes c ON c.code = (ARRAY['created','picked_up','in_transit','in_transit','in_transit',
                                   'in_transit','in_transit','out_for_delivery','delivered',
                                   'pod_received'])[11 - k]
 WHERE s.name LIKE 'BENCH-%';
UPDATE logistics_shipment s SET current_milestone_id = m.id
  FROM logistics_shipment_milestone m
 WHERE m.shipment_id = s.id AND m.code = 'delivered' AND s.name LIKE 'BENCH-%';
INSERT INTO logistics_sync_message (uuid, backend_id, company_id, direction, event_id, state,
                                    received_at, attempts, create_date, write_date, create_uid, write_uid)
SELECT md5(g::text), :backend, :company, 'in', 'bench-' || g,
       (ARRAY['done','done','done','done','done','done','dead','unmapped','unmatched','failed'])[1 + g % 10],
       now() - (g % 1000) * interval '1 minute', 0, now(), now(), 1, 1
  FROM generate_series(1, :shipments) g;
COMMIT;
ANALYZE logistics_shipment; ANALYZE logistics_shipment_milestone; ANALYZE logistics_sync_message;
