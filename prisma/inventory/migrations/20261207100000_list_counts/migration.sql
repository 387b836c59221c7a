-- Issue 23: the totals of the two lists that are read most, maintained on write, so their pages run no count.
--   'items'          GET /items with no filter: the items not deleted;
--   'items.in_stock' GET /items?inStock=true (sales' /goods pages through it): not deleted and stock_count > 0.
-- (GET /items?inStock=false is their difference.)
--
-- A list's total is the sum of its rows here. Like list_versions, each list has eight slots and a writing statement
-- adds its net change to the slot of its backend (pg_backend_pid() % 8), so concurrent writers (stock
-- reservations) rarely wait on one another's row. Statement-level triggers with transition tables apply one delta
-- per list per statement, in the writing transaction; a statement whose rows keep their membership (a reservation
-- that leaves stock above zero, a rename) writes nothing here. The lists are updated in name order, so two
-- statements never deadlock on these rows.
CREATE TABLE "list_counts" (
    "name" TEXT NOT NULL,
    "slot" INTEGER NOT NULL,
    "count" BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT "list_counts_pkey" PRIMARY KEY ("name", "slot")
);
INSERT INTO "list_counts" ("name", "slot") SELECT list, slot FROM unnest(ARRAY['items', 'items.in_stock']) AS list, generate_series(0, 7) AS slot;

CREATE FUNCTION list_counts_apply(items_delta BIGINT, in_stock_delta BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF items_delta <> 0 THEN
    UPDATE list_counts SET count = count + items_delta WHERE name = 'items' AND slot = pg_backend_pid() % 8;
  END IF;
  IF in_stock_delta <> 0 THEN
    UPDATE list_counts SET count = count + in_stock_delta WHERE name = 'items.in_stock' AND slot = pg_backend_pid() % 8;
  END IF;
END $$;

-- A trigger with transition tables has one event; the three share this function (each branch reads only the
-- transition tables its event has).
CREATE FUNCTION list_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  d_items BIGINT := 0;
  d_in_stock BIGINT := 0;
  o_items BIGINT := 0;
  o_in_stock BIGINT := 0;
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT count(*) FILTER (WHERE deleted_at IS NULL), count(*) FILTER (WHERE deleted_at IS NULL AND stock_count > 0)
      INTO d_items, d_in_stock FROM new_rows;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT count(*) FILTER (WHERE deleted_at IS NULL), count(*) FILTER (WHERE deleted_at IS NULL AND stock_count > 0)
      INTO o_items, o_in_stock FROM old_rows;
  END IF;
  PERFORM list_counts_apply(d_items - o_items, d_in_stock - o_in_stock);
  RETURN NULL;
END $$;

CREATE TRIGGER "items_list_counts_on_insert" AFTER INSERT ON "items"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION list_counts_track();
CREATE TRIGGER "items_list_counts_on_update" AFTER UPDATE ON "items"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION list_counts_track();
CREATE TRIGGER "items_list_counts_on_delete" AFTER DELETE ON "items"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION list_counts_track();
-- TRUNCATE bypasses the deltas: it zeroes the counts with the items.
CREATE FUNCTION list_counts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE list_counts SET count = 0 WHERE name IN ('items', 'items.in_stock');
  RETURN NULL;
END $$;
CREATE TRIGGER "items_list_counts_on_truncate" AFTER TRUNCATE ON "items" FOR EACH STATEMENT EXECUTE FUNCTION list_counts_truncate();

-- Backfill from the items stored now, into slot 0. No write is missed or counted twice: CREATE TRIGGER above took
-- a SHARE ROW EXCLUSIVE lock on items, which the migration's transaction holds until it commits.
UPDATE list_counts SET count = (SELECT count(*) FROM items WHERE deleted_at IS NULL) WHERE name = 'items' AND slot = 0;
UPDATE list_counts SET count = (SELECT count(*) FROM items WHERE deleted_at IS NULL AND stock_count > 0) WHERE name = 'items.in_stock' AND slot = 0;
