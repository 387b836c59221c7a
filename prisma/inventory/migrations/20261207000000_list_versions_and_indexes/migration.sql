-- Issue 23: list ETags from a version maintained on write, and an index for each filter and sort of GET /items.

-- A list's version (for its ETag) is the sum of its rows here. A statement-level trigger bumps one of eight
-- slots per writing statement (the writer's backend picks it), so concurrent writers (stock reservations)
-- rarely wait on one another's slot, and a read sums eight rows whatever the table's size.
CREATE TABLE "list_versions" (
    "name" TEXT NOT NULL,
    "slot" INTEGER NOT NULL,
    "version" BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT "list_versions_pkey" PRIMARY KEY ("name", "slot")
);
INSERT INTO "list_versions" ("name", "slot") SELECT 'items', slot FROM generate_series(0, 7) AS slot;

CREATE FUNCTION bump_list_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE list_versions SET version = version + 1 WHERE name = TG_ARGV[0] AND slot = pg_backend_pid() % 8;
  RETURN NULL;
END $$;

-- Every statement that writes items (a sale's stock change included); TRUNCATE too.
CREATE TRIGGER "items_list_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "items"
  FOR EACH STATEMENT EXECUTE FUNCTION bump_list_version('items');

-- Each sort with a category filter (the sorts alone have items_created_at_idx, items_price_idx, items_name_idx;
-- createdAt with a category has items_category_idx). Descending sorts scan the same indexes backwards.
CREATE INDEX "items_category_price_idx" ON "items" ("category", "price_cents", "id") WHERE "deleted_at" IS NULL;
CREATE INDEX "items_category_name_idx" ON "items" ("category", lower("name"), "id") WHERE "deleted_at" IS NULL;
-- In stock (sales' /goods reads inStock=true in the default order).
CREATE INDEX "items_in_stock_idx" ON "items" ("created_at", "id") WHERE "deleted_at" IS NULL AND "stock_count" > 0;
