-- Contract v3: low-stock thresholds and alerts.

ALTER TABLE "items" ADD COLUMN "low_stock_threshold" INTEGER;
ALTER TABLE "items" ADD CONSTRAINT "items_low_stock_threshold_non_negative" CHECK ("low_stock_threshold" >= 0);
-- GET /items?lowStock=true (admin) in the default order.
CREATE INDEX "items_low_stock_idx" ON "items" ("created_at", "id") WHERE "deleted_at" IS NULL AND "stock_count" <= "low_stock_threshold";

-- An item in its public shape (as toItem in items.repo.ts writes it), for events written by SQL alone.
CREATE FUNCTION item_json(i "items") RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_build_object(
    'id', i.id, 'name', i.name, 'category', i.category, 'priceCents', i.price_cents, 'description', i.description,
    'stockCount', i.stock_count, 'lowStockThreshold', i.low_stock_threshold,
    'createdAt', to_char(i.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updatedAt', to_char(i.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
$$;

-- item.stock_low, once per crossing: when an update takes the stock from above the threshold to at or below
-- it. A trigger, so that every statement that takes stock (the reservation's single-statement CTE, the
-- careful take, adjustments, a PATCH) writes the event in its own statement and transaction, with no extra
-- round trip and nothing for a new stock path to forget.
CREATE FUNCTION items_stock_low() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO outbox_events (id, type, data) VALUES (gen_random_uuid(), 'item.stock_low', item_json(NEW));
  RETURN NULL;
END $$;
CREATE TRIGGER items_stock_low AFTER UPDATE OF "stock_count" ON "items" FOR EACH ROW
  WHEN (NEW.low_stock_threshold IS NOT NULL AND NEW.deleted_at IS NULL
        AND NEW.stock_count <= NEW.low_stock_threshold AND OLD.stock_count > NEW.low_stock_threshold)
  EXECUTE FUNCTION items_stock_low();
