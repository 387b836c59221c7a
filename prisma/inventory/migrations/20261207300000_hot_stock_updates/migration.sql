-- A purchase's stock update is heap-only, HOT (issue 23: the purchase rate at a million items).
--
-- While stock_count stood in two partial indexes' predicates (in stock: stock_count > 0; low stock: stock_count <=
-- low_stock_threshold), PostgreSQL could make no update of it a heap-only tuple: every purchase added an entry for
-- the item's new row version to all eleven of items' indexes, two of them trigram GINs over names and descriptions.
-- Small, those pages stay cached; at a million items the take wrote 28 KB of WAL (3.6 full-page images) and read
-- 3.4 pages from outside shared_buffers per purchase, against 3.5 KB small, and was the purchase's slowest step.
-- The predicates now read two stored generated columns, which change only when the stock crosses zero or the
-- threshold, so an update that leaves them as they were touches no index: one row version on the same page
-- (fillfactor 90 leaves the room; the column's table rewrite applies it to every page).
-- Adding the columns rewrites items and rebuilds its indexes under an ACCESS EXCLUSIVE lock: 31 s at a million items
-- on the bench machine, while every read and write of items waits (docs/operations.md, "Migrations").
ALTER TABLE "items" SET (fillfactor = 90);
ALTER TABLE "items"
  ADD COLUMN "in_stock" BOOLEAN GENERATED ALWAYS AS ("stock_count" > 0) STORED,
  ADD COLUMN "low_stock" BOOLEAN GENERATED ALWAYS AS ("stock_count" <= "low_stock_threshold") STORED;
DROP INDEX "items_in_stock_idx";
CREATE INDEX "items_in_stock_idx" ON "items" ("created_at", "id") WHERE "deleted_at" IS NULL AND "in_stock";
DROP INDEX "items_low_stock_idx";
CREATE INDEX "items_low_stock_idx" ON "items" ("created_at", "id") WHERE "deleted_at" IS NULL AND "low_stock";

-- The take's stock movements get time-ordered ids (uuid_v7(), migration 20261207000000_retention): a random id
-- lands on a random leaf of the movements' primary key, at a million movements one rarely cached (and a full-page
-- image in the WAL after each checkpoint); a v7 id lands beside the last one. Releases and returns (a failed or
-- refunded sale) keep random ids: ids are opaque, and they are a small share of the writes.
ALTER TABLE "stock_movements" ALTER COLUMN "id" SET DEFAULT uuid_v7();

CREATE OR REPLACE FUNCTION stock_take(p_reference VARCHAR, p_items UUID[], p_quantities INT[])
RETURNS TABLE (outcome TEXT, line INT, item_id UUID, quantity INT, item_name VARCHAR, unit_price_cents BIGINT, stock_after INT)
LANGUAGE plpgsql AS $$
DECLARE
  v_bad INT[];
BEGIN
  IF EXISTS (SELECT 1 FROM stock_reservations r WHERE r.reference = p_reference) THEN
    RETURN QUERY SELECT * FROM stock_take_earlier(p_reference, p_items, p_quantities);
    RETURN;
  END IF;
  PERFORM count(*) FROM (SELECT 1 FROM items i WHERE i.id = ANY(p_items) AND i.deleted_at IS NULL ORDER BY i.id FOR UPDATE) locked;
  SELECT array_agg(t.ord::int - 1 ORDER BY t.ord) INTO v_bad
    FROM unnest(p_items) WITH ORDINALITY t(id, ord)
    WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = t.id AND i.deleted_at IS NULL);
  IF v_bad IS NOT NULL THEN
    RETURN QUERY SELECT 'no_item'::text, b, NULL::uuid, NULL::int, NULL::varchar, NULL::bigint, NULL::int FROM unnest(v_bad) b;
    RETURN;
  END IF;
  SELECT array_agg(t.ord::int - 1 ORDER BY t.ord) INTO v_bad
    FROM unnest(p_items, p_quantities) WITH ORDINALITY t(id, q, ord) JOIN items i ON i.id = t.id
    WHERE i.stock_count < t.q;
  IF v_bad IS NOT NULL THEN
    RETURN QUERY SELECT 'insufficient_stock'::text, b, NULL::uuid, NULL::int, NULL::varchar, NULL::bigint, NULL::int FROM unnest(v_bad) b;
    RETURN;
  END IF;
  INSERT INTO stock_reservations (reference, state, updated_at) VALUES (p_reference, 'taken', now()) ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    -- A take (or a release) of this reference committed while this one waited: its row decides.
    RETURN QUERY SELECT * FROM stock_take_earlier(p_reference, p_items, p_quantities);
    RETURN;
  END IF;
  RETURN QUERY
  WITH taken AS (
    UPDATE items i SET stock_count = i.stock_count - t.q, updated_at = now()
    FROM unnest(p_items, p_quantities) WITH ORDINALITY t(id, q, ord)
    WHERE i.id = t.id
    RETURNING i.id, t.q, t.ord::int - 1 AS pos, i.name, i.price_cents, i.stock_count
  ), lines AS (
    INSERT INTO stock_reservation_lines (reference, position, item_id, quantity, item_name, unit_price_cents, stock_after)
    SELECT p_reference, taken.pos, taken.id, taken.q, taken.name, taken.price_cents, taken.stock_count FROM taken
  ), moves AS (
    INSERT INTO stock_movements (id, item_id, kind, delta, stock_after, reference)
    SELECT uuid_v7(), taken.id, 'reservation', -taken.q, taken.stock_count, p_reference FROM taken
  )
  SELECT 'taken'::text, taken.pos, taken.id, taken.q, taken.name, taken.price_cents, taken.stock_count FROM taken ORDER BY taken.pos;
END $$;
