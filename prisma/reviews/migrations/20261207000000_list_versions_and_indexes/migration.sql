-- Issue 23: list ETags from a version maintained on write, and an index for each list's filter and order.

-- A list's version (for its ETag) is the sum of its rows here. A statement-level trigger bumps one of eight
-- slots per writing statement (the writer's backend picks it), so concurrent writers rarely wait on one
-- another's slot, and a read sums eight rows whatever the table's size.
CREATE TABLE "list_versions" (
    "name" TEXT NOT NULL,
    "slot" INTEGER NOT NULL,
    "version" BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT "list_versions_pkey" PRIMARY KEY ("name", "slot")
);
INSERT INTO "list_versions" ("name", "slot") SELECT 'reviews', slot FROM generate_series(0, 7) AS slot;

CREATE FUNCTION bump_list_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE list_versions SET version = version + 1 WHERE name = TG_ARGV[0] AND slot = pg_backend_pid() % 8;
  RETURN NULL;
END $$;

-- Every statement that writes reviews (an item's review page's ETag reads it, not the item's reviews).
CREATE TRIGGER "reviews_list_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "reviews"
  FOR EACH STATEMENT EXECUTE FUNCTION bump_list_version('reviews');

-- The author's own view (every status, newest first) and a review's reports (oldest first).
CREATE INDEX "reviews_customer_id_seq_idx" ON "reviews" ("customer_id", "seq");
CREATE INDEX "review_reports_review_id_seq_idx" ON "review_reports" ("review_id", "seq");
