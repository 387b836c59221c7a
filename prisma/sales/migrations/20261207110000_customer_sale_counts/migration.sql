-- Issue 23: a customer's GET /sales answers its total from a count maintained on write, not by counting up to
-- COUNT_EXACT_LIMIT (10,001) index entries of a heavy buyer's history on every page.
--
-- Expand only, so that the deploy holds no long lock at a million sales: the column is nullable (a catalogue change),
-- NULL meaning "not counted yet"; the trigger that keeps net_cents now also counts completions, from now on (NULL + 1
-- stays NULL). The customers counted before are filled by sales itself in small batches after it starts
-- (data/sale-counts.ts: rows locked FOR UPDATE SKIP LOCKED, counted after the lock, so a completion either waits for
-- the fill and adds to it, or committed before it and is counted by it); until then a page counts as before.
ALTER TABLE "customer_spend" ADD COLUMN "completed_sales" BIGINT;

CREATE OR REPLACE FUNCTION customer_spend_follow_sale() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta BIGINT := sale_net_cents(NEW.status, NEW.total_cents, NEW.refunded_cents)
    - CASE WHEN TG_OP = 'UPDATE' THEN sale_net_cents(OLD.status, OLD.total_cents, OLD.refunded_cents) ELSE 0 END;
  completed BIGINT := CASE WHEN NEW.status = 'COMPLETED' AND (TG_OP = 'INSERT' OR OLD.status <> 'COMPLETED') THEN 1 ELSE 0 END;
BEGIN
  -- An INSERT's CHECK is tested on the proposed row before ON CONFLICT: a decrease (a refund, of a sale whose
  -- completion made the row) is a plain UPDATE. A completion never decreases (nothing is refunded yet), and it
  -- makes the row: a customer's first completion inserts it, counted 1.
  IF delta > 0 OR completed > 0 THEN
    INSERT INTO customer_spend AS s (customer_id, net_cents, completed_sales) VALUES (NEW.customer_id, delta, completed)
    ON CONFLICT (customer_id) DO UPDATE SET net_cents = s.net_cents + EXCLUDED.net_cents,
      completed_sales = s.completed_sales + EXCLUDED.completed_sales, updated_at = now();
  ELSIF delta < 0 THEN
    UPDATE customer_spend SET net_cents = net_cents + delta, updated_at = now() WHERE customer_id = NEW.customer_id;
  END IF;
  RETURN NULL;
END $$;

-- Whether any row is left to count, asked by each instance at start (empty once the fill is done). The fill itself
-- walks the primary key: the partial index keeps the entries of rows already counted until a vacuum, and walking
-- it in order read 19,000 dead entries per batch at 200,000 customers.
CREATE INDEX "customer_spend_uncounted_idx" ON "customer_spend" ("customer_id") WHERE "completed_sales" IS NULL;

-- One batch of the fill: the next `batch` customers after `after_id` by primary key; those of them not counted yet are
-- locked (skipping rows a completing purchase holds: a later pass takes them), then counted. Each statement of a
-- volatile function sees what committed before it began, so the count, taken after the lock, sees every completion
-- that committed before the lock; a later one waits for this transaction and then adds its 1 to the count. Answers
-- the batch's last customer id (the next batch's `after_id`), NULL past the last customer.
CREATE FUNCTION fill_customer_sale_counts(after_id UUID, batch INT) RETURNS UUID LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  last_id UUID;
  ids UUID[];
BEGIN
  SELECT customer_id INTO last_id FROM (
    SELECT customer_id FROM customer_spend WHERE customer_id > after_id ORDER BY customer_id LIMIT batch) b
  ORDER BY customer_id DESC LIMIT 1;
  IF last_id IS NULL THEN RETURN NULL; END IF;
  SELECT array_agg(customer_id) INTO ids FROM (
    SELECT customer_id FROM customer_spend WHERE customer_id > after_id AND customer_id <= last_id AND completed_sales IS NULL
    FOR UPDATE SKIP LOCKED) b;
  IF ids IS NOT NULL THEN
    UPDATE customer_spend c SET completed_sales =
      (SELECT count(*) FROM sales s WHERE s.customer_id = c.customer_id AND s.status = 'COMPLETED')
    WHERE c.customer_id = ANY(ids);
  END IF;
  RETURN last_id;
END $$;
