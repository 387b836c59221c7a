-- Contract v4: reviews reads sales' refund.completed events from a pull feed (GET /internal/events), and a
-- customer's net spend (GET /internal/customers/:customerId/spend) to weigh their reports.

-- The feed's cursor must follow commit order, which seq (a bigserial, taken before commit) does not. Each event
-- row records its writing transaction's id (the top-level xid8, the same for every row of one transaction); the
-- feed answers only rows whose transaction is older than every transaction still running
-- (xid < pg_snapshot_xmin(pg_current_snapshot())), ordered by (xid, id). Every later commit has a larger xid, so
-- a cursor never passes a row that commits afterwards.
ALTER TABLE "outbox_events" ADD COLUMN "xid" xid8 NOT NULL DEFAULT pg_current_xact_id();
-- The feed reads one event type after a cursor: one index range scan, whatever the table's size.
CREATE INDEX "outbox_events_type_xid_id_idx" ON "outbox_events" ("type", "xid", "id");

-- Each customer's completed purchases net of refunds, maintained by a trigger on sales in the transaction that
-- completes a sale or a refund (a sum over a heavy buyer's 20,000 sales at every report would not be index-bound).
CREATE TABLE "customer_spend" (
    "customer_id" UUID NOT NULL,
    "net_cents" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "customer_spend_pkey" PRIMARY KEY ("customer_id"),
    CONSTRAINT "customer_spend_non_negative" CHECK ("net_cents" >= 0)
);

-- What a sale adds to its customer's net spend: its total less its refunds, once it is completed.
CREATE FUNCTION sale_net_cents(status "SaleStatus", total_cents BIGINT, refunded_cents BIGINT) RETURNS BIGINT
  LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN status = 'COMPLETED' THEN coalesce(total_cents, 0) - refunded_cents ELSE 0 END $$;

CREATE FUNCTION customer_spend_follow_sale() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta BIGINT := sale_net_cents(NEW.status, NEW.total_cents, NEW.refunded_cents)
    - CASE WHEN TG_OP = 'UPDATE' THEN sale_net_cents(OLD.status, OLD.total_cents, OLD.refunded_cents) ELSE 0 END;
BEGIN
  -- An INSERT's CHECK is tested on the proposed row before ON CONFLICT: a decrease (a refund, of a sale whose
  -- completion made the row) is a plain UPDATE.
  IF delta > 0 THEN
    INSERT INTO customer_spend AS s (customer_id, net_cents) VALUES (NEW.customer_id, delta)
    ON CONFLICT (customer_id) DO UPDATE SET net_cents = s.net_cents + EXCLUDED.net_cents, updated_at = now();
  ELSIF delta < 0 THEN
    UPDATE customer_spend SET net_cents = net_cents + delta, updated_at = now() WHERE customer_id = NEW.customer_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER sales_customer_spend AFTER INSERT OR UPDATE OF status, total_cents, refunded_cents ON "sales"
  FOR EACH ROW EXECUTE FUNCTION customer_spend_follow_sale();

-- The sales made before this migration.
INSERT INTO customer_spend (customer_id, net_cents)
SELECT customer_id, sum(sale_net_cents(status, total_cents, refunded_cents)) FROM sales WHERE status = 'COMPLETED'
GROUP BY customer_id HAVING sum(sale_net_cents(status, total_cents, refunded_cents)) <> 0;
